"""Alert properties (as stored in `resources`) parsed into a typed rule; errors name the field.

`parse_alert` checks one alert's own properties; `alert_query` resolves its
query (a query resource id of the same service, or an inline spec) and picks
the calculation whose value is compared.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from limelight.exceptions import QueryError
from limelight.query.parse import parse_calculation, parse_spec
from limelight.timeparse import parse_duration_ns, parse_iso_ns

T = TypeVar("T")

SEVERITIES = ("critical", "error", "warning", "info")
COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")
CHANGES = ("INCREASES_BY_MORE_THAN", "DECREASES_BY_MORE_THAN")
MIN_FREQUENCY_NS = 10 * 1_000_000_000
DEFAULT_REMINDER_NS = 4 * 3_600_000_000_000
# Empty windows count as 0 for these calculations, as "no data" for the others.
COUNTING = ("COUNT", "COUNT_DISTINCT")

_TOP_KEYS = ("name", "severity", "description", "parameters", "channels", "labels", "enabled",
             "snooze_until", "reminder")
_PARAMETER_KEYS = ("query", "threshold", "frequency", "window", "calculation")
_COMPARISON = re.compile(r"^\s*(!=|>=|<=|=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_CHANGE = re.compile(
    r"^\s*(INCREASES_BY_MORE_THAN|DECREASES_BY_MORE_THAN)\s+(\d+\.?\d*|\.\d+)\s*%?\s*$",
    re.IGNORECASE,
)
_FIELD_PREFIX = re.compile(r"^([A-Za-z_$][\w$.\[\]]*): (.*)$", re.DOTALL)


class RuleError(ValueError):
    """A property that is missing or wrong; `field` is its dotted path (`parameters.threshold`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RuleErrors(RuleError):
    """Every wrong property of an alert; reads as the first."""

    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors


@dataclass(frozen=True)
class Threshold:
    """`> 50` (a comparison with the value) or `INCREASES_BY_MORE_THAN 50%` (vs the last window)."""

    operator: str
    value: float

    @property
    def is_change(self) -> bool:
        return self.operator in CHANGES

    def __str__(self) -> str:
        number = _number_text(self.value)
        return f"{self.operator} {number}%" if self.is_change else f"{self.operator} {number}"


@dataclass(frozen=True)
class AlertRule:
    name: str
    threshold: Threshold
    frequency_ns: int
    window_ns: int
    query: str | dict[str, Any]  # a query resource id, or an inline spec
    severity: str = "warning"
    description: str = ""
    calculation: str | None = None
    channels: tuple[str, ...] | None = None  # None: routes decide
    labels: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    snooze_until_ns: int | None = None
    reminder_ns: int = DEFAULT_REMINDER_NS  # 0: never repeat while firing


@dataclass(frozen=True)
class AlertQuery:
    """What an evaluation runs: the spec (without time range) and the compared calculation."""

    spec: dict[str, Any]
    label: str
    operation: str
    key: str | None

    @property
    def empty_value(self) -> float | None:
        """The value of a window without matching events."""
        return 0 if self.operation in COUNTING else None


def parse_threshold(value: Any, where: str = "parameters.threshold") -> Threshold:
    if not isinstance(value, str):
        raise RuleError(where, f"{value!r} is not a threshold; write e.g. '> 10' or "
                               "'INCREASES_BY_MORE_THAN 50%'")
    match = _COMPARISON.match(value)
    if match and not math.isfinite(float(match.group(2))):
        raise RuleError(where, f"{value!r}: {match.group(2)} is past the largest number")
    if match:
        return Threshold(match.group(1), float(match.group(2)))
    match = _CHANGE.match(value)
    if match:
        return Threshold(match.group(1).upper(), float(match.group(2)))
    raise RuleError(
        where,
        f"{value!r} is not a threshold; use one of {' '.join(COMPARISONS)} and a number "
        "(e.g. '> 10'), or INCREASES_BY_MORE_THAN / DECREASES_BY_MORE_THAN and a percentage "
        "(e.g. 'INCREASES_BY_MORE_THAN 50%')",
    )


def parse_alert(properties: Any, *, min_frequency_ns: int = MIN_FREQUENCY_NS) -> AlertRule:
    """An alert's properties as a rule; raises RuleErrors naming every wrong field (the
    first one as its own field and message)."""
    props = _mapping(properties, "properties")
    problems: list[RuleError] = []

    def checked(parse: Callable[[], T], fallback: T) -> T:
        try:
            return parse()
        except RuleError as exc:
            problems.append(exc)
            return fallback

    problems += _unknown_keys(props, _TOP_KEYS, "")
    name = checked(lambda: _text(_required(props, "name", ""), "name"), "")
    before = len(problems)
    no_params: dict[str, Any] = {}
    params = checked(lambda: _mapping(_required(props, "parameters", ""), "parameters"),
                     no_params)
    parameters_read = len(problems) == before  # else one message, not one per parameter
    problems += _unknown_keys(params, _PARAMETER_KEYS, "parameters.")
    severity = props.get("severity", "warning")
    if severity not in SEVERITIES:
        problems.append(RuleError("severity",
                                  f"{severity!r} is not one of {', '.join(SEVERITIES)}"))
    frequency, window = min_frequency_ns, min_frequency_ns
    no_query: str | dict[str, Any] = ""
    query, calculation, threshold = no_query, None, Threshold(">", 0.0)
    if parameters_read:
        before = len(problems)
        frequency = checked(lambda: _frequency(params, min_frequency_ns), min_frequency_ns)
        # Without its own window, an alert's window is its frequency, reported once.
        window = checked(lambda: _window(params), frequency) \
            if "window" in params or len(problems) == before else frequency
        query = checked(lambda: _query(_required(params, "query", "parameters.")), no_query)
        calculation = checked(lambda: _calculation(params.get("calculation"), query), None)
        threshold = checked(lambda: parse_threshold(
            _required(params, "threshold", "parameters."), "parameters.threshold"), threshold)
    rule = AlertRule(
        name=name,
        threshold=threshold,
        frequency_ns=frequency,
        window_ns=window,
        query=query,
        severity=severity,
        description=checked(lambda: _text(props.get("description", ""), "description",
                                          allow_empty=True), ""),
        calculation=calculation,
        channels=checked(lambda: _channels(props.get("channels")), None),
        labels=checked(lambda: _labels(props.get("labels", {})), {}),
        enabled=checked(lambda: _bool(props.get("enabled", True), "enabled"), True),
        snooze_until_ns=checked(lambda: _snooze(props.get("snooze_until")), None),
        reminder_ns=checked(lambda: _reminder(props.get("reminder")), 0),
    )
    if problems:
        raise RuleErrors(problems)
    return rule


def _frequency(params: dict[str, Any], least_ns: int) -> int:
    frequency = _duration(params.get("frequency", "1m"), "parameters.frequency")
    if frequency < least_ns:
        raise RuleError("parameters.frequency", f"{params.get('frequency', '1m')!r} is too "
                        f"often; the least is {_duration_text(least_ns)}")
    return frequency


def _window(params: dict[str, Any]) -> int:
    window = _duration(params.get("window", params.get("frequency", "1m")), "parameters.window")
    if window < 1_000_000_000:
        raise RuleError("parameters.window", "must be at least 1s")
    return window


def _calculation(value: Any, query: str | dict[str, Any]) -> str | None:
    calculation = None if value is None else _text(value, "parameters.calculation")
    if isinstance(query, dict):
        _pick_calculation(query, calculation)
    return calculation


def alert_query(rule: AlertRule, queries: Mapping[str, Any]) -> AlertQuery:
    """The rule's spec and compared calculation; `queries` maps query ids to their properties."""
    if isinstance(rule.query, dict):
        spec = rule.query
    else:
        if rule.query not in queries:
            known = ", ".join(sorted(queries)) or "none"
            raise RuleError("parameters.query",
                            f"no query {rule.query!r} in this service (queries: {known})")
        found = queries[rule.query]
        parameters = found.get("parameters") if isinstance(found, Mapping) else None
        if not isinstance(parameters, dict):
            raise RuleError("parameters.query",
                            f"query {rule.query!r} has no parameters (its query spec)")
        spec = _checked_spec(parameters, f"query {rule.query!r}: ")
    label, operation, key = _pick_calculation(spec, rule.calculation)
    timeless = {k: v for k, v in spec.items() if k not in ("from", "to", "granularity")}
    return AlertQuery(timeless, label, operation, key)


def _pick_calculation(spec: dict[str, Any], wanted: str | None) -> tuple[str, str, str | None]:
    calculations = spec.get("calculations") or []
    parsed = [parse_calculation(c, f"calculations[{i}]") for i, c in enumerate(calculations)]
    if not parsed:
        raise RuleError("parameters.query",
                        "the query has no calculations; an alert compares a calculation's value "
                        "(e.g. COUNT)")
    if wanted is None:
        return parsed[0].label, parsed[0].operation, parsed[0].key
    for calc in parsed:
        if wanted in (calc.label, f"{calc.operation}({calc.key})" if calc.key else calc.operation):
            return calc.label, calc.operation, calc.key
    labels = ", ".join(c.label for c in parsed)
    raise RuleError("parameters.calculation",
                    f"{wanted!r} is not a calculation of the query (it has: {labels})")


def _query(value: Any) -> str | dict[str, Any]:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if not isinstance(value, dict):
        raise RuleError("parameters.query", "give a query id or an inline query spec (a mapping)")
    return _checked_spec(value, "")


def _checked_spec(value: dict[str, Any], context: str) -> dict[str, Any]:
    """The spec, once the query parser accepts it (its time range aside)."""
    checked = {k: v for k, v in value.items() if k not in ("from", "to", "granularity")}
    try:
        parse_spec(checked, time.time_ns())
    except QueryError as exc:
        text = str(exc)
        match = _FIELD_PREFIX.match(text)
        if match and not context:
            raise RuleError(f"parameters.query.{match.group(1)}", match.group(2)) from None
        raise RuleError("parameters.query", context + text) from None
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(where, "must be a mapping")
    return value


def _required(props: dict[str, Any], key: str, prefix: str) -> Any:
    if props.get(key) is None:
        raise RuleError(prefix + key, "is required")
    return props[key]


def _unknown_keys(props: dict[str, Any], known: tuple[str, ...], prefix: str
                  ) -> list[RuleError]:
    return [RuleError(prefix + str(key), f"unknown property (known: {', '.join(known)})")
            for key in props if key not in known]


def _text(value: Any, where: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or not (allow_empty or value.strip()):
        raise RuleError(where, "must be a non-empty string" if not allow_empty
                        else "must be a string")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(where, f"{value!r} is not true or false")
    return value


def _duration(value: Any, where: str) -> int:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RuleError(where, f"{value!r} is not a duration (use e.g. 30s, 15m, 1h, 7d)")
    try:
        return parse_duration_ns(str(value))
    except ValueError as exc:
        raise RuleError(where, str(exc)) from None


def _channels(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError("channels", "must be a list of channel ids")
    return tuple(value)


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RuleError("labels", "must be a mapping of names to values")
    labels = {}
    for key, item in value.items():
        if isinstance(item, bool):
            labels[str(key)] = str(item).lower()
        elif isinstance(item, str | int | float):
            labels[str(key)] = str(item)
        else:
            raise RuleError(f"labels.{key}", "must be a string or a number")
    return labels


def _snooze(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):  # YAML turns unquoted timestamps into datetimes
        value = value.isoformat()
    if not isinstance(value, str):
        raise RuleError("snooze_until", f"{value!r} is not an ISO 8601 time")
    try:
        return parse_iso_ns(value.strip())
    except ValueError:
        raise RuleError("snooze_until",
                        f"{value!r} is not an ISO 8601 time (e.g. 2026-11-23T10:00:00Z)") from None


def _reminder(value: Any) -> int:
    if value is None:
        return DEFAULT_REMINDER_NS
    if value in (0, "0", "never", False):
        return 0
    reminder = _duration(value, "reminder")
    if reminder < 1_000_000_000:
        raise RuleError("reminder", "must be at least 1s, or 0 for never")
    return reminder


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _duration_text(ns: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if ns % (size * 1_000_000_000) == 0:
            return f"{ns // (size * 1_000_000_000)}{unit}"
    return f"{ns / 1e9:g}s"

