from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from parity import policy as policy_module
from parity.diffing import diff
from parity.errors import BadInput
from parity.invariants import classify
from parity.manifest import normalise

MINIMAL = '[promotion]\npath = ["dev", "prod"]\n'


def test_repository_policy_parses(repo_root: Path) -> None:
    parsed = policy_module.parse((repo_root / "parity.toml").read_text())
    assert parsed.path == ("dev", "staging", "prod")
    assert parsed.pairs() == [("dev", "staging"), ("staging", "prod"), ("dev", "ephemeral"), ("dev", "local")]
    assert parsed.approvals["prod"].required == 2


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(BadInput, match=r"^parity.toml:2: not valid TOML"):
        policy_module.parse("[promotion]\npath = [dev]\n")


def test_bad_rule_names_the_line_it_starts_on() -> None:
    text = (
        MINIMAL + '\n[[allow]]\nid = "a"\npaths = ["x"]\nreason = "r"\n\n[[allow]]\nid = "b"\npaths = "x"\n'
    )
    with pytest.raises(BadInput, match=r"^parity.toml:11: `allow\[1\].paths` must be a list"):
        policy_module.parse(text)


def test_path_globs_treat_brackets_literally() -> None:
    pattern = policy_module.glob("metadata.annotations.[eks.amazonaws.com/role-arn]")
    assert pattern.fullmatch("metadata.annotations.[eks.amazonaws.com/role-arn]")
    assert not pattern.fullmatch("metadata.annotations.e")
    assert policy_module.glob("data.*").fullmatch("data.FINSIGHT_RAW_BUCKET")


def test_unknown_environment_is_bad_input() -> None:
    with pytest.raises(BadInput, match="qa: unknown environment"):
        policy_module.parse(MINIMAL).require_env("qa")


# --- property: a mutation at an allowed path is never a violation --------------------------------
@pytest.fixture(scope="module")
def dev_resources(repo_root: Path) -> list[dict[str, Any]]:
    import subprocess

    out = subprocess.run(
        [repo_root / ".devenv/bin/kustomize", "build", repo_root / "overlays/dev"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


ALLOWED_MUTATIONS = [
    ("ConfigMap", "platform-values", lambda d, v: d["data"].__setitem__("FINSIGHT_RAW_BUCKET", v)),
    ("ConfigMap", "platform-values", lambda d, v: d["data"].__setitem__("FINSIGHT_EVENTS_TOPIC", v)),
    (
        "ServiceAccount",
        "spark",
        lambda d, v: d["metadata"]["annotations"].__setitem__("eks.amazonaws.com/role-arn", v),
    ),
    ("Deployment", "events-consumer", lambda d, v: d["spec"].__setitem__("replicas", len(v))),
    (
        "HorizontalPodAutoscaler",
        "ledger-consumer",
        lambda d, v: d["spec"].__setitem__("maxReplicas", len(v) + 1),
    ),
    ("SparkApplication", "fraud-features", lambda d, v: d["spec"]["executor"].__setitem__("memory", v)),
    (
        "Service",
        "airflow-api-server",
        lambda d, v: d["metadata"]["labels"].__setitem__("finsight.io/environment", v),
    ),
]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(ALLOWED_MUTATIONS) - 1), st.text("abcxyz-0123", min_size=1, max_size=12)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_allowed_path_mutations_never_violate(
    repo_root: Path, dev_resources: list[dict[str, Any]], mutations: list[tuple[int, str]]
) -> None:
    parsed = policy_module.parse((repo_root / "parity.toml").read_text())
    mutated = copy.deepcopy(dev_resources)
    for index, value in mutations:
        kind, name, apply = ALLOWED_MUTATIONS[index]
        apply(next(d for d in mutated if d["kind"] == kind and d["metadata"]["name"] == name), value)
    differences = diff(normalise(dev_resources, "dev"), normalise(mutated, "mutated"))
    violations, _ = classify("dev->mutated", differences, parsed)
    assert violations == []


def test_promotion_settings_parse_with_their_defaults(repo_root: Path) -> None:
    parsed = policy_module.parse((repo_root / "parity.toml").read_text())
    assert parsed.promotion.gates == ("dags", "schema", "quality")
    assert parsed.promotion.contexts["prod"] == "finsight-prod"
    assert parsed.soak["prod"].total_seconds() == 1800
    assert parsed.approvals["prod"].expires.total_seconds() == 86400
    assert len(parsed.approvals["prod"].approvers) == 4
    bare = policy_module.parse(MINIMAL)
    assert bare.approvals["prod"].required == 2  # the last environment needs two unless told otherwise
    assert bare.promotion.gates == () and bare.promotion.rollout_timeout == 600
    dev = parsed.promotion.stand_ins["dev"]  # the local stack may run dev
    assert (dev.rendering, dev.context) == ("local", "parity-local")
    assert dev.kubeconfig == ".parity/local/pki/admin.kubeconfig"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('gates = ["lint"]\n', "names unknown gate"),
        ('[promotion.soak]\ndev = "1h"\n', "promotion.soak.dev"),
        ('[promotion.soak]\nprod = "an hour"\n', "promotion.soak.prod"),
        ('[promotion.contexts]\nqa = "x"\n', "promotion.contexts"),
        ('[approvals.prod]\nexpires_after = "soon"\n', "approvals.prod.expires_after"),
        ('[promotion.stand_ins.qa]\nrendering = "local"\ncontext = "x"\n', "promotion.stand_ins.qa"),
        (
            '[promotion.stand_ins.dev]\nrendering = "prod"\ncontext = "x"\n',
            "must name an environment that mirrors dev",
        ),
        ('[promotion.stand_ins.dev]\nrendering = "local"\n', "context"),
        (
            '[promotion.stand_ins.prod]\nrendering = "local"\ncontext = "x"\n'
            '[environments.local]\nmirrors = "prod"\n',
            "cannot stand in for an environment that needs approvals",
        ),
    ],
)
def test_bad_promotion_settings_are_bad_input(extra: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        policy_module.parse(MINIMAL + extra)
