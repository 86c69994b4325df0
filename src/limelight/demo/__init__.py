"""The demo shop: realistic telemetry from a simulated serverless shop, sent to a server."""
