"""The edge of rule 7 (parity.launches): the locked images as rule 7 sees them, and the argument
parses, run by probes/argv_probe.py in each image's own venv (the image's locked packages) with
the image's PYTHONPATH and working directory mapped onto the repository files it copies in.

A parse's verdict depends only on the image's build inputs and the command line, so verdicts are
kept in the machine cache under the image's build-input hash: a second check costs nothing, and
any change to an image's inputs parses again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from parity import launches
from parity.devenv import user_cache, venv_bin
from parity.errors import BadInput, ParityError
from parity.findings import Finding
from parity.invariants import violation
from parity.oci import definition
from parity.output import write_atomic

PROBE = Path(__file__).resolve().parent / "gates" / "probes" / "argv_probe.py"


def locked_images(root: Path, lock: Mapping[str, Mapping[str, Any]]) -> dict[str, launches.Image]:
    """digest -> the image as rule 7 sees it, for every image of lock/images.lock.json."""
    common = definition.load_common(root)
    out = {}
    for name, entry in sorted(lock.items()):
        spec = definition.load(root, name, common)
        if "executables" not in entry:
            raise BadInput(
                f"lock/images.lock.json#{name}",
                "records no executables (rule 7 reads them)",
                "Run scripts/lock-images and commit the lock",
            )
        out[str(entry["digest"])] = launches.Image(
            name=name,
            venv=spec.lock_group,
            entrypoint=spec.entrypoint,
            cmd=spec.cmd,
            workdir=spec.workdir,
            env=spec.environment,
            executables=frozenset(entry["executables"]),
            files={target: source for source, target in definition.copied_files(root, spec)},
        )
    return out


def _on_host(root: Path, image: launches.Image, path: str) -> str:
    """The repository path an image path comes from: a copied file or a directory holding some."""
    if path in image.files:
        return str(root / image.files[path])
    prefix = path.rstrip("/") + "/"
    for target, source in image.files.items():
        if target.startswith(prefix):
            inner = PurePosixPath(target).relative_to(path)
            return str(root / PurePosixPath(source).parents[len(inner.parts) - 1])
    return ""


class Parser:
    """Runs (and remembers) the argument parses of rule 7."""

    def __init__(self, root: Path, images: Mapping[str, launches.Image], hashes: Mapping[str, str]) -> None:
        self.root = root
        self.images = {image.name: image for image in images.values()}
        self.hashes = hashes  # image name -> build-input hash
        self.cache_file = user_cache() / "argv-check.json"

    def _key(self, program: launches.Program) -> str:
        return hashlib.sha256(f"{self.hashes.get(program.image, '')}\0{program.key}".encode()).hexdigest()

    def _read_cache(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.cache_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def verdicts(self, programs: Sequence[launches.Program]) -> dict[str, dict[str, Any]]:
        """program.key -> {"ok": bool, "message": str}."""
        cache = self._read_cache()
        todo: dict[str, list[launches.Program]] = {}
        for program in {p.key: p for p in programs}.values():
            if self._key(program) not in cache:
                todo.setdefault(program.image, []).append(program)
        if todo:
            with ThreadPoolExecutor(max_workers=len(todo)) as pool:
                for image, results in zip(todo, pool.map(self._probe, todo, todo.values()), strict=True):
                    for program, result in zip(todo[image], results, strict=True):
                        cache[self._key(program)] = result
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.cache_file, json.dumps(cache, sort_keys=True))
        return {p.key: cache[self._key(p)] for p in programs}

    def _probe(self, name: str, programs: list[launches.Program]) -> list[dict[str, Any]]:
        image = self.images[name]
        python = venv_bin(self.root, image.venv, "python")
        if not python.exists():
            raise BadInput(
                str(python),
                "is missing (rule 7 parses arguments in the image's venv)",
                "Run devenv/bootstrap",
            )
        requests = []
        for program in programs:
            target = program.target
            if program.kind == "script":
                target = _on_host(self.root, image, target) or target
            requests.append({"kind": program.kind, "target": target, "args": list(program.args)})
        python_path = [
            p
            for p in (_on_host(self.root, image, d) for d in image.env.get("PYTHONPATH", "").split(":") if d)
            if p
        ]
        with tempfile.TemporaryDirectory(prefix="parity-argv-") as home:
            env = {
                "PATH": f"{python.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "HOME": home,
                "LANG": "C.UTF-8",
                "PYTHONPATH": ":".join(python_path),
                "PYTHONDONTWRITEBYTECODE": "1",
                "AIRFLOW_HOME": home,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "DBT_PROFILES_DIR": home,
            }
            cwd = _on_host(self.root, image, image.workdir) or home
            done = subprocess.run(
                [str(python), str(PROBE)],
                input=json.dumps(requests),
                capture_output=True,
                text=True,
                env=env,
                cwd=cwd,
                timeout=600,
            )
        try:
            results = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ParityError(
                f"image {name}", f"the argument probe failed in its venv: {tail}", "Run with -v"
            ) from None
        return list(results)


def findings(launched: Sequence[launches.Launch], parser: Parser) -> list[Finding]:
    """Rule 7 over every launch: executables first, then each needed parse (run once each)."""
    out: list[Finding] = []
    wanted: list[tuple[launches.Launch, launches.Program]] = []
    for launch in launched:
        found, programs = launches.check(launch)
        out += found
        wanted += [(launch, p) for p in programs]
    verdicts = parser.verdicts([p for _, p in wanted])
    for launch, program in wanted:
        verdict = verdicts[program.key]
        if not verdict["ok"]:
            message = verdict["message"]
            message = message if len(message) <= 240 else message[:237] + "..."
            out.append(
                violation(
                    launches.RULE,
                    launch.env,
                    launch.subject,
                    launch.path,
                    f"`{' '.join(launch.argv)}` in image {program.image}: {program.target} {message}",
                )
            )
    return out
