"""The spark image's entrypoint: what Spark on Kubernetes starts in its pods, and local runs.

    driver SPARK-SUBMIT-ARGS...  the driver pod (spark-submit in cluster mode, which the Spark
                                 operator runs, starts it so): spark-submit in client mode inside
                                 the pod, bound to the pod's address
    executor                     an executor pod: Spark's Kubernetes executor backend, configured
                                 by the SPARK_* variables the driver gives the pod
    JOB [JOB ...] [OPTIONS]      anything else: finsight_spark.run in local mode (ad hoc runs)

This is the contract of Spark's own Kubernetes entrypoint (resource-managers/kubernetes/docker),
written for this image: the spark distribution here is the locked pyspark wheel's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

EXECUTOR_BACKEND = "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
# The executor pod's variables, in the order the backend takes them as options.
EXECUTOR_OPTIONS = (
    ("--driver-url", "SPARK_DRIVER_URL"),
    ("--executor-id", "SPARK_EXECUTOR_ID"),
    ("--cores", "SPARK_EXECUTOR_CORES"),
    ("--app-id", "SPARK_APPLICATION_ID"),
    ("--hostname", "SPARK_EXECUTOR_POD_IP"),
    ("--resourceProfileId", "SPARK_RESOURCE_PROFILE_ID"),
    ("--podName", "SPARK_EXECUTOR_POD_NAME"),
)


def spark_home() -> Path:
    if os.environ.get("SPARK_HOME"):
        return Path(os.environ["SPARK_HOME"])
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _need(env: dict[str, str], name: str) -> str:
    if not env.get(name):
        raise SystemExit(f"spark entrypoint: {name} is not set; Spark sets it in the pods it creates")
    return env[name]


def driver_command(args: list[str], env: dict[str, str]) -> list[str]:
    bind = _need(env, "SPARK_DRIVER_BIND_ADDRESS")
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--conf",
        f"spark.driver.bindAddress={bind}",
        "--conf",
        f"spark.executorEnv.SPARK_DRIVER_POD_IP={bind}",
        "--deploy-mode",
        "client",
        *args,
    ]


def executor_command(env: dict[str, str]) -> list[str]:
    memory = _need(env, "SPARK_EXECUTOR_MEMORY")
    # SPARK_JAVA_OPT_0, _1, ...: the executor's Java options, in their number's order.
    numbered = sorted(
        (int(k.rpartition("_")[2]), v) for k, v in env.items() if k.startswith("SPARK_JAVA_OPT_")
    )
    classpath = [p for p in (env.get("SPARK_CONF_DIR"), env.get("SPARK_CLASSPATH")) if p]
    classpath.append(str(spark_home() / "jars" / "*"))
    java = str(Path(env["JAVA_HOME"]) / "bin" / "java") if env.get("JAVA_HOME") else shutil.which("java")
    if not java:
        raise SystemExit("spark entrypoint: no java: set JAVA_HOME (the image does)")
    command = [java, *(v for _, v in numbered), f"-Xms{memory}", f"-Xmx{memory}"]
    command += ["-cp", ":".join(classpath), EXECUTOR_BACKEND]
    for option, variable in EXECUTOR_OPTIONS:
        command += [option, _need(env, variable)]
    return command


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spark-entrypoint", description=__doc__.splitlines()[0])
    p.add_argument("role", help="driver, executor, or the first job of a local run")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    env = dict(os.environ)
    if args.role == "driver":
        if not args.rest:
            print("spark entrypoint: driver needs spark-submit's arguments", file=sys.stderr)
            return 2
        command = driver_command(args.rest, env)
    elif args.role == "executor":
        if args.rest:
            print(f"spark entrypoint: executor takes no arguments, got {args.rest[0]!r}", file=sys.stderr)
            return 2
        command = executor_command(env)
    else:
        from finsight_spark import run

        return run.main(argv)
    # spark-submit copies the application's files into its working directory and executors fetch
    # theirs there: a fresh writable one, as Spark's own image has /opt/spark/work-dir (the
    # image's workdir is the read-only code).
    os.chdir(tempfile.mkdtemp(prefix=f"spark-{args.role}-"))
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 - replaces this process, so signals reach Spark itself


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
