"""Replay dead-lettered events after a fix has shipped: run by hand (no schedule) with the
number of messages to replay; the consumer's idempotent sink makes a replay safe to repeat.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param
from include.dag_factory import pod
from platform_settings import load

settings = load()

with DAG(
    dag_id="kafka_replay_dead_letters",
    schedule=None,  # on demand only: replays follow a fix, never a clock
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "team-data-platform", "retries": 0, "retry_delay": timedelta(minutes=1)},
    params={"max_messages": Param(10000, type="integer", minimum=1)},
    tags=["streaming", "operations"],
    doc_md=__doc__,
) as kafka_replay_dead_letters:
    # The streaming image's entrypoint runs the consumer: the replay tool is its own command.
    pod(
        "replay",
        settings.streaming_image,
        ["--from", settings.dead_letter_topic, "--max", "{{ params.max_messages }}"],
        cmds=["python", "-m", "consumers.replay"],
        name="replay-dead-letters",
        service_account="streaming",
    )
