"""Observability as code: `.limelight/` files read, validated and compared with the server."""
