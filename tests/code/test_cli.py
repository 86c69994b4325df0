"""`limelight init | validate | plan | apply | pull | destroy` against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from limelight.cli import code as code_cli
from limelight.cli.code_render import backtest_sentence
from limelight.cli.main import main
from limelight.code.project import Project
from tests.code.test_resources_api import listed, send_error_bursts
from tests.conftest import RunningServer


def cli(server: RunningServer | None, *args: str, input: str | None = None) -> Result:
    options = ["--url", server.url, "--api-key", server.admin_key] if server else []
    return CliRunner().invoke(main, [*args, *options], input=input, catch_exceptions=False)


def expect(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    return result.output


def remote(server: RunningServer, service: str) -> dict[str, Any]:
    return {d["id"]: d["properties"] for d in listed(server, service=service)}


def started(tmp_path: Path, service: str) -> Path:
    folder = tmp_path / service / ".limelight"
    expect(cli(None, "init", "--dir", str(folder), "--service", service), 0)
    return folder


def test_init_validate_plan_apply_change_remove(server: RunningServer, tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    d = ["--dir", str(folder)]
    assert "already exist" in expect(cli(None, "init", *d, "--service", "shop"), 1)
    assert expect(cli(None, "validate", *d), 0) == (
        "Valid: service shop, 5 resources in 3 files "
        "(1 alert, 1 channel, 1 dashboard, 1 query, 1 route).\n")

    planned = expect(cli(server, "plan", *d), 2)
    for line in ("+ errors-alert (alert) will be added",
                 "+ errors-by-namespace (query) will be added",
                 "+ overview (dashboard) will be added", "+ team-slack (channel) will be added",
                 "+ warnings-to-slack (route) will be added", "+     threshold: '> 10'",
                 "backtest: no stored events for its query in the last 7 days",
                 "Plan: 5 to add, 0 to change, 0 to remove."):
        assert line in planned
    assert remote(server, "shop") == {}

    applied = expect(cli(server, "apply", "-y", *d), 0)
    assert "Apply complete: 5 added, 0 changed, 0 removed." in applied
    assert remote(server, "shop")["errors-alert"]["parameters"]["threshold"] == "> 10"
    assert "No changes. 5 resources up to date." in expect(cli(server, "plan", *d), 0)

    prod = expect(cli(server, "plan", *d, "--env", "prod"), 2)
    assert "-     threshold: '> 10'\n    +     threshold: '> 50'" in prod
    assert "Plan: 0 to add, 1 to change, 0 to remove." in prod
    assert "threshold: '> 75'" in expect(cli(server, "plan", *d, "--var", "error_threshold=75"), 2)

    alerts = folder / "alerts.yml"
    alerts.write_text(alerts.read_text().replace("window: 5m ", "window: 10m"))
    (folder / "dashboards.yml").unlink()
    changed = expect(cli(server, "plan", *d), 2)
    assert "~ errors-alert (alert) will be changed" in changed
    assert "-     window: 5m\n    +     window: 10m" in changed
    assert "- overview (dashboard) will be removed" in changed
    assert "Plan: 0 to add, 1 to change, 1 to remove." in changed

    assert "apply cancelled" in expect(cli(server, "apply", *d, input="n\n"), 1)
    assert "overview" in remote(server, "shop")
    done = expect(cli(server, "apply", *d, input="y\n"), 0)
    assert "Apply these changes to service shop? [y/N]: y" in done
    assert "Apply complete: 0 added, 1 changed, 1 removed." in done
    now = remote(server, "shop")
    assert "overview" not in now and now["errors-alert"]["parameters"]["window"] == "10m"
    assert "No changes." in expect(cli(server, "apply", *d), 0)


def test_validate_prints_every_error_and_plan_refuses(server: RunningServer,
                                                       tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    (folder / "broken.yml").write_text(
        "bad-alert:\n  type: alert\n  properties:\n    name: Bad\n"
        "    parameters: {query: errors-by-namespace, threshold: above 3}\n"
        "bad-check:\n  type: check\n  properties: {url: 'https://x', interval: 1s}\n")
    errors = [f"{folder}/broken.yml:5: bad-alert.parameters.threshold: 'above 3' is not a",
              f"{folder}/broken.yml:8: bad-check.interval: must be at least 10s"]
    output = expect(cli(None, "validate", "--dir", str(folder)), 1)
    lines = output.splitlines()
    assert lines[0].startswith(errors[0]) and lines[1] == errors[1]
    assert "2 errors; nothing was sent." in output
    unknown = expect(cli(None, "validate", "--dir", str(folder), "--var", "x"), 1)
    assert "--var 'x': write name=value" in unknown
    assert expect(cli(server, "plan", "--dir", str(folder)), 1).splitlines()[1] == errors[1]
    assert remote(server, "shop") == {}
    assert "is not a folder" in expect(cli(None, "validate", "--dir", str(tmp_path / "no")), 1)


def test_one_file_is_one_file(tmp_path: Path) -> None:
    folder = tmp_path / ".limelight"
    folder.mkdir()
    (folder / "index.yml").write_text("version: 1\nservice: shop\n")
    (folder / "queries.yml").write_text(
        "q:\n  type: query\n  properties: {name: Q, parameters: {datasets: [otel]}}\n")
    assert "1 resource in 1 file " in expect(cli(None, "validate", "--dir", str(folder)), 0)


def test_a_misspelt_environment_or_variable_is_an_error(tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    output = expect(cli(None, "validate", "--dir", str(folder), "--env", "prdo"), 1)
    assert "--env 'prdo': no variable of index.yml names it (environments: prod)" in output
    output = expect(cli(None, "validate", "--dir", str(folder), "--var", "error_treshold=5"), 1)
    assert ("--var 'error_treshold': no such variable in index.yml (variables: "
            "error_threshold, slack_url)") in output
    assert "Valid" in expect(cli(None, "validate", "--dir", str(folder), "--env", "prod"), 0)


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    (folder / "latin.yml").write_bytes(b"x:\n  type: query\n  properties: {name: caf\xe9}\n")
    for command in ("validate", "pull"):
        output = expect(cli(None, command, "--dir", str(folder)), 1)
        assert (f"{folder}/latin.yml:3: not valid UTF-8 (byte 0xe9 at column 25); save the "
                "file as UTF-8") in output


def test_plan_exits_1_when_the_server_cannot_be_reached(tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    result = CliRunner().invoke(main, ["plan", "--dir", str(folder), "--url",
                                       "http://127.0.0.1:9", "--api-key", "k"])
    assert result.exit_code == 1
    assert "cannot reach Limelight" in result.output


def test_two_services_never_touch_each_other(server: RunningServer, tmp_path: Path) -> None:
    shop, billing = started(tmp_path, "shop"), started(tmp_path, "billing")
    expect(cli(server, "apply", "-y", "--dir", str(shop)), 0)
    assert "Plan: 5 to add" in expect(cli(server, "apply", "-y", "--dir", str(billing)), 0)
    (shop / "dashboards.yml").unlink()
    (shop / "channels.yml").unlink()
    expect(cli(server, "apply", "-y", "--dir", str(shop), "--var", "slack_url=x"), 0)
    assert sorted(remote(server, "shop")) == ["errors-alert", "errors-by-namespace"]
    assert len(remote(server, "billing")) == 5
    assert "No changes" in expect(cli(server, "plan", "--dir", str(billing)), 0)
    destroyed = expect(cli(server, "destroy", "-y", "--dir", str(shop)), 0)
    assert "- errors-alert (alert) will be removed" in destroyed
    assert "Destroy complete: 2 removed." in destroyed
    assert remote(server, "shop") == {} and len(remote(server, "billing")) == 5
    assert "Nothing to destroy" in expect(cli(server, "destroy", "-y", "--dir", str(shop)), 0)
    assert "destroy cancelled" in expect(
        cli(server, "destroy", "--service", "billing", input="n\n"), 1)
    assert len(remote(server, "billing")) == 5


def test_apply_is_all_or_nothing_when_the_server_refuses(
    server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = started(tmp_path, "shop")
    expect(cli(server, "apply", "-y", "--dir", str(folder)), 0)
    before = remote(server, "shop")
    # A client that lets a bad alert through: the server checks again and refuses the set.
    real = code_cli.load_project

    def lenient(*args: Any) -> Project:
        project = real(*args)
        project.issues = []
        return project

    monkeypatch.setattr(code_cli, "load_project", lenient)
    (folder / "dashboards.yml").unlink()
    (folder / "more.yml").write_text(
        "new-query:\n  type: query\n  properties: {name: N, parameters: {}}\n"
        "bad-alert:\n  type: alert\n  properties:\n    name: Bad\n"
        "    parameters: {query: new-query, threshold: above 3}\n")
    output = expect(cli(server, "apply", "-y", "--no-backtest", "--dir", str(folder)), 1)
    assert "Plan: 2 to add, 0 to change, 1 to remove." in output
    assert "400: 1 problem, nothing changed: bad-alert.parameters.threshold: 'above 3'" in output
    assert remote(server, "shop") == before


def test_pull_writes_what_only_the_server_has(server: RunningServer, tmp_path: Path) -> None:
    folder = started(tmp_path, "shop")
    expect(cli(server, "apply", "-y", "--dir", str(folder)), 0)
    (folder / "channels.yml").rename(tmp_path / "channels.yml")
    (folder / "dashboards.yml").unlink()
    pulled = expect(cli(server, "pull", "--dir", str(folder)), 0)
    assert f"Wrote 3 resources to {folder}/pulled.yml: overview, team-slack, warnings-to-slack" \
        in pulled
    text = (folder / "pulled.yml").read_text()
    assert "url: https://hooks.slack.com/services/REPLACE/ME" in text
    assert "errors-alert" not in text  # local resources are never written
    assert "No changes" in expect(cli(server, "plan", "--dir", str(folder)), 0)
    assert "Nothing to pull" in expect(cli(server, "pull", "--dir", str(folder)), 0)
    (folder / "pulled.yml").write_text("# my edits\n")
    expect(cli(server, "pull", "--dir", str(folder)), 0)
    assert (folder / "pulled.yml").read_text() == "# my edits\n"
    assert "team-slack:" in (folder / "pulled-2.yml").read_text()


def test_plan_backtests_a_new_alert_on_stored_events(server: RunningServer,
                                                      tmp_path: Path) -> None:
    send_error_bursts(server, 3)
    folder = tmp_path / ".limelight"
    folder.mkdir()
    (folder / "index.yml").write_text("version: 1\nservice: shop\n")
    (folder / "errors.yml").write_text(
        "errors:\n  type: query\n  properties:\n    name: Errors\n"
        "    parameters: {datasets: [app], calculations: [COUNT], filters: ['$error = true']}\n"
        "errors-alert:\n  type: alert\n  properties:\n    name: Errors\n"
        "    parameters: {query: errors, threshold: '> 10', frequency: 1m, window: 2m}\n")
    output = expect(cli(server, "plan", "--dir", str(folder)), 2)
    assert "+ errors-alert (alert) will be added\n" in output
    assert "backtest: would have fired 3 times in the 1 hour of data there is" in output
    assert "backtest:" not in expect(cli(server, "plan", "--no-backtest", "--dir", str(folder)),
                                     2)


@pytest.mark.parametrize(("result", "sentence"), [
    ({"fired": 3, "evaluations": 10080, "covered_ns": 7 * 86_400 * 10**9},
     "backtest: would have fired 3 times in 7 days"),
    ({"fired": 1, "evaluations": 3600, "covered_ns": int(2.5 * 86_400 * 10**9)},
     "backtest: would have fired once in the 2.5 days of data there is"),
    ({"fired": 0, "evaluations": 3, "covered_ns": 180 * 10**9},
     "backtest: would have fired 0 times in the 3 minutes of data there is"),
    ({"fired": 0, "evaluations": 0, "covered_ns": 0},
     "backtest: no stored events for its query in the last 7 days"),
])
def test_backtest_sentences(result: dict[str, int], sentence: str) -> None:
    assert backtest_sentence(result, 7) == sentence


def test_plan_says_when_the_server_cannot_backtest(
    server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = started(tmp_path, "shop")
    real = code_cli.Connection.request

    def without_backtest(self: Any, method: str, path: str, **kwargs: Any) -> Any:
        return real(self, method, path.replace("/backtest", "/gone/backtest"), **kwargs)

    monkeypatch.setattr(code_cli.Connection, "request", without_backtest)
    output = expect(cli(server, "plan", "--dir", str(folder)), 2)
    assert "backtest unavailable: this server cannot backtest alerts" in output
