"""`limelight query` and `limelight tail`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from limelight.cli.client import ApiError, Connection, connect, connection_options
from limelight.cli.render import event_line, render_result
from limelight.query.tail import arrived, in_arrival_order, tail_spec

# What the query API answers for a dataset or key that has no events yet.
_NOT_YET = re.compile(r"unknown (dataset|key) ")


@click.command()
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Dataset (repeatable; default otel).")
@click.option("-c", "--calc", "calculations", multiple=True,
              help="Calculation, e.g. COUNT or 'P99($duration_ms) as p99' (repeatable).")
@click.option("-f", "--filter", "filters", multiple=True,
              help="Filter 'key OPERATOR value', e.g. 'http.status_code >= 500' (repeatable).")
@click.option("--or", "any_filter", is_flag=True, help="Match any filter instead of all.")
@click.option("-g", "--group-by", "group_bys", multiple=True, help="Group by a key (repeatable).")
@click.option("--order-by", default=None, help="Calculation or group to order by.")
@click.option("--asc", is_flag=True, help="Ascending order (default descending).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=None,
              help="Groups or events to return.")
@click.option("--offset", type=int, default=None, help="Skip this many groups or events.")
@click.option("-n", "--needle", default=None, help="Search text in every string field.")
@click.option("--regex", is_flag=True, help="The needle is a regular expression.")
@click.option("--match-case", is_flag=True, help="The needle is case-sensitive.")
@click.option("--from", "from_", default=None,
              help="Start: 15m, 1h, 7d, ISO 8601 or epoch ms (default 1h).")
@click.option("--to", default=None, help="End (default now).")
@click.option("--granularity", default=None, help="Series bucket, e.g. 1m (default automatic).")
@click.option("--file", "spec_file", type=click.File("r"), default=None,
              help="Read the whole spec from a JSON file ('-' for stdin); options override it.")
@click.option("--json", "as_json", is_flag=True, help="Print the raw response as JSON.")
@connection_options
def query(
    datasets: tuple[str, ...], calculations: tuple[str, ...], filters: tuple[str, ...],
    any_filter: bool, group_bys: tuple[str, ...], order_by: str | None, asc: bool,
    limit: int | None, offset: int | None, needle: str | None, regex: bool, match_case: bool,
    from_: str | None, to: str | None, granularity: str | None, spec_file: Any, as_json: bool,
    url: str, api_key: str | None, data_dir: Path,
) -> None:
    """Query events: calculations, filters, groups, search. No calculation lists events.

    \b
    Examples:
      limelight query -c COUNT -c 'P99($duration_ms) as p99' -g '$service' --from 1h
      limelight query -d logs -n timeout -f '$level = error'
    """
    spec: dict[str, Any] = {}
    if spec_file is not None:
        try:
            spec = json.load(spec_file)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{spec_file.name}: not valid JSON: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{spec_file.name}: not UTF-8 text: {exc}") from exc
        if not isinstance(spec, dict):
            raise click.ClickException(
                f"{spec_file.name}: a query spec is a JSON object, not {type(spec).__name__}")
    options: dict[str, Any] = {
        "datasets": list(datasets) or None, "calculations": list(calculations) or None,
        "filters": list(filters) or None, "groupBys": list(group_bys) or None,
        "limit": limit, "offset": offset, "from": from_, "to": to,
        "granularity": granularity or ("auto" if calculations else None),
        "filterCombination": "OR" if any_filter else None,
        "orderBy": {"value": order_by, "order": "ASC" if asc else "DESC"} if order_by else None,
        "needle": {"value": needle, "isRegex": regex, "matchCase": match_case} if needle else None,
    }
    spec.update({k: v for k, v in options.items() if v is not None})
    result = connect(url, api_key, data_dir).request("POST", "/api/query", json=spec)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        render_result(Console(), result)


@click.command()
@click.option("-d", "--dataset", "datasets", multiple=True, help="Dataset (default: all).")
@click.option("--filter", "filters", multiple=True, help="Filter 'key OPERATOR value'.")
@click.option("-n", "--needle", default=None, help="Only events containing this text.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Events shown at start.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events as they arrive.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between polls.")
@click.option("--json", "as_json", is_flag=True, help="One JSON event per line.")
@connection_options
def tail(
    datasets: tuple[str, ...], filters: tuple[str, ...], needle: str | None, limit: int,
    follow: bool, interval: float, as_json: bool, url: str, api_key: str | None, data_dir: Path,
) -> None:
    """Show the newest events, and with -f follow new ones live."""
    connection = connect(url, api_key, data_dir)
    names = list(datasets) or [
        d["name"] for d in connection.request("GET", "/api/datasets")["datasets"]
    ]
    if not names:
        raise click.ClickException("no datasets yet: send some data or run `limelight demo`")
    console = Console()
    last_ids = dict.fromkeys(names, 0)

    def show(events: list[dict[str, Any]]) -> None:
        for event in events:
            last_ids[event["$dataset"]] = max(last_ids[event["$dataset"]], event["$id"])
            if as_json:
                click.echo(json.dumps(event))
            else:
                console.print(event_line(event), soft_wrap=True)

    first = _poll(connection, names, filters, needle, last_ids, limit, follow, newest=True)
    show(first[-limit:])
    try:
        while follow:
            time.sleep(interval)
            show(_poll(connection, names, filters, needle, last_ids, 1000, follow))
    except KeyboardInterrupt:  # Ctrl-C is how one stops following: not an error
        return


def _poll(
    connection: Connection, names: list[str], filters: tuple[str, ...], needle: str | None,
    last_ids: dict[str, int], page: int, waiting: bool, newest: bool = False,
) -> list[dict[str, Any]]:
    """New events of every dataset (with `newest`, only each one's last `page`), oldest
    first. While `waiting` (tail -f), a dataset or key that does not exist yet has no
    events yet, not an error."""

    def run(spec: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = connection.request("POST", "/api/query", json=spec)
        return found

    found: list[dict[str, Any]] = []
    for name in names:
        try:
            found += (
                run(tail_spec(name, filters, needle, last_ids[name], page, newest=True))["events"]
                if newest else arrived(run, name, filters, needle, last_ids[name], page, 10 * page))
        except ApiError as exc:
            if not (waiting and exc.status == 400 and _NOT_YET.search(exc.detail)):
                raise
    return in_arrival_order(found)
