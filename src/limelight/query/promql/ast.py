"""PromQL text to a small tree of our own: parsed by `promql-parser`, then copied into
frozen dataclasses so evaluation never touches the parser's objects (walking them is
slow, and this keeps the library at one place).

`@ start()` / `@ end()` are resolved here, against the query's range. Durations and
times are whole milliseconds, as Prometheus keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import promql_parser as pp

from limelight.query.promql.errors import BadData
from limelight.query.regex import compile_re2

ValueType = Literal["scalar", "vector", "matrix", "string"]
Card = Literal["one-to-one", "many-to-one", "one-to-many", "many-to-many"]
MatchOp = Literal["=", "!=", "=~", "!~"]

_MATCH_OPS: dict[str, MatchOp] = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}
_CARDS: dict[str, Card] = {"OneToOne": "one-to-one", "ManyToOne": "many-to-one",
                           "OneToMany": "one-to-many", "ManyToMany": "many-to-many"}
# Prometheus' default evaluation interval: the step of a subquery written without one.
DEFAULT_SUBQUERY_STEP_MS = 60_000


@dataclass(frozen=True, eq=False)
class Matcher:
    name: str
    op: MatchOp
    value: str
    regex: Any  # an RE2 pattern (query.regex) for =~ and !~

    def matches(self, found: str) -> bool:
        if self.regex is not None:
            return (self.regex.fullmatch(found) is not None) == (self.op == "=~")
        return (found == self.value) == (self.op == "=")


# eq=False everywhere: nodes are told apart by identity (selected data is keyed by node).
@dataclass(frozen=True, eq=False)
class Number:
    value: float


@dataclass(frozen=True, eq=False)
class String:
    value: str


@dataclass(frozen=True, eq=False)
class Selector:
    """A vector selector, or a matrix selector when `range_ms` is set. `alternatives` are
    matcher sets joined by `or` (promql-parser's extension); empty for plain PromQL."""

    matchers: tuple[Matcher, ...]
    alternatives: tuple[tuple[Matcher, ...], ...]
    offset_ms: int
    at_ms: int | None
    range_ms: int | None


@dataclass(frozen=True, eq=False)
class Subquery:
    expr: Node
    range_ms: int
    step_ms: int
    offset_ms: int
    at_ms: int | None


@dataclass(frozen=True, eq=False)
class Call:
    name: str
    args: tuple[Node, ...]
    returns: ValueType


@dataclass(frozen=True, eq=False)
class Aggregate:
    op: str
    expr: Node
    param: Node | None
    labels: tuple[str, ...]
    without: bool


@dataclass(frozen=True, eq=False)
class Matching:
    card: Card
    on: bool
    labels: tuple[str, ...]
    include: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Binary:
    op: str
    lhs: Node
    rhs: Node
    return_bool: bool
    matching: Matching


@dataclass(frozen=True, eq=False)
class Negate:
    expr: Node


Node = Number | String | Selector | Subquery | Call | Aggregate | Binary | Negate
SET_OPERATORS = frozenset({"and", "or", "unless"})


# The parser and the tree walks recurse once per level: a query nested thousands deep
# overflows the parser's stack and kills the process, so nesting is bounded first.
MAX_NESTING = 256
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_NESTING = re.compile(r"[-+*/%^(]|[=!<>]=?|\b(?:and|or|unless|atan2)\b")


def _nesting_bound(query: str) -> int:
    """An upper bound of the tree's depth: its operators and parentheses (outside strings
    and label matchers)."""
    return len(_NESTING.findall(_MATCHERS.sub("", _QUOTED.sub("", query))))


def parse(query: str, start_ms: int, end_ms: int) -> Node:
    """The query as our tree; BadData with the parser's message when it is not PromQL."""
    if (bound := _nesting_bound(query)) > MAX_NESTING:
        raise BadData(f"invalid parameter \"query\": {bound} operators and parentheses; "
                      f"the most is {MAX_NESTING}")
    try:
        parsed = pp.parse(query)
    except ValueError as exc:
        raise BadData(f"invalid parameter \"query\": {exc}") from exc
    return _Adapter(start_ms, end_ms).node(parsed)


def parse_selector(text: str) -> Selector:
    """One `match[]` of the series and label endpoints: a plain vector selector."""
    node = parse(text, 0, 0)
    if not isinstance(node, Selector) or node.range_ms is not None:
        raise BadData(f"invalid parameter \"match[]\": {text!r} is not a vector selector")
    return node


def value_type(node: Node) -> ValueType:
    if isinstance(node, Number):
        return "scalar"
    if isinstance(node, String):
        return "string"
    if isinstance(node, Selector):
        return "vector" if node.range_ms is None else "matrix"
    if isinstance(node, Subquery):
        return "matrix"
    if isinstance(node, Call):
        return node.returns
    if isinstance(node, Binary):
        both_scalar = value_type(node.lhs) == value_type(node.rhs) == "scalar"
        return "scalar" if both_scalar else "vector"
    if isinstance(node, Negate):
        return value_type(node.expr)
    return "vector"


def duration_ms(delta: timedelta) -> int:
    return delta // timedelta(milliseconds=1)


class _Adapter:
    def __init__(self, start_ms: int, end_ms: int) -> None:
        self.start_ms = start_ms
        self.end_ms = end_ms

    def node(self, expr: Any) -> Node:
        if isinstance(expr, pp.ParenExpr):
            return self.node(expr.expr)
        if isinstance(expr, pp.NumberLiteral):
            return Number(float(expr.val))
        if isinstance(expr, pp.StringLiteral):
            return String(expr.val)
        if isinstance(expr, pp.VectorSelector):
            return self.selector(expr, None)
        if isinstance(expr, pp.MatrixSelector):
            return self.selector(expr.vector_selector, duration_ms(expr.range))
        if isinstance(expr, pp.SubqueryExpr):
            step = duration_ms(expr.step) if expr.step else DEFAULT_SUBQUERY_STEP_MS
            return Subquery(self.node(expr.expr), duration_ms(expr.range or timedelta()), step,
                            duration_ms(expr.offset) if expr.offset else 0, self.at(expr.at))
        if isinstance(expr, pp.Call):
            return Call(expr.func.name, tuple(self.node(arg) for arg in expr.args),
                        _value_type_name(expr.func.return_type))
        if isinstance(expr, pp.AggregateExpr):
            return self.aggregate(expr)
        if isinstance(expr, pp.BinaryExpr):
            return self.binary(expr)
        if isinstance(expr, pp.UnaryExpr):
            return Negate(self.node(expr.expr))
        raise BadData(f"invalid parameter \"query\": unsupported expression {expr}")

    def at(self, modifier: Any) -> int | None:
        if modifier is None:
            return None
        kind = _enum_name(modifier.type)
        if kind == "Start":
            return self.start_ms
        if kind == "End":
            return self.end_ms
        at: datetime = modifier.at
        return round(at.timestamp() * 1000)

    def selector(self, expr: Any, range_ms: int | None) -> Selector:
        matchers = [_matcher(m) for m in expr.matchers.matchers]
        if expr.name:
            matchers.insert(0, Matcher("__name__", "=", expr.name, None))
        alternatives = tuple(tuple(matchers + [_matcher(m) for m in group])
                             for group in expr.matchers.or_matchers)
        offset = duration_ms(expr.offset) if expr.offset else 0
        return Selector(tuple(matchers), alternatives, offset, self.at(expr.at), range_ms)

    def aggregate(self, expr: Any) -> Aggregate:
        op = str(expr.op)
        param = self.node(expr.param) if expr.param is not None else None
        modifier = expr.modifier
        labels = tuple(modifier.labels) if modifier is not None else ()
        without = modifier is not None and _enum_name(modifier.type) == "Without"
        return Aggregate(op, self.node(expr.expr), param, labels, without)

    def binary(self, expr: Any) -> Binary:
        op = str(expr.op)
        modifier = expr.modifier
        card: Card = "many-to-many" if op in SET_OPERATORS else "one-to-one"
        on, labels, include, return_bool = False, (), (), False
        if modifier is not None:
            card = _CARDS[_enum_name(modifier.card)]
            return_bool = bool(modifier.return_bool)
            include = tuple(modifier.group_labels or ())
            if modifier.matching is not None:
                on = _enum_name(modifier.matching.type) == "Include"
                labels = tuple(modifier.matching.labels)
        return Binary(op, self.node(expr.lhs), self.node(expr.rhs), return_bool,
                      Matching(card, on, labels, include))


def _matcher(matcher: Any) -> Matcher:
    op = _MATCH_OPS[_enum_name(matcher.op)]
    regex = None
    if op in ("=~", "!~"):
        try:
            regex = compile_re2(matcher.value)
        except ValueError as exc:
            raise BadData(f"invalid parameter \"query\": invalid regular expression "
                          f"{matcher.value!r}: {exc}") from exc
    return Matcher(matcher.name, op, matcher.value, regex)


def _value_type_name(kind: Any) -> ValueType:
    names: dict[str, ValueType] = {"Scalar": "scalar", "Vector": "vector", "Matrix": "matrix",
                                   "String": "string"}
    return names[_enum_name(kind)]


def _enum_name(member: Any) -> str:
    """The member's name: the parser's enums print as `Type.Member` and have no `.name`."""
    return str(member).rpartition(".")[2]
