"""PromQL over the `metrics` dataset: parse (promql-parser), select samples from the
store, evaluate with Prometheus' semantics in Python."""
