"""The web UI a Go tool's release embeds and its Go module lacks (Tilt: pkg/assets/build), so that
`go build` of the module gives what the release gives instead of a tilt that refuses to start
("running in prod mode, but JS/CSS files are not available").

The module's web directory is copied to a scratch directory and installed with the yarn release
the module ships and its yarn.lock, immutable and with every package's checksum enforced, then
built. Go allows neither writing into the module cache nor overlaying files beneath it, so the
build gets a module cache of its own in the scratch directory, filled from the machine's download
cache (its zips, verified against the wrapper's go.sum as any download is); the built assets go
into that copy of the module, where its `//go:embed` reads them. The binary is built from the
wrapper as every Go tool is, and its build info names the module at its go.sum hash.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-15:]
        raise RuntimeError(f"{' '.join(command[:3])} failed in {cwd}:\n" + "\n".join(tail))
    return done.stdout.strip()


def npm_registry() -> str:
    """The npm registry this machine reaches (npm's own setting), for yarn too."""
    done = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, check=False)
    return done.stdout.strip().rstrip("/") or "https://registry.npmjs.org"


def build_env(wrapper: Path, scratch: Path, go_env: dict[str, str]) -> dict[str, str]:
    """`go` with a private module cache under `scratch`, fed by the machine's download cache
    first and by the configured proxy for anything that cache lacks."""
    env = {**os.environ, **go_env}
    shared, proxy = _run(["go", "env", "GOMODCACHE", "GOPROXY"], wrapper, env).splitlines()
    return {
        **env,
        "GOMODCACHE": str(scratch / "gomod"),
        "GOPROXY": f"file://{shared}/cache/download,{proxy}",
        "GOFLAGS": "-modcacherw",  # the scratch copy is removed afterwards
    }


def prepare(
    module: str, wrapper: Path, web: dict[str, str], scratch: Path, go_env: dict[str, str]
) -> dict[str, str]:
    """Build the web UI into a private copy of the module; return the env `go build` takes it from."""
    env = build_env(wrapper, scratch, go_env)
    _run(["go", "mod", "download", module], wrapper, env)
    source = Path(_run(["go", "list", "-m", "-f", "{{.Dir}}", module], wrapper, env))
    ui = scratch / "ui"
    shutil.copytree(source / web["dir"], ui, symlinks=True)
    for path in [ui, *ui.rglob("*")]:
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
    shutil.copytree(built, source / web["assets"], dirs_exist_ok=True)
    return env
