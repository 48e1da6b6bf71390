"""The repository's masking policies (pipelines/masking/SOURCE.yaml) and what `parity check` says of
them: every raw source dbt reads has exactly one policy, and a policy's `sample.within` names a
source that has one too. A malformed policy stops the check (exit 2) before any work starts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from parity import loaders, masking
from parity.errors import BadInput

if TYPE_CHECKING:  # load_policy is what `parity sample` needs in the dbt image; findings are check's
    from parity.findings import Finding

POLICIES = Path("pipelines/masking")
SOURCES = Path("pipelines/dbt/models/staging/__sources.yml")
RAW = "raw"  # the dbt source of landed tables; `curated` is what our own Spark jobs write


def load_policy(path: Path, where: str = "") -> masking.MaskingPolicy:
    where = where or str(path)
    text = loaders.read_text(path, where, "Pass a masking policy (pipelines/masking/SOURCE.yaml)")
    return masking.parse_policy(loaders.parse_yaml(text, where), where)


def load_all(root: Path) -> dict[str, tuple[Path, masking.MaskingPolicy]]:
    """Every policy in the repository by the source it masks (its file is named for it)."""
    found: dict[str, tuple[Path, masking.MaskingPolicy]] = {}
    for path in sorted((root / POLICIES).glob("*.yaml")):
        relative = path.relative_to(root)
        policy = load_policy(path, str(relative))
        if policy.source != path.stem:
            raise BadInput(
                str(relative),
                f"masks {policy.source!r} but is named for {path.stem!r}",
                f"Name it {POLICIES}/{policy.source}.yaml (one policy per source)",
            )
        found[policy.source] = (relative, policy)
    return found


def raw_sources(root: Path) -> list[str]:
    document = loaders.Fields(loaders.load_yaml(root, SOURCES) or {}, str(SOURCES))
    tables: list[str] = []
    for index, source in enumerate(document.get("sources", list, [])):
        entry = loaders.Fields(source, str(SOURCES), prefix=f"sources[{index}]")
        if entry.get("name", str, "") == RAW:
            for position, table in enumerate(entry.get("tables", list, [])):
                tables.append(
                    loaders.Fields(table, str(SOURCES), prefix=f"{RAW}.tables[{position}]").string("name")
                )
    return tables


def findings(root: Path) -> list[Finding]:
    """Missing and orphaned policies, and `within` parents that have none."""
    from parity.invariants import violation

    policies = load_all(root)
    sources = raw_sources(root)
    out = [
        violation(
            "masking-policy",
            "repo",
            f"{SOURCES}#{RAW}.{source}",
            "",
            f"has no masking policy; add {POLICIES}/{source}.yaml classifying every column",
        )
        for source in sources
        if source not in policies
    ]
    for source, (relative, policy) in policies.items():
        if source not in sources:
            out.append(
                violation(
                    "masking-policy",
                    "repo",
                    str(relative),
                    "source",
                    f"masks {source}, which is not a {RAW} source in {SOURCES}; "
                    "remove it or declare the source",
                )
            )
        parent = policy.sampling.within[0] if policy.sampling.within else None
        if parent is not None and parent not in policies:
            out.append(
                violation(
                    "masking-policy",
                    "repo",
                    str(relative),
                    "sample.within.source",
                    f"samples within {parent}, which has no masking policy",
                )
            )
    return out
