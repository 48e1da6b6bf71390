"""Replay dead-lettered events after a fix has shipped: run by hand (no schedule) with the
number of messages to replay; the consumer's idempotent sink makes a replay safe to repeat.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk import DAG, Param
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
    KubernetesPodOperator(
        task_id="replay",
        name="replay-dead-letters",
        image=settings.streaming_image,
        arguments=[
            "python",
            "-m",
            "consumers.replay",
            "--from",
            settings.dead_letter_topic,
            "--max",
            "{{ params.max_messages }}",
        ],
        env_from=[{"configMapRef": {"name": "platform-values"}}],
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
    )
