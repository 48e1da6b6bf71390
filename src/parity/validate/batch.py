"""Edge of `parity validate batch`: build the dbt models of the baseline and of the candidate on the
same masked sample, each into its own schema of one Snowflake stand-in (fakesnow), then compare
every relation either side built (validate.batchdiff: checksums pushed down, bisect, row diff).

Each side is its git commit's `pipelines/dbt` (and the vendored packages), taken with
`git archive`: a release id stands for its commit. The sample is a directory of masked CSVs
(`parity sample`'s output, one per raw source); without one, the synthetic sources are generated
and masked with a throw-away key, so the run sees exactly what a masked sample looks like.
dbt runs from this checkout's locked dbt venv (the dbt image's requirements).
"""

from __future__ import annotations

import io
import secrets
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import loaders
from parity.devenv import locate, venv_bin
from parity.errors import BadInput, ParityError
from parity.gates import workloads
from parity.promotion import store
from parity.stack import fakesnow_connection, start_fakesnow
from parity.validate import batchdiff, policies, sampling, sparkside

PROJECT = ("pipelines/dbt", "pipelines/dbt_packages_vendor")
SETTINGS = Path("pipelines/validate.yaml")


@dataclass(frozen=True)
class Settings:
    tolerance: float
    ignore: dict[str, frozenset[str]]  # relation -> columns left out of the comparison
    keys: dict[str, tuple[str, ...]]  # relation -> key, where no unique test names one


@dataclass(frozen=True)
class Side:
    name: str  # baseline | candidate
    ref: str
    sha: str


def load_settings(root: Path) -> Settings:
    if not (root / SETTINGS).is_file():
        return Settings(0.0, {}, {})
    document = loaders.Fields(loaders.load_yaml(root, SETTINGS) or {}, str(SETTINGS))
    batch = document.table("batch", {})
    tolerance = batch.get("tolerance", (int, float), 0.0)
    if tolerance < 0:
        raise batch.error("tolerance", "must not be negative")
    ignore = {str(k): frozenset(v) for k, v in batch.get("ignore", dict, {}).items()}
    keys = {str(k): tuple(v) for k, v in batch.get("keys", dict, {}).items()}
    for name, value in [*ignore.items(), *keys.items()]:
        if not all(isinstance(c, str) for c in value):
            raise batch.error(name, "must be a list of column names")
    return Settings(float(tolerance), ignore, keys)


def resolve(root: Path, ref: str, name: str) -> Side:
    """A release id (its commit) or any git ref."""
    sha = store.record(store.state_dir(root), ref).git_sha if ref.startswith("r-") else ref
    try:
        full = store.git(root, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}").strip()
    except BadInput:
        raise BadInput(
            f"--{name} {ref}",
            "is not a commit or release of this repository",
            "Pass a git ref or a release id",
        ) from None
    return Side(name, ref, full)


def unique_keys(project: Path) -> dict[str, tuple[str, ...]]:
    """Each model's key: the columns its schema files give a `unique` test."""
    keys: dict[str, tuple[str, ...]] = {}
    for path in sorted((project / "models").rglob("*.yml")):
        for model in (loaders.load_yaml(project, path.relative_to(project)) or {}).get("models") or []:
            for column in model.get("columns") or []:
                tests = [*(column.get("data_tests") or []), *(column.get("tests") or [])]
                if "unique" in tests:
                    keys[str(model["name"]).upper()] = (str(column["name"]),)
    return keys


def checkout(root: Path, side: Side, out: Path, paths: tuple[str, ...] = PROJECT) -> Path:
    """`paths` as they are in the side's commit, extracted under `out` (which it returns)."""
    done = subprocess.run(
        ["git", "archive", "--format=tar", side.sha, *paths], cwd=root, capture_output=True, check=False
    )
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["git archive failed"]
        raise BadInput(f"--{side.name} {side.ref}", problem[0], f"Pass a commit that has {paths[0]}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(out, filter="data")
    return out


def _order(found: dict[str, Any]) -> list[str]:
    """Sources with their `within` parents first."""
    done: list[str] = []

    def visit(source: str) -> None:
        if source in done:
            return
        within = found[source][1].sampling.within
        if within and within[0] in found:
            visit(within[0])
        done.append(source)

    for source in sorted(found):
        visit(source)
    return done


def masked_sample(root: Path, given: Path | None, work: Path) -> tuple[Path, str]:
    found = policies.load_all(root)
    if given is not None:
        missing = [s for s in found if not (given / f"{s}.csv").is_file()]
        if missing:
            raise BadInput(
                str(given),
                f"holds no masked {', '.join(missing)}.csv",
                "Pass parity sample's output directory",
            )
        return given, f"the masked sample in {given}"
    raw, out = work / "raw", work / "sample"
    workloads.generate(root, raw)
    key = secrets.token_bytes(32)  # synthetic sources: a throw-away key, never stored
    for source in _order(found):
        sampling.sample(found[source][1], key, raw / f"{source}.csv", out / f"{source}.csv")
    return out, "the synthetic sources, masked with a throw-away key"


def _dbt(root: Path, project: Path, sample: Path, env: dict[str, str], log: Path) -> None:
    seeds = project / "seeds"
    seeds.mkdir(exist_ok=True)
    for csv_file in sample.glob("*.csv"):
        shutil.copyfile(csv_file, seeds / csv_file.name)
    dbt = venv_bin(root, "dbt", "dbt")
    for args in (["deps"], ["seed", "--threads", "1"], ["run", "--threads", "1"]):
        done = workloads.logged(
            [dbt, *args, "--profiles-dir", project, "--project-dir", project],
            log,
            cwd=project,
            env=env,
            timeout=1800,
        )
        if done.returncode != 0:
            tail = workloads.last_line(done)
            raise ParityError(
                f"validate batch: {project.parent.parent.name}",
                f"dbt {args[0]} exited {done.returncode}: {tail}",
                f"See {log}",
            )


class _Engine:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def relations(engine: batchdiff.Engine, database: str, schema: str) -> list[str]:
    rows = engine.query(
        f"select table_name from {database}.information_schema.tables "
        f"where upper(table_catalog) = upper('{database}') and upper(table_schema) = upper('{schema}')"
    )
    return sorted(str(name).upper() for (name,) in rows)


@contextmanager
def warehouse(root: Path, work: Path, values: dict[str, str]) -> Iterator[tuple[Any, str, str]]:
    service = start_fakesnow(locate(root), work / "fakesnow")
    try:
        host, port = service.address.split(":")
        connection = fakesnow_connection(host, int(port))
        for database in (values["FINSIGHT_SNOWFLAKE_DATABASE"], values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"]):
            connection.cursor().execute(f"create database if not exists {database}")
        yield connection, host, port
        connection.close()
    finally:
        service.stop()


PARTS = frozenset({"dbt", "spark"})


def run(
    root: Path,
    values: dict[str, str],
    sides: tuple[Side, Side],
    sample: Path | None,
    settings: Settings,
    work: Path,
    parts: frozenset[str] = PARTS,
) -> tuple[list[batchdiff.TableDiff], list[str], str]:
    """Both sides built and compared (their dbt models, their Spark jobs, or both): the per-relation
    results, the relations only one side built, and where the sample came from."""
    sample_dir, origin = masked_sample(root, sample, work)
    results: list[batchdiff.TableDiff] = []
    one_side: list[str] = []
    # dbt (fakesnow) and each side's Spark (a JVM and a broker of its own) share nothing: they run
    # side by side, which roughly halves the wall time of a whole comparison.
    with ThreadPoolExecutor(max_workers=3) as pool:
        dbt = (
            pool.submit(_dbt_both, root, values, sides, sample_dir, settings, work)
            if "dbt" in parts
            else None
        )
        lakes, keys = {}, {}
        if "spark" in parts:
            for side in sides:
                tree = checkout(root, side, work / f"spark-{side.name}" / "tree", sparkside.TREE)
                keys.update(sparkside.spec_of(tree)[1])
                lake = pool.submit(
                    sparkside.run_side, root, values, tree, sample_dir, work / f"spark-{side.name}", side.name
                )
                lakes[side.name] = lake
        if dbt is not None:
            results, one_side = dbt.result()
        if lakes:
            ignore = {k.removeprefix("lake/"): v for k, v in settings.ignore.items() if k.startswith("lake/")}
            done = {name: lake.result() for name, lake in lakes.items()}
            spark, spark_one_side = sparkside.compare(done, keys, settings.tolerance, ignore)
            results, one_side = results + spark, one_side + spark_one_side
    return results, one_side, origin


def _dbt_both(
    root: Path,
    values: dict[str, str],
    sides: tuple[Side, Side],
    sample_dir: Path,
    settings: Settings,
    work: Path,
) -> tuple[list[batchdiff.TableDiff], list[str]]:
    schemas = {
        side.name: f"PARITY_VALIDATE_{side.name.upper()}_{uuid.uuid4().hex[:6].upper()}" for side in sides
    }
    database = values["FINSIGHT_SNOWFLAKE_DATABASE"]
    keys: dict[str, tuple[str, ...]] = {}
    with warehouse(root, work, values) as (connection, host, port):
        for side in sides:
            project = checkout(root, side, work / side.name) / "pipelines" / "dbt"
            keys.update(unique_keys(project))
            env = workloads.workload_env(
                values,
                FINSIGHT_SNOWFLAKE_HOST=host,
                FINSIGHT_SNOWFLAKE_PORT=port,
                FINSIGHT_SNOWFLAKE_PROTOCOL="http",
                FINSIGHT_SNOWFLAKE_SCHEMA=schemas[side.name],
                # parity: allow secret -- fakesnow ignores credentials; this placeholder is no secret
                DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="unused-by-fakesnow",  # noqa: S106
                DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            )
            _dbt(root, project, sample_dir, env, work / f"dbt-{side.name}.log")
        engine = _Engine(connection)
        built = {name: relations(engine, database, schemas[name]) for name in schemas}
        both = sorted(set(built["baseline"]) & set(built["candidate"]))
        one_side = [f"{r} only in {n}" for n in built for r in built[n] if r not in both]
        results = []
        for relation in both:
            baseline = batchdiff.Table(schemas["baseline"], relation, database)
            candidate = batchdiff.Table(schemas["candidate"], relation, database)
            options = batchdiff.Options(
                key=settings.keys.get(relation.lower()) or keys.get(relation) or (),
                ignore=settings.ignore.get(relation.lower(), frozenset()),
                tolerance=settings.tolerance,
            )
            if not options.key:  # no key: every column is the key (a change shows as a row out, a row in)
                every = [c for c in batchdiff.columns(engine, baseline) if c.lower() not in options.ignore]
                options = batchdiff.Options(**{**options.__dict__, "key": tuple(every)})
            results.append(batchdiff.compare(engine, baseline, candidate, options))
    return results, one_side
