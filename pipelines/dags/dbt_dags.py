"""Airflow DAGs rendered from specs/dbt.yaml by include/dag_factory (one DAG per spec entry)."""

from __future__ import annotations

from include.dag_factory import dags_from

globals().update(dags_from("dbt.yaml"))
