"""The CLI against a real server: keys, query (table, chart, JSON, spec file) and tail."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from limelight.cli.main import main
from tests.conftest import RunningServer


def run(server: RunningServer, *args: str, key: str | None = None) -> str:
    options = ["--url", server.url, "--data-dir", str(server.data_dir)]
    if key:
        options += ["--api-key", key]
    result = CliRunner().invoke(main, [*args, *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def seed(server: RunningServer) -> None:
    events = [
        {"message": f"request {i}", "duration": float(i), "route": "/a" if i % 3 else "/b",
         "service": "shop", "level": "error" if i % 5 == 0 else "info"}
        for i in range(30)
    ]
    with server.client() as client:
        assert client.post("/v1/events/app", json=events).status_code == 202


def test_keys_create_prints_only_the_key_and_uses_the_local_admin_key(
    server: RunningServer,
) -> None:
    # No --api-key: the CLI reads the admin key the server wrote in its data dir.
    output = run(server, "keys", "create", "--scope", "ingest", "--name", "ci")
    key = output.strip()
    assert key.startswith("ll_i_") and "\n" not in key
    with server.client(key) as client:
        assert client.post("/v1/events/app", json=[{"message": "x"}]).status_code == 202
    listed = run(server, "keys", "list")
    assert "ingest" in listed and "ci" in listed
    key_id = next(line.split()[1] for line in listed.splitlines() if " ci " in line)
    run(server, "keys", "revoke", key_id)
    with server.client(key) as client:
        assert client.post("/v1/events/app", json=[{"message": "x"}]).status_code == 401


def test_query_table_with_trend_and_json(server: RunningServer) -> None:
    seed(server)
    table = run(server, "query", "-d", "app", "-c", "COUNT", "-c", "MAX($duration_ms) as worst",
                "-g", "route", "--from", "1h")
    assert "/a" in table and "/b" in table and "worst" in table
    assert "20" in table and "29" in table  # /a has 20 events, the worst of them took 29 ms
    raw = json.loads(run(server, "query", "-d", "app", "-c", "COUNT", "-f", "$level = error",
                         "--json"))
    assert raw["aggregates"][0]["values"]["COUNT"] == 6


def test_query_from_a_spec_file_and_needle(server: RunningServer, tmp_path: Path) -> None:
    seed(server)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"datasets": ["app"], "limit": 3}))
    output = run(server, "query", "--file", str(spec), "-n", "request 1")
    lines = [line for line in output.splitlines() if "request" in line]
    assert lines and all("request 1" in line for line in lines)


def test_query_errors_are_one_line_not_a_traceback(server: RunningServer) -> None:
    result = CliRunner().invoke(main, ["query", "-c", "P98(x)", "--url", server.url,
                                       "--data-dir", str(server.data_dir)])
    assert result.exit_code == 1
    assert "unknown calculation 'P98'" in result.output
    assert "Traceback" not in result.output


def test_group_values_are_printed_literally(server: RunningServer) -> None:
    tags = ["[/]", "[bold red]x", "[br]", True, None]
    with server.client() as client:
        assert client.post("/v1/events/marks", json=[
            {"message": "m"} if tag is None else {"tag": tag} for tag in tags
        ]).status_code == 202
    table = run(server, "query", "-d", "marks", "-c", "COUNT", "-g", "tag", "--from", "1h")
    for shown in ("[/]", "[bold red]x", "[br]", "true", "(null)"):
        assert shown in table


def test_spec_files_that_are_not_a_spec_name_the_file(server: RunningServer,
                                                      tmp_path: Path) -> None:
    listed, binary = tmp_path / "list.json", tmp_path / "utf16.json"
    listed.write_text("[1, 2]")
    binary.write_bytes(b"\xff\xfe{\x00}\x00")
    for path, problem in ((listed, "a query spec is a JSON object, not list"),
                          (binary, "not UTF-8 text")):
        result = CliRunner().invoke(main, ["query", "--file", str(path), "--url", server.url,
                                           "--data-dir", str(server.data_dir)])
        assert result.exit_code == 1
        assert f"{path}: {problem}" in result.output
        assert "Traceback" not in result.output


def test_limits_out_of_range_are_usage_errors(tmp_path: Path) -> None:
    for command in ("tail", "query"):
        result = CliRunner().invoke(main, [command, "--limit", "0", "--url", "http://127.0.0.1:9",
                                           "--data-dir", str(tmp_path)])
        assert result.exit_code == 2
        assert "0 is not in the range 1<=x<=10000" in result.output


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--url", "http://127.0.0.1:9",
                                       "--api-key", "k", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "cannot reach Limelight" in result.output


def test_event_lines_are_not_wrapped_when_piped(server: RunningServer) -> None:
    # One event per line whatever the width, so `limelight tail | grep` sees whole events.
    message = "a long message " + "word " * 40
    with server.client() as client:
        assert client.post("/v1/events/wide", json=[{"message": message}]).status_code == 202
    for command in (["tail", "-d", "wide"], ["query", "-d", "wide"]):
        lines = run(server, *command).splitlines()
        assert any(message.strip() in line for line in lines), lines


def test_tail_follow_prints_events_sent_while_it_runs(server: RunningServer) -> None:
    seed(server)
    process = subprocess.Popen(
        [sys.executable, "-m", "limelight", "tail", "-f", "--json", "--interval", "0.2",
         "-d", "app", "--limit", "5", "--url", server.url, "--api-key", server.admin_key],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        initial = [json.loads(process.stdout.readline()) for _ in range(5)]
        assert [e["$message"] for e in initial] == [f"request {i}" for i in range(25, 30)]
        time.sleep(0.3)
        with server.client() as client:
            client.post("/v1/events/app", json=[{"message": "late arrival"}])
        arrived = json.loads(process.stdout.readline())
        assert arrived["$message"] == "late arrival"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_tail_follow_waits_for_a_dataset_and_key_that_do_not_exist_yet(
    server: RunningServer,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "limelight", "tail", "-f", "--json", "--interval", "0.2",
         "-d", "later", "--filter", "order.id EXISTS", "--url", server.url,
         "--api-key", server.admin_key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(1.0)
        assert process.poll() is None  # still waiting, not failed
        with server.client() as client:
            client.post("/v1/events/later", json=[{"message": "no order"},
                                                  {"message": "first", "order": {"id": 7}}])
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["$message"] == "first"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_url_without_a_scheme_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--url", "not-a-url", "--api-key", "k",
                                       "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "--url 'not-a-url' is not a server address: give http://HOST:PORT" in result.output


def test_a_401_without_a_key_says_where_the_key_was_looked_for(server: RunningServer,
                                                               tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["query", "--url", server.url, "--data-dir", str(elsewhere)],
                                env={"LIMELIGHT_API_KEY": ""})
    assert result.exit_code == 1
    assert f"no key was given (none in {elsewhere / 'admin.key'})" in result.output
    assert "--api-key or LIMELIGHT_API_KEY" in result.output


def test_ctrl_c_stops_tail_follow_cleanly(server: RunningServer) -> None:
    seed(server)
    process = subprocess.Popen(
        [sys.executable, "-m", "limelight", "tail", "-f", "--interval", "0.2", "-d", "app",
         "--url", server.url, "--api-key", server.admin_key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=10)
    assert process.returncode == 0 and "Aborted" not in errors and "Traceback" not in errors
