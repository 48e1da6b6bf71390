"""`parity render ENV [-o DIR]`: the overlay built, normalised and validated."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from parity.errors import FINDINGS, OK, BadInput
from parity.manifest import as_applied, dump, file_name
from parity.policy import Policy
from parity.rendering import render

MARKER = ".parity-rendering"  # marks a directory this command wrote, which it may replace


def _replaceable(out: Path) -> None:
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / MARKER).is_file())):
        raise BadInput(
            str(out),
            "exists and is not a directory parity render wrote",
            "Pass a new or empty directory (nothing in it is deleted)",
        )


def run(root: Path, policy: Policy, env: str, out: Path | None) -> int:
    policy.require_env(env)
    if out is not None:
        _replaceable(out)
    rendered = render(root, env)
    if out is None:
        print("---\n".join(dump(as_applied(r)) for r in rendered.resources.values()), end="")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        for resource in rendered.resources.values():
            (staging / file_name(resource.identity)).write_text(dump(as_applied(resource)))
        (staging / MARKER).write_text(f"{env}\n")
        # Swap in whole: a reader never sees half of one rendering and half of another.
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        print(f"rendered {len(rendered.resources)} resources of {env} into {out}", file=sys.stderr)
    for problem in rendered.invalid:
        print(f"VIOLATION [kubeconform] {env}: {problem.resource}: {problem.message}", file=sys.stderr)
    return FINDINGS if rendered.invalid else OK
