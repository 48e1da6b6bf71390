"""Snowflake objects as declared (infra/snowflake.yaml, with `{path}` filled from the environment's
values.yaml) against the account's live state, through the connector.

Why the connector and not snowddl, schemachange or titan: schemachange runs migration scripts
(imperative, no plan); snowddl and titan plan declaratively but read the account through SHOW and
INFORMATION_SCHEMA views of their own choosing, own every object type they know (they would
drop what they were not told about), and bring dependency sets of their own into the tool venv.
parity needs five object kinds, read live, created or altered, never dropped: a few SHOW statements
and idempotent DDL, all listed by `plan`.

The local stand-in (fakesnow) keeps databases and schemas only: it rejects CREATE WAREHOUSE,
CREATE ROLE and GRANT, and SHOW WAREHOUSES answers with its own. With `stand_in`, warehouses,
roles and grants are neither read nor applied, and the plan says so in a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity import loaders
from parity.diffing import flatten
from parity.errors import BadInput
from parity.infra import Drift

DECLARATION = Path("infra/snowflake.yaml")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
NAME = re.compile(r"[A-Z][A-Z0-9_$]*(\.[A-Z][A-Z0-9_$]*)?")
SIZES = (
    "XSMALL",
    "SMALL",
    "MEDIUM",
    "LARGE",
    "XLARGE",
    "X2LARGE",
    "X3LARGE",
    "X4LARGE",
    "X5LARGE",
    "X6LARGE",
)
PRIVILEGES = {"USAGE", "CREATE SCHEMA", "CREATE TABLE", "CREATE VIEW", "SELECT", "MONITOR", "OPERATE"}
KINDS = {"WAREHOUSE", "DATABASE", "SCHEMA"}


@dataclass(frozen=True)
class Warehouse:
    name: str
    size: str
    auto_suspend: int


@dataclass(frozen=True)
class Grant:
    privilege: str
    on: str
    name: str

    def sql(self, role: str) -> str:
        return f"GRANT {self.privilege} ON {self.on} {self.name} TO ROLE {role}"


@dataclass
class Objects:
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    databases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> schemas
    roles: dict[str, tuple[Grant, ...]] = field(default_factory=dict)


class _Filler:
    """Fills `{path}` from the values, naming the values field (or the declaration's) at fault."""

    def __init__(self, values: Mapping[str, Any], source: str) -> None:
        self.values = {k: str(v) for k, v in flatten(dict(values)).items()}
        self.source = source

    def __call__(self, text: Any, where: str, pattern: re.Pattern[str] = NAME, what: str = "a name") -> str:
        if not isinstance(text, str):
            raise BadInput(str(DECLARATION), f"{where} is {text!r}", "Make it a string")
        paths = PLACEHOLDER.findall(text)
        for path in paths:
            if path not in self.values:
                raise BadInput(
                    str(DECLARATION), f"{where}: {{{path}}} is no field of {self.source}", "Fix it"
                )
        filled = PLACEHOLDER.sub(lambda m: self.values[m.group(1)], text)
        if not pattern.fullmatch(filled):
            blame = (self.source, f"spec.{paths[0]}") if len(paths) == 1 else (str(DECLARATION), where)
            raise BadInput(blame[0], f"{blame[1]} is {filled!r}", f"Make it {what}")
        return filled


def declared(root: Path, values: Mapping[str, Any], source: str) -> Objects:
    text = loaders.read_text(root / DECLARATION, str(DECLARATION))
    data = loaders.Fields(loaders.parse_yaml(text, str(DECLARATION)) or {}, str(DECLARATION), text)
    fill, out = _Filler(values, source), Objects()
    sizes = re.compile("|".join(SIZES))
    for i, w in enumerate(data.get("warehouses", list, [])):
        entry = loaders.Fields(w, str(DECLARATION), text, f"warehouses[{i}]")
        name = fill(entry.get("name", object), f"warehouses[{i}].name")
        size = fill(entry.get("size", object), f"warehouses[{i}].size", sizes, f"one of {', '.join(SIZES)}")
        out.warehouses[name] = Warehouse(name, size, entry.get("autoSuspendSeconds", int, 60))
    for i, d in enumerate(data.get("databases", list, [])):
        entry = loaders.Fields(d, str(DECLARATION), text, f"databases[{i}]")
        name = fill(entry.get("name", object), f"databases[{i}].name")
        schemas = entry.get("schemas", list, [])
        out.databases[name] = tuple(fill(s, f"databases[{i}].schemas[{j}]") for j, s in enumerate(schemas))
    for i, r in enumerate(data.get("roles", list, [])):
        entry = loaders.Fields(r, str(DECLARATION), text, f"roles[{i}]")
        grants = []
        for j, g in enumerate(entry.get("grants", list, [])):
            where = f"roles[{i}].grants[{j}]"
            grant = loaders.Fields(g, str(DECLARATION), text, where)
            privilege, on = grant.string("privilege").upper(), grant.string("kind").upper()
            if privilege not in PRIVILEGES or on not in KINDS:
                raise BadInput(
                    str(DECLARATION), f"{where}: {privilege} ON {on}", "Use a known privilege and kind"
                )
            grants.append(Grant(privilege, on, fill(grant.get("name", object), f"{where}.name")))
        out.roles[fill(entry.get("name", object), f"roles[{i}].name")] = tuple(grants)
    return out


def shown_size(shown: str) -> str:
    """SHOW WAREHOUSES' spelling of a size ("X-Small", "Large", "2X-Large" ... "6X-Large") in the
    one CREATE and ALTER take (XSMALL, LARGE, X2LARGE ... X6LARGE)."""
    return re.sub(r"^(\d)X-", r"X\1", shown.upper()).replace("-", "")


def _rows(cursor: Any, sql: str) -> list[dict[str, Any]]:
    cursor.execute(sql)
    columns = [d[0].lower() for d in cursor.description]
    return [dict(zip(columns, row, strict=False)) for row in cursor.fetchall()]


def _names(cursor: Any, sql: str) -> set[str]:
    return {str(row["name"]).upper() for row in _rows(cursor, sql)}


def plan(cursor: Any, objects: Objects, stand_in: bool) -> list[Drift]:
    """Every difference between the declaration and the account, read with SHOW statements."""
    out = []
    databases = _names(cursor, "SHOW DATABASES")
    for database, schemas in sorted(objects.databases.items()):
        if database not in databases:
            out.append(Drift(f"database {database}", "", database, None, "create"))
            out += [Drift(f"schema {database}.{s}", "", s, None, "create") for s in schemas]
            continue
        live = _names(cursor, f"SHOW SCHEMAS IN DATABASE {database}")
        out += [Drift(f"schema {database}.{s}", "", s, None, "create") for s in schemas if s not in live]
    if stand_in:
        return out
    for name, wanted in sorted(objects.warehouses.items()):
        rows = [r for r in _rows(cursor, f"SHOW WAREHOUSES LIKE '{name}'") if str(r["name"]).upper() == name]
        if not rows:
            out.append(Drift(f"warehouse {name}", "", name, None, "create"))
            continue
        size, suspend = shown_size(str(rows[0]["size"])), int(rows[0]["auto_suspend"] or 0)
        if size != wanted.size:
            out.append(Drift(f"warehouse {name}", "size", wanted.size, size, "alter"))
        if suspend != wanted.auto_suspend:
            out.append(Drift(f"warehouse {name}", "auto_suspend", wanted.auto_suspend, suspend, "alter"))
    for role, grants in sorted(objects.roles.items()):
        if role not in _names(cursor, f"SHOW ROLES LIKE '{role}'"):
            out.append(Drift(f"role {role}", "", role, None, "create"))
            out += [Drift(f"role {role}", "grant", g.sql(role), None, "grant") for g in grants]
            continue
        held = {
            (
                str(r["privilege"]).upper(),
                str(r["granted_on"]).upper(),
                str(r["name"]).upper().replace('"', ""),
            )
            for r in _rows(cursor, f"SHOW GRANTS TO ROLE {role}")
        }
        out += [
            Drift(f"role {role}", "grant", g.sql(role), None, "grant")
            for g in grants
            if (g.privilege, g.on, g.name) not in held
        ]
    return out


def notes(objects: Objects, stand_in: bool) -> list[str]:
    if not stand_in:
        return []
    grants = sum(len(g) for g in objects.roles.values())
    return [
        f"the stand-in keeps databases and schemas only: {len(objects.warehouses)} warehouse(s), "
        f"{len(objects.roles)} role(s) and {grants} grant(s) were neither read nor applied"
    ]


def statements(objects: Objects, drifts: list[Drift]) -> list[str]:
    """The DDL that fixes `drifts`: idempotent (IF NOT EXISTS), never a DROP."""
    out = []
    for d in drifts:
        kind, _, name = d.subject.partition(" ")
        if kind in ("database", "schema") and not d.field:
            out.append(f"CREATE {kind.upper()} IF NOT EXISTS {name}")
        elif kind == "warehouse" and not d.field:
            w = objects.warehouses[name]
            out.append(
                f"CREATE WAREHOUSE IF NOT EXISTS {name} WAREHOUSE_SIZE = {w.size} "
                f"AUTO_SUSPEND = {w.auto_suspend} AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE"
            )
        elif kind == "warehouse":
            setting = "WAREHOUSE_SIZE" if d.field == "size" else "AUTO_SUSPEND"
            out.append(f"ALTER WAREHOUSE {name} SET {setting} = {d.declared}")
        elif kind == "role" and not d.field:
            out.append(f"CREATE ROLE IF NOT EXISTS {name}")
        elif kind == "role":
            out.append(str(d.declared))
    return out
