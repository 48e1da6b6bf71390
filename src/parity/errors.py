"""One error base; each subclass carries the exit code from the command contract (DESIGN.md)."""

from __future__ import annotations

OK = 0
FINDINGS = 1
BAD_INPUT = 2
REFUSED = 3
INTERNAL = 70


class ParityError(Exception):
    """An error shown to the user as one line: subject, what happened, what to do."""

    exit_code = INTERNAL

    def __init__(self, subject: str, problem: str, remedy: str) -> None:
        super().__init__(f"{subject}: {problem}. {remedy}")
        self.subject = subject
        self.problem = problem
        self.remedy = remedy


class BadInput(ParityError):
    """Bad input or usage: unknown env, malformed file, missing file."""

    exit_code = BAD_INPUT


class Refused(ParityError):
    """Refused by policy: missing approvals, separation of duties, out-of-order promotion."""

    exit_code = REFUSED
