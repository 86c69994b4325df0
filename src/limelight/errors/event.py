"""One error occurrence, whatever sent it, and its row in dataset `errors`.

The row keeps everything the error groups need (stack and breadcrumbs as JSON
text), so groups are built from committed rows alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from limelight.errors.fingerprint import culprit, fingerprint, group_id
from limelight.errors.frames import Frame
from limelight.model import AttrValue, Batch

ERRORS_DATASET = "errors"
ERROR_KIND = "error"
# Longest message kept on a row; longer ones are cut (the start says what happened).
MAX_MESSAGE_CHARS = 8192

_encode = msgspec.json.Encoder().encode


@dataclass
class ErrorEvent:
    timestamp_ns: int
    service: str
    namespace: str
    type: str
    message: str
    source: str  # sentry | span | log | event
    frames: list[Frame] = field(default_factory=list)
    level: str = "error"
    fingerprint: list[str] | None = None  # explicit, as the client sent it
    trace_id: str | None = None
    span_id: str | None = None
    user_id: str | None = None
    event_id: str | None = None
    breadcrumbs: list[dict[str, Any]] = field(default_factory=list)
    attrs: dict[str, AttrValue] = field(default_factory=dict)  # release, environment, tags

    @property
    def title(self) -> str:
        first_line = self.message.strip().split("\n", 1)[0]
        if self.type and first_line:
            return f"{self.type}: {first_line}"[:200]
        return (self.type or first_line or "(no message)")[:200]


def add_error_row(batch: Batch, event: ErrorEvent) -> None:
    """The event as a row of kind `error`, with its group id computed here (pure)."""
    parts = fingerprint(event.type, event.message, event.frames, event.fingerprint)
    attrs: dict[str, AttrValue] = {
        **event.attrs,
        "error.group_id": group_id(parts),
        "error.type": event.type,
        "error.message": event.message[:MAX_MESSAGE_CHARS],
        "error.title": event.title,
        "error.culprit": culprit(event.frames),
        "error.source": event.source,
        "error.fingerprint": _encode(parts).decode(),
    }
    if event.frames:
        attrs["error.stack"] = _encode([frame.to_dict() for frame in event.frames]).decode()
    if event.breadcrumbs:
        attrs["error.breadcrumbs"] = _encode(event.breadcrumbs).decode()
    if event.user_id:
        attrs["user.id"] = event.user_id
    if event.event_id:
        attrs["error.event_id"] = event.event_id
    batch.add(
        event.timestamp_ns,
        event.service,
        event.namespace,
        ERROR_KIND,
        name=event.type or "error",
        trace_id=event.trace_id,
        span_id=event.span_id,
        level=event.level,
        status="error",
        error=True,
        message=event.message[:MAX_MESSAGE_CHARS] or None,
        attrs=attrs,
    )
