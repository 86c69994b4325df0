"""New and regressed error groups as alert Notifications, through the alerts' routes.

Routes of the service the error came from decide, when that service has any;
otherwise every service's routes that match do. Each channel is sent to once.
Deliveries go through the alerts' Dispatcher, so they are retried and
recorded like an alert's (under `SERVICE/error-GROUP`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from limelight.alerts.catalog import RESOURCES, Catalog
from limelight.alerts.channels.base import Notification
from limelight.alerts.delivery import Delivery, Dispatcher
from limelight.alerts.routes import matches_facts
from limelight.errors.group import NS_PER_MS, News
from limelight.store.api import MetaStore

SEVERITY = "error"
_HEADINGS = {"new": "New error", "regressed": "Regression"}


def notification_ref(service: str, group_id: str) -> str:
    """Where an error group's deliveries are recorded, beside the alerts'."""
    return f"{service}/error-{group_id}"


def notification(news: News, console_url: str, now_ms: int) -> Notification:
    group = news.group
    group_id = group["id"]
    since = group.get("regressed_at_ms") if news.kind == "regressed" else group["first_seen_ms"]
    culprit = group.get("culprit") or ""
    return Notification(
        event="firing",
        service=news.service,
        alert_id=f"error-{group_id}",
        name=f"{_HEADINGS[news.kind]}: {group['title']}",
        severity=SEVERITY,
        threshold="regressed after resolve" if news.kind == "regressed" else "new error group",
        calculation="events",
        group={"culprit": culprit} if culprit else {},
        instance=group_id,
        dedup_key=f"limelight-error-{group_id}",
        value=float(group["count"]),
        previous=None,
        change_pct=None,
        since_ms=int(since or now_ms),
        time_ms=now_ms,
        query={"datasets": ["errors"], "from": group["first_seen_ms"], "to": now_ms,
               "filters": [{"key": "error.group_id", "operation": "=", "value": group_id}]},
        link=f"{console_url.rstrip('/')}/errors/{group_id}",
        description=group.get("message") or "",
        labels={"kind": "error", "service": news.service},
    )


def targets(catalog: Catalog, note: Notification) -> list[tuple[str, dict[str, Any]]]:
    """(channel id, channel properties) to notify, each channel once."""
    route_services = sorted({service for service, kind in catalog.by_kind if kind == "route"})
    services = [note.service] if note.service in route_services else route_services
    facts = {**note.labels, "severity": note.severity}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for service in services:
        channels = catalog.of(service, "channel")
        for _, route in sorted(catalog.of(service, "route").items()):
            match = route.get("match") or {}
            if not isinstance(match, dict) or not matches_facts(match, facts):
                continue
            for channel_id in route.get("channels") or []:
                if isinstance(channel_id, str) and channel_id in channels:
                    found.setdefault((service, channel_id), channels[channel_id])
    return [(channel_id, channel) for (_, channel_id), channel in found.items()]


class ErrorNotifier:
    """Called on the tracker's thread; hands deliveries to the Dispatcher on the event loop."""

    def __init__(self, store: MetaStore, dispatcher: Dispatcher, console_url: str,
                 loop: asyncio.AbstractEventLoop,
                 clock: Callable[[], int] = time.time_ns) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.console_url = console_url
        self.loop = loop
        self.clock = clock

    def __call__(self, news: list[News]) -> None:
        catalog = Catalog.from_docs(self.store.meta_list(RESOURCES))
        now_ms = self.clock() // NS_PER_MS
        deliveries = []
        for item in news:
            note = notification(item, self.console_url, now_ms)
            deliveries += [Delivery(channel_id, channel, note)
                           for channel_id, channel in targets(catalog, note)]
        if deliveries:
            self.loop.call_soon_threadsafe(self._submit, deliveries)

    def _submit(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self.dispatcher.submit(delivery)
