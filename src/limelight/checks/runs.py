"""Each check run as an event of dataset `checks`, written through the ingest queue."""

from __future__ import annotations

from limelight.checks.notify import display_name
from limelight.checks.probe import ProbeResult
from limelight.checks.spec import CheckSpec
from limelight.model import AttrValue, Batch

NS_PER_MS = 1_000_000


def add_run(batch: Batch, service: str, check_id: str, spec: CheckSpec,
            result: ProbeResult) -> None:
    """One row: `check`, `url`, `method`, `ok`, `status`, `latency_ms`, `error`, `tls_days`."""
    attrs: dict[str, AttrValue | None] = {
        "check": check_id, "url": spec.url, "method": spec.method, "ok": result.ok,
        "status": result.status, "latency_ms": result.latency_ms, "error": result.error,
        "tls_days": result.tls_days,
    }
    batch.add(
        result.time_ms * NS_PER_MS,
        service,
        service,
        "check",
        name=display_name(check_id, spec),
        duration_ms=result.latency_ms,
        level="info" if result.ok else "error",
        error=not result.ok,
        message=result.error,
        attrs={k: v for k, v in attrs.items() if v is not None},
    )

