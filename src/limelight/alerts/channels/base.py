"""What every channel gets (a Notification) and gives back (an Outcome), and shared helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx


class ChannelError(ValueError):
    """A channel's properties are wrong; `field` is the property's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ChannelErrors(ChannelError):
    """Every wrong property of a channel; reads as the first."""

    def __init__(self, errors: list[ChannelError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors


@dataclass(frozen=True)
class Notification:
    """One alert instance's news: it fires, repeats (reminder) or resolves."""

    event: Literal["firing", "resolved", "reminder"]
    service: str
    alert_id: str
    name: str
    severity: str
    threshold: str
    calculation: str
    group: dict[str, Any]
    instance: str  # the group's key
    dedup_key: str
    value: float | None
    previous: float | None
    change_pct: float | None
    since_ms: int  # when the instance entered its state
    time_ms: int  # the evaluation that produced this
    query: dict[str, Any]  # the spec evaluated, with the window's time range
    link: str  # the query in the console
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    # Why it resolved when not because the value recovered: the alert was disabled or
    # removed, and `value` is the last one seen, still past the threshold.
    reason: str = ""

    @property
    def ref(self) -> str:
        return f"{self.service}/{self.alert_id}"

    @property
    def state(self) -> Literal["firing", "resolved"]:
        return "resolved" if self.event == "resolved" else "firing"

    @property
    def group_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.group.items())

    @property
    def value_text(self) -> str:
        text = f"{self.calculation} = {number_text(self.value)}"
        if self.change_pct is not None:
            text += f" ({self.change_pct:+.1f}% vs {number_text(self.previous)} before)"
        return text

    @property
    def is_error_group(self) -> bool:
        """News of an error group (new or regressed) rather than of an alert."""
        return self.labels.get("kind") == "error"

    def summary(self) -> str:
        """One line: `[FIRING] Checkout errors: COUNT = 57 (threshold > 50) for route=/pay`."""
        if self.is_error_group:
            where = f" in {self.group_text.removeprefix('culprit=')}" if self.group else ""
            events = "event" if self.value == 1 else "events"
            return f"{self.name}{where} ({number_text(self.value)} {events}, {self.service})"
        head = {"firing": "FIRING", "reminder": "STILL FIRING", "resolved": "RESOLVED"}[self.event]
        if self.reason:
            text = (f"[{head}] {self.name}: {self.reason} (last {self.value_text}, "
                    f"threshold {self.threshold})")
        else:
            text = f"[{head}] {self.name}: {self.value_text} (threshold {self.threshold})"
        return f"{text} for {self.group_text}" if self.group else text


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None  # the receiver's HTTP (or SMTP) status
    detail: str = ""
    retryable: bool = False
    retry_after_s: float | None = None


def number_text(value: float | None) -> str:
    if value is None:
        return "no data"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return str(int(value))


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def console_link(public_url: str, spec: dict[str, Any]) -> str:
    encoded = quote(json.dumps(spec, separators=(",", ":"), sort_keys=True), safe="")
    return f"{public_url.rstrip('/')}/query?spec={encoded}"


async def post(client: httpx.AsyncClient, url: str, body: bytes,
               headers: dict[str, str] | None = None) -> Outcome:
    """POST a body; 2xx is delivered, 429/5xx and network failures are worth retrying."""
    try:
        response = await client.post(url, content=body, headers={
            "content-type": "application/json", "user-agent": "limelight", **(headers or {})})
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300], retryable=True)
    detail = response.text[:300]
    if response.is_success:
        return Outcome(True, response.status_code, detail)
    retry_after = response.headers.get("retry-after", "")
    return Outcome(
        False, response.status_code, detail,
        retryable=response.status_code == 429 or response.status_code >= 500,
        retry_after_s=float(retry_after) if retry_after.isdecimal() else None,
    )


def required_text(properties: dict[str, Any], key: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ChannelError(key, "is required (a non-empty string)")
    return value


def http_url(properties: dict[str, Any], key: str = "url") -> str:
    url = required_text(properties, key)
    if not url.startswith(("http://", "https://")):
        raise ChannelError(key, f"{url!r} is not an http(s) URL")
    return url
