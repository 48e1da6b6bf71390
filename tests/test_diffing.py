from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.diffing import Difference, diff, flatten
from parity.manifest import normalise


def deployment(containers: list[dict[str, Any]], replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "ns"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
    }


def test_named_lists_are_keyed_by_name() -> None:
    flat = flatten({"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}]}]})
    assert flat == {
        "containers[web].name": "web",
        "containers[web].env[A].name": "A",
        "containers[web].env[A].value": "1",
    }


def test_reordering_named_items_is_not_a_change() -> None:
    a = normalise([deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])], "a")
    b = normalise([deployment([{"name": "b", "image": "y"}, {"name": "a", "image": "x"}])], "b")
    assert diff(a, b) == []


def test_other_lists_are_compared_by_index() -> None:
    a = normalise([deployment([{"name": "a", "args": ["run", "--fast"]}])], "a")
    b = normalise([deployment([{"name": "a", "args": ["--fast", "run"]}])], "b")
    assert [d.path for d in diff(a, b)] == [
        "spec.template.spec.containers[a].args[0]",
        "spec.template.spec.containers[a].args[1]",
    ]


def test_dotted_keys_are_bracketed() -> None:
    assert flatten({"metadata": {"annotations": {"eks.amazonaws.com/role-arn": "r"}}}) == {
        "metadata.annotations.[eks.amazonaws.com/role-arn]": "r"
    }


def test_namespace_and_hash_suffix_do_not_count() -> None:
    left = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg-h7k2m9t4c6", "namespace": "dev"},
    }
    right = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg-5bd7fg8h9m", "namespace": "prod"},
    }
    assert diff(normalise([left], "l"), normalise([right], "r")) == []


# --- properties --------------------------------------------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("abc.-/", max_size=6))
keys = st.text("abcdef.-/", min_size=1, max_size=5)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(keys, children, max_size=3),
        st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "c"]), "v": children}), max_size=3
        ).map(lambda items: list({i["name"]: i for i in items}.values())),
    ),
    max_leaves=12,
)
resources = st.lists(
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("v1"),
            "kind": st.sampled_from(["ConfigMap", "Service"]),
            "metadata": st.fixed_dictionaries({"name": st.sampled_from(["x", "y", "z"])}),
            "spec": values,
        }
    ),
    max_size=3,
).map(lambda docs: list({(d["kind"], d["metadata"]["name"]): d for d in docs}.values()))


def swapped(d: Difference) -> Difference:
    return Difference(d.identity, d.path, d.right, d.left)


@settings(max_examples=200, deadline=None)
@given(resources)
def test_diff_of_a_thing_with_itself_is_empty(docs: list[dict[str, Any]]) -> None:
    indexed = normalise(docs, "x")
    assert diff(indexed, indexed) == []


@settings(max_examples=200, deadline=None)
@given(resources, resources)
def test_diff_is_symmetric_up_to_swapping_sides(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    left, right = normalise(a, "a"), normalise(b, "b")
    assert diff(left, right) == [swapped(d) for d in diff(right, left)]
