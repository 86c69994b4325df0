"""Alerts as the API shows them: definition, overall state and each instance."""

from __future__ import annotations

from typing import Any

from limelight.alerts.catalog import Catalog, split_ref
from limelight.alerts.history import AlertState
from limelight.alerts.routes import channel_ids
from limelight.alerts.rules import AlertRule, RuleError

_STATE_ORDER = {"firing": 0, "resolved": 1, "ok": 2}


def alert_view(ref: str, properties: dict[str, Any], rule: AlertRule | RuleError,
               state: AlertState | None, catalog: Catalog, now_ms: int) -> dict[str, Any]:
    service, alert_id = split_ref(ref)
    params = properties.get("parameters") if isinstance(properties.get("parameters"), dict) else {}
    state = state or AlertState(ref)
    instances = sorted(state.instances.values(),
                       key=lambda i: (_STATE_ORDER[i.state], -(i.value or 0), i.key))
    view: dict[str, Any] = {
        "service": service,
        "id": alert_id,
        "name": properties.get("name", alert_id),
        "severity": properties.get("severity", "warning"),
        "description": properties.get("description", ""),
        "query": (params or {}).get("query"),
        "threshold": (params or {}).get("threshold"),
        "frequency": (params or {}).get("frequency"),
        "window": (params or {}).get("window"),
        "labels": properties.get("labels", {}),
        "enabled": properties.get("enabled", True) is not False,
        "instances": [i.to_doc() for i in instances],
        "last_eval_ms": state.last_eval_ms or None,
        "last_error": state.last_error,
        "last_notification": state.last_notification,
    }
    if isinstance(rule, RuleError):
        view |= {"state": "invalid", "error": str(rule), "channels": [], "snoozed_until_ms": None}
        return view
    snooze_ms = state.snoozed_until_ms(rule)
    view["channels"] = channel_ids(rule, catalog.of(service, "route"))
    view["snoozed_until_ms"] = snooze_ms if snooze_ms > now_ms else None
    view["state"] = overall_state(rule, state)
    firing = [i for i in instances if i.state == "firing"]
    view["value"] = (firing or instances)[0].value if instances else None
    return view


def overall_state(rule: AlertRule, state: AlertState) -> str:
    """disabled, pending (not evaluated yet), error (its query fails), firing, or ok."""
    if not rule.enabled:
        return "disabled"
    if any(i.state == "firing" for i in state.instances.values()):
        return "firing"
    if state.last_error:
        return "error"
    if not state.last_eval_ms:
        return "pending"
    return "ok"
