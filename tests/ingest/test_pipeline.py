"""The ingest queue commits many requests together, and one request's bad rows fail only
that request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from limelight.exceptions import BadRequest, RowsRejected, Unavailable
from limelight.ingest.pipeline import IngestQueue
from limelight.model import Batch
from limelight.store.duckdb import DuckDBStore


def events(dataset: str, count: int, timestamp_ns: int = 1_000) -> Batch:
    batch = Batch(dataset)
    for i in range(count):
        batch.add(timestamp_ns + i, "svc", "svc", "event", attrs={"i": i})
    return batch


async def submit_together(queue: IngestQueue, requests: list[list[Batch]]) -> list[object]:
    """Every request queued before the writer starts, so they meet in one commit."""
    tasks = [asyncio.ensure_future(queue.submit(batches)) for batches in requests]
    await asyncio.sleep(0)
    queue.start()
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "limelight.duckdb")


def test_requests_share_a_commit(store: DuckDBStore) -> None:
    queue = IngestQueue(store, max_rows=10_000)
    answers = asyncio.run(submit_together(queue, [[events("a", 3)], [events("b", 2)]]))
    queue.stop()
    assert answers == [None, None]
    assert queue.commits == 1 and queue.committed_rows == 5


def test_bad_rows_fail_only_their_request(store: DuckDBStore) -> None:
    queue = IngestQueue(store, max_rows=10_000)
    bad = events("a", 1)
    bad.system["$duration_ms"][0] = "slow"  # no duration column holds it
    answers = asyncio.run(submit_together(
        queue, [[events("a", 3)], [events("b", 1), bad], [events("b", 4)]]))
    queue.stop()
    assert answers[0] is None and answers[2] is None
    assert isinstance(answers[1], RowsRejected)  # a 400: retrying would fail again
    assert queue.committed_rows == 7
    assert store.execute('SELECT count(*) FROM "a"')[1][0][0] == 3
    assert store.execute('SELECT count(*) FROM "b"')[1][0][0] == 4  # not the bad request's


def test_a_store_failure_is_unavailable(store: DuckDBStore) -> None:
    queue = IngestQueue(store, max_rows=10_000)
    store.close()  # every commit now fails, and not because of the rows
    answers = asyncio.run(submit_together(queue, [[events("a", 1)], [events("b", 1)]]))
    queue.stop()
    assert all(isinstance(answer, Unavailable) for answer in answers)
    assert queue.committed_rows == 0


@pytest.mark.parametrize("stamp", [2**63 - 1, 2**63, 10**20, -(2**63) - 1])
def test_a_time_no_store_keeps_refuses_the_request(store: DuckDBStore, stamp: int) -> None:
    queue = IngestQueue(store, max_rows=10_000)
    queue.start()
    good, bad = events("a", 2), events("a", 1, timestamp_ns=stamp)

    async def send() -> None:
        await queue.submit([good, bad])

    with pytest.raises(BadRequest, match=rf"dataset a: an event time of {stamp} ns .* 2262"):
        asyncio.run(send())
    queue.stop()
    assert "a" not in store.schemas()  # nothing of the request was stored


def test_the_latest_time_a_query_reaches_is_kept(store: DuckDBStore) -> None:
    queue = IngestQueue(store, max_rows=10_000)
    answers = asyncio.run(submit_together(queue, [[events("a", 1, timestamp_ns=2**63 - 2)]]))
    queue.stop()
    assert answers == [None]
