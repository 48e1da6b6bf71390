"""Edge: render environments (kustomize, normalise, kubeconform) and read their values files."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import kubeconform, kustomize, loaders
from parity.diffing import flatten
from parity.manifest import Identity, Resource, normalise

VALUES_FILE = "values.yaml"


@dataclass(frozen=True)
class Rendered:
    env: str
    text: str
    resources: dict[Identity, Resource]
    invalid: list[kubeconform.Invalid]


def _build(root: Path, env: str) -> tuple[str, dict[Identity, Resource]]:
    text, documents = kustomize.build(root, env)
    return text, normalise(documents, kustomize.overlay_path(root, env))


def render_all(root: Path, envs: list[str], validate: bool = True) -> dict[str, Rendered]:
    # kustomize runs once per environment, side by side; kubeconform once for all of them.
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(envs)))) as pool:
        built = dict(zip(envs, pool.map(lambda env: _build(root, env), envs), strict=True))
    problems = kubeconform.validate(root, {env: text for env, (text, _) in built.items()}) if validate else {}
    return {
        env: Rendered(env, text, resources, problems.get(env, [])) for env, (text, resources) in built.items()
    }


def render(root: Path, env: str, validate: bool = True) -> Rendered:
    return render_all(root, [env], validate)[env]


def parse_values(text: str, source: str) -> dict[str, Any]:
    """An overlay's values.yaml (kind/metadata/spec): the spec, whose leaves are scalars."""
    document = loaders.Fields(loaders.parse_yaml(text, source), source, text)
    spec = document.table("spec")
    for key, leaf in flatten(dict(spec.data)).items():
        if not isinstance(leaf, str | int | float | bool) or leaf is None:
            raise spec.error(f"spec.{key}", f"must be a string, number or boolean, not {type(leaf).__name__}")
    return dict(spec.data)


def read_values(root: Path, env: str) -> dict[str, Any]:
    source = f"{kustomize.overlay_path(root, env)}/{VALUES_FILE}"
    return parse_values(
        loaders.read_text(root / source, source, "Every overlay needs its values file"), source
    )
