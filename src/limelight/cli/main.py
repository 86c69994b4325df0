"""Entry point: `limelight <command>`."""

from __future__ import annotations

import click

from limelight import __version__
from limelight.cli import code
from limelight.cli.alerts import alerts
from limelight.cli.checks import checks
from limelight.cli.demo import demo
from limelight.cli.errors import errors
from limelight.cli.explain import explain
from limelight.cli.keys import keys
from limelight.cli.query import query, tail
from limelight.cli.segments import segments
from limelight.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="limelight")
def main() -> None:
    """Limelight: traces, logs, metrics, errors and events in one light process.

    Start with `limelight serve`, then `limelight demo` in another terminal.
    """


main.add_command(serve)
main.add_command(query)
main.add_command(tail)
main.add_command(keys)
main.add_command(explain)
main.add_command(demo)
main.add_command(alerts)
main.add_command(checks)
main.add_command(errors)
main.add_command(segments)
for command in code.commands:
    main.add_command(command)
