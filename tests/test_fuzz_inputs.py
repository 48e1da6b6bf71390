"""Fuzz the two inputs people edit most, parity.toml and overlays/<env>/values.yaml: whatever the
text, the loader returns a policy or values, or raises BadInput (exit 2); never anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity import invariants, policy
from parity.diffing import flatten
from parity.errors import BadInput
from parity.rendering import parse_values

ROOT = Path(__file__).resolve().parent.parent
POLICY = (ROOT / "parity.toml").read_text()
VALUES = (ROOT / "overlays/dev/values.yaml").read_text()
ODD_VALUES = [
    "3",
    '"x"',
    "[]",
    "{}",
    "true",
    '[1, "a"]',
    "-1",
    "0",
    '""',
    "{a = 1}",
    "null",
    "[[]]",
    "'",
    "=",
]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(
            st.sampled_from(["delete", "duplicate", "value", "key", "truncate", "indent", "insert"])
        )
        line = lines[at]
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "value" and ("=" in line or ":" in line):
            sep = "=" if "=" in line else ":"
            lines[at] = line.split(sep, 1)[0] + f"{sep} " + draw(st.sampled_from(ODD_VALUES))
        elif action == "key":
            lines[at] = draw(st.text(min_size=0, max_size=12)) + line[len(line) // 2 :]
        elif action == "truncate":
            lines[at] = line[: draw(st.integers(0, len(line)))]
        elif action == "indent":
            lines[at] = draw(st.sampled_from(["  ", "\t", " "])) + line
        else:
            lines.insert(at, draw(st.text(max_size=30)))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(POLICY))
def test_any_parity_toml_is_a_policy_or_bad_input(text: str) -> None:
    try:
        parsed = policy.parse(text)
    except BadInput as exc:
        assert str(exc).startswith("parity.toml")
        return
    parsed.pairs()
    for rule in parsed.allow:
        assert rule.paths and rule.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(VALUES), mutated(VALUES))
def test_any_values_file_is_values_or_bad_input(dev: str, prod: str) -> None:
    try:
        values = {"dev": parse_values(dev, "dev.yaml"), "prod": parse_values(prod, "prod.yaml")}
    except BadInput as exc:
        assert str(exc).split(":")[0] in {"dev.yaml", "prod.yaml"}
        return
    invariants.check_values_keys(values)  # the first thing check does with them
    for leaves in values.values():
        assert all(isinstance(v, str | int | float | bool) for v in flatten(leaves).values())
