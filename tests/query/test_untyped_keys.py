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
        # "first" takes the column: the rest are in the overflow column.
        greek = [{"first": "ΣΊΣΥΦΟΣ", "seq": 1},
                 {"first": "x", "user": "ΣΊΣΥΦΟΣ", "code": 42, "seq": 2},
                 {"first": "x", "note": 'say "hi" \\o/', "seq": 3}]
        assert client.post("/v1/events/greek", json=greek).status_code == 202
        assert client.post("/v1/events/regions", json=[{"region": "eu"}]).status_code == 202
        odd_keys = [{"first": "x", "back\\slash\\": "b", 'quo"te': "q", "dot.ted": "d"}]
        assert client.post("/v1/events/odd_keys", json=odd_keys).status_code == 202
        assert client.post("/v1/events/more_regions",
                           json=[{"first": "x", "region": "eu"}]).status_code == 202
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


def test_a_key_typed_differently_in_two_datasets_matches_as_in_each_alone(
        narrow: RunningServer) -> None:
    # Each dataset's rows match as they would queried alone: "numbers" compares numbers,
    # "texts" compares text (as its key's type), and adding a dataset changes neither.
    numbers, texts = range(10), ["t0", "t1", "t2", "7"]
    for condition in ("n > 5", "n < 3", "n >= 7", "n = 7", "n != 7"):
        alone = [aggregate(narrow, [name], "COUNT", condition) for name in ("numbers", "texts")]
        assert aggregate(narrow, ["numbers", "texts"], "COUNT", condition) == sum(alone)
    assert aggregate(narrow, ["numbers"], "COUNT", "n > 5") == sum(1 for n in numbers if n > 5)
    assert aggregate(narrow, ["texts"], "COUNT", "n > 5") == sum(1 for t in texts if t > "5")
    # A value that is no number matches nothing among numbers, and is no error there.
    assert aggregate(narrow, ["numbers", "texts"], "COUNT", "n = t1") == 1
    assert aggregate(narrow, ["numbers", "texts"], "COUNT", "n != t1") == 13
    assert aggregate(narrow, ["numbers", "texts"], "COUNT", "n IN (7, t1)") == 1 + 2
    # Calculations read the union's text as numbers where they are numbers.
    assert aggregate(narrow, ["numbers", "texts"], "SUM(n)") == sum(numbers) + 7


def test_events_of_several_datasets_keep_their_types(narrow: RunningServer) -> None:
    result = narrow.query({"datasets": ["numbers", "texts"], "from": "1h", "limit": 100})
    values = {(e["$dataset"], e["n"]) for e in result["events"]}  # type: ignore[index]
    assert values == {("numbers", n) for n in range(10)} | {("texts", t) for t in
                                                           ("t0", "t1", "t2", "7")}


def found(server: RunningServer, needle: object) -> list[int]:
    result = server.query({"datasets": ["greek"], "needle": needle, "from": "1h"})
    return sorted(e["seq"] for e in result["events"])  # type: ignore[index]


@pytest.mark.parametrize("needle", [
    "ΣΊΣΥΦΟΣ", "σίσυφοσ", {"value": "ΣΊΣΥΦΟΣ", "matchCase": True},
    {"value": "σίσυφοσ|ΣΊΣ", "isRegex": True},
])
def test_the_needle_finds_text_in_columns_and_overflow_whatever_its_case(
        narrow: RunningServer, needle: object) -> None:
    assert found(narrow, needle) == [1, 2]


def test_the_needle_searches_text_values_not_keys_or_numbers(narrow: RunningServer) -> None:
    assert found(narrow, "code") == [] and found(narrow, "user") == []
    assert found(narrow, "42") == []
    assert found(narrow, {"value": "code", "isRegex": True}) == []
    assert found(narrow, 'say "hi" \\o/') == [3]  # written escaped in the overflow JSON
    assert found(narrow, {"value": 'Y "HI"', "matchCase": False}) == [3]
    assert found(narrow, {"value": 'y "hi"', "matchCase": True}) == [3]


def test_a_key_in_a_column_of_one_dataset_and_the_overflow_of_another(
        narrow: RunningServer) -> None:
    both = ["regions", "more_regions"]
    assert aggregate(narrow, both, "COUNT", "region = eu") == 2
    result = narrow.query({"datasets": both, "calculations": ["COUNT"], "groupBys": ["region"],
                           "from": "1h"})
    assert result["aggregates"] == [{"groups": {"region": "eu"}, "values": {"COUNT": 2}}]


@pytest.mark.parametrize("key", ["back\\slash\\", 'quo"te', "dot.ted"])
def test_overflow_keys_with_backslashes_quotes_and_dots(narrow: RunningServer, key: str) -> None:
    value = {"back\\slash\\": "b", 'quo"te': "q", "dot.ted": "d"}[key]
    filters = [{"key": key, "operation": "=", "value": value}]
    result = narrow.query({"datasets": ["odd_keys"], "calculations": ["COUNT"],
                           "filters": filters, "groupBys": [key], "from": "1h"})
    assert result["aggregates"] == [{"groups": {key: value}, "values": {"COUNT": 1}}]
