"""The one finding type that `check`, `lint` and the gates report. Pure.

A finding says what is wrong (`subject`), under which rule, and why (`message`); `scope` is where
it was found (an environment, a pair such as `dev->staging`, a gate, or `repo`), `path` a field
inside the subject and `line` a line of a file subject. Each command prints the shape its JSON
contract documents (README "Machine-readable output") from these same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = "error"
NOTICE = "notice"


@dataclass(frozen=True)
class Finding:
    subject: str
    rule: str
    message: str
    scope: str = ""
    path: str = ""
    line: int = 0
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"{self.subject}:{self.line}" if self.line else self.subject
        return f"{where}: {self.rule}: {self.message}"

    def check_dict(self) -> dict[str, str]:
        """`parity check --format json` violations."""
        return {
            "rule": self.rule,
            "env": self.scope,
            "resource": self.subject,
            "path": self.path or (f"line {self.line}" if self.line else ""),
            "message": self.message,
        }

    def lint_dict(self) -> dict[str, Any]:
        return {"path": self.subject, "line": self.line, "rule": self.rule, "message": self.message}

    def gate_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "rule": self.rule, "message": self.message}


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.subject, finding.line, finding.rule, finding.path)
