"""The four workload images run for real: each entrypoint as a real container (podman + runc, or
runc directly) on the host network. The airflow image parses the DAG folder, the dbt image parses
the project and runs `parity sample` (what masked_sample_refresh runs), the spark image runs local
jobs, the streaming image consumes from the real Kafka broker into S3. `parity images run` builds
what it runs from the locked inputs (the machine's layer cache makes that seconds once any checkout
built them, e.g. tests/platform/test_images_build.py)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from parity.cluster import warehouse
from parity.stack import Service, fakesnow_connection
from parity.validate import policies, sampling
from tests.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration


def images_run(name: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`parity images run NAME --values dev ARGS` (ARGS holds its own `--` and command)."""
    return subprocess.run(
        [str(DEVENV / "bin" / "parity"), "images", "run", name, "--values", "dev", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PARITY_DEVENV": str(DEVENV)},
    )


def shared_dir(path: Path) -> Path:
    """A host directory the image's non-root user may write to."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def test_airflow_image_parses_the_dag_folder(tmp_path: Path) -> None:
    home = shared_dir(tmp_path / "airflow-home")
    mount = ["--volume", f"{home}:/airflow-home", "--env", "AIRFLOW_HOME=/airflow-home"]
    migrate = images_run("airflow", *mount, "--", "db", "migrate")
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    listed = images_run("airflow", *mount, "--", "dags", "list", "--local", "-o", "json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    dags = json.loads(next(line for line in listed.stdout.splitlines() if line.startswith("[")))
    assert len(dags) == 120
    assert {d["fileloc"].rsplit("/", 2)[0] for d in dags} == {"/opt/finsight/pipelines"}
    errors = images_run("airflow", *mount, "--", "dags", "list-import-errors", "--local", "-o", "json")
    assert errors.returncode == 0, errors.stderr[-2000:]
    assert "No data found" in errors.stdout or "[]" in errors.stdout


@pytest.mark.parametrize("runtime", ["podman", "runc"])
def test_dbt_image_parses_the_project(tmp_path: Path, runtime: str) -> None:
    out = shared_dir(tmp_path / "target")
    done = images_run(
        "dbt",
        "--runtime",
        runtime,
        "--volume",
        f"{out}:/out",
        "--env",
        "DBT_TARGET_PATH=/out",
        "--env",
        "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD=unused",
        "--",
        "parse",
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(1 for node in manifest["nodes"] if node.startswith("model.")) == 40
    assert any(node.startswith("macro.finsight_utils.") for node in manifest["macros"])


def test_spark_image_runs_local_jobs(tmp_path: Path) -> None:
    work = shared_dir(tmp_path / "work")
    subprocess.run(
        [sys.executable, "-m", "datagen.generate", work / "csv"],
        cwd=ROOT / "pipelines",
        check=True,
        capture_output=True,
    )
    for path in work.rglob("*"):
        path.chmod(0o777)
    args = [
        "--volume",
        f"{work}:/work",
        "--env",
        "FINSIGHT_LAKE_URI_TEMPLATE=file:///work/lake/{bucket}",
        "--env",
        "PYSPARK_SUBMIT_ARGS=--conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false "
        "pyspark-shell",
    ]
    landing = images_run(
        "spark", *args, "--entrypoint", "python", "--", "-m", "finsight_spark.landing", "/work/csv"
    )
    assert landing.returncode == 0, landing.stderr[-2000:]
    jobs = ["curate-invoices", "revenue-daily"]
    done = images_run("spark", *args, "--", *jobs, "--report", "/work/report.json")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((work / "report.json").read_text())
    assert all(report[job]["ok"] for job in jobs), report
    assert report["curate-invoices"]["rows"] == 1500 and report["revenue-daily"]["rows"] > 0


def test_streaming_image_consumes_from_the_real_broker(
    dev_values: dict[str, str], kafka: Service, localstack: Service
) -> None:
    suffix = uuid.uuid4().hex[:6]
    env = {
        "FINSIGHT_KAFKA_BOOTSTRAP_SERVERS": kafka.address,
        "FINSIGHT_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        "FINSIGHT_KAFKA_SASL_MECHANISM": "NONE",
        "FINSIGHT_S3_ENDPOINT_URL": localstack.address,
        "FINSIGHT_CONSUMER_GROUP": f"image-{suffix}",
        "FINSIGHT_EVENTS_TOPIC": f"{dev_values['FINSIGHT_EVENTS_TOPIC']}.img{suffix}",
        "FINSIGHT_DEAD_LETTER_TOPIC": f"{dev_values['FINSIGHT_DEAD_LETTER_TOPIC']}.img{suffix}",
        "FINSIGHT_CURATED_BUCKET": f"image-run-{suffix}",
        "FINSIGHT_SECRETS_DIR": "/nonexistent",
        "AWS_ACCESS_KEY_ID": "test",  # LocalStack's fixed dummies
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    admin = AdminClient({"bootstrap.servers": kafka.address})
    topics = [env["FINSIGHT_EVENTS_TOPIC"], env["FINSIGHT_DEAD_LETTER_TOPIC"]]
    for future in admin.create_topics([NewTopic(t, 3, 1) for t in topics]).values():
        future.result(30)
    s3 = boto3.client(
        "s3",
        endpoint_url=localstack.address,
        region_name=dev_values["FINSIGHT_AWS_REGION"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(
        Bucket=env["FINSIGHT_CURATED_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": dev_values["FINSIGHT_AWS_REGION"]},
    )
    producer = Producer({"bootstrap.servers": kafka.address})
    for i in range(1, 26):
        event = {
            "event_id": f"evt-{i}",
            "customer_id": i,
            "event_type": "login",
            "occurred_at": "2026-03-01T10:00:00Z",
            "payload_size": 10,
        }
        producer.produce(env["FINSIGHT_EVENTS_TOPIC"], value=json.dumps(event).encode())
    assert producer.flush(30) == 0
    flags = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
    done = images_run("streaming", *flags, "--", "events-value", "--idle-polls", "5")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'written': 25" in done.stdout, done.stdout[-2000:]
    # The image's sink batches per partition: objects keyed by offset range, 25 events in all.
    listing = s3.list_objects_v2(Bucket=env["FINSIGHT_CURATED_BUCKET"], Prefix="stream/events/")
    keys = [item["Key"] for item in listing.get("Contents", [])]
    assert keys and all(f"/topic={env['FINSIGHT_EVENTS_TOPIC']}/partition=" in key for key in keys), keys
    bodies = [s3.get_object(Bucket=env["FINSIGHT_CURATED_BUCKET"], Key=key)["Body"].read() for key in keys]
    ids = sorted(json.loads(line)["event_id"] for body in bodies for line in body.splitlines())
    assert ids == sorted(f"evt-{i}" for i in range(1, 26))


def test_dbt_image_runs_parity_sample_from_the_warehouse_into_s3(
    tmp_path: Path, dev_values: dict[str, str], fakesnow: Service, localstack: Service
) -> None:
    """What masked_sample_refresh runs: `python -m parity sample` in the dbt image reads the raw
    table from the warehouse (fakesnow) and puts the masked sample in S3 (LocalStack), the child
    source reading its parent's sample from there. The samples equal what the same policy and key
    give from the landed files, no PII value of the source is in them, and the foreign key joins."""
    suffix = uuid.uuid4().hex[:6]
    raw, local = tmp_path / "raw", tmp_path / "local"
    subprocess.run([sys.executable, "-m", "datagen.generate", str(raw)], cwd=ROOT / "pipelines", check=True)
    database = f"RAW_IMG{suffix.upper()}"
    sources = ["customers", "accounts"]
    host, port = fakesnow.address.split(":")
    connection = fakesnow_connection(host, int(port))
    connection.cursor().execute(f"create database if not exists {database}")
    warehouse.land(connection.cursor(), database, [raw / f"{source}.csv" for source in sources])
    connection.close()
    region, bucket, key = dev_values["FINSIGHT_AWS_REGION"], f"samples-{suffix}", f"image-key-{suffix}"
    aws = {"endpoint_url": localstack.address, "region_name": region}
    aws.update(aws_access_key_id="test", aws_secret_access_key="test")  # LocalStack's dummies
    s3 = boto3.client("s3", **aws)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    found = policies.load_all(ROOT)
    secret = found["customers"][1]
    manager = boto3.client("secretsmanager", **aws)
    value = json.dumps({secret.key_property: key}) if secret.key_property else key
    try:
        manager.create_secret(Name=secret.key_secret, SecretString=value)
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=secret.key_secret, SecretString=value)
    env = {
        "FINSIGHT_SNOWFLAKE_HOST": host,
        "FINSIGHT_SNOWFLAKE_PORT": port,
        "FINSIGHT_SNOWFLAKE_PROTOCOL": "http",
        "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD": "unused",  # fakesnow takes any credentials
        "FINSIGHT_S3_ENDPOINT_URL": localstack.address,
        "AWS_ENDPOINT_URL": localstack.address,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    flags = [arg for item, setting in env.items() for arg in ("--env", f"{item}={setting}")]
    local.mkdir()
    for source in sources:
        out = f"s3://{bucket}/masked-samples/2026-12-05/{source}.csv"
        done = images_run(
            "dbt", *flags, "--entrypoint", "python", "--", "-m", "parity", "sample",
            "--policy", f"/opt/finsight/pipelines/masking/{source}.yaml",
            "--in", f"table:{database}.LANDING.{source.upper()}", "--out", out, "--format", "json",
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        report = json.loads(done.stdout[done.stdout.index("{") :])
        assert report["out"] == out and 0 < report["kept"] < report["read"]
        sampling.sample(found[source][1], key.encode(), raw / f"{source}.csv", local / f"{source}.csv")
    samples = {}
    for source in sources:
        body = s3.get_object(Bucket=bucket, Key=f"masked-samples/2026-12-05/{source}.csv")["Body"].read()
        with (local / f"{source}.csv").open(newline="") as handle:
            expected = sorted(tuple(row.items()) for row in csv.DictReader(handle))
        samples[source] = list(csv.DictReader(body.decode().splitlines()))
        assert sorted(tuple(row.items()) for row in samples[source]) == expected
        with (raw / f"{source}.csv").open(newline="") as handle:
            landed = list(csv.DictReader(handle))
        policy = found[source][1]
        for column, mask in policy.columns.items():
            if mask.kind in ("email", "phone", "iban", "drop") or column == "company_name":
                leaked = {row[column] for row in landed if row[column] and row[column].encode() in body}
                assert not leaked, (source, column, sorted(leaked)[:3])
    customers = {row["customer_id"] for row in samples["customers"]}
    assert samples["accounts"] and {row["customer_id"] for row in samples["accounts"]} <= customers
