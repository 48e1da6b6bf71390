"""FinSight's Kafka consumers: at-least-once, schema-validated, idempotent sink, dead letters."""
