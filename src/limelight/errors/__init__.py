"""Error tracking: error rows from every source, grouped by fingerprint into error groups."""
