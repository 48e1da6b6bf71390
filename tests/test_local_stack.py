"""`parity up | status | down` for real: the single-node cluster from pinned parts, the stand-ins and
both operators, running the `local` rendering with the locked images.

The tests of this file run in order on one worker (--dist loadfile): the faults first (each must
leave the machine as it found it), then one `up` that the rest share, and `down` last.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from parity import local
from parity.cluster import host
from parity.cluster.plan import AWS_ENDPOINT, FAKESNOW, KAFKA, NAMESPACE, NODE_IP
from tests.promotion_support import (
    R2_NOTE,
    Parity,
    commit_second_release,
    contexts,
    copy_repo,
    differences,
    live_objects,
    planes,
    release_documents,
)

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the local cluster needs root (bridges, iptables)")


def parity(*args: str, repo: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 1500) -> Any:
    return subprocess.run(
        [str(DEVENV / "bin" / "parity"), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


# Every port the stack listens on (other test files run beside this one and open their own).
OUR_PORTS = {
    port.port for component in local.components(local.stack(ROOT, print)) for port in component.ports
}


def machine() -> dict[str, Any]:
    """What `down` must put back: sysctls, links, our iptables chains, sockets on our ports."""
    listening = subprocess.run(["ss", "-Hltnu"], capture_output=True, text=True, check=True).stdout
    return {
        "sysctls": host.read_sysctls(),
        "links": sorted(p.name for p in Path("/sys/class/net").iterdir()),
        "chains": host.our_chains(),
        "listening": sorted(
            address
            for address in (line.split()[4] for line in listening.splitlines())
            if int(address.rsplit(":", 1)[1]) in OUR_PORTS
        ),
    }


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("parity:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    assert local.leftovers(ROOT) == [], "an earlier stack still runs: run parity down"
    return machine()


def test_a_taken_port_names_the_component_and_stops_what_started(before: dict[str, Any]) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past an earlier run's TIME_WAIT
        squatter.bind(("127.0.0.1", 2379))  # etcd's client port
        squatter.listen()
        done = parity("up", "--no-build")
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert line.startswith("parity: etcd: port 127.0.0.1:2379 is taken") and "Stop that process" in line
    # containerd and the registry had started: both are stopped again, and the host is restored.
    assert "containerd" in done.stderr and "registry" in done.stderr
    assert local.leftovers(ROOT) == []
    assert machine() == before


def test_a_missing_binary_is_named_before_anything_starts(tmp_path: Path, before: dict[str, Any]) -> None:
    devenv = tmp_path / "devenv"
    (devenv / "bin").mkdir(parents=True)
    for entry in DEVENV.iterdir():
        if entry.name != "bin":
            (devenv / entry.name).symlink_to(entry)
    for program in (DEVENV / "bin").iterdir():
        if program.name != "kubelet":
            (devenv / "bin" / program.name).symlink_to(program)
    done = parity("up", env={"PARITY_DEVENV": str(devenv)})
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert (
        line == f"parity: kubelet: {devenv}/bin/kubelet is missing. Run devenv/bootstrap (make run does it)"
    )
    assert local.leftovers(ROOT) == []
    assert machine() == before


def test_an_image_missing_from_the_registry_fails_up(repo_copy: Path, before: dict[str, Any]) -> None:
    """A lock naming a digest nobody built (the inputs changed, the lock was edited): `up` cannot
    put it in the registry, says which image and what to run, and stops everything again."""
    repo = repo_copy
    (repo / ".parity").mkdir()
    (repo / ".parity" / "images").symlink_to(ROOT / ".parity" / "images")
    lock = json.loads((repo / "lock/images.lock.json").read_text())
    for entry in lock["images"].values():  # built or not (a fresh clone has built none yet)
        entry["digest"] = "sha256:" + "5" * 64
    (repo / "lock/images.lock.json").write_text(json.dumps(lock, indent=2))
    done = parity("up", "--no-build", repo=repo)  # repo_copy sets PARITY_DEVENV
    assert done.returncode == 1, done.stderr
    line = one_error_line(done.stderr)
    assert line.startswith("parity: image airflow: sha256:5555555555") and "is not in the registry" in line
    assert "Run parity images build airflow" in line
    assert local.leftovers(repo) == []
    assert machine() == before
    parity("down", "--purge", repo=repo)  # the images it pushed to that copy's registry


@pytest.fixture(scope="module")
def stack(before: dict[str, Any]) -> Iterator[dict[str, Any]]:
    started = time.monotonic()
    done = parity("up", "--format", "json")
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    result["wall"] = time.monotonic() - started
    yield result
    parity("down", "--purge")  # its registry and containerd root hold every image: gigabytes


def kubectl(*args: str) -> Any:
    done = subprocess.run(
        [str(DEVENV / "bin/kubectl"), f"--kubeconfig={ROOT}/.parity/local/pki/admin.kubeconfig", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "-o" in args and "json" in args else done.stdout


def rendered() -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(DEVENV / "bin/kustomize"), "build", str(ROOT / "overlays/local")], capture_output=True, text=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_every_deployment_is_available_with_the_locked_digests(stack: dict[str, Any]) -> None:
    lock = json.loads((ROOT / "lock/images.lock.json").read_text())["images"]
    digests = {entry["digest"] for entry in lock.values()}
    wanted = {d["metadata"]["name"] for d in rendered() if d["kind"] == "Deployment"}
    deployments = kubectl("get", "deployments", "-n", NAMESPACE, "-o", "json")["items"]
    available = {
        d["metadata"]["name"]
        for d in deployments
        if any(c["type"] == "Available" and c["status"] == "True" for c in d["status"]["conditions"])
    }
    assert wanted == available == {d["metadata"]["name"] for d in deployments}
    pods = kubectl("get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name", "-o", "json")["items"]
    running = [
        p for p in pods if p["status"]["phase"] == "Running" and not p["metadata"].get("deletionTimestamp")
    ]
    assert len(running) >= len(wanted)
    for pod in running:
        spec = {
            c["name"]: c["image"] for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])
        }
        for status in pod["status"]["containerStatuses"] + pod["status"].get("initContainerStatuses", []):
            # What containerd pulled, through the registry mirror, is the manifest the pod names,
            # and that is the lock's.
            pulled = status["imageID"].split("@")[-1]
            assert pulled in digests, (pod["metadata"]["name"], status["imageID"])
            assert spec[status["name"]].split("@")[-1] == pulled


def s3(service: str = "s3") -> Any:
    values = next(
        d for d in rendered() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "platform-values"
    )
    return values["data"], boto3.client(
        service,
        endpoint_url=values["data"]["AWS_ENDPOINT_URL"],
        region_name="eu-west-1",
        aws_access_key_id=values["data"]["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=values["data"]["AWS_SECRET_ACCESS_KEY"],
    )


PRODUCE = """
import json, os, sys
from datetime import UTC, datetime
from confluent_kafka import Producer
from consumers.schemas import subjects
run = sys.argv[1]
producer = Producer({"bootstrap.servers": os.environ["KAFKA"]})
when = datetime(2026, 3, 1, 10, tzinfo=UTC)
producer.produce(os.environ["EVENTS"], value=json.dumps({"event_id": f"evt-{run}", "customer_id": 7,
    "event_type": "login", "occurred_at": "2026-03-01T10:00:00Z", "payload_size": 10}).encode())
producer.produce(os.environ["PAYMENTS"], value=subjects()["payments-value"].encode({"payment_id": 424242,
    "invoice_id": 1, "customer_id": 7, "amount_minor": 1000, "currency": "EUR", "status": "SUCCEEDED",
    "paid_at": when, "method": "sepa", "failure_reason": None}))
producer.produce(os.environ["LEDGER"], value=subjects()["ledger-value"].encode({"entry_id": f"led-{run}",
    "account_id": 7, "amount_minor": -1000, "currency": "EUR", "booked_at": when, "source": "bank_feed"}))
assert producer.flush(30) == 0
"""


def test_an_event_on_each_topic_is_consumed_and_sunk_to_s3(stack: dict[str, Any]) -> None:
    values, client = s3()
    run = uuid.uuid4().hex[:8]
    done = subprocess.run(
        [str(DEVENV / "venvs/streaming/bin/python"), "-c", PRODUCE, run],
        cwd=ROOT / "pipelines/streaming",
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}/pipelines/common:{ROOT}/pipelines/streaming",
            "KAFKA": str(KAFKA),
            "EVENTS": values["FINSIGHT_EVENTS_TOPIC"],
            "PAYMENTS": values["FINSIGHT_PAYMENTS_TOPIC"],
            "LEDGER": values["FINSIGHT_LEDGER_TOPIC"],
        },
    )
    assert done.returncode == 0, done.stderr
    # The sink batches by partition and offset range: look for each event inside the objects.
    wanted = {"events": f'"evt-{run}"', "payments": '"payment_id": 424242', "ledger": f'"led-{run}"'}
    found: dict[str, str] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and set(found) != set(wanted):
        for dataset, needle in wanted.items():
            listing = client.list_objects_v2(
                Bucket=values["FINSIGHT_CURATED_BUCKET"], Prefix=f"stream/{dataset}/"
            )
            for item in listing.get("Contents", []):
                body = client.get_object(Bucket=values["FINSIGHT_CURATED_BUCKET"], Key=item["Key"])[
                    "Body"
                ].read()
                if needle in body.decode():
                    found[dataset] = item["Key"]
        time.sleep(2)
    assert set(found) == set(wanted), found
    assert all("/topic=" in key and "/partition=" in key for key in found.values()), found


def test_curate_invoices_runs_through_the_spark_operator(stack: dict[str, Any]) -> None:
    template = kubectl("get", "sparkapplication", "curate-invoices", "-n", NAMESPACE, "-o", "json")
    name = f"curate-invoices-{uuid.uuid4().hex[:6]}"
    run = {
        "apiVersion": template["apiVersion"],
        "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": template["metadata"]["labels"]},
        "spec": {
            **template["spec"],
            "suspend": False,
            "arguments": [*template["spec"]["arguments"], "--as-of", "2026-03-01"],
        },
    }
    subprocess.run(
        [
            str(DEVENV / "bin/kubectl"),
            f"--kubeconfig={ROOT}/.parity/local/pki/admin.kubeconfig",
            "apply",
            "-f",
            "-",
        ],
        input=json.dumps(run),
        text=True,
        check=True,
        capture_output=True,
    )
    roles: set[str] = set()
    state = ""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and state not in {"COMPLETED", "FAILED", "SUBMISSION_FAILED"}:
        app = kubectl("get", "sparkapplication", name, "-n", NAMESPACE, "-o", "json")
        state = app.get("status", {}).get("applicationState", {}).get("state", "")
        pods = kubectl(
            "get", "pods", "-n", NAMESPACE, "-l", f"sparkoperator.k8s.io/app-name={name}", "-o", "json"
        )["items"]
        roles |= {p["metadata"]["labels"].get("spark-role", "") for p in pods}
        time.sleep(3)
    assert state == "COMPLETED", app.get("status")
    assert {"driver", "executor"} <= roles
    values, client = s3()
    listing = client.list_objects_v2(Bucket=values["FINSIGHT_CURATED_BUCKET"], Prefix="invoices/")
    assert any(o["Key"].endswith(".parquet") for o in listing.get("Contents", []))


def airflow_api() -> str:
    """Airflow's REST API at its Service IP (kube-proxy serves Service IPs to this machine too)."""
    service = kubectl("get", "service", "airflow-api-server", "-n", NAMESPACE, "-o", "json")
    return f"http://{service['spec']['clusterIP']}:8080"


def airflow(method: str, url: str, token: str = "", body: dict[str, Any] | None = None) -> Any:
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - our own Service
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own Service
        return json.loads(response.read() or b"null")


def warehouse(sql: str) -> Any:
    from parity.cluster import warehouse as w

    connection = w.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        connection.close()


def test_a_dag_triggered_through_the_rest_api_runs_its_pod_tasks_and_dbt_writes(
    stack: dict[str, Any],
) -> None:
    """dbt_finance_marts end to end: the scheduler's KubernetesExecutor starts a worker pod per
    task; its dbt task is a KubernetesPodOperator pod of the locked dbt image, whose `dbt build
    --select tag:finance` writes the finance marts into the Snowflake stand-in."""
    values, _ = s3()
    marts = f"{values['FINSIGHT_SNOWFLAKE_DATABASE']}.{values['FINSIGHT_SNOWFLAKE_SCHEMA']}"
    warehouse(f"drop table if exists {marts}.fct_invoices")  # so only this run can have written it
    dag = "dbt_finance_marts"
    api = airflow_api()
    token = airflow("GET", f"{api}/auth/token")["access_token"]  # every user is admin locally
    assert airflow("PATCH", f"{api}/api/v2/dags/{dag}", token, {"is_paused": False})["is_paused"] is False
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    run = airflow("POST", f"{api}/api/v2/dags/{dag}/dagRuns", token, {"logical_date": when})
    path = f"{api}/api/v2/dags/{dag}/dagRuns/{run['dag_run_id']}"
    pods: dict[str, dict[str, str]] = {}
    state = run["state"]
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline and state not in {"success", "failed"}:
        for pod in kubectl("get", "pods", "-n", NAMESPACE, "-l", f"dag_id={dag}", "-o", "json")["items"]:
            # Unpausing also starts the latest scheduled run: only the pods of this manual run count.
            if pod["metadata"]["labels"].get("run_id", "").startswith("manual__") and (
                pod["metadata"]["creationTimestamp"] >= when.removesuffix("+00:00") + "Z"
            ):
                pods[pod["metadata"]["name"]] = pod["metadata"]["labels"]
        state = airflow("GET", path, token)["state"]
        time.sleep(2)
    tasks = {
        t["task_id"]: t["state"] for t in airflow("GET", f"{path}/taskInstances", token)["task_instances"]
    }
    assert state == "success", (tasks, sorted(pods))
    assert tasks == {"dbt_build": "success", "done": "success"}
    workers = {
        labels.get("task_id") for labels in pods.values() if labels.get("kubernetes_executor") == "True"
    }
    assert "dbt_build" in workers, pods  # the executor ran the task in a pod of its own
    launched = [labels for labels in pods.values() if labels.get("kubernetes_pod_operator") == "True"]
    assert [labels.get("task_id") for labels in launched] == ["dbt_build"], pods  # and that task, dbt's pod
    ((rows,),) = warehouse(f"select count(*) from {marts}.fct_invoices")  # noqa: S608
    landed = f"{values['FINSIGHT_SNOWFLAKE_RAW_DATABASE']}.landing.invoices"
    ((raw,),) = warehouse(f"select count(*) from {landed}")  # noqa: S608
    assert rows == raw > 0


def test_tilt_ci_deploys_the_local_overlay_with_this_checkouts_images(stack: dict[str, Any]) -> None:
    """The Tiltfile against the running cluster: `tilt ci` builds the four images with `parity
    images build`, pushes them to the registry the cluster announces (local-registry-hosting),
    applies overlays/local with Tilt's references and exits 0 once every resource is ready."""
    for _attempt in range(2):
        done = subprocess.run(
            [
                str(DEVENV / "bin/tilt"),
                "ci",
                "--file",
                str(ROOT / "Tiltfile"),
                "--port",
                "0",
                "--timeout",
                "20m",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1500,
            env={
                **os.environ,
                "KUBECONFIG": f"{ROOT}/.parity/local/pki/admin.kubeconfig",
                "PATH": f"{DEVENV}/bin:{os.environ['PATH']}",
            },
        )
        # Tilt 0.34's own race (about 1 run in 10 here, the Tiltfile's resource_deps narrow it):
        # an apply before its image's status is set. Only that error earns the one retry.
        if done.returncode == 0 or "internal error: missing image status" not in done.stdout + done.stderr:
            break
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    deployments = kubectl("get", "deployments", "-n", NAMESPACE, "-o", "json")["items"]
    images = {c["image"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]}
    registry = kubectl("get", "configmap", "local-registry-hosting", "-n", "kube-public", "-o", "json")
    host_ = yaml.safe_load(registry["data"]["localRegistryHosting.v1"])["host"]
    assert images and all(image.startswith(f"{host_}/") for image in images), images  # Tilt's builds
    assert all(
        any(c["type"] == "Available" and c["status"] == "True" for c in d["status"]["conditions"])
        for d in deployments
    )
    # The images are reproducible: what Tilt built from this checkout is, byte for byte, the lock's.
    locked = {
        e["digest"] for e in json.loads((ROOT / "lock/images.lock.json").read_text())["images"].values()
    }
    pods = kubectl("get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name", "-o", "json")["items"]
    tilts = [
        status["imageID"].split("@")[-1]
        for pod in pods
        if not pod["metadata"].get("deletionTimestamp")
        for status in pod["status"].get("containerStatuses", [])
        if status["image"].startswith(f"{host_}/")
    ]
    assert tilts and set(tilts) <= locked, tilts


def test_status_shows_every_component_healthy(stack: dict[str, Any]) -> None:
    done = parity("status", "--format", "json")
    assert done.returncode == 0, done.stdout
    found = json.loads(done.stdout)
    assert {c["health"] for c in found["components"]} == {"ready"}
    assert {w["health"] for w in found["workloads"]} <= {"available", "synced"}


def test_the_stack_holds_devs_declared_infrastructure(stack: dict[str, Any]) -> None:
    """`up` made dev's buckets, roles, secret placeholders, topics, databases and schemas from the
    declarations (parity infra's code): a plan against the stand-ins finds nothing to do."""
    stand_ins = ["--aws-endpoint-url", AWS_ENDPOINT, "--bootstrap-servers", str(KAFKA)]
    env = {"AWS_ACCESS_KEY_ID": "210987654321", "AWS_SECRET_ACCESS_KEY": "localstack"}
    done = parity(
        "infra", "plan", "dev", *stand_ins, "--snowflake-stand-in", str(FAKESNOW), "--format", "json", env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    assert {part: found[part]["drift"] for part in ("aws", "topics", "snowflake")} == {
        "aws": [],
        "topics": [],
        "snowflake": [],
    }
    assert found["aws"]["objects"] == 13 and found["topics"]["objects"] == 4


def test_up_again_changes_nothing(stack: dict[str, Any]) -> None:
    done = parity("up")
    assert done.returncode == 0, done.stderr
    assert " started (" not in done.stderr  # every component was already running


def test_a_release_runs_dev_on_this_cluster_then_staging_and_prod_and_rolls_back(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    """The release path with dev on this cluster: `--stand-in` applies each release's `local`
    rendering here (parity.toml's promotion.stand_ins.dev), while staging and prod are API servers
    of their own whose nodes kwok plays, so prod rolls out at full size."""
    config = ROOT / ".parity/local/pki/admin.kubeconfig"
    stand_in = (
        f'[promotion.stand_ins.dev]\nrendering = "local"\ncontext = "parity-local"\nkubeconfig = "{config}"\n'
    )
    environments = {"staging": "finsight-staging", "prod": "finsight-prod"}
    with planes(tmp_path / "planes", {"staging": 5, "prod": 6}) as kubeconfig:
        repo = copy_repo(tmp_path / "repo", contexts(environments) + stand_in, timeout=600)
        flow = Parity(repo, kubeconfig)
        r1 = flow.create()
        flow.approve_and_promote(r1, "--stand-in")
        commit_second_release(repo)
        r2 = flow.create()
        flow.approve_and_promote(r2, "--stand-in")
        here = live_objects(config, "parity-local", "dev", release_documents(repo, r2, "local"))
        assert differences(here, release_documents(repo, r2, "local")) == []
        selector = "app.kubernetes.io/component=events-consumer"
        pods = kubectl("get", "pods", "-n", NAMESPACE, "-l", selector, "-o", "json")["items"]
        running = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        assert {p["metadata"].get("annotations", {}).get(R2_NOTE) for p in running} == {"r2"}  # rolled out

        done = flow("rollback", "dev", "--stand-in")
        assert done.stdout.startswith(f"rolled dev back to {r1} in "), done.stdout
        flow("rollback", "prod")
        targets = [(config, "parity-local", "dev", "local"), (kubeconfig, "finsight-prod", "prod", "prod")]
        for path, context, env, rendering in targets:
            wanted = release_documents(repo, r1, rendering)
            deadline = time.monotonic() + 60
            while True:  # the pruned ConfigMap goes in the background
                live = live_objects(path, context, env, release_documents(repo, r2, rendering))
                if len(live) == len(wanted) or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert len(live) == len(wanted), (
                env,
                sorted(
                    set(live)
                    - {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in wanted}
                ),
            )
            assert differences(live, wanted) == [], env
            for (kind, _, _), found in live.items():
                if kind in ("Deployment", "Job"):
                    assert R2_NOTE not in found["spec"]["template"]["metadata"].get("annotations", {})
        entries = [json.loads(line) for line in (repo / ".parity/ledger.jsonl").read_text().splitlines()]
        dev = [e["details"] for e in entries if e["action"] == "promote.done" and e["env"] == "dev"]
        assert [(d["context"], d["rendering"]) for d in dev] == [("parity-local", "local")] * 2
        assert flow("audit", "verify").returncode == 0


def _key_pair(directory: Path, password: str) -> Path:
    directory.mkdir()
    subprocess.run(
        [str(DEVENV / "bin/cosign"), "generate-key-pair"],
        cwd=directory,
        env={**os.environ, "COSIGN_PASSWORD": password},
        capture_output=True,
        check=True,
        timeout=60,
    )
    return directory


def test_promotion_refuses_unsigned_and_wrongly_signed_images(stack: dict[str, Any], tmp_path: Path) -> None:
    """[signing] for dev on this cluster, whose registry holds the locked images since `up`: the
    release is refused (exit 3) while they are unsigned, refused again once they are signed with
    another key, and promoted once `parity images sign` used the key of [signing] from Secrets
    Manager; cosign (the pinned build) checks each signature in the registry."""
    release_key = _key_pair(tmp_path / "release", "release-password")
    other_key = _key_pair(tmp_path / "other", "other-password")
    config = ROOT / ".parity/local/pki/admin.kubeconfig"
    extra = (
        f'[promotion.stand_ins.dev]\nrendering = "local"\ncontext = "parity-local"\nkubeconfig = "{config}"\n'
        '[signing]\npublic_key = "release-cosign.pub"\nenvironments = ["dev"]\n'
        'key_secret = "finsight/release/cosign-test"\nmirror = "127.0.0.1:5000"\n'
    )
    repo = copy_repo(
        tmp_path / "repo", contexts({"staging": "finsight-staging", "prod": "finsight-prod"}) + extra
    )
    (repo / "release-cosign.pub").write_bytes((release_key / "cosign.pub").read_bytes())
    flow = Parity(repo, config)
    flow.env.update({"AWS_ACCESS_KEY_ID": "210987654321", "AWS_SECRET_ACCESS_KEY": "localstack"})
    secrets = boto3.client("secretsmanager", endpoint_url=AWS_ENDPOINT, region_name="eu-west-1",
                           aws_access_key_id="210987654321", aws_secret_access_key="localstack")  # fmt: skip
    release = flow.create()
    images = json.loads((repo / ".parity/releases" / release / "release.json").read_text())["images"]
    assert len(images) == 4
    promote = ("promote", release, "--to", "dev", "--stand-in")
    first = sorted(images)[0]
    flow.refused(*promote, says=f"image {first} {images[first][:19]}...: is not signed")

    def sign_with(key: Path, password: str) -> None:
        secret = json.dumps({"private_key": (key / "cosign.key").read_text(), "password": password})
        try:
            secrets.create_secret(Name="finsight/release/cosign-test", SecretString=secret)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId="finsight/release/cosign-test", SecretString=secret)
        signed = flow("images", "sign", "--aws-endpoint-url", AWS_ENDPOINT).stdout.splitlines()
        assert [line.rsplit("@", 1)[1] for line in signed] == [images[n] for n in sorted(images)]

    sign_with(other_key, "other-password")
    flow.refused(*promote, says="is not signed with release-cosign.pub's key")
    sign_with(release_key, "release-password")
    flow(*promote)
    entries = [json.loads(line) for line in (repo / ".parity/ledger.jsonl").read_text().splitlines()]
    assert [e["action"] for e in entries] == ["release.create", "promote.start", "promote.done"]
    secrets.delete_secret(SecretId="finsight/release/cosign-test", ForceDeleteWithoutRecovery=True)


def _everything() -> set[tuple[str, str, str]]:
    """Every object of every listable kind on the cluster (events aside: controllers write them
    everywhere, all the time), every topic on the broker, and every object version in the
    ephemeral template's buckets."""
    kinds = kubectl("api-resources", "--verbs=list", "-o", "name").split()
    kinds = [k for k in kinds if k not in ("events", "events.events.k8s.io")]
    items = kubectl("get", ",".join(kinds), "-A", "-o", "json")["items"]
    found = {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items}
    from confluent_kafka.admin import AdminClient

    found |= {
        ("topic", "", t)
        for t in AdminClient({"bootstrap.servers": str(KAFKA)}).list_topics(timeout=30).topics
    }
    s3 = boto3.client("s3", endpoint_url=AWS_ENDPOINT, region_name="eu-west-1",
                      aws_access_key_id="210987654321", aws_secret_access_key="localstack")  # fmt: skip
    for kind in ("raw", "curated", "exports"):
        bucket = f"finsight-ephemeral-{kind}"
        listed = s3.list_object_versions(Bucket=bucket)
        found |= {("s3", bucket, f"{v['Key']}@{v['VersionId']}") for v in listed.get("Versions", [])}
    return found


def _owned(objects: set[tuple[str, str, str]], name: str) -> set[tuple[str, str, str]]:
    return {o for o in objects if name in o[1] or name in o[2]}


def test_ephemeral_environments_are_created_diffed_listed_reaped_and_destroyed(stack: dict[str, Any]) -> None:
    """`parity env create pr-7 --from staging --stand-in` on this cluster: its namespace, objects,
    topics and S3 prefix; `parity diff staging pr-7` passes; reap takes an expired one and keeps
    pr-7; destroy leaves exactly what was there before."""
    keys = {"AWS_ACCESS_KEY_ID": "210987654321", "AWS_SECRET_ACCESS_KEY": "localstack"}
    done = parity(
        "infra", "apply", "ephemeral", "--only", "aws", "--aws-endpoint-url", AWS_ENDPOINT, env=keys
    )
    assert done.returncode == 0, done.stdout + done.stderr  # the template's buckets, roles and secrets
    before = _everything()
    assert not _owned(before, "pr-7")

    done = parity("env", "create", "pr-7", "--from", "staging", "--ttl", "2h", "--stand-in", "--no-wait")
    assert done.returncode == 0, done.stderr
    assert "pr-7 mirrors staging: " in done.stderr and "topics: 4 made at 10.200.0.1:9092" in done.stderr
    assert "S3: 3 prefix(es) pr-7/ made" in done.stderr and "fakesnow ignores CLONE" in done.stderr
    made = _everything() - before
    build = [str(DEVENV / "bin/kustomize"), "build", str(ROOT / ".parity/envs/pr-7/local")]
    out = subprocess.run(build, capture_output=True, text=True, check=True).stdout
    rendered = {
        (d["kind"], "finsight-ephemeral-pr-7", d["metadata"]["name"]) for d in yaml.safe_load_all(out) if d
    }
    assert len(rendered) == 55 and rendered <= made, sorted(rendered - made)[:5]
    assert ("Namespace", "", "finsight-ephemeral-pr-7") in made
    assert {o[2] for o in made if o[0] == "topic"} == {
        f"finsight.ephemeral-pr-7.{t}.v1" for t in ("events", "payments", "ledger", "dead-letters")
    }
    assert {(o[1], o[2].split("@")[0]) for o in made if o[0] == "s3"} == {
        (f"finsight-ephemeral-{k}", "pr-7/.parity-env") for k in ("raw", "curated", "exports")
    }
    namespace = kubectl("get", "namespace", "finsight-ephemeral-pr-7", "-o", "json")["metadata"]
    assert namespace["labels"]["parity.finsight.io/ephemeral"] == "pr-7"
    assert namespace["annotations"]["parity.finsight.io/ttl"] == "2h"

    done = parity("diff", "staging", "pr-7")
    assert done.returncode == 0 and "staging -> pr-7: parity holds" in done.stdout, done.stdout[-2000:]

    done = parity("env", "create", "pr-8", "--from", "staging", "--ttl", "5s", "--stand-in", "--no-wait")
    assert done.returncode == 0, done.stderr
    time.sleep(6)
    done = parity("env", "list", "--stand-in", "--format", "json")
    listed = {e["name"]: e for e in json.loads(done.stdout)}
    assert set(listed) == {"pr-7", "pr-8"} and listed["pr-8"]["expired"] and not listed["pr-7"]["expired"]
    assert listed["pr-7"]["cost_per_hour"] > 3.0  # its pods, and the XSMALL warehouse's credit
    done = parity("env", "reap", "--stand-in")
    assert done.returncode == 0 and "reaped pr-8" in done.stdout and "1 reaped, 1 still" in done.stdout, (
        done.stdout
    )
    assert not _owned(_everything(), "pr-8")
    done = parity("env", "list", "--stand-in")
    assert "pr-7" in done.stdout and "pr-8" not in done.stdout and "EST. COST" in done.stdout, done.stdout

    done = parity("env", "destroy", "pr-7", "--stand-in")
    assert done.returncode == 0, done.stderr
    assert "removed namespace finsight-ephemeral-pr-7" in done.stdout and "removed topic " in done.stdout
    deadline = time.monotonic() + 60
    while _owned(_everything(), "pr-7") and time.monotonic() < deadline:  # topic deletion settles
        time.sleep(2)
    assert not _owned(_everything(), "pr-7"), sorted(_owned(_everything(), "pr-7"))[:10]
    assert not _everything() & _owned(made, "pr-7")  # every object create made is gone
    assert not (ROOT / ".parity/envs/pr-7").exists()
    assert parity("env", "destroy", "pr-7", "--stand-in").returncode == 2  # gone: one line, exit 2


def test_down_leaves_nothing_behind(stack: dict[str, Any], before: dict[str, Any]) -> None:
    done = parity("down", "--format", "json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["left"] == []
    assert local.leftovers(ROOT) == []
    assert machine() == before
    assert host.mounts_under(ROOT / ".parity/local") == []
    assert not any(Path("/run/netns").glob("cni-*")) if Path("/run/netns").exists() else True
    # The node IP is gone with its bridge: nothing can listen there any more.
    with socket.socket() as probe, pytest.raises(OSError):
        probe.bind((NODE_IP, 0))
