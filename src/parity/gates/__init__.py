"""Pre-promotion gates: DAG health (dags), schema compatibility (schema: dbt contracts and event
subjects), data quality (quality: dbt build and the Spark jobs on the synthetic sample).

Each gate's rules are pure functions returning `parity.findings.Finding`; its edge (the workload
venvs, the local stand-ins) lives beside them; `runner` runs one or all and writes the evidence.
"""
