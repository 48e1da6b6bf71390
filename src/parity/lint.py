"""`parity lint` rules. Pure: every function takes a file's text and returns findings.

Rules (each finding is `file:line: rule: message`):
  env-branch        code that branches on an environment's name (Python/Starlark AST, dbt Jinja)
  env-keyed-dict    a mapping keyed by environment names (a per-environment switch in disguise)
  env-literal       a literal equal to (or holding) an environment's value: it belongs in overlays
  secret            a secret value (detect-secrets plugins and our own patterns)
  secret-resource   a Kubernetes Secret: secrets arrive only through ExternalSecrets
  undeclared-value  an overlay value that nothing in the base consumes
  missing-value     a base value key that no overlay value feeds
  bad-suppression   `parity: allow` without a rule and a reason
A finding is suppressed by `parity: allow <rule> -- <reason>` in a comment on its line or alone on
the line above; the report lists every suppression so reviewers see each exception.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENV_VAR_NAMES = re.compile(r"^(ENV|ENVIRONMENT|APP_ENV|DEPLOY_ENV|STAGE|TARGET_ENV|[A-Z_]*_ENV(IRONMENT)?)$")
# Only in a comment (#, --, {#, //), so prose and messages that mention the syntax are not one.
SUPPRESSION = re.compile(r"(#|--|\{#|//)\s*parity:\s*allow\b(?P<rest>.*)$")
SUPPRESSION_BODY = re.compile(r"^\s*(?P<rule>[a-z][a-z-]+)\s+--\s+(?P<reason>\S.*?)\s*(#\}|-->|\*/)?\s*$")
JINJA_BLOCK = re.compile(r"\{[%{](?P<body>.*?)[%}]\}", re.S)
OWN_SECRET_PATTERNS = [
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", re.compile(r"(?i)aws.{0,20}secret.{0,20}['\":=\s]+[A-Za-z0-9/+]{40}\b")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    # Quoted, or unquoted with a digit or symbol in it (not a type name like `SecretStr`).
    (
        "Snowflake password",
        re.compile(
            r"(?i)snowflake[a-z_]*password['\"]?\s*[:=]\s*(['\"](?!\{\{)[^'\"\s]{8,}['\"]"
            r"|(?=[^\s'\"{}]*[0-9!@#%^&*])[^\s'\"{}]{8,})"
        ),
    ),
]


REFERENCE = re.compile(
    r"^(arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:[\w/+=,.@:-]+"  # an IAM/resource ARN
    r"|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"  # a name or dotted path (DBT_ENV_SECRET_X)
    r"|[a-z0-9-]+(/[a-z0-9._-]+)+"  # a Secrets Manager path (finsight/airflow/core)
    r"|\{\{.*\}\}|\$\{.*\})$"  # a template
)


def is_reference(line: str) -> bool:
    """A keyword hit whose value names a secret rather than holding one."""
    value = re.split(r"[:=]", line, maxsplit=1)[-1].strip().strip("'\",")
    return bool(REFERENCE.match(value))


@dataclass(frozen=True)
class LintFinding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int  # the line the suppression covers
    rule: str
    reason: str


@dataclass(frozen=True)
class Vocabulary:
    """What counts as an environment here: its names, and its values from every overlay."""

    names: frozenset[str]
    values: Mapping[str, tuple[str, str]]  # value -> (env, key)

    def value_in(self, text: str) -> tuple[str, str, str] | None:
        for value, (env, key) in self.values.items():
            if value in text:
                return value, env, key
        return None


# --- suppressions ------------------------------------------------------------------------------
def suppressions(path: str, text: str) -> tuple[list[Suppression], list[LintFinding]]:
    found, bad = [], []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = SUPPRESSION.search(line)
        if not match:
            continue
        body = SUPPRESSION_BODY.match(match.group("rest"))
        if not body:
            bad.append(
                LintFinding(
                    path,
                    number,
                    "bad-suppression",
                    "`parity: allow` needs a rule and a reason: parity: allow <rule> -- <reason>",
                )
            )
            continue
        before = line[: match.start()].strip()
        covered = number if before else number + 1  # a comment alone covers the next line
        found.append(Suppression(path, covered, body.group("rule"), body.group("reason")))
    return found, bad


def apply(
    findings: Iterable[LintFinding], allowed: Iterable[Suppression]
) -> tuple[list[LintFinding], list[Suppression]]:
    index = {(s.path, s.line, s.rule): s for s in allowed}
    kept, used = [], []
    for finding in findings:
        suppression = index.get((finding.path, finding.line, finding.rule))
        if suppression is None:
            kept.append(finding)
        elif suppression not in used:
            used.append(suppression)
    return kept, used


# --- Python and Starlark -----------------------------------------------------------------------
def _env_name(node: ast.AST, vocabulary: Vocabulary) -> str | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.lower() in vocabulary.names
    ):
        return node.value
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return next((n for n in (_env_name(e, vocabulary) for e in node.elts) if n), None)
    return None


def _reads_env_name_var(node: ast.AST) -> bool:
    """os.environ["ENVIRONMENT"], os.environ.get("APP_ENV"), os.getenv("STAGE")..."""
    for child in ast.walk(node):
        key = None
        if isinstance(child, ast.Subscript) and "environ" in ast.unparse(child.value):
            key = child.slice
        elif isinstance(child, ast.Call) and re.search(r"(environ\.get|getenv)$", ast.unparse(child.func)):
            key = child.args[0] if child.args else None
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and ENV_VAR_NAMES.match(key.value):
            return True
    return False


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def python_findings(path: str, text: str, vocabulary: Vocabulary) -> list[LintFinding]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [LintFinding(path, exc.lineno or 1, "syntax", f"cannot parse: {exc.msg}")]
    out: list[LintFinding] = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            name = next(
                (n for n in map(lambda x: _env_name(x, vocabulary), [node.left, *node.comparators]) if n),
                None,
            )
            if name:
                out.append(
                    LintFinding(
                        path,
                        node.lineno,
                        "env-branch",
                        f"compares with the environment name {name!r}; read the value from settings",
                    )
                )
        elif isinstance(node, ast.MatchValue) and _env_name(node.value, vocabulary):
            out.append(
                LintFinding(
                    path,
                    node.lineno,
                    "env-branch",
                    f"matches on the environment name {_env_name(node.value, vocabulary)!r}",
                )
            )
        elif isinstance(node, ast.If | ast.IfExp | ast.While) and _reads_env_name_var(node.test):
            out.append(
                LintFinding(
                    path,
                    node.lineno,
                    "env-branch",
                    "a condition reads the environment-name variable; use settings values instead",
                )
            )
        elif isinstance(node, ast.Dict):
            names = [n for n in (_env_name(k, vocabulary) for k in node.keys if k is not None) if n]
            if names:
                out.append(
                    LintFinding(
                        path,
                        node.lineno,
                        "env-keyed-dict",
                        f"a mapping keyed by environment names ({', '.join(names)}); "
                        "per-environment values belong in overlays/<env>/values.yaml",
                    )
                )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            hit = vocabulary.value_in(node.value)
            if hit:
                value, env, key = hit
                out.append(
                    LintFinding(
                        path, node.lineno, "env-literal", f"{value!r} is {env}'s {key}; read it from settings"
                    )
                )
    return sorted(set(out), key=lambda f: (f.line, f.rule))


# --- dbt Jinja / SQL / YAML text ---------------------------------------------------------------
def jinja_findings(
    path: str, text: str, vocabulary: Vocabulary, may_read_target_name: bool
) -> list[LintFinding]:
    out: list[LintFinding] = []
    if may_read_target_name:  # the one macro where environment logic is allowed to live
        return out
    for match in JINJA_BLOCK.finditer(text):
        body = match.group("body")
        line = text.count("\n", 0, match.start()) + 1
        quoted = re.findall(r"['\"]([A-Za-z]+)['\"]", body)
        names = [q for q in quoted if q.lower() in vocabulary.names]
        if "target.name" in body:
            out.append(
                LintFinding(
                    path,
                    line,
                    "env-branch",
                    "reads target.name outside generate_schema_name; environment logic lives there only",
                )
            )
        elif names and re.search(r"\b(if|elif|==|!=|in)\b", body):
            out.append(
                LintFinding(path, line, "env-branch", f"branches on the environment name {names[0]!r}")
            )
    return out


def text_literal_findings(path: str, text: str, vocabulary: Vocabulary) -> list[LintFinding]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        hit = vocabulary.value_in(line)
        if hit:
            value, env, key = hit
            out.append(
                LintFinding(
                    path, number, "env-literal", f"{value!r} is {env}'s {key}; it belongs in overlays"
                )
            )
    return out


# --- secrets ----------------------------------------------------------------------------------
def own_secret_findings(path: str, text: str) -> list[LintFinding]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for label, pattern in OWN_SECRET_PATTERNS:
            if pattern.search(line):
                out.append(
                    LintFinding(path, number, "secret", f"looks like a {label}; use an ExternalSecret")
                )
                break
    return out


def secret_resource_findings(path: str, text: str) -> list[LintFinding]:
    return [
        LintFinding(
            path,
            number,
            "secret-resource",
            "a Kubernetes Secret in git or rendered output; reference AWS Secrets Manager via ExternalSecret",
        )
        for number, line in enumerate(text.splitlines(), 1)
        if re.match(r"^kind:\s*Secret\s*$", line)
    ]


# --- values wiring -----------------------------------------------------------------------------
def wiring_findings(
    values_path: str,
    values_text: str,
    value_paths: Iterable[str],
    sources: set[str],
    base_path: str,
    base_keys: Iterable[str],
    targets: set[str],
) -> list[LintFinding]:
    """Overlay values nothing consumes, and base keys no value feeds."""
    out = []
    lines = values_text.splitlines()

    def line_of(key: str) -> int:
        leaf = key.rsplit(".", 1)[-1]
        return next((n for n, line in enumerate(lines, 1) if line.strip().startswith(f"{leaf}:")), 1)

    for key in value_paths:
        if f"spec.{key}" not in sources:
            out.append(
                LintFinding(
                    values_path,
                    line_of(key),
                    "undeclared-value",
                    f"spec.{key} is set but no replacement in k8s/components/env-values reads it",
                )
            )
    for key in base_keys:
        if key not in targets:
            out.append(
                LintFinding(
                    base_path,
                    1,
                    "missing-value",
                    f"platform-values key {key} is declared but no overlay value feeds it",
                )
            )
    return out
