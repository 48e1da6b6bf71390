"""Infrastructure declared next to the workloads (overlays/<env>/values.yaml), planned against and
applied to live state: Kafka topics through the Admin API so far."""
