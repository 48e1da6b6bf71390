"""The web UI a Go tool's release embeds and its Go module lacks (Tilt: pkg/assets/build), so that
`go build` of the module gives what the release gives instead of a tilt that refuses to start
("running in prod mode, but JS/CSS files are not available").

The module's web directory, from the module cache as the wrapper's go.sum pins it, is copied to a
scratch directory and installed with the yarn release the module ships and its yarn.lock,
immutable and with every package's checksum enforced, then built. The build is handed to
`go build -overlay` as files of the module's embed directory: the binary is built from the
wrapper as every Go tool is, and its build info still names the module at its pinned hash.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-15:]
        raise RuntimeError(f"{' '.join(command[:3])} failed in {cwd}:\n" + "\n".join(tail))


def npm_registry() -> str:
    """The npm registry this machine reaches (npm's own setting), for yarn too."""
    done = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, check=False)
    return done.stdout.strip().rstrip("/") or "https://registry.npmjs.org"


def overlay(module: str, wrapper: Path, web: dict[str, str], scratch: Path, go_env: dict[str, str]) -> Path:
    """Build the web UI under `scratch`; return a `go build -overlay` file placing it in the module."""
    env = {**os.environ, **go_env}
    source = Path(
        subprocess.run(
            ["go", "list", "-mod=readonly", "-m", "-f", "{{.Dir}}", module],
            cwd=wrapper,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    ui = scratch / "ui"
    shutil.copytree(source / web["dir"], ui, symlinks=True)
    for path in [ui, *ui.rglob("*")]:  # the module cache is read-only
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    yarn_env = {
        **env,
        "YARN_NPM_REGISTRY_SERVER": npm_registry(),
        "YARN_ENABLE_TELEMETRY": "0",
        "YARN_ENABLE_GLOBAL_CACHE": "0",
        "YARN_CACHE_FOLDER": str(scratch / "yarn-cache"),
        "YARN_CHECKSUM_BEHAVIOR": "throw",  # the module's .yarnrc.yml says "update": not here
        "YARN_ENABLE_IMMUTABLE_INSTALLS": "1",
        "CI": "false",  # react-scripts would fail the build on lint warnings
        "GENERATE_SOURCEMAP": "false",
    }
    yarn = ["node", str(ui / Path(web["yarn"]).relative_to(web["dir"]))]
    _run([*yarn, "install", "--immutable"], ui, yarn_env)
    _run([*yarn, "build"], ui, yarn_env)
    built = ui / "build"
    if not (built / "index.html").is_file():
        raise RuntimeError(f"{ui}: `yarn build` wrote no build/index.html")
    embed = source / web["assets"]
    replace = {
        str(embed / path.relative_to(built)): str(path) for path in sorted(built.rglob("*")) if path.is_file()
    }
    placed = scratch / "overlay.json"
    placed.write_text(json.dumps({"Replace": replace}, indent=1))
    return placed
