"""`parity infra plan|apply ENV --only snowflake` against the fakesnow server (Snowflake's wire
protocol over DuckDB): apply creates exactly the databases and schemas infra/snowflake.yaml
declares with dev's values, a second apply changes nothing, a schema dropped by hand is reported by
plan and made again by apply. fakesnow keeps no warehouses, roles or grants: the plan says so; the
DDL parity would run for them is checked as text, and the plan's reading of them against a cursor
that answers as an account's SHOW statements do. Bad input exits 2 naming the file and field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parity import cli
from parity.errors import BadInput
from parity.infra import snowflake
from parity.infra.plan import run_parts
from parity.policy import parse
from parity.rendering import read_values
from parity.stack import Service, fakesnow_connection, start_fakesnow
from tests.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration
DEV = {"RAW_DEV": {"LANDING"}, "ANALYTICS_DEV": {"MARTS"}}


@pytest.fixture(scope="module")
def fakesnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_fakesnow(DEVENV, tmp_path_factory.mktemp("fakesnow"))
    yield service
    service.stop()


def _infra(capsys: pytest.CaptureFixture[str], action: str, fakesnow: Service) -> tuple[int, Any]:
    argv = ["infra", action, "dev", "--only", "snowflake", "--snowflake-stand-in", fakesnow.address]
    code = cli.main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["snowflake"]


def _live(fakesnow: Service) -> dict[str, set[str]]:
    host, port = fakesnow.address.split(":")
    connection = fakesnow_connection(host, int(port))
    cursor = connection.cursor()
    cursor.execute("SHOW DATABASES")
    names = {str(row[1]).upper() for row in cursor.fetchall()}
    out = {}
    for database in names & set(DEV):
        cursor.execute(f"SHOW SCHEMAS IN DATABASE {database}")
        out[database] = {str(row[1]).upper() for row in cursor.fetchall()} - {"INFORMATION_SCHEMA"}
    connection.close()
    return out


def test_apply_creates_the_declared_databases_and_schemas_then_nothing_and_fixes_a_dropped_schema(
    fakesnow: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = _infra(capsys, "plan", fakesnow)
    assert code == 1
    assert first["drift"] == [
        "database ANALYTICS_DEV: missing (apply creates it)",
        "schema ANALYTICS_DEV.MARTS: missing (apply creates it)",
        "database RAW_DEV: missing (apply creates it)",
        "schema RAW_DEV.LANDING: missing (apply creates it)",
    ]
    assert first["notes"] == [
        "the stand-in keeps databases and schemas only: 1 warehouse(s), 1 role(s) and 8 grant(s) "
        "were neither read nor applied"
    ]
    code, applied = _infra(capsys, "apply", fakesnow)
    assert code == 0 and applied["applied"] == first["drift"] and applied["drift"] == []
    assert _live(fakesnow) == DEV
    code, again = _infra(capsys, "apply", fakesnow)
    assert code == 0 and again["applied"] == [] and again["drift"] == []

    host, port = fakesnow.address.split(":")
    connection = fakesnow_connection(host, int(port))
    connection.cursor().execute("DROP SCHEMA ANALYTICS_DEV.MARTS")
    connection.close()
    code, drifted = _infra(capsys, "plan", fakesnow)
    assert code == 1 and drifted["drift"] == ["schema ANALYTICS_DEV.MARTS: missing (apply creates it)"]
    code, fixed = _infra(capsys, "apply", fakesnow)
    assert code == 0 and fixed["applied"] == drifted["drift"] and _live(fakesnow) == DEV


@pytest.mark.parametrize(("env", "size"), [("dev", "XSMALL"), ("staging", "SMALL"), ("prod", "LARGE")])
def test_the_ddl_for_warehouses_roles_and_grants_carries_each_environments_values(
    env: str, size: str
) -> None:
    objects = snowflake.declared(ROOT, read_values(ROOT, env), f"overlays/{env}/values.yaml")
    upper = env.upper()
    warehouse, role = f"TRANSFORM_{upper}_WH", f"TRANSFORMER_{upper}"
    missing = [
        snowflake.Drift(f"warehouse {warehouse}", "", warehouse, None, "create"),
        snowflake.Drift(f"warehouse {warehouse}", "size", size, "XSMALL", "alter"),
        snowflake.Drift(f"role {role}", "", role, None, "create"),
        *(snowflake.Drift(f"role {role}", "grant", g.sql(role), None, "grant") for g in objects.roles[role]),
    ]
    ddl = snowflake.statements(objects, missing)
    assert ddl[:3] == [
        f"CREATE WAREHOUSE IF NOT EXISTS {warehouse} WAREHOUSE_SIZE = {size} AUTO_SUSPEND = 60 "
        "AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE",
        f"ALTER WAREHOUSE {warehouse} SET WAREHOUSE_SIZE = {size}",
        f"CREATE ROLE IF NOT EXISTS {role}",
    ]
    assert f"GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {role}" in ddl
    assert f"GRANT CREATE TABLE ON SCHEMA ANALYTICS_{upper}.MARTS TO ROLE {role}" in ddl
    assert len(ddl) == 3 + 8 and not any("DROP" in statement for statement in ddl)
    assert all(other not in " ".join(ddl) for other in ("DEV", "STAGING", "PROD") if other != upper)


class _Account:
    """A cursor over what a Snowflake account's SHOW statements answer (their column names and
    spellings), for the parts fakesnow cannot hold: warehouses, roles and grants."""

    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.description: list[tuple[str]] = []
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str) -> None:
        rows = self.answers.get(sql, [])
        columns = list(rows[0]) if rows else ["name"]
        self.description = [(c,) for c in columns]
        self._rows = [tuple(row[c] for c in columns) for row in rows]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


@pytest.mark.parametrize(
    ("shown", "size"),
    [("X-Small", "XSMALL"), ("Medium", "MEDIUM"), ("X-Large", "XLARGE"), ("2X-Large", "X2LARGE"),
     ("4X-Large", "X4LARGE"), ("6X-Large", "X6LARGE")],
)  # fmt: skip
def test_show_warehouses_sizes_read_as_create_spells_them(shown: str, size: str) -> None:
    assert snowflake.shown_size(shown) == size and size in snowflake.SIZES


def test_the_plan_reads_an_accounts_warehouse_role_and_grants_from_show() -> None:
    objects = snowflake.declared(ROOT, read_values(ROOT, "prod"), "overlays/prod/values.yaml")
    role, warehouse = "TRANSFORMER_PROD", "TRANSFORM_PROD_WH"
    held = [g for g in objects.roles[role] if g.privilege != "CREATE VIEW"]  # one grant revoked by hand
    account = _Account(
        {
            "SHOW DATABASES": [{"created_on": "x", "name": name} for name in ("RAW_PROD", "ANALYTICS_PROD")],
            "SHOW SCHEMAS IN DATABASE RAW_PROD": [{"name": "LANDING"}],
            "SHOW SCHEMAS IN DATABASE ANALYTICS_PROD": [{"name": "MARTS"}, {"name": "INFORMATION_SCHEMA"}],
            f"SHOW WAREHOUSES LIKE '{warehouse}'": [
                {"name": warehouse, "state": "SUSPENDED", "size": "Medium", "auto_suspend": 600}
            ],
            f"SHOW ROLES LIKE '{role}'": [{"name": role}],
            f"SHOW GRANTS TO ROLE {role}": [
                {"privilege": g.privilege, "granted_on": g.on, "name": g.name, "grantee_name": role}
                for g in held
            ],
        }
    )
    drift = snowflake.plan(account, objects, stand_in=False)
    assert [d.line() for d in drift] == [
        f"warehouse {warehouse}: size is 'MEDIUM', declared 'LARGE' (apply will alter)",
        f"warehouse {warehouse}: auto_suspend is 600, declared 60 (apply will alter)",
        f"role {role}: grant is None, declared 'GRANT CREATE VIEW ON SCHEMA ANALYTICS_PROD.MARTS TO ROLE "
        f"{role}' (apply will grant)",
    ]
    assert snowflake.statements(objects, drift) == [
        f"ALTER WAREHOUSE {warehouse} SET WAREHOUSE_SIZE = LARGE",
        f"ALTER WAREHOUSE {warehouse} SET AUTO_SUSPEND = 60",
        f"GRANT CREATE VIEW ON SCHEMA ANALYTICS_PROD.MARTS TO ROLE {role}",
    ]


def test_bad_input_exits_2_naming_the_file_and_field(
    fakesnow: Service, capsys: pytest.CaptureFixture[str], repo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = repo_copy / "overlays/dev/values.yaml"
    text = values.read_text()
    values.write_text(text.replace("warehouseSize: XSMALL", "warehouseSize: HUGE", 1))
    argv = ["infra", "plan", "dev", "--only", "snowflake", "--snowflake-stand-in", fakesnow.address]
    assert cli.main([*argv, "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overlays/dev/values.yaml" in err[0] and "spec.snowflake.warehouseSize" in err[0]
    values.write_text(text)
    declaration = repo_copy / "infra/snowflake.yaml"
    declaration.write_text(declaration.read_text().replace("{snowflake.warehouse}", "{snowflake.wh}", 1))
    assert cli.main([*argv, "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "infra/snowflake.yaml" in err[0] and "warehouses[0].name" in err[0]

    monkeypatch.delenv("SNOWFLAKE_USER", raising=False)
    with pytest.raises(BadInput, match="SNOWFLAKE_USER"):  # no stand-in: the account's own login
        run_parts(ROOT, parse((ROOT / "parity.toml").read_text()), "plan", "dev", ["snowflake"], None, None)
    assert cli.main(["infra", "plan", "dev", "--only", "snowflake"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dev's Snowflake account: needs SNOWFLAKE_USER" in err[0]
