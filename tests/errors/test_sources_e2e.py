"""Errors from OpenTelemetry spans and logs (the real SDK) and from events, grouped alike."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import StatusCode

from tests.conftest import RunningServer
from tests.errors.helpers import group_detail, groups, import_path, settled, write_version
from tests.query.sdk import finish, finish_logs, logger_provider, tracer_provider


def _failure(function: Callable[[int], object], order: int) -> Exception:
    """One call site for every failure: the stack differs only where the bug is."""
    try:
        function(order)
    except Exception as exc:
        return exc
    raise AssertionError("expected an exception")


def _versions(tmp_path: Path) -> tuple[ModuleType, ModuleType]:
    return (import_path(write_version(tmp_path / "v1", 0, "5f2a9c1e"), "shop"),
            import_path(write_version(tmp_path / "v2", 9, "88bb1c2d"), "shop"))


def test_span_exception_events_and_error_logs_group_by_stack(
    server: RunningServer, tmp_path: Path,
) -> None:
    v1, v2 = _versions(tmp_path)
    key = server.create_key("ingest")
    provider, exporter = tracer_provider(server, key, {"service.name": "checkout",
                                                       "service.version": "2.0.1"})
    tracer = provider.get_tracer("shop")
    for function, order in ((v1.charge, 11), (v2.charge, 22), (v2.ship, 33)):
        with tracer.start_as_current_span("POST /checkout", record_exception=False) as span:
            span.record_exception(_failure(function, order))
            span.set_status(StatusCode.ERROR)
    with tracer.start_as_current_span("GET /healthy"):
        pass
    finish(provider, exporter, 4)
    settled(server)

    found = {g["type"]: g for g in groups(server)}
    assert set(found) == {"ValueError", "KeyError"}
    charge = found["ValueError"]
    assert (charge["count"], charge["culprit"], charge["sources"]) == (
        2, "shop in charge", ["span"])
    sample = group_detail(server, charge["id"])["samples"][0]
    assert sample["trace_id"] and sample["span_id"]
    assert sample["attributes"]["release"] == "2.0.1"
    assert [f["function"] for f in sample["stack"]][-1] == "charge"

    # The same bug logged with its traceback joins the group; plain error logs do not.
    logs, log_exporter = logger_provider(server, key, {"service.name": "checkout"})
    logger = logs.get_logger("shop")
    exc = _failure(v1.charge, 44)
    logger.emit(severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                body="charge failed", attributes={
                    "exception.type": type(exc).__name__, "exception.message": str(exc),
                    "exception.stacktrace": "".join(traceback.format_exception(exc)),
                    "user.id": "u-7"})
    logger.emit(severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                body="disk almost full")
    finish_logs(logs, log_exporter, 2)
    settled(server)
    after = group_detail(server, charge["id"])["group"]
    assert (after["count"], after["users"], sorted(after["sources"])) == (3, 1, ["log", "span"])
    assert len(groups(server)) == 2


def test_events_with_an_error_field(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/events/app", json=[
            {"service": "billing", "error": {"type": "PaymentError",
                                             "message": "card 4242 declined for cus_Nf2x9Qa1"}},
            {"service": "billing", "error": {"type": "PaymentError",
                                             "message": "card 1881 declined for cus_Zz81kLq0"}},
            {"service": "billing", "error": "inventory sync failed after 3 retries"},
            {"service": "billing", "error": False, "message": "all good"},
            {"service": "billing", "message": "no error here"},
        ])
        assert response.status_code == 202, response.text
    settled(server)
    found = {g["title"]: g for g in groups(server, service="billing")}
    assert set(found) == {"PaymentError: card 1881 declined for cus_Zz81kLq0",
                          "inventory sync failed after 3 retries"}
    assert found["PaymentError: card 1881 declined for cus_Zz81kLq0"]["count"] == 2
    rows = server.query({"datasets": ["errors"], "from": "1h"})["events"]
    assert sorted(r["error.source"] for r in rows) == ["event"] * 3  # type: ignore[index]


def test_an_error_told_by_its_span_and_its_log_counts_once(
    server: RunningServer, tmp_path: Path,
) -> None:
    v1, _ = _versions(tmp_path)
    key = server.create_key("ingest")
    provider, exporter = tracer_provider(server, key, {"service.name": "billing"})
    logs, log_exporter = logger_provider(server, key, {"service.name": "billing"})
    tracer, logger = provider.get_tracer("shop"), logs.get_logger("shop")
    for order in (55, 66):  # two failures, each recorded on its span and logged in it
        with tracer.start_as_current_span("POST /invoice", record_exception=False) as span:
            exc = _failure(v1.charge, order)
            span.record_exception(exc)
            span.set_status(StatusCode.ERROR)
            logger.emit(severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                        body="invoice failed", attributes={
                            "exception.type": type(exc).__name__,
                            "exception.message": str(exc),
                            "exception.stacktrace": "".join(traceback.format_exception(exc))})
    finish(provider, exporter, 2)
    finish_logs(logs, log_exporter, 2)
    settled(server)
    [billing] = [g for g in groups(server) if g["type"] == "ValueError"
                 and group_detail(server, g["id"])["samples"][0]["service"] == "billing"]
    assert billing["count"] == 2
