"""`limelight demo`: stream a simulated shop's telemetry to a server."""

from __future__ import annotations

import threading
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from limelight.cli.client import connect, connection_options
from limelight.demo.sender import DemoError, DemoSender, DemoStats

TRY_NEXT = (
    ("requests per service", "limelight query -c COUNT -g '$service' --from 5m"),
    ("slowest routes", "limelight query -c COUNT -c 'P99($duration_ms) as p99' "
                       "-g http.route -f '$service = api-gateway' --from 5m"),
    ("errors by payment provider", "limelight query -c COUNT -f '$error = true' "
                                   "-g '$service' -g payment.provider --from 5m"),
    ("error logs", "limelight query -d logs -f '$level = error' --from 5m"),
    ("orders", "limelight query -d business -c COUNT -c 'SUM(order.total) as revenue' "
               "-g event --from 5m"),
    ("live logs", "limelight tail -d logs -f"),
)


@click.command()
@click.option("--duration", type=float, default=60.0, show_default=True,
              help="Seconds to run; 0 runs until Ctrl-C.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              help="Shop requests per second (each is a trace with logs).")
@click.option("--seed", type=int, default=None,
              help="Seed for a reproducible stream of requests and failures.")
@connection_options
def demo(duration: float, rate: float, seed: int | None, url: str, api_key: str | None,
         data_dir: Path) -> None:
    """Send telemetry from a simulated serverless shop through the ingest endpoints.

    An API gateway, functions (catalog, cart, checkout, payments, notifications),
    a Postgres database and a payment provider, `acme`, that times out now and
    then: traces, correlated logs, metrics, errors and business events, in real
    time. An ingest key is enough.
    """
    if duration < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--duration")
    connection = connect(url, api_key, data_dir)
    if not connection.api_key:
        raise click.ClickException(
            "no API key: pass --api-key or set LIMELIGHT_API_KEY (an ingest key is enough), "
            "or run where the server's --data-dir holds its admin key")
    sender = DemoSender(connection.url, connection.api_key, rate=rate, seed=seed)
    console = Console()
    try:
        sender.check()
        sender.check_key()
        if sender.apply_resources():
            console.print("Added the demo's saved queries, the dashboard 'Shop overview', a "
                          "health check and the alert 'Payments failing' (service demo): see "
                          "`limelight alerts` and `limelight checks`.", highlight=False)
        else:
            console.print("This key may only ingest: the demo's queries, dashboard and alert "
                          "need an admin key and were not added.", style="dim")
        stats = _run(sender, duration, console)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sender.close()
    _summary(console, stats, connection.url)


def _run(sender: DemoSender, duration: float, console: Console) -> DemoStats:
    """The sender in a worker thread; this one draws progress and waits for Ctrl-C."""
    stop = threading.Event()
    outcome: list[DemoStats | BaseException] = []
    latest = [DemoStats()]  # the newest progress, replaced by the worker each tick
    done = threading.Event()  # not Thread.join: an interrupted join can lose track of the thread

    def work() -> None:
        try:
            outcome.append(sender.run(duration or None, stop,
                                      lambda stats: latest.__setitem__(0, stats)))
        except BaseException as exc:  # handed to the main thread
            outcome.append(exc)
        finally:
            done.set()

    limit = f"/{duration:g}s" if duration else ""
    until = f"for {duration:g}s" if duration else "until Ctrl-C"
    console.print(f"Sending a demo shop to {sender.url} at {sender.rate:g} "
                  f"request{'' if sender.rate == 1 else 's'}/s, "
                  f"{until} …", highlight=False)
    worker = threading.Thread(target=work, name="limelight-demo", daemon=True)
    worker.start()
    with Live(_progress(latest[0], limit), console=console, refresh_per_second=4,
              transient=False) as live:
        try:
            while not done.wait(0.25):
                live.update(_progress(latest[0], limit))
        except KeyboardInterrupt:
            stop.set()
            done.wait()
        live.update(_progress(latest[0], limit))
    result = outcome[0] if outcome else latest[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _progress(stats: DemoStats, limit: str) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("● ", style="green")
    text.append(f"{stats.requests} requests · {stats.spans} spans · {stats.logs} logs · "
                f"{stats.metric_points} metrics · ")
    text.append(f"{stats.errors} errors", style="bold red" if stats.errors else "")
    text.append(f" · {stats.elapsed_s:.0f}s{limit}", style="dim")
    if stats.throttled:
        text.append(f" · {stats.throttled} throttled", style="yellow")
    return text


def _summary(console: Console, stats: DemoStats, url: str) -> None:
    console.print(
        f"\nSent {stats.requests} requests as {stats.spans} spans, {stats.logs} logs, "
        f"{stats.metric_points} metric points and {stats.events} events "
        f"({stats.errors} failed with a 5xx) in {stats.elapsed_s:.0f}s."
    )
    console.print("\nTry next:")
    for label, command in TRY_NEXT:
        console.print(f"  [dim]# {label}[/dim]")
        console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    trace = stats.last_error_trace or stats.last_trace
    if trace:
        what = "a failed checkout" if stats.last_error_trace else "a request"
        console.print(f"\nThe whole trace of {what}, with its logs, in the console:\n"
                      f"  {url}/traces/{trace}", highlight=False, soft_wrap=True)
