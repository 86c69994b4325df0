"""A PromQL evaluation that runs past its time is stopped with Prometheus's timeout error."""

from __future__ import annotations

import pytest

from limelight.query.promql.ast import parse
from limelight.query.promql.engine import Evaluator
from limelight.query.promql.errors import QueryTimeout


def test_a_subquery_of_millions_of_steps_times_out() -> None:
    node = parse("count_over_time(vector(1)[30d:1s])", 0, 0)
    with pytest.raises(QueryTimeout, match=r"timed out in expression evaluation \(after 0.2s\)"):
        Evaluator({}, timeout_s=0.2).eval(node, 2_600_000_000)


def test_a_small_subquery_finishes() -> None:
    node = parse("count_over_time(vector(1)[1m:1s])", 0, 0)
    value = Evaluator({}, timeout_s=0.2).eval(node, 60_000)
    assert [sample.value for sample in value] == [61.0]  # type: ignore[union-attr]
