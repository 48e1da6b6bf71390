"""`parity lint` rules about environments. Pure: every function takes a file's text and returns findings.

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

from parity.findings import Finding


def _finding(path: str, line: int, rule: str, message: str) -> Finding:
    return Finding(path, rule, message, scope="repo", line=line)


ENV_VAR_NAMES = re.compile(r"^(ENV|ENVIRONMENT|APP_ENV|DEPLOY_ENV|STAGE|TARGET_ENV|[A-Z_]*_ENV(IRONMENT)?)$")
JINJA_BLOCK = re.compile(r"\{[%{](?P<body>.*?)[%}]\}", re.S)


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


def python_findings(path: str, text: str, vocabulary: Vocabulary) -> list[Finding]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [_finding(path, exc.lineno or 1, "syntax", f"cannot parse: {exc.msg}")]
    out: list[Finding] = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            name = next(
                (n for n in map(lambda x: _env_name(x, vocabulary), [node.left, *node.comparators]) if n),
                None,
            )
            if name:
                out.append(
                    _finding(
                        path,
                        node.lineno,
                        "env-branch",
                        f"compares with the environment name {name!r}; read the value from settings",
                    )
                )
        elif isinstance(node, ast.MatchValue) and _env_name(node.value, vocabulary):
            out.append(
                _finding(
                    path,
                    node.lineno,
                    "env-branch",
                    f"matches on the environment name {_env_name(node.value, vocabulary)!r}",
                )
            )
        elif isinstance(node, ast.If | ast.IfExp | ast.While) and _reads_env_name_var(node.test):
            out.append(
                _finding(
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
                    _finding(
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
                    _finding(
                        path, node.lineno, "env-literal", f"{value!r} is {env}'s {key}; read it from settings"
                    )
                )
    return sorted(set(out), key=lambda f: (f.line, f.rule))


# --- dbt Jinja / SQL / YAML text ---------------------------------------------------------------
def jinja_findings(path: str, text: str, vocabulary: Vocabulary, may_read_target_name: bool) -> list[Finding]:
    out: list[Finding] = []
    if may_read_target_name:  # the one macro where environment logic is allowed to live
        return out
    for match in JINJA_BLOCK.finditer(text):
        body = match.group("body")
        line = text.count("\n", 0, match.start()) + 1
        quoted = re.findall(r"['\"]([A-Za-z]+)['\"]", body)
        names = [q for q in quoted if q.lower() in vocabulary.names]
        if "target.name" in body:
            out.append(
                _finding(
                    path,
                    line,
                    "env-branch",
                    "reads target.name outside generate_schema_name; environment logic lives there only",
                )
            )
        elif names and re.search(r"\b(if|elif|==|!=|in)\b", body):
            out.append(_finding(path, line, "env-branch", f"branches on the environment name {names[0]!r}"))
    return out


def text_literal_findings(path: str, text: str, vocabulary: Vocabulary) -> list[Finding]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        hit = vocabulary.value_in(line)
        if hit:
            value, env, key = hit
            out.append(
                _finding(path, number, "env-literal", f"{value!r} is {env}'s {key}; it belongs in overlays")
            )
    return out


# --- values wiring -----------------------------------------------------------------------------
def wiring_findings(
    values_path: str,
    values_text: str,
    value_paths: Iterable[str],
    sources: set[str],
    base_path: str,
    base_keys: Iterable[str],
    targets: set[str],
) -> list[Finding]:
    """Overlay values nothing consumes, and base keys no value feeds."""
    out = []
    lines = values_text.splitlines()

    def line_of(key: str) -> int:
        leaf = key.rsplit(".", 1)[-1]
        return next((n for n, line in enumerate(lines, 1) if line.strip().startswith(f"{leaf}:")), 1)

    for key in value_paths:
        if f"spec.{key}" not in sources:
            out.append(
                _finding(
                    values_path,
                    line_of(key),
                    "undeclared-value",
                    f"spec.{key} is set but no replacement in k8s/components/env-values reads it",
                )
            )
    for key in base_keys:
        if key not in targets:
            out.append(
                _finding(
                    base_path,
                    1,
                    "missing-value",
                    f"platform-values key {key} is declared but no overlay value feeds it",
                )
            )
    return out
