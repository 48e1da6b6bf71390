from __future__ import annotations

import pytest

from parity import lint
from parity.findings import Finding
from parity.lint import Vocabulary

VOCAB = Vocabulary(
    frozenset({"dev", "staging", "prod", "production"}),
    {"finsight.prod.payments.v1": ("prod", "topics.payments"), "finsight-prod-raw": ("prod", "buckets.raw")},
)


def rules(findings: list[Finding]) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in findings]


def test_comparison_with_an_environment_name() -> None:
    code = 'import os\nif os.environ["ENVIRONMENT"] == "prod":\n    x = 1\n'
    assert (2, "env-branch") in rules(lint.python_findings("d.py", code, VOCAB))


def test_condition_reading_the_environment_variable() -> None:
    code = 'import os\nif os.getenv("APP_ENV") != expected:\n    x = 1\n'
    assert rules(lint.python_findings("d.py", code, VOCAB)) == [(2, "env-branch")]


def test_match_on_an_environment_name() -> None:
    code = "match stage:\n    case 'staging':\n        pass\n"
    assert rules(lint.python_findings("d.py", code, VOCAB)) == [(2, "env-branch")]


def test_dict_keyed_by_environment_names() -> None:
    code = 'BUCKETS = {\n    "dev": "a",\n    "prod": "b",\n}\nbucket = BUCKETS[name]\n'
    assert rules(lint.python_findings("d.py", code, VOCAB)) == [(1, "env-keyed-dict")]


def test_environment_value_as_literal_but_not_in_docstrings() -> None:
    code = '"""Reads finsight-prod-raw, see the runbook."""\nTOPIC = "finsight.prod.payments.v1"\n'
    assert rules(lint.python_findings("c.py", code, VOCAB)) == [(2, "env-literal")]


def test_ordinary_code_is_clean() -> None:
    code = (
        'def f(settings):\n    if settings.raw_bucket == other:\n        return {"a": 1}\n'
        '    return "production-ready"\n'
    )
    assert lint.python_findings("c.py", code, VOCAB) == []


def test_jinja_target_name_outside_the_schema_macro() -> None:
    sql = "select 1\n{% if target.name == 'prod' %}\nwhere x\n{% endif %}\n"
    assert rules(lint.jinja_findings("m.sql", sql, VOCAB, may_read_target_name=False)) == [(2, "env-branch")]
    assert lint.jinja_findings("generate_schema_name.sql", sql, VOCAB, may_read_target_name=True) == []


def test_jinja_branch_on_a_quoted_environment_name() -> None:
    sql = "{% if var('env') == 'staging' %}limit 10{% endif %}\n"
    assert rules(lint.jinja_findings("m.sql", sql, VOCAB, may_read_target_name=False)) == [(1, "env-branch")]


@pytest.mark.parametrize(
    "line",
    [
        "aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
        "key: AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----",
        "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "snowflake_password: Hunter2Hunter2",
    ],
)
def test_own_secret_patterns(line: str) -> None:
    assert rules(lint.own_secret_findings("f", f"x: 1\n{line}\n")) == [(2, "secret")]


def test_templated_password_is_not_a_secret() -> None:
    assert (
        lint.own_secret_findings("p.yml", "snowflake_password: \"{{ env_var('DBT_ENV_SECRET_X') }}\"\n") == []
    )


def test_suppression_with_reason_covers_its_line_and_is_listed() -> None:
    code = 'X = {"dev": 1}  # parity: allow env-keyed-dict -- fixture data for the migration tool\n'
    found, bad = lint.suppressions("a.py", code)
    kept, used = lint.apply(lint.python_findings("a.py", code, VOCAB), found)
    assert (
        bad == []
        and kept == []
        and [(s.rule, s.reason) for s in used] == [("env-keyed-dict", "fixture data for the migration tool")]
    )


def test_suppression_on_its_own_line_covers_the_next() -> None:
    code = '# parity: allow env-keyed-dict -- documented exception\nX = {"dev": 1}\n'
    found, _ = lint.suppressions("a.py", code)
    assert lint.apply(lint.python_findings("a.py", code, VOCAB), found)[0] == []


def test_suppression_without_reason_is_itself_a_finding_and_suppresses_nothing() -> None:
    code = 'X = {"dev": 1}  # parity: allow env-keyed-dict\n'
    found, bad = lint.suppressions("a.py", code)
    kept, _ = lint.apply(lint.python_findings("a.py", code, VOCAB), found)
    assert rules(bad) == [(1, "bad-suppression")] and rules(kept) == [(1, "env-keyed-dict")]
