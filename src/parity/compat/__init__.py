"""Schema compatibility: JSON Schema (ours, after Confluent Schema Registry's SchemaDiff) and Avro."""
