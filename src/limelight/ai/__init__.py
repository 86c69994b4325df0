"""Ask AI: local analysis first (patterns, anomalies, differences), then an optional provider."""
