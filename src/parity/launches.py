"""Rule 7, every container can start: what each container of a rendered environment would run,
and whether its image can run it. Pure: the edge (parity.argv_check) parses the arguments.

A container runs `command + args` when the manifest sets `command`, else the image's entrypoint
followed by `args` (or by the image's Cmd when `args` is unset), as Kubernetes does. The program
must be an executable of the image (its PATH, as recorded in lock/images.lock.json from the
built layers), and the arguments must parse: a Python program (`python -m MODULE`, `python FILE`
or a console script of the image's venv) is handed to its own argument parser by the edge.

A SparkApplication has no container in the render: Spark on Kubernetes starts its driver pod
with the image's entrypoint and `driver --properties-file ... --class ... FILE ARGS`, and its
executors with `executor`. Both are checked as the pods would run them, and FILE must be a file
that the image holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from parity.findings import Finding
from parity.invariants import violation
from parity.manifest import Identity, Resource

RULE = "container-command"
PYTHONS = {"python", "python3", "python3.11"}
SPARK_PROPERTIES = "/opt/spark/conf/spark.properties"
PYTHON_RUNNER = "org.apache.spark.deploy.PythonRunner"


@dataclass(frozen=True)
class Image:
    """What rule 7 needs to know of one locked image."""

    name: str
    venv: str  # the bootstrapped venv of the image's lock group: where its arguments are parsed
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    workdir: str
    env: Mapping[str, str]
    executables: frozenset[str]
    files: Mapping[str, str]  # image path -> repository path, of every file copied in


@dataclass(frozen=True)
class Program:
    """An argument parse to run: `kind` is module, script or console; `target` names it."""

    image: str
    kind: str
    target: str
    args: tuple[str, ...]

    @property
    def key(self) -> str:
        return "\0".join((self.image, self.kind, self.target, *self.args))


@dataclass(frozen=True)
class Launch:
    """One container start: who (`subject`, `path`), with which image, running `argv`."""

    env: str
    subject: str
    path: str
    image: Image
    argv: tuple[str, ...]
    needs: tuple[str, ...] = ()  # files of the image the program is given (a Spark main file)


def _containers(spec: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            if isinstance(c, Mapping):
                yield f"{path}.{field}[{c.get('name', '?')}]", c


def _pod_specs(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    spec = resource.body.get("spec") or {}
    kind = resource.identity.kind
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}:
        yield "spec.template.spec", (spec.get("template") or {}).get("spec") or {}
    elif kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        yield "spec.jobTemplate.spec.template.spec", (job.get("template") or {}).get("spec") or {}
    elif kind == "Pod":
        yield "spec", spec


def argv_of(image: Image, container: Mapping[str, Any]) -> tuple[str, ...]:
    command = [str(x) for x in container.get("command") or []]
    args = container.get("args")
    if command:
        return (*command, *(str(x) for x in args or []))
    tail = tuple(str(x) for x in args) if args is not None else image.cmd
    return (*image.entrypoint, *tail)


def launches(
    env: str, resources: Mapping[Identity, Resource], images_by_digest: Mapping[str, Image]
) -> list[Launch]:
    """Every container start of one rendered environment whose image is a locked image (other
    images are rule 2's business)."""
    out: list[Launch] = []
    for identity, resource in sorted(resources.items(), key=lambda item: str(item[0])):
        subject = f"{identity.kind}/{identity.name}"
        for base, pod in _pod_specs(resource):
            for path, container in _containers(pod, base):
                image = images_by_digest.get(_digest(container.get("image")))
                if image is not None:
                    out.append(Launch(env, subject, path, image, argv_of(image, container)))
        if identity.kind == "SparkApplication":
            out += _spark_launches(env, subject, resource.body.get("spec") or {}, images_by_digest)
    return out


def _digest(reference: Any) -> str:
    return str(reference).rpartition("@")[2] if isinstance(reference, str) and "@" in reference else ""


def _spark_launches(
    env: str, subject: str, spec: Mapping[str, Any], images_by_digest: Mapping[str, Image]
) -> list[Launch]:
    out = []
    main_file = str(spec.get("mainApplicationFile") or "")
    local = main_file.removeprefix("local://") if main_file.startswith("local://") else ""
    arguments = tuple(str(a) for a in spec.get("arguments") or [])
    for role in ("driver", "executor"):
        image = images_by_digest.get(_digest((spec.get(role) or {}).get("image") or spec.get("image")))
        if image is None:
            continue
        if role == "driver":
            argv = (*image.entrypoint, "driver", "--properties-file", SPARK_PROPERTIES)
            argv += ("--class", PYTHON_RUNNER, main_file, *arguments)
            out.append(Launch(env, subject, "spec.driver", image, argv, (local,) if local else ()))
        else:
            out.append(Launch(env, subject, "spec.executor", image, (*image.entrypoint, "executor")))
    return out


def resolve(image: Image, program: str) -> str:
    """The image path `program` starts, or '' when the image has no such executable."""
    if "/" in program:
        path = program if program.startswith("/") else str(PurePosixPath(image.workdir) / program)
        return path if path in image.executables or path in image.files else ""
    for directory in image.env.get("PATH", "").split(":"):
        candidate = f"{directory.rstrip('/')}/{program}"
        if candidate in image.executables:
            return candidate
    return ""


def _python_program(image: Image, argv: Sequence[str]) -> Program | None:
    """`python [-u] -m MODULE ARGS` or `python FILE ARGS` as a parse to run; None for a bare
    interpreter or options this check does not model."""
    rest = list(argv[1:])
    while rest and rest[0] in {"-u", "-B", "-E", "-s", "-I", "-O"}:
        rest.pop(0)
    if len(rest) >= 2 and rest[0] == "-m":
        return Program(image.name, "module", rest[1], tuple(rest[2:]))
    if rest and not rest[0].startswith("-"):
        return Program(image.name, "script", rest[0], tuple(rest[1:]))
    return None


def check(launch: Launch) -> tuple[list[Finding], list[Program]]:
    """The findings this launch has on its own, and the argument parses it needs."""
    if not launch.argv:
        return [
            violation(
                RULE, launch.env, launch.subject, launch.path, "runs nothing: no command and no entrypoint"
            )
        ], []
    program = launch.argv[0]
    found = resolve(launch.image, program)
    if not found:
        message = (
            f"runs {program!r}, which image {launch.image.name} does not hold on its PATH"
            f" (argv: {' '.join(launch.argv)})"
        )
        return [violation(RULE, launch.env, launch.subject, launch.path, message)], []
    findings = [
        violation(
            RULE,
            launch.env,
            launch.subject,
            launch.path,
            f"needs {need}, which image {launch.image.name} does not hold",
        )
        for need in launch.needs
        if need not in launch.image.files
    ]
    name = PurePosixPath(found).name
    programs: list[Program] = []
    if name in PYTHONS or name.startswith("python3."):
        parsed = _python_program(launch.image, launch.argv)
        if parsed is not None:
            programs.append(parsed)
    elif found.startswith("/opt/venv/bin/"):
        programs.append(Program(launch.image.name, "console", name, tuple(launch.argv[1:])))
    if (
        launch.path == "spec.driver" and launch.needs and not findings
    ):  # Spark runs the main file with the arguments
        index = launch.argv.index(PYTHON_RUNNER) + 2
        programs.append(Program(launch.image.name, "script", launch.needs[0], tuple(launch.argv[index:])))
    return findings, programs
