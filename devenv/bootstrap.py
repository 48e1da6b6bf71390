"""Install the locked toolchain into .devenv/ (run through devenv/bootstrap).

Each step has a stamp: a hash of everything it was built from. A step whose stamp is unchanged
and whose tools still pass their `parity doctor` checks is skipped, which makes a warm run take
seconds. Builds go to a temporary path first and are moved into place only once verified, so
an interrupted run never leaves a half-installed tool that looks whole.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "devenv"))

from store import Store, default_root, replace_path  # noqa: E402 - devenv/store.py, beside this file

from parity.devenv import user_cache  # noqa: E402
from parity.toolchain import (  # noqa: E402
    LOCK_PATH,
    CrdSchemaTool,
    DebianTool,
    GoTool,
    MavenTool,
    PythonTool,
    SchemaTool,
    SystemTool,
    Toolchain,
    Venv,
)
from parity.toolcheck import (  # noqa: E402 - the package is not installed yet
    Context,
    Status,
    check,
    read_checksums,
    sha256_file,
    tree_sha256,
)

PDM_VENV = "pdm"
WORKERS = 3  # a Go build and two downloads/installs at once on a 2-core machine


class StepFailed(Exception):
    pass


@dataclass
class Step:
    label: str
    inputs: Callable[[], str]
    tools: list
    install: Callable[[], None] | None  # None: a venv (shared_venv), built through the store
    after: tuple[str, ...] = ()  # steps whose result this one uses (a venv export needs pdm)
    # What the step makes under .devenv/ (a file or a directory): kept in the machine's store
    # under the step's stamp, and taken from there by the next checkout with the same stamp.
    output: str = ""
    # A venv built in place in the store and linked from .devenv/venvs/ (it cannot be copied).
    shared_venv: Venv | None = None

    @property
    def lane(self) -> str:
        """Go builds use every core, so one at a time (`build`); apt holds a lock (`apt`); the rest
        (`fetch`: venvs, jars, schemas) mostly wait on downloads and disks, and run side by side."""
        if self.label == "machine tools":
            return "machine"
        if self.label.startswith("go "):
            return "build"
        return "apt" if self.label.startswith("debian ") else "fetch"


# Seconds each step took on a cold 2-core machine (no caches), for the estimate of what is left
# before this machine has timed a step itself (its own timings are kept beside the stamps).
COLD_SECONDS = {
    "venv pdm": 19,
    "venv tool": 60,
    "venv airflow": 101,
    "venv dbt": 42,
    "venv spark": 63,
    "venv streaming": 24,
    "venv localstack": 102,
    "go kustomize": 56,
    "go kubeconform": 6,
    "go tilt": 720,
    "go kube-apiserver": 340,
    "go etcd": 47,
}


def timings_file() -> Path:
    """This machine's own step timings, shared by every checkout on it (a fresh clone's first
    bootstrap is estimated from what the machine's caches make it take)."""
    return user_cache() / "bootstrap-seconds.json"


_TIMINGS = threading.Lock()


def timings() -> dict[str, float]:
    try:
        return dict(json.loads(timings_file().read_text()))
    except (OSError, ValueError):
        return {}


def record_timing(label: str, seconds: float) -> None:
    with _TIMINGS:
        known = {**timings(), label: round(seconds, 1)}
        try:
            timings_file().parent.mkdir(parents=True, exist_ok=True)
            tmp = timings_file().with_suffix(".tmp")
            tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
            tmp.replace(timings_file())
        except OSError:
            pass  # a read-only home: estimates fall back to the cold figures


class Plan:
    """What is left to do, for the progress lines: estimated seconds per step and lane."""

    def __init__(self, steps: list[Step], stamps: Path, force: bool = False) -> None:
        # Only steps whose stamp is stale count: an up-to-date step takes a fraction of a second.
        self.pending = {s.label: s for s in steps if force or self._stale(s, stamps)}
        self.stamps = stamps
        self.lock = threading.Lock()

    @staticmethod
    def _stale(step: Step, stamps: Path) -> bool:
        stamp = stamps / step.label.replace(" ", "-")
        return not stamp.is_file() or stamp.read_text() != step.inputs()

    def estimate(self, step: Step) -> float:
        return float(timings().get(step.label, COLD_SECONDS.get(step.label, 30)))

    def done(self, step: Step) -> None:
        with self.lock:
            self.pending.pop(step.label, None)

    def left(self) -> str:
        with self.lock:
            pending = list(self.pending.values())
        build = sum(self.estimate(s) for s in pending if s.lane == "build")
        others = sum(self.estimate(s) for s in pending if s.lane != "build") / (WORKERS - 1)
        return f"{len(pending)} step(s) left, about {max(build, others) / 60:.0f} min"


class Lane:
    def __init__(self, name: str, plan: Plan) -> None:
        self.name, self.plan = name, plan

    def estimate(self, step: Step) -> float:
        return self.plan.estimate(step)

    def say(self, step: Step, message: str) -> None:
        if not message.startswith("installing"):
            self.plan.done(step)
        log(f"[{self.name:<7}] {step.label:<26} {message}")


_PRINT = threading.Lock()
PDM_EXPORT = threading.Lock()


def log(message: str) -> None:
    with _PRINT:
        print(message, flush=True)


def run(command: Iterable[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    command = [str(c) for c in command]
    done = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise StepFailed(f"`{' '.join(command)}` exited {done.returncode}:\n{tail}")


def require_offered(tool: DebianTool) -> None:
    """Debian's security suite keeps only its newest build: a pin to an older one cannot install
    anywhere, so say so (with what the mirror has) instead of apt's "not found"."""
    offered = subprocess.run(["apt-cache", "madison", tool.package], capture_output=True, text=True)
    rows = [line.split("|") for line in offered.stdout.splitlines()]
    versions = [row[1].strip() for row in rows if len(row) >= 3]
    if versions and tool.version not in versions:
        raise StepFailed(
            f"{tool.package}={tool.version} is no longer on the Debian mirror (it offers "
            f"{', '.join(versions)}; security updates replace older builds): re-pin "
            f"[tools.{tool.name}] version in {LOCK_PATH} to one of those, on purpose"
        )


def runs_parity(venv: Venv) -> bool:
    """The venv of this project's own default dependencies: it runs parity from this checkout."""
    return venv.include_default and venv.project == "."


def digest(*parts: str | bytes | Path) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            h.update(part.read_bytes() if part.is_file() else b"<missing>")
        else:
            h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


class Bootstrap:
    def __init__(self, force: bool) -> None:
        self.toolchain = Toolchain.from_toml((ROOT / LOCK_PATH).read_text())
        self.ctx = Context.for_repo(ROOT, self.toolchain)
        self.devenv = self.ctx.devenv
        self.force = force
        (self.devenv / "stamps").mkdir(parents=True, exist_ok=True)
        (self.devenv / "bin").mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Status] = {}
        self.store = Store(default_root())

    # -- helpers -------------------------------------------------------------------------
    def tools_of(self, kind: type) -> list:
        return [t for t in self.toolchain.tools if isinstance(t, kind)]

    def python_for(self, venv: Venv) -> str:
        system = {t.name: t for t in self.tools_of(SystemTool)}
        tool = system[venv.python]
        return tool.command[0]

    def go_version(self) -> str:
        return subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()

    # -- installers ----------------------------------------------------------------------
    def install_venv(self, venv: Venv, target: Path | None = None) -> None:
        # Built in place: pip bakes the venv path into scripts and their RECORD hashes, so a
        # rename afterwards would break both. The step's stamp is written only on success.
        target = target or self.devenv / venv.path
        if target.is_symlink():
            target.unlink()
        shutil.rmtree(target, ignore_errors=True)
        run([self.python_for(venv), "-m", "venv", target])
        requirements = self.devenv / "requirements" / f"{venv.name}.txt"
        requirements.parent.mkdir(exist_ok=True)
        if venv.name == PDM_VENV:
            shutil.copyfile((ROOT / venv.lockfile).with_name("requirements.txt"), requirements)
        else:
            groups = [arg for group in venv.groups for arg in ("-G", group)]
            # One pdm at a time: two exports of one project race to create its interpreter venv.
            # PDM_PYTHON names the interpreter, so pdm creates none.
            with PDM_EXPORT:
                run(
                    [
                        self.devenv / "venvs" / PDM_VENV / "bin" / "pdm",
                        "export",
                        "-p",
                        ROOT / venv.project,
                        "-L",
                        ROOT / venv.lockfile,
                        "-f",
                        "requirements",
                        "-o",
                        requirements,
                        *([] if venv.include_default else ["--no-default"]),
                        *groups,
                    ],
                    env={"PDM_PYTHON": self.python_for(venv)},
                )
        run(
            [
                target / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--require-hashes",
                "--no-deps",
                "-r",
                requirements,
            ]
        )

    def overlay_venv(self, venv: Venv, shared: Path, target: Path) -> None:
        """The tool venv of this checkout: a venv of the same Python whose site-packages adds the
        store's (all the locked distributions) and this checkout's src/ (parity itself runs from the
        work tree: no unhashed build backend needed), and whose bin/ holds the store venv's console
        scripts started by this venv's Python. Seconds, where installing the group takes a minute."""
        if target.is_symlink():
            target.unlink()
        shutil.rmtree(target, ignore_errors=True)
        run([self.python_for(venv), "-m", "venv", "--without-pip", target])
        site = next((target / "lib").glob("python3.*/site-packages"))
        shared_site = next((shared / "lib").glob("python3.*/site-packages"))
        (site / "_parity_shared.pth").write_text(f"import site; site.addsitedir({str(shared_site)!r})\n")
        (site / "parity-src.pth").write_text(str(ROOT / "src") + "\n")
        theirs, ours = f"#!{shared / 'bin' / 'python'}".encode(), f"#!{target / 'bin' / 'python'}".encode()
        for script in sorted((shared / "bin").iterdir()):
            mine = target / "bin" / script.name
            ours_already = mine.exists() or mine.is_symlink()
            if ours_already or script.is_dir() or script.name.startswith(("python", "activate", "pip", "_")):
                continue
            head = script.read_bytes()[: len(theirs) + 1] if script.is_file() else b""
            if not script.is_symlink() and head in (theirs + b"\n", theirs + b" "):
                mine.write_bytes(ours + script.read_bytes()[len(theirs) :])
                mine.chmod(0o755)
            else:  # a compiled program (ruff) or a link
                mine.symlink_to(script)

    def install_go(self, tool: GoTool) -> None:
        target = self.devenv / tool.binary
        building = target.with_name(target.name + ".new")
        with tempfile.TemporaryDirectory(prefix="go-build.") as scratch:
            env = tool.env
            if tool.web:
                import tilt_web  # devenv/tilt_web.py, beside this file

                try:
                    env = tilt_web.prepare(
                        tool.module, ROOT / tool.wrapper, tool.web, Path(scratch), tool.env
                    )
                except (RuntimeError, OSError) as exc:
                    raise StepFailed(f"{tool.name} web UI: {exc}") from exc
            run(
                [
                    "go",
                    "build",
                    "-mod=readonly",
                    "-trimpath",
                    "-ldflags",
                    tool.ldflags,
                    "-o",
                    building,
                    tool.package,
                ],
                cwd=ROOT / tool.wrapper,
                env=env,
            )
        building.rename(target)

    def install_maven(self, tool: MavenTool) -> None:
        target = self.devenv / tool.directory
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            run(
                [
                    "mvn",
                    "-B",
                    "-q",
                    "-f",
                    ROOT / tool.pom,
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={building}",
                ]
            )
            expected = read_checksums(ROOT / tool.checksums)
            present = {p.name for p in building.glob("*.jar")}
            if present != set(expected):
                raise StepFailed(
                    f"{tool.pom} resolved jars {sorted(present ^ set(expected))[:3]} that "
                    f"differ from {tool.checksums}; update the lock on purpose if intended"
                )
            for name, want in expected.items():
                got = sha256_file(building / name)
                if got != want:
                    raise StepFailed(
                        f"{name}: sha256 {got} != locked {want} (corrupt download or "
                        f"changed artifact); clear it from ~/.m2 and retry"
                    )
            replace_path(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def install_debian(self, tool: DebianTool) -> None:
        if os.geteuid() != 0:
            raise StepFailed(
                f"{tool.package}={tool.version} needs apt-get as root: "
                f"sudo apt-get install -y {tool.package}={tool.version}"
            )
        require_offered(tool)
        run(
            [
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                "--allow-downgrades",
                f"{tool.package}={tool.version}",
            ],
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )

    def install_crds(self, tool: CrdSchemaTool) -> None:
        python = self.devenv / "venvs" / tool.source_venv / "bin" / "python"
        sources = []
        for source in tool.sources:
            module, subdir = source.rsplit(":", 1)
            # In the wrapper module, go.sum pins the module: a changed download fails here.
            found = subprocess.run(
                ["go", "mod", "download", "-json", module],
                cwd=ROOT / tool.wrapper,
                capture_output=True,
                text=True,
                env={**os.environ, "GOFLAGS": "-mod=mod"},
            )
            if found.returncode != 0:
                raise StepFailed(
                    f"go mod download {module} failed: {found.stdout[-500:]}{found.stderr[-500:]}"
                )
            sources.append(f"{json.loads(found.stdout)['Dir']}:{subdir}")
        target = self.devenv / tool.directory
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".crds.", dir=target.parent))
        try:
            run([python, ROOT / "devenv" / "crd_schemas.py", building, *sources])
            actual = tree_sha256(building)
            if actual != tool.tree_sha256:
                raise StepFailed(f"generated CRD schema tree {actual} != locked {tool.tree_sha256}")
            replace_path(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def install_schemas(self, tool: SchemaTool) -> None:
        python = self.devenv / "venvs" / tool.source_venv / "bin" / "python"
        target = self.devenv / tool.directory
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".schemas.", dir=target.parent))
        try:
            run([python, ROOT / "devenv" / "kubeconform_schemas.py", tool.kubernetes_version, building])
            actual = tree_sha256(building)
            if actual != tool.tree_sha256:
                raise StepFailed(f"generated schema tree {actual} != locked {tool.tree_sha256}")
            replace_path(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)

    # -- plan ----------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        steps: list[Step] = []
        system = self.tools_of(SystemTool)
        steps.append(Step("machine tools", lambda: "", system, lambda: None))
        venvs = sorted(self.toolchain.venvs.values(), key=lambda v: v.name != PDM_VENV)
        for venv in venvs:
            steps.append(
                Step(
                    f"venv {venv.name}",
                    # The lockfile alone decides a venv's contents: editing another group in
                    # pyproject.toml must not reinstall this one.
                    lambda venv=venv: digest(
                        venv.python, *venv.groups, str(venv.include_default), ROOT / venv.lockfile
                    ),
                    [t for t in self.tools_of(PythonTool) if t.venv == venv.name],
                    None,  # built in the machine's store (run_step), then linked or overlaid
                    () if venv.name == PDM_VENV else (f"venv {PDM_VENV}",),
                    shared_venv=venv,
                )
            )
        gover = self.go_version()
        for tool in self.tools_of(GoTool):
            wrapper = ROOT / tool.wrapper
            steps.append(
                Step(
                    f"go {tool.name}",
                    lambda tool=tool, wrapper=wrapper: digest(
                        gover,
                        tool.package,
                        tool.ldflags,
                        repr(sorted(tool.env.items())),
                        # A web UI to embed (tilt): its paths and the script building it.
                        *(
                            [repr(sorted(tool.web.items())), ROOT / "devenv" / "tilt_web.py"]
                            if tool.web
                            else []
                        ),
                        *sorted(p for p in wrapper.iterdir() if p.is_file()),
                        # A wrapper holding several commands: this one's main.go too.
                        *sorted(
                            p for p in (wrapper / tool.package).glob("*.go") if tool.package.startswith("./")
                        ),
                    ),
                    [tool],
                    lambda tool=tool: self.install_go(tool),
                    output=tool.binary,
                )
            )
        for mtool in self.tools_of(MavenTool):
            steps.append(
                Step(
                    f"maven {mtool.name}",
                    lambda t=mtool: digest(ROOT / t.pom, ROOT / t.checksums),
                    [mtool],
                    lambda t=mtool: self.install_maven(t),
                    output=mtool.directory,
                )
            )
        for dtool in self.tools_of(DebianTool):
            steps.append(
                Step(
                    f"debian {dtool.name}",
                    lambda t=dtool: t.version,
                    [dtool],
                    lambda t=dtool: self.install_debian(t),
                )
            )
        for stool in self.tools_of(SchemaTool):
            steps.append(
                Step(
                    f"schemas {stool.name}",
                    lambda t=stool: digest(
                        t.version,
                        t.kubernetes_version,
                        t.tree_sha256,
                        ROOT / "devenv" / "kubeconform_schemas.py",
                    ),
                    [stool],
                    lambda t=stool: self.install_schemas(t),
                    (f"venv {stool.source_venv}",),
                    output=stool.directory,
                )
            )
        for ctool in self.tools_of(CrdSchemaTool):
            steps.append(
                Step(
                    f"crds {ctool.name}",
                    lambda t=ctool: digest(
                        *t.sources,
                        t.tree_sha256,
                        ROOT / t.wrapper / "go.sum",
                        ROOT / "devenv" / "crd_schemas.py",
                    ),
                    [ctool],
                    lambda t=ctool: self.install_crds(t),
                    (f"venv {ctool.source_venv}",),
                    output=ctool.directory,
                )
            )
        return steps

    def run_step(self, step: Step, lane: Lane) -> bool:
        """Install one step unless its stamp and its tools' checks say it is up to date."""
        t0 = time.monotonic()
        stamp = self.devenv / "stamps" / step.label.replace(" ", "-")
        inputs = step.inputs()
        current = stamp.read_text() if stamp.exists() else ""
        statuses = [check(t, self.ctx) for t in step.tools]
        if not self.force and current == inputs and all(s.ok for s in statuses):
            if step.output:  # built before the store existed: keep it for the next checkout
                self.store.keep(step.label, inputs, self.devenv / step.output)
            if step.shared_venv is not None:  # in use: not one to prune
                self.store.used(step.label, inputs)
            lane.say(step, f"up to date ({time.monotonic() - t0:.1f}s)")
            return True
        if isinstance(step.tools[0] if step.tools else None, SystemTool):
            for s in statuses:
                if not s.ok:
                    lane.say(step, f"ERROR - {s.name}: {s.problem}")
            if all(s.ok for s in statuses):
                lane.say(step, f"ok ({time.monotonic() - t0:.1f}s)")
            return all(s.ok for s in statuses)
        if not self.force and step.lane == "apt" and all(s.ok for s in statuses):
            # The machine has the package at the locked version, verified: nothing to install.
            stamp.write_text(inputs)
            lane.say(step, f"installed on this machine ({time.monotonic() - t0:.1f}s)")
            return True
        stamp.unlink(missing_ok=True)
        # The stamp matched but a check failed: what is installed (perhaps the store's) is bad.
        damaged = current == inputs
        if not self.force and not damaged and self.take(step, inputs):
            statuses = [check(t, self.ctx) for t in step.tools]
            if all(s.ok for s in statuses):
                stamp.write_text(inputs)
                lane.say(step, f"taken from the machine's store ({time.monotonic() - t0:.1f}s)")
                return True
            damaged = True  # the stored copy fails its checks: build it anew
        lane.say(step, f"installing ... (about {lane.estimate(step):.0f}s; {lane.plan.left()})")
        try:
            if step.shared_venv is not None:
                venv = step.shared_venv
                link = self.devenv / venv.path
                self.store.venv(
                    step.label,
                    inputs,
                    link,
                    lambda at: self.install_venv(venv, at),
                    self.force or damaged,
                    self.placer(venv),
                )
            elif step.install is not None:
                step.install()
        except StepFailed as exc:
            lane.say(step, f"ERROR - {exc}")
            return False
        statuses = [check(t, self.ctx) for t in step.tools]
        bad = [s for s in statuses if not s.ok]
        if bad:
            lane.say(step, f"ERROR - installed but {bad[0].name} fails its check: {bad[0].problem}")
            return False
        if step.output:
            self.store.keep(step.label, inputs, self.devenv / step.output)
        stamp.write_text(inputs)
        seconds = time.monotonic() - t0
        record_timing(step.label, seconds)
        lane.say(step, f"installed in {seconds:.1f}s")
        return True

    def placer(self, venv: Venv) -> Callable[[Path, Path], None] | None:
        """How a stored venv appears in .devenv/venvs/: a symlink, or the tool's own overlay."""
        if not runs_parity(venv):
            return None
        return lambda shared, target: self.overlay_venv(venv, shared, target)

    def take(self, step: Step, inputs: str) -> bool:
        """Install the step from the machine's store, if another checkout built it already."""
        if step.shared_venv is not None:
            venv = step.shared_venv
            return self.store.venv(step.label, inputs, self.devenv / venv.path, None, place=self.placer(venv))
        return bool(step.output) and self.store.take(step.label, inputs, self.devenv / step.output)

    def execute(self, only: set[str]) -> int:
        """Steps run side by side, up to WORKERS at once: at most one Go build (it uses every core)
        and one apt install (apt holds a lock) at a time, while venvs, jars and schemas fetch beside
        them, so the waiting on downloads overlaps the compiling. A step starts once the steps it
        uses are done (a venv export needs the pdm venv; the schema steps need the tool venv)."""
        steps = [s for s in self.steps() if not only or any(o in s.label for o in only)]
        started = time.monotonic()
        plan = Plan(steps, self.devenv / "stamps", self.force)
        machine = [s for s in steps if s.lane == "machine"]
        failed = 0 if all(self.run_step(s, Lane("machine", plan)) for s in machine) else 1
        pending = [s for s in steps if s.lane != "machine"]
        labels = {s.label for s in pending}
        done: set[str] = set()
        running: dict[Future[bool], Step] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            while pending or running:
                busy = {s.lane for s in running.values()}
                for step in list(pending):
                    ready = all(d in done or d not in labels for d in step.after)
                    exclusive = step.lane in {"build", "apt"} and step.lane in busy
                    if len(running) < WORKERS and ready and not exclusive:
                        running[pool.submit(self.run_step, step, Lane(step.lane, plan))] = step
                        busy.add(step.lane)
                        pending.remove(step)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done.add(running.pop(future).label)
                    failed += not future.result()
        self.write_env()
        for name in self.store.prune():
            log(f"INFO - removed {name} from the machine's store (unused for 30 days)")
        elapsed = time.monotonic() - started
        if failed:
            log(f"ERROR - {failed} step(s) failed after {elapsed:.1f}s; fix the first error above and re-run")
            return 1
        log(f"INFO - toolchain matches {LOCK_PATH} ({elapsed:.1f}s). Activate: source .devenv/env")
        return 0

    def write_env(self) -> None:
        """A sourceable file putting .devenv/bin and the tool venv first on PATH."""
        (self.devenv / "bin" / "parity").write_text(
            f'#!/bin/sh\nexec "{self.devenv}/venvs/tool/bin/python" -m parity "$@"\n'
        )
        (self.devenv / "bin" / "parity").chmod(0o755)
        (self.devenv / "env").write_text(
            f'export PATH="{self.devenv}/bin:{self.devenv}/venvs/tool/bin:$PATH"\n'
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", default=[], help="run only steps whose label contains this"
    )
    parser.add_argument("--force", action="store_true", help="reinstall even when stamps match")
    args = parser.parse_args()
    return Bootstrap(force=args.force).execute(set(args.only))


if __name__ == "__main__":
    raise SystemExit(main())
