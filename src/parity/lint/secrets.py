"""Secrets: our own patterns (AWS keys, private keys, JWTs, Snowflake passwords), Kubernetes Secret
resources, and detect-secrets' plugins. Our rules are pure; `detect_secrets_findings` is the edge.

detect-secrets runs every plugin on every line through its dependency injection, which made it most
of `parity check`'s time. Each plugin can only fire on a line that one of its own patterns could
match (a denylist regex, a keyword, or a run of its charset long enough to pass its entropy limit),
so only such candidate lines, found for a whole file with one C-level regex pass, go through
detect-secrets' own line pipeline: the same plugins and filters, far fewer lines.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parity.findings import Finding

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


def own_secret_findings(path: str, text: str) -> list[Finding]:
    """Our patterns, the first that matches a line naming it. None of them is anchored, so one
    that finds nothing in the whole text finds nothing on any line: only the others are run line
    by line."""
    present = [(label, pattern) for label, pattern in OWN_SECRET_PATTERNS if pattern.search(text)]
    out: list[Finding] = []
    if not present:
        return out
    for number, line in enumerate(text.splitlines(), 1):
        label = next((label for label, pattern in present if pattern.search(line)), None)
        if label is not None:
            out.append(
                Finding(
                    path, "secret", f"looks like a {label}; use an ExternalSecret", scope="repo", line=number
                )
            )
    return out


def secret_resource_findings(path: str, text: str) -> list[Finding]:
    return [
        Finding(
            path,
            "secret-resource",
            "a Kubernetes Secret in git or rendered output; reference AWS Secrets Manager via ExternalSecret",
            scope="repo",
            line=number,
        )
        for number, line in enumerate(text.splitlines(), 1)
        if re.match(r"^kind:\s*Secret\s*$", line)
    ]


# --- detect-secrets ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidates:
    """What any plugin could flag (a superset, built from the plugins' own patterns): each
    keyword/denylist regex on its own (one C-level scan each is far faster than one alternation),
    and one regex of the charset runs long enough that their Shannon entropy can exceed a plugin's
    limit (H <= log2(length))."""

    anchored: tuple[re.Pattern[str], ...]  # keyword regexes whose match begins at a keyword
    searched: tuple[re.Pattern[str], ...]  # the comparison variant (`"x" == password`): at a quote
    fixed: tuple[re.Pattern[str], ...]
    entropy: re.Pattern[str]
    stems: re.Pattern[str]  # the bare keywords, where an anchored regex's match must begin


def _candidates(plugins: Iterable[Any], quoted: bool) -> Candidates:
    from detect_secrets.plugins.keyword import DENYLIST

    stems = re.compile("|".join(DENYLIST), re.IGNORECASE)
    keywords = [stems] if quoted else _keyword_assignments()
    fixed = []
    runs = []
    for index, plugin in enumerate(plugins):
        fixed += [re.compile(regex.pattern, regex.flags) for regex in getattr(plugin, "denylist", ())]
        charset, limit = getattr(plugin, "charset", None), getattr(plugin, "entropy_limit", None)
        if charset and limit is not None:
            run = f"[{re.escape(charset)}]{{{math.floor(2**limit) + 1},}}"
            if quoted:  # the plugin reads quoted strings only (its own regex)
                runs.append(f"(?P<q{index}>['\"]){run}(?P=q{index})")
            else:  # a whole scalar value that a transformer (YAML, INI) would quote
                runs.append(f"(?P<e{index}>(?<![^\\s\"'\\[\\]{{}},=]){run}(?![^\\s\"'\\[\\]{{}},#]))")
    anchored = tuple(r for r in keywords if r.pattern.lstrip("(").startswith(stems.pattern[:8]))
    searched = tuple(r for r in keywords if r not in anchored)
    return Candidates(anchored, searched, tuple(fixed), re.compile("|".join(runs), re.MULTILINE), stems)


def _keyword_assignments() -> list[re.Pattern[str]]:
    """A keyword plugin's finding needs one of its assignment regexes (`password: x`, `secret =
    "x"`...) to match; across every file type they use, searched over a whole raw file (where `\\s*`
    may even span lines), they find every line it could flag, also after the YAML and INI
    transformers quote the values (the regexes those file types use take an optional quote)."""
    from detect_secrets.plugins import keyword

    regexes = {r for table in keyword.REGEX_BY_FILETYPE.values() for r in table}
    regexes |= set(keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
    return sorted(regexes, key=lambda r: r.pattern)  # each alone: they hold numbered backreferences


def _raw_candidate(text: str, raw: Candidates, plugins: list[Any]) -> bool:
    """Whether a file's raw text holds a candidate: a keyword or denylist match, or a whole value
    whose entropy (computed by the plugin itself) exceeds the plugin's limit."""
    # A keyword regex's match begins at a keyword (or at the start of the word holding it, for the
    # variants that allow a prefix): try each one anchored there, never scanning the whole text.
    for regex in raw.searched:  # the comparison variant needs `==` or `!=` somewhere
        comparison = "[!=]{2,3}" in regex.pattern
        if (not comparison or "==" in text or "!=" in text) and regex.search(text):
            return True
    for hit in raw.stems.finditer(text):
        word = hit.start()
        while word > 0 and (text[word - 1].isalnum() or text[word - 1] == "_"):
            word -= 1
        if any(regex.match(text, start) for start in {word, hit.start()} for regex in raw.anchored):
            return True
    if any(regex.search(text) for regex in raw.fixed):
        return True
    for match in raw.entropy.finditer(text):
        token = match.group(match.lastgroup or 0)
        for plugin in plugins:  # the token may be a candidate of another entropy plugin too
            charset = getattr(plugin, "charset", None)
            entropy = plugin.calculate_shannon_entropy if charset and set(token) <= set(charset) else None
            if entropy is not None and entropy(token) > plugin.entropy_limit:
                return True
    return False


@lru_cache(maxsize=1)
def _plugins() -> list[Any]:
    from detect_secrets.settings import get_plugins

    return list(get_plugins())


@lru_cache(maxsize=1)
def _patterns() -> tuple[Candidates, Candidates]:
    """(candidate lines as detect-secrets reads them, candidate raw files). A file whose raw text
    has no candidate cannot have one after detect-secrets' YAML or INI transformers quote its
    values, so it is not parsed at all."""
    return _candidates(_plugins(), quoted=True), _candidates(_plugins(), quoted=False)


def candidate_numbers(lines: list[str], candidates: Candidates) -> list[int]:
    text = "\n".join(line.rstrip("\n") for line in lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line.rstrip("\n")) + 1)
    numbers = {
        bisect.bisect_right(starts, match.start())
        for regex in (*candidates.anchored, *candidates.searched, *candidates.fixed, candidates.entropy)
        for match in regex.finditer(text)
    }
    return sorted(numbers)


def _scan_lines(lines: list[str], numbers: list[int], filename: str) -> list[tuple[int, str]]:
    """detect-secrets' own line pipeline (its line filters, every plugin, its secret filters) over
    the given line numbers only, with each line's real context."""
    from detect_secrets.core import scan
    from detect_secrets.util.code_snippet import get_code_snippet

    content = [line.rstrip("\n") for line in lines]
    found = []
    for number in numbers:
        line = content[number - 1].rstrip()
        context = get_code_snippet(lines=content, line_number=number)
        if scan._is_filtered_out(
            required_filter_parameters=["line"], filename=filename, line=line, context=context
        ):
            continue
        for plugin in _plugins():
            for secret in scan._scan_line(
                plugin=plugin, filename=filename, line=line, line_number=number, context=context
            ):
                if not scan._is_filtered_out(
                    required_filter_parameters=["context"],
                    filename=secret.filename,
                    secret=secret.secret_value,
                    plugin=plugin,
                    line=line,
                    context=context,
                ):
                    found.append((number, str(secret.type)))
    return found


def detect_secrets_file(root: Path, name: str) -> list[tuple[int, str]]:
    """(line, secret type) that detect-secrets reports for one file, as its `scan_file` would:
    the plain (or lazily transformed) lines first, the eagerly transformed ones only when the
    first pass found nothing. Call inside `detect_secrets.settings.default_settings()`."""
    from detect_secrets.core import scan

    pattern, raw = _patterns()
    filename = str(root / name)
    if scan._is_filtered_out(required_filter_parameters=["filename"], filename=filename):
        return []
    try:
        if not _raw_candidate((root / name).read_text(), raw, _plugins()):
            return []
    except (OSError, UnicodeDecodeError):
        return []
    found: list[tuple[int, str]] = []
    try:
        for lines in scan._get_lines_from_file(filename):
            numbers = candidate_numbers(list(lines), pattern)
            found = _scan_lines(list(lines), numbers, filename) if numbers else []
            if found:
                break
    except (OSError, UnicodeDecodeError):
        return []
    return sorted(set(found))


def detect_secrets_findings(name: str, text: str, found: Iterable[tuple[int, str]]) -> list[Finding]:
    lines = text.splitlines()
    out = []
    for number, kind in found:
        if kind == "Secret Keyword" and 0 < number <= len(lines) and is_reference(lines[number - 1]):
            continue  # e.g. `secretKey: DBT_ENV_SECRET_SNOWFLAKE_PASSWORD` names a secret
        out.append(Finding(name, "secret", f"detect-secrets: {kind}", scope="repo", line=number))
    return out
