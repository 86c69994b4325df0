"""The `limelight` command."""
