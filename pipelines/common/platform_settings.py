"""The one settings object every FinSight workload reads its environment values through.

Values come from environment variables (the generated `platform-values` ConfigMap, prefix
`FINSIGHT_`) and from files mounted by ExternalSecrets under /var/run/secrets/finsight (one
file per secret key). Nothing here knows which environment it runs in: dev, staging and prod
differ only in the values. A missing or malformed value stops the workload at start-up with one
line naming the key and where it was expected.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "FINSIGHT_"
SECRETS_DIR = os.environ.get("FINSIGHT_SECRETS_DIR", "/var/run/secrets/finsight")


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        secrets_dir=SECRETS_DIR if Path(SECRETS_DIR).is_dir() else None,
        frozen=True,
        extra="ignore",
        case_sensitive=False,
    )

    aws_region: str
    aws_account_id: str = Field(pattern=r"^\d{12}$")
    s3_endpoint_url: str = ""  # empty on AWS; a LocalStack URL locally

    raw_bucket: str
    curated_bucket: str
    export_bucket: str
    # How Spark addresses a bucket: "s3a://{bucket}" on AWS, a file:// root in local runs.
    lake_uri_template: str = Field(pattern=r"\{bucket\}")

    kafka_bootstrap_servers: str
    kafka_security_protocol: str = Field(pattern=r"^(PLAINTEXT|SSL|SASL_SSL)$")
    # How clients authenticate over SASL: AWS_MSK_IAM (MSK's IAM access control, port 9098) or
    # NONE (no SASL: a PLAINTEXT or SSL listener). Every client builds its configuration through
    # kafka_client_config / kafka_spark_options, so each environment takes the same path.
    kafka_sasl_mechanism: str = Field(pattern=r"^(NONE|AWS_MSK_IAM)$")
    events_topic: str
    payments_topic: str
    ledger_topic: str
    dead_letter_topic: str
    consumer_group: str

    snowflake_account: str
    snowflake_warehouse: str
    snowflake_database: str
    snowflake_raw_database: str
    snowflake_role: str
    snowflake_user: str
    snowflake_password: SecretStr = SecretStr("")  # mounted by the snowflake ExternalSecret

    alert_email: str
    # Images Airflow launches pods with: the same digests the manifests pin (release-images).
    dbt_image: str = Field(pattern=r"@sha256:[0-9a-f]{64}$")
    streaming_image: str = Field(pattern=r"@sha256:[0-9a-f]{64}$")
    spark_shuffle_partitions: int = Field(gt=0)

    @field_validator("kafka_sasl_mechanism")
    @classmethod
    def _fits_the_protocol(cls, mechanism: str, info: ValidationInfo) -> str:
        protocol = str(info.data.get("kafka_security_protocol", ""))
        if protocol and protocol.startswith("SASL_") != (mechanism != "NONE"):
            raise ValueError(
                f"{mechanism} does not fit kafka_security_protocol {protocol}: "
                "a SASL_* protocol needs a mechanism, any other protocol NONE"
            )
        return mechanism

    def lake_uri(self, bucket: str) -> str:
        return self.lake_uri_template.format(bucket=bucket)

    def kafka_client_config(self) -> dict[str, Any]:
        """librdkafka (confluent-kafka) settings: servers, protocol and, for AWS_MSK_IAM, SASL
        OAUTHBEARER with a token signed by the pod's IAM role (IRSA), refreshed by the client."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.kafka_bootstrap_servers,
            "security.protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism == "AWS_MSK_IAM":
            region = self.aws_region

            def token(_: str) -> tuple[str, float]:
                from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

                value, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
                return value, expiry_ms / 1000

            config.update({"sasl.mechanism": "OAUTHBEARER", "oauth_cb": token})
        return config

    def kafka_spark_options(self) -> dict[str, str]:
        """The same for Spark's Java Kafka client (`kafka.`-prefixed source options); AWS_MSK_IAM
        uses the aws-msk-iam-auth login module (a locked jar of lock/spark-jars.lock)."""
        options = {
            "kafka.bootstrap.servers": self.kafka_bootstrap_servers,
            "kafka.security.protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism == "AWS_MSK_IAM":
            options.update(
                {
                    "kafka.sasl.mechanism": "AWS_MSK_IAM",
                    "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
                    "kafka.sasl.client.callback.handler.class": (
                        "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
                    ),
                }
            )
        return options

    def spark_s3_options(self) -> dict[str, str]:
        """S3A settings for the session: none on AWS; an S3-compatible endpoint (LocalStack) is
        addressed by path, as boto3 does for an endpoint URL."""
        if not self.s3_endpoint_url:
            return {}
        return {
            "spark.hadoop.fs.s3a.endpoint": self.s3_endpoint_url,
            "spark.hadoop.fs.s3a.endpoint.region": self.aws_region,
            "spark.hadoop.fs.s3a.path.style.access": "true",
        }


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else "?"
    var = f"{ENV_PREFIX}{key.upper()}"
    problem = "is missing" if first["type"] == "missing" else f"is invalid ({first['msg']})"
    return (
        f"settings: {key} {problem}: expected env var {var} or file {SECRETS_DIR}/{key}. "
        f"Set it in overlays/<env>/values.yaml (platform-values) or its ExternalSecret"
    )


@lru_cache(maxsize=1)
def load() -> PlatformSettings:
    """The validated settings; on bad input, one line on stderr and exit 2 (fail fast)."""
    try:
        return PlatformSettings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as error:
        print(describe(error), file=sys.stderr)
        raise SystemExit(2) from None
