"""OTLP/HTTP decoders for traces, logs and metrics (protobuf and JSON)."""
