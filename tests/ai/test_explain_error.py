"""Ask AI about an error group: frequency, users, the release it came with, where it breaks."""

from __future__ import annotations

import random
import time

from click.testing import CliRunner

from limelight.ai.error_target import analyze_error
from limelight.ai.offline import explain_offline
from limelight.cli.main import main
from limelight.errors.event import ErrorEvent, add_error_row
from limelight.errors.fingerprint import fingerprint, group_id
from limelight.errors.frames import Frame
from limelight.model import Batch
from limelight.query.run import QueryEngine
from limelight.query.trace import fetch_trace
from limelight.store.duckdb import DuckDBStore
from tests.conftest import RunningServer
from tests.errors.helpers import settled

MINUTE_NS = 60 * 10**9
FRAMES = [Frame(function="handle", module="shop.api", filename="shop/api.py", lineno=10,
                in_app=True),
          Frame(function="charge", module="shop.payments", filename="shop/payments.py",
                lineno=42, context_line="raise ProviderTimeout(provider)", in_app=True)]


def test_an_error_that_came_with_a_release_is_blamed_on_it() -> None:
    """Version 2.4.1 rolls out 40 minutes ago; 5 minutes later payments start timing out."""
    store = DuckDBStore(None)
    rng = random.Random(3)
    now = time.time_ns()
    spans = Batch("otel")
    for minute in range(180, 0, -1):
        version = "2.4.1" if minute <= 40 else "2.4.0"
        for _ in range(5):
            spans.add(now - minute * MINUTE_NS + rng.randrange(MINUTE_NS), "payments", "shop",
                      "span", name="charge", duration_ms=20.0,
                      attrs={"service.version": version})
    errors = Batch("errors")
    trace_id = "ab" * 16
    for minute in range(35, 0, -1):
        for n in range(3):
            add_error_row(errors, ErrorEvent(
                timestamp_ns=now - minute * MINUTE_NS + n * 10**9, service="payments",
                namespace="shop", type="ProviderTimeout", message=f"acme timed out ({n})",
                source="sentry", frames=FRAMES, user_id=f"user-{minute % 7}",
                trace_id=trace_id if minute == 1 else None, attrs={"release": "2.4.1"}))
    failing = Batch("otel")
    failing.add(now - MINUTE_NS, "payments", "shop", "span", name="charge", trace_id=trace_id,
                span_id="cd" * 8, duration_ms=5000.0, status="error", error=True,
                message="acme timed out", attrs={"service.version": "2.4.1"})
    store.append([spans, errors, failing])
    group = {
        "id": group_id(fingerprint("ProviderTimeout", "acme timed out", FRAMES, None)),
        "title": "ProviderTimeout: acme timed out", "type": "ProviderTimeout",
        "message": "acme timed out", "culprit": "shop.payments in charge", "status": "active",
        "count": 105, "users": 7, "services": ["payments"],
        "first_seen_ms": (now - 35 * MINUTE_NS) // 10**6, "last_seen_ms": now // 10**6,
        "regressed_at_ms": None}
    samples = [{"time_ms": now // 10**6, "service": "payments", "trace_id": trace_id,
                "stack": [f.to_dict() for f in FRAMES]}]

    analysis = analyze_error({"group": group, "samples": samples}, QueryEngine(store).run,
                             lambda t: fetch_trace(store, t))
    release = analysis["release"]
    assert (release["key"], release["value"], release["share"]) == ("release", "2.4.1", 1.0)
    assert release["correlated"] is True  # 2.4.1 appeared 5 minutes before the group
    assert 4 * 60_000 <= release["group_started_after_ms"] <= 6 * 60_000
    assert analysis["trace"]["first_error"]["name"] == "charge"

    answer = explain_offline(analysis)
    assert answer["summary"].startswith(
        "ProviderTimeout: acme timed out: 105 events for 7 users in payments since ")
    assert "release 2.4.1" in answer["root_cause"]
    assert "shop.payments in charge" in answer["root_cause"]
    assert answer["actions"][0] == "Roll back 2.4.1 or ship a fix for shop.payments in charge."
    assert any("raise ProviderTimeout(provider)" in line for line in answer["evidence"])
    assert any(line.startswith("In its latest trace the error starts in payments / charge")
               for line in answer["evidence"])


def test_an_error_without_a_release_blames_where_it_breaks() -> None:
    store = DuckDBStore(None)
    now = time.time_ns()
    errors = Batch("errors")
    add_error_row(errors, ErrorEvent(timestamp_ns=now - MINUTE_NS, service="cart",
                                     namespace="shop", type="KeyError", message="'sku'",
                                     source="span", frames=FRAMES))
    store.append([errors])
    group = {"id": "g1", "title": "KeyError: 'sku'", "type": "KeyError", "message": "'sku'",
             "culprit": "shop.payments in charge", "status": "active", "count": 1, "users": 0,
             "services": ["cart"], "first_seen_ms": (now - MINUTE_NS) // 10**6,
             "last_seen_ms": (now - MINUTE_NS) // 10**6, "regressed_at_ms": None}
    analysis = analyze_error({"group": group, "samples": []}, QueryEngine(store).run,
                             lambda t: None)
    assert "release" not in analysis and "trace" not in analysis
    answer = explain_offline(analysis)
    assert answer["summary"].startswith("KeyError: 'sku': 1 event in cart since ")
    assert answer["root_cause"] == "KeyError in shop.payments in charge: 'sku'"


def test_a_release_that_ran_for_hours_before_the_error_is_not_blamed() -> None:
    store = DuckDBStore(None)
    now = time.time_ns()
    spans = Batch("otel")
    spans.add(now - 180 * MINUTE_NS, "payments", "shop", "span", name="charge",
              attrs={"service.version": "2.4.0"})
    errors = Batch("errors")
    add_error_row(errors, ErrorEvent(timestamp_ns=now - 35 * MINUTE_NS, service="payments",
                                     namespace="shop", type="ProviderTimeout",
                                     message="acme timed out", source="sentry", frames=FRAMES,
                                     attrs={"release": "2.4.0"}))
    store.append([spans, errors])
    group = {"id": group_id(fingerprint("ProviderTimeout", "acme timed out", FRAMES, None)),
             "title": "ProviderTimeout: acme timed out", "type": "ProviderTimeout",
             "message": "acme timed out", "culprit": "shop.payments in charge",
             "status": "active", "count": 1, "users": 0, "services": ["payments"],
             "first_seen_ms": (now - 35 * MINUTE_NS) // 10**6,
             "last_seen_ms": (now - 35 * MINUTE_NS) // 10**6, "regressed_at_ms": None}
    analysis = analyze_error({"group": group, "samples": []}, QueryEngine(store).run,
                             lambda t: None)
    assert analysis["release"]["correlated"] is False
    assert 144 * 60_000 < analysis["release"]["group_started_after_ms"] < 146 * 60_000
    answer = explain_offline(analysis)
    assert "likely cause" not in answer["root_cause"]
    assert not answer["actions"][0].startswith("Roll back")


def test_explaining_an_error_group_over_http_and_the_cli(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/events/app", json=[
            {"service": "billing", "release": "1.2.0", "user": {"id": f"u{n}"},
             "error": {"type": "PaymentError", "message": f"card {4000 + n} declined"}}
            for n in range(4)])
        assert response.status_code == 202, response.text
        settled(server)
        [group] = client.get("/api/errors").json()["errors"]
        answer = client.post("/api/explain", json={
            "target": {"kind": "error", "id": group["id"]}}).json()
        missing = client.post("/api/explain", json={"target": {"kind": "error", "id": "nope"}})
    assert answer["analysis"]["kind"] == "error"
    assert answer["analysis"]["error"]["count"] == 4
    assert answer["analysis"]["release"]["value"] == "1.2.0"
    assert answer["summary"].startswith("PaymentError: card 4003 declined: 4 events for 4 users "
                                        "in billing since ")
    assert missing.status_code == 404
    printed = CliRunner().invoke(main, ["explain", "--error", group["id"], "--url", server.url,
                                        "--data-dir", str(server.data_dir)])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith("PaymentError: card 4003 declined: 4 events")
