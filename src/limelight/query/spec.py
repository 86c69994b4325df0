"""The query spec as typed values. `parse.py` builds these from user JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Calculation -> (SQL aggregate template, needs a number key). `{col}` is the quoted column.
CALCULATIONS: dict[str, tuple[str, bool]] = {
    "COUNT": ("count({col})", False),
    "COUNT_DISTINCT": ("count(DISTINCT {col})", False),
    "SUM": ("sum({col})", True),
    "AVG": ("avg({col})", True),
    "MIN": ("min({col})", True),
    "MAX": ("max({col})", True),
    "MEDIAN": ("quantile_cont({col}, 0.5)", True),
    "P001": ("quantile_cont({col}, 0.001)", True),
    "P01": ("quantile_cont({col}, 0.01)", True),
    "P05": ("quantile_cont({col}, 0.05)", True),
    "P10": ("quantile_cont({col}, 0.1)", True),
    "P25": ("quantile_cont({col}, 0.25)", True),
    "P75": ("quantile_cont({col}, 0.75)", True),
    "P90": ("quantile_cont({col}, 0.9)", True),
    "P95": ("quantile_cont({col}, 0.95)", True),
    "P99": ("quantile_cont({col}, 0.99)", True),
    "P999": ("quantile_cont({col}, 0.999)", True),
    "STDDEV": ("stddev_samp({col})", True),
    "VARIANCE": ("var_samp({col})", True),
}

OPERATORS = (
    "=", "!=", ">", ">=", "<", "<=", "LIKE", "NOT_LIKE", "INCLUDES", "DOES_NOT_INCLUDE",
    "MATCH_REGEX", "EXISTS", "DOES_NOT_EXIST", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH",
)
UNARY_OPERATORS = ("EXISTS", "DOES_NOT_EXIST")
LIST_OPERATORS = ("IN", "NOT_IN")
# Negative operators also match events that lack the key.
NEGATIVE_OPERATORS = ("!=", "NOT_LIKE", "DOES_NOT_INCLUDE", "NOT_IN")

MAX_LIMIT = 10_000
MAX_BUCKETS = 1_500

FilterValue = str | float | bool | list[str | float | bool] | None


@dataclass(frozen=True)
class Calculation:
    operation: str
    key: str | None
    label: str  # the alias, else the calculation as written: the key of `values`


@dataclass(frozen=True)
class Filter:
    key: str
    operation: str
    value: FilterValue  # raw user value; typed against the key in plan.py


@dataclass(frozen=True)
class Needle:
    value: str
    is_regex: bool = False
    match_case: bool = False


@dataclass(frozen=True)
class OrderBy:
    value: str
    descending: bool = True


@dataclass(frozen=True)
class QuerySpec:
    datasets: tuple[str, ...]
    from_ns: int
    to_ns: int
    granularity_ns: int
    calculations: tuple[Calculation, ...] = ()
    filters: tuple[Filter, ...] = ()
    combination: Literal["AND", "OR"] = "AND"
    group_bys: tuple[str, ...] = ()
    order_by: OrderBy | None = None
    limit: int = 100
    offset: int = 0
    needle: Needle | None = None
    # Series cost a second pass over the data, so they are computed only when the
    # spec asks for them by giving a granularity (a duration or "auto").
    with_series: bool = False

    @property
    def is_events_query(self) -> bool:
        return not self.calculations
