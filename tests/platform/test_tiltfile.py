"""The Tiltfile evaluates (pinned tilt, no cluster needed) to the dev stack with its four images."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.platform.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration


def test_tiltfile_evaluates_to_the_dev_stack() -> None:
    env = {**os.environ, "PATH": f"{DEVENV / 'bin'}:{os.environ['PATH']}", "TILT_DISABLE_ANALYTICS": "1"}
    done = subprocess.run(
        [DEVENV / "bin/tilt", "alpha", "tiltfile-result"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert not result["Error"]
    names = {m["Name"] for m in result["Manifests"]}
    assert {
        "airflow-api-server",
        "airflow-scheduler",
        "events-consumer",
        "payments-consumer",
        "dbt-runner",
    } <= names
    built = {
        t["selector"].rsplit("/", 1)[-1] for m in result["Manifests"] for t in m.get("ImageTargets") or []
    }
    assert built == {"airflow", "dbt", "spark", "streaming"}
