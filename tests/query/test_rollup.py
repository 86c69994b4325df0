"""Series responses answered from one scan (group totals added up from the series rows) are
the same responses as the two-scan way, for every combinable calculation and ordering."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from limelight.model import Batch
from limelight.query.run import QueryEngine
from limelight.store.api import DatasetSchema
from limelight.store.duckdb import DuckDBStore

MINUTE_NS = 60_000_000_000
START_NS = 1_700_000_000 * 10**9
WINDOW = {"from": START_NS // 1_000_000, "to": (START_NS + 30 * MINUTE_NS) // 1_000_000}


class Statistics:
    """The real store, with the distinct-value statistic it reports chosen by the test, and
    the statements it ran counted."""

    def __init__(self, store: DuckDBStore, estimate: int | None) -> None:
        self.store = store
        self.estimate = estimate
        self.dialect = store.dialect
        self.statements = 0

    def schemas(self) -> dict[str, DatasetSchema]:
        return self.store.schemas()

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
                ) -> tuple[list[str], list[tuple[Any, ...]]]:
        self.statements += 1
        return self.store.execute(sql, params)

    def distinct_estimate(self, dataset: str, key: str) -> int | None:
        return self.estimate


@pytest.fixture(scope="module")
def store() -> Iterator[DuckDBStore]:
    rng = random.Random(7)
    batch = Batch("otel")
    for i in range(3_000):
        attrs: dict[str, Any] = {"size": rng.choice([None, rng.uniform(0, 100)]),
                                 "code": rng.choice([200, 200, 404, 500])}
        if rng.random() < 0.8:
            attrs["tier"] = rng.choice(["gold", "silver", "bronze"])
        if rng.random() < 0.9:
            attrs["user"] = f"u{rng.randrange(60):02d}"
        batch.add(START_NS + rng.randrange(30 * MINUTE_NS), rng.choice(["api", "web", "db"]),
                  "shop", "span", name=f"op{i % 4}", duration_ms=rng.lognormvariate(3, 1),
                  attrs={k: v for k, v in attrs.items() if v is not None})
    db = DuckDBStore(None)
    db.append([batch])
    yield db
    db.close()


CASES: list[dict[str, Any]] = [
    {"calculations": ["COUNT"], "groupBys": ["$service"]},
    {"calculations": ["COUNT", "SUM(size)", "MIN($duration_ms)", "MAX(size)", "AVG(size) as a"],
     "groupBys": ["$service", "tier"]},
    {"calculations": ["AVG($duration_ms)", "COUNT(size)"], "groupBys": ["tier"],
     "orderBy": {"value": "tier", "order": "ASC"}},
    {"calculations": ["MAX(size)"], "groupBys": ["tier", "code"],
     "orderBy": {"value": "MAX(size)", "order": "ASC"}},
    {"calculations": ["SUM(size)"], "groupBys": ["tier"],
     "orderBy": {"value": "tier", "order": "DESC"}},
    {"calculations": ["COUNT"], "groupBys": ["user"], "limit": 7},  # more groups than shown
    {"calculations": ["MIN(size)"], "groupBys": ["user"], "limit": 5,
     "filters": ["$service = web"]},
]


def run(reader: Statistics, case: dict[str, Any]) -> dict[str, Any]:
    spec = {"datasets": ["otel"], "granularity": "5m", **WINDOW, **case}
    return QueryEngine(reader).run(spec)  # type: ignore[arg-type]


def close(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9)
    return bool(left == right)


def assert_same_rows(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> None:
    assert [row["groups"] for row in left] == [row["groups"] for row in right]
    for a, b in zip(left, right, strict=True):
        assert a["values"].keys() == b["values"].keys()
        assert all(close(a["values"][k], b["values"][k]) for k in a["values"]), (a, b)


@pytest.mark.parametrize("case", CASES, ids=lambda case: " ".join(case["calculations"]) + " by "
                         + ",".join(case.get("groupBys", [])))
def test_one_scan_answers_what_two_scans_answer(store: DuckDBStore, case: dict[str, Any]) -> None:
    one = Statistics(store, estimate=1)  # "few groups": always the one-scan way
    two = Statistics(store, estimate=None)  # unknown: always the two-scan way
    rolled, plain = run(one, case), run(two, case)
    assert one.statements == 1 and two.statements >= 2
    assert plain["aggregates"], "each case has something to compare"
    assert_same_rows(rolled["aggregates"], plain["aggregates"])
    assert [b["time"] for b in rolled["series"]] == [b["time"] for b in plain["series"]]
    for a, b in zip(rolled["series"], plain["series"], strict=True):
        assert_same_rows(a["data"], b["data"])
    assert rolled["statistics"]["rows_read"] == plain["statistics"]["rows_read"]


@pytest.mark.parametrize("filters", [[], ["code = 999"]])
def test_without_groups_one_scan_always(store: DuckDBStore, filters: list[str]) -> None:
    case = {"calculations": ["COUNT", "AVG(size)", "SUM(size)"], "filters": filters}
    reader = Statistics(store, estimate=None)
    rolled = run(reader, case)
    assert reader.statements == 1
    totals = QueryEngine(store).run({"datasets": ["otel"], **WINDOW, **case})  # no series
    assert_same_rows(rolled["aggregates"], totals["aggregates"])
    assert rolled["statistics"]["rows_read"] == totals["statistics"]["rows_read"]
    in_series = sum(d["values"]["COUNT"] for b in rolled["series"] for d in b["data"])
    assert in_series == totals["aggregates"][0]["values"]["COUNT"]


def test_quantiles_and_offsets_keep_two_scans(store: DuckDBStore) -> None:
    for case in ({"calculations": ["P99($duration_ms)"], "groupBys": ["$service"]},
                 {"calculations": ["COUNT"], "groupBys": ["tier"], "offset": 1}):
        reader = Statistics(store, estimate=1)
        run(reader, case)
        assert reader.statements >= 2


def test_the_stores_own_statistics_pick_the_way(store: DuckDBStore) -> None:
    class Counted(Statistics):
        def distinct_estimate(self, dataset: str, key: str) -> int | None:
            return self.store.distinct_estimate(dataset, key)

    few, many = Counted(store, None), Counted(store, None)
    run(few, {"calculations": ["COUNT"], "groupBys": ["$service"]})  # 3 services
    run(many, {"calculations": ["COUNT"], "groupBys": ["user"], "limit": 10})  # 60 users
    assert (few.statements, many.statements) == (1, 2)  # many: totals, then the series
