"""Run with a workload image's venv: do these programs accept these arguments?

stdin: [{"kind": "module"|"script"|"console", "target": str, "args": [str, ...]}, ...]
stdout: [{"ok": bool, "message": str}, ...]

Each program is started as its container would start it (runpy for `-m` and files, the venv's
console_scripts entry point for a console script), with argparse and click stopped right after a
successful parse of the whole command line: nothing past the parse runs. A parse error is the
program's own message (argparse and click exit 2 with it). A program that finishes or fails
before it parses anything is reported, because its arguments were never checked.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import runpy
import sys
from importlib import metadata
from typing import Any


class Parsed(BaseException):
    """Raised where the program would start its work: its command line parsed."""


_depth = 0


def _stop_after(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _depth
        _depth += 1
        try:
            result = original(self, *args, **kwargs)
        finally:
            _depth -= 1
        if _depth == 0:  # the outermost parse (sub-parsers parse inside it)
            raise Parsed
        return result

    return wrapper


def _patch_argparse() -> None:
    for name in ("parse_args", "parse_known_args", "parse_intermixed_args"):
        setattr(argparse.ArgumentParser, name, _stop_after(getattr(argparse.ArgumentParser, name)))


def _patch_click() -> None:
    try:
        import click
    except ImportError:
        return

    def invoke(self: Any, ctx: Any) -> Any:
        # Group.invoke runs its own callback through this, then parses and invokes the
        # sub-command: a group's callback is skipped, a leaf command stops here, parsed.
        if isinstance(self, click.Group):
            return None
        raise Parsed

    click.Command.invoke = invoke


def _start(kind: str, target: str) -> None:
    if kind == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif kind == "script":
        runpy.run_path(target, run_name="__main__")
    else:
        found = [ep for ep in metadata.entry_points(group="console_scripts") if ep.name == target]
        if not found:
            raise SystemExit(f"no console script {target!r} in this venv")
        result = found[0].load()()
        raise SystemExit(result)


def probe(kind: str, target: str, args: list[str]) -> dict[str, Any]:
    sys.argv = [target, *args]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            _start(kind, target)
    except Parsed:
        return {"ok": True, "message": ""}
    except SystemExit as exc:
        if exc.code in (0, None):
            return {"ok": True, "message": ""}  # --help, --version: the parser accepted them
        text = err.getvalue().strip().splitlines()
        detail = text[-1] if text else str(exc.code)
        return {"ok": False, "message": f"exits {exc.code} on its arguments: {detail}"}
    except BaseException as exc:  # the program failed before it parsed anything
        return {
            "ok": False,
            "message": f"fails before parsing its arguments: {type(exc).__name__}: {exc}"[:500],
        }
    return {"ok": False, "message": "finished without parsing its arguments, so they were never checked"}


if __name__ == "__main__":
    _patch_argparse()
    _patch_click()
    requests = json.load(sys.stdin)
    results = [probe(r["kind"], r["target"], list(r["args"])) for r in requests]
    print(json.dumps(results))
