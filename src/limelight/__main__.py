"""`python -m limelight` runs the CLI."""

from limelight.cli.main import main

main()
