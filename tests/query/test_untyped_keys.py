"""Keys without one type of their own (only in the overflow column, or typed differently in
two datasets) still compare and add up as numbers when their values are numbers."""

from __future__ import annotations

import operator
from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer, start_server, stop_server

SIZES = [3, 9, 50, 51, 120, 1000]
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@pytest.fixture(scope="module")
def narrow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("narrow") / "data", max_columns=1)
    with running.client() as client:
        # "first" takes the one column; "size" lives in the overflow column.
        events = [{"first": "x", "size": size, "label": f"s{size}"} for size in SIZES]
        assert client.post("/v1/events/wide", json=events).status_code == 202
        numbers = [{"n": n} for n in range(10)]
        texts = [{"n": f"t{n}"} for n in range(3)] + [{"n": "7"}]
        assert client.post("/v1/events/numbers", json=numbers).status_code == 202
        assert client.post("/v1/events/texts", json=texts).status_code == 202
    yield running
    stop_server(running)


def aggregate(server: RunningServer, datasets: list[str], calculation: str,
              *filters: str) -> object:
    result = server.query({"datasets": datasets, "calculations": [calculation],
                           "filters": list(filters), "from": "1h"})
    return result["aggregates"][0]["values"][calculation]  # type: ignore[index]


@pytest.mark.parametrize("condition", ["> 50", ">= 50", "< 51", "<= 9", "> 100.5"])
def test_overflow_numbers_compare_as_numbers(narrow: RunningServer, condition: str) -> None:
    op, value = condition.split()
    expected = sum(1 for size in SIZES if COMPARE[op](size, float(value)))
    assert aggregate(narrow, ["wide"], "COUNT", f"size {condition}") == expected


def test_overflow_numbers_add_up(narrow: RunningServer) -> None:
    assert aggregate(narrow, ["wide"], "SUM(size)") == sum(SIZES)
    assert aggregate(narrow, ["wide"], "MAX(size)") == max(SIZES)
    assert aggregate(narrow, ["wide"], "COUNT", "size = 51") == 1
    assert aggregate(narrow, ["wide"], "COUNT", "label > s50") == 2  # text stays text: s51, s9


def test_a_key_typed_differently_in_two_datasets_compares_numbers(
        narrow: RunningServer) -> None:
    values = [*range(10), 7]  # the numbers, and the one text of "texts" that is a number
    for condition in ("n > 5", "n < 3", "n >= 7"):
        op, bound = condition.split()[1:]
        expected = sum(1 for n in values if COMPARE[op](n, float(bound)))
        assert aggregate(narrow, ["numbers", "texts"], "COUNT", condition) == expected
    assert aggregate(narrow, ["numbers", "texts"], "SUM(n)") == sum(values)
    assert aggregate(narrow, ["numbers", "texts"], "COUNT", "n = t1") == 1
