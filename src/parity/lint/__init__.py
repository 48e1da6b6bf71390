"""`parity lint`: environment branches and literals (rules), secrets (secrets), suppressions with
reasons (suppress); repository walks the files and the rendered output, with a content cache."""

from __future__ import annotations

from parity.lint.rules import Vocabulary, jinja_findings, python_findings, text_literal_findings
from parity.lint.secrets import own_secret_findings, secret_resource_findings
from parity.lint.suppress import Suppression, apply, suppressions

__all__ = [
    "Suppression",
    "Vocabulary",
    "apply",
    "jinja_findings",
    "own_secret_findings",
    "python_findings",
    "secret_resource_findings",
    "suppressions",
    "text_literal_findings",
]
