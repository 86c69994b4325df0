"""Live tail over Server-Sent Events: GET /api/tail streams events as they arrive.

`?dataset=` (repeatable; default every dataset), `?filter=` (repeatable, the query
spec's string form; all must match) and `?needle=`. Each event is one SSE message
of type `event` whose data is the event as /api/query returns it; a comment after
every poll keeps proxies from closing an idle stream. Only events arriving after
the stream opened are sent. Each message's SSE id is where the tail stands, so a
browser that reconnects (sending it back as Last-Event-ID) misses nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from limelight.api.http import requires, still_allowed
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest
from limelight.query.parse import MOST
from limelight.query.run import QueryFn
from limelight.query.tail import LOOKBACK, arrived, in_arrival_order, tail_spec
from limelight.runtime import Runtime

POLL_S = 1.0
BATCH = 500
MOST_DATASETS = MOST["datasets"]
MOST_PER_POLL = 10_000  # per dataset; the rest comes with the next poll, at once
_encode = msgspec.json.Encoder().encode


@requires(Scope.QUERY)
async def tail(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    known = runtime.store.schemas()
    names = request.query_params.getlist("dataset") or sorted(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadRequest(f"dataset: unknown {', '.join(unknown)}; send data to it first")
    if len(names) > MOST_DATASETS:  # each is read every second
        raise BadRequest(f"dataset: {len(names)} datasets; a tail follows at most "
                         f"{MOST_DATASETS}: name them with ?dataset=")
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    if request.method == "HEAD":  # the stream's headers, without a stream that never ends
        return Response(headers=headers, media_type="text/event-stream")
    filters = request.query_params.getlist("filter")
    needle = request.query_params.get("needle") or None
    run = runtime.engine.run
    # Start after the newest event of each dataset now; a bad filter fails here, as a 400,
    # rather than inside a stream that already answered 200.
    resumed = _parse_position(request.headers.get("last-event-id", ""))
    last_ids = {name: resumed[name] if name in resumed
                else await run_in_threadpool(_newest_id, run, name, filters, needle)
                for name in names}

    async def stream() -> AsyncIterator[bytes]:
        yield b": tailing\n\n"
        # A revoked key or an ended console session ends the stream at the next poll.
        while not await request.is_disconnected() and still_allowed(request, Scope.QUERY):
            found: list[dict[str, Any]] = []
            behind = False
            for name in names:
                events = await run_in_threadpool(arrived, run, name, filters, needle,
                                                 last_ids[name], BATCH, MOST_PER_POLL)
                behind = behind or len(events) >= MOST_PER_POLL
                found += events
            for event in in_arrival_order(found):
                dataset = event["$dataset"]
                last_ids[dataset] = max(last_ids[dataset], event["$id"])
                position = ",".join(f"{n}:{i}" for n, i in last_ids.items()).encode()
                yield b"event: event\nid: " + position + b"\ndata: " + _encode(event) + b"\n\n"
            yield b": poll\n\n"
            if not behind:
                await asyncio.sleep(POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _newest_id(run: QueryFn, name: str, filters: list[str], needle: str | None) -> int:
    run(tail_spec(name, filters, needle, 0, 1))  # validates the filters
    newest = run({"datasets": [name], "from": LOOKBACK, "calculations": ["MAX($id) as last"]})
    return int(newest["aggregates"][0]["values"]["last"] or 0)


def _parse_position(text: str) -> dict[str, int]:
    """`otel:12,logs:40` (an SSE id this endpoint sent) as last ids; junk is ignored."""
    position = {}
    for part in text.split(","):
        name, _, last = part.rpartition(":")
        if name and last.isdecimal():
            position[name] = int(last)
    return position


routes = [Route("/api/tail", tail, methods=["GET"])]
