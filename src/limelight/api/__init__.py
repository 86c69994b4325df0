"""The HTTP API: one module per area, thin handlers over pure decoders and the query engine."""
