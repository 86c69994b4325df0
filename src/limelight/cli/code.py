"""`limelight init | validate | plan | apply | pull | destroy`: a `.limelight/` folder and a server.

`plan` exits 0 when there is nothing to change, 2 when there is and 1 on any
error, so CI can tell the three apart.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
from rich.text import Text

from limelight.cli.client import Connection, connect, connection_options
from limelight.cli.code_render import backtest_sentence, console, print_change, print_plan
from limelight.code import stored
from limelight.code.diff import Change, Plan, make_plan
from limelight.code.project import Project, load_index, load_project, read_sources
from limelight.code.pulled import free_path, local_ids, pulled_text, remote_only
from limelight.code.starter import service_name, starter_files
from limelight.code.variables import parse_overrides
from limelight.code.yamlfile import YamlError

DEFAULT_DIR = Path(".limelight")
BACKTEST_DAYS = 7
EXIT_CHANGES = 2


def _dir_option(function: Any) -> Any:
    return click.option("--dir", "directory", type=click.Path(path_type=Path),
                        default=DEFAULT_DIR, show_default=True,
                        help="The folder of resource files.")(function)


def _folder_options(function: Any) -> Any:
    """--dir, --env and --var: which files, and which values their variables take."""
    function = click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                            help="Override a variable (repeatable).")(function)
    function = click.option("--env", default=None,
                            help="Environment whose variable values apply (else `default`).")(
        function)
    return _dir_option(function)


def _project(directory: Path, env: str | None, variables: tuple[str, ...]) -> Project:
    """The folder's resources; every problem printed and exit 1 if there is any."""
    try:
        project = load_project(directory, env, parse_overrides(variables))
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if project.issues:
        for issue in project.issues:
            click.echo(str(issue))
        count = len(project.issues)
        click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was sent.", err=True)
        click.get_current_context().exit(1)
    return project


def _service_of(directory: Path, service: str | None) -> str:
    if service:
        return service
    try:
        index = load_index(directory)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    if index.service is None:
        problems = "; ".join(str(i) for i in index.issues) or "no service in index.yml"
        raise click.ClickException(f"{problems} (or give --service)")
    return index.service


def _remote(conn: Connection, service: str) -> dict[str, dict[str, Any]]:
    found = conn.request("GET", "/api/resources", params={"service": service})
    return stored.specs_of(found["resources"])


def _backtests(conn: Connection, service: str, plan: Plan, project: Project) -> dict[str, str]:
    """A sentence per new or changed alert: how often it would have fired lately."""
    queries = {rid: r.properties for rid, r in project.resources.items() if r.type == "query"}
    lines: dict[str, str] = {}
    for change in plan.changes:
        if change.action == "remove" or change.type != "alert" or change.after is None:
            continue
        try:
            result = conn.request("POST", f"/api/resources/{quote(service)}/backtest", json={
                "alert": change.after["properties"], "queries": queries, "days": BACKTEST_DAYS})
        except click.ClickException as exc:
            unavailable = exc.message.startswith(("404", "405"))
            lines[change.id] = ("backtest unavailable: this server cannot backtest alerts"
                                if unavailable else f"backtest failed: {exc.message}")
            continue
        lines[change.id] = backtest_sentence(result, BACKTEST_DAYS)
    return lines


def _show_plan(conn: Connection, project: Project, service: str, directory: Path,
               env: str | None, backtest: bool) -> Plan:
    out = console()
    where = f" (env {env})" if env else ""
    out.print(Text(f"Service {service}: {len(project.resources)} resources in {directory}{where}, "
                   f"compared with {conn.url}", style="dim"))
    out.print()
    plan = make_plan(project.specs(), _remote(conn, service))
    print_plan(out, plan, _backtests(conn, service, plan, project) if backtest else {})
    return plan


@click.command()
@_dir_option
@click.option("--service", default=None, help="Service name (default: the current folder's).")
def init(directory: Path, service: str | None) -> None:
    """Write a starter .limelight/ folder: index, query, alert, channel, route, dashboard."""
    name = service_name(service, Path.cwd().name)
    files = starter_files(name)
    taken = [str(directory / f) for f in files if (directory / f).exists()]
    if taken:
        raise click.ClickException(f"{', '.join(taken)} already exist; init overwrites nothing")
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, text in files.items():
        (directory / file_name).write_text(text)
    click.echo(f"Wrote {len(files)} files to {directory} for service {name}: "
               f"{', '.join(files)}.\nNext: `limelight validate`, then `limelight plan`.")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


@click.command()
@_folder_options
def validate(directory: Path, env: str | None, variables: tuple[str, ...]) -> None:
    """Check every file; print each error as file:line: id.field: message."""
    project = _project(directory, env, variables)
    kinds = Counter(r.type for r in project.resources.values())
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    click.echo(f"Valid: service {project.service}, {_count(len(project.resources), 'resource')} "
               f"in {_count(len(project.files), 'file')}" + (f" ({detail})." if detail else "."))


@click.command()
@_folder_options
@click.option("--no-backtest", is_flag=True, help="Skip backtesting new and changed alerts.")
@connection_options
def plan(directory: Path, env: str | None, variables: tuple[str, ...], no_backtest: bool,
         url: str, api_key: str | None, data_dir: Path) -> None:
    """Show what apply would add, change and remove (exit 0: none, 2: changes, 1: error)."""
    project = _project(directory, env, variables)
    assert project.service is not None
    conn = connect(url, api_key, data_dir)
    found = _show_plan(conn, project, project.service, directory, env, not no_backtest)
    if found.has_changes:
        click.get_current_context().exit(EXIT_CHANGES)


@click.command()
@_folder_options
@click.option("-y", "--yes", is_flag=True, help="Apply without asking.")
@click.option("--no-backtest", is_flag=True, help="Skip backtesting new and changed alerts.")
@connection_options
def apply(directory: Path, env: str | None, variables: tuple[str, ...], yes: bool,
          no_backtest: bool, url: str, api_key: str | None, data_dir: Path) -> None:
    """Make the server's resources of this service match the files, all or nothing."""
    project = _project(directory, env, variables)
    service = project.service
    assert service is not None
    conn = connect(url, api_key, data_dir)
    found = _show_plan(conn, project, service, directory, env, not no_backtest)
    if not found.has_changes:
        return
    if not yes and not click.confirm(f"\nApply these changes to service {service}?"):
        raise click.ClickException("apply cancelled; nothing changed")
    done = conn.request("PUT", f"/api/resources/{quote(service)}", json=project.specs())
    click.echo(f"Apply complete: {len(done['add'])} added, {len(done['change'])} changed, "
               f"{len(done['remove'])} removed.")


@click.command()
@_dir_option
@click.option("--service", default=None, help="Service to pull (default: index.yml's).")
@connection_options
def pull(directory: Path, service: str | None, url: str, api_key: str | None,
         data_dir: Path) -> None:
    """Write the server's resources that no local file has into .limelight/pulled.yml."""
    name = _service_of(directory, service)
    try:
        _, sources = read_sources(directory)
        ids = local_ids(sources)
    except (OSError, YamlError) as exc:
        raise click.ClickException(str(exc)) from exc
    conn = connect(url, api_key, data_dir)
    missing = remote_only(_remote(conn, name), ids)
    if not missing:
        click.echo(f"Nothing to pull: every resource of service {name} on the server is in "
                   f"{directory}.")
        return
    path = free_path(directory)
    path.write_text(pulled_text(name, missing, conn.url))
    click.echo(f"Wrote {len(missing)} resources to {path}: {', '.join(missing)}")
    if any(stored.MASK in str(spec["properties"]) for spec in missing.values()):
        click.echo("Some secrets were masked (read with a non-admin key): fill them in.",
                   err=True)


@click.command()
@_dir_option
@click.option("--service", default=None, help="Service to destroy (default: index.yml's).")
@click.option("-y", "--yes", is_flag=True, help="Destroy without asking.")
@connection_options
def destroy(directory: Path, service: str | None, yes: bool, url: str, api_key: str | None,
            data_dir: Path) -> None:
    """Remove every resource of this service from the server (other services are untouched)."""
    name = _service_of(directory, service)
    conn = connect(url, api_key, data_dir)
    remote = _remote(conn, name)
    if not remote:
        click.echo(f"Nothing to destroy: the server has no resources of service {name}.")
        return
    out = console()
    found = make_plan({}, remote)
    for change in found.changes:
        print_change(out, Change("remove", change.id, change.type, change.before, None))
    out.print(Text(found.summary(), style="bold"))
    if not yes and not click.confirm(f"\nDestroy all {len(remote)} resources of service {name}?"):
        raise click.ClickException("destroy cancelled; nothing changed")
    done = conn.request("DELETE", f"/api/resources/{quote(name)}")
    click.echo(f"Destroy complete: {len(done['remove'])} removed.")


commands = [init, validate, plan, apply, pull, destroy]
