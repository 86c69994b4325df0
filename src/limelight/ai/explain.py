"""Explain a target: analyse locally, pseudonymise, ask the provider (or not), restore, audit."""

from __future__ import annotations

import time
from typing import Any

from limelight.ai.analyze import TraceFn
from limelight.ai.offline import explain_offline
from limelight.ai.provider import ProviderConfig, ProviderError, build_payload, complete
from limelight.ai.redact import Pseudonymiser
from limelight.ai.targets import analyze_target
from limelight.exceptions import BadRequest
from limelight.query.run import QueryFn
from limelight.store.api import MetaStore

AUDIT = "ai_audit"
OFFLINE = "offline"


def _restore(answer: dict[str, Any], pseudonymiser: Pseudonymiser) -> dict[str, Any]:
    def back(text: Any) -> Any:
        return pseudonymiser.restore(text) if isinstance(text, str) else text

    return {
        "summary": back(answer["summary"]),
        "root_cause": back(answer["root_cause"]),
        "evidence": [back(e) for e in answer["evidence"]],
        "actions": [back(a) for a in answer["actions"]],
    }


def explain(
    request: dict[str, Any],
    query: QueryFn,
    trace: TraceFn,
    meta: MetaStore,
    provider: ProviderConfig | None,
    blocked_keys: tuple[str, ...] = (),
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    target = request.get("target")
    if not isinstance(target, dict):
        raise BadRequest('give {"target": {"kind": "query" | "trace" | "event", ...}}')
    preview = bool(request.get("preview"))
    analysis = analyze_target(target, query, trace, context)
    offline = explain_offline(analysis)
    if provider is None:
        return {**offline, "analysis": analysis, "provider": OFFLINE, "sent_payload": None,
                "preview": preview}
    pseudonymiser = Pseudonymiser(blocked_keys)
    payload = build_payload(provider, pseudonymiser.document(analysis))
    response: dict[str, Any] = {"analysis": analysis, "sent_payload": payload,
                                "preview": preview, "provider": provider.model}
    if preview:
        return {**offline, **response, "note": "preview: nothing was sent"}
    started = time.time_ns()
    outcome = "ok"
    try:
        answer = _restore(complete(provider, payload), pseudonymiser)
    except ProviderError as exc:
        outcome = str(exc)
        answer = {**offline}
        response["note"] = f"the provider failed ({exc}); this is the offline explanation"
        response["provider"] = OFFLINE
    meta.meta_put(AUDIT, f"{started:020d}", {
        "time_ns": started, "target": target, "provider_url": provider.base_url,
        "model": provider.model, "payload": payload, "outcome": outcome,
        "pseudonyms": pseudonymiser.mapping_size, "dropped_keys": sorted(
            pseudonymiser.dropped_keys),
    })
    return {**answer, **response}


def audit_log(meta: MetaStore, limit: int = 100) -> list[dict[str, Any]]:
    """Outbound payloads, newest first."""
    entries = meta.meta_list(AUDIT)
    return [entries[key] for key in sorted(entries, reverse=True)[:limit]]
