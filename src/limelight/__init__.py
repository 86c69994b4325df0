"""Limelight: self-hosted observability in one light process."""

__version__ = "0.1.0"
