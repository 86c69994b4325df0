"""Times and durations as users write them: ISO 8601, epoch milliseconds, `15m`, `now`."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from fractions import Fraction

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_NS = {
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}


def parse_duration_ns(text: str) -> int:
    """`15m` -> nanoseconds; raises ValueError naming the text."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (use e.g. 30s, 15m, 1h, 7d)")
    return int(float(match.group(1)) * _UNIT_NS[match.group(2)])


def parse_iso_ns(text: str) -> int:
    """ISO 8601 with up to nanosecond fractions; naive times are UTC."""
    fraction_ns = 0
    match = re.match(r"^(.*?T\d{2}:\d{2}:\d{2})\.(\d{1,9})(.*)$", text)
    if match:
        head, digits, tail = match.groups()
        fraction_ns = int(digits.ljust(9, "0"))
        text = head + tail
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + fraction_ns


def _ms_to_ns(ms: int | float | Fraction) -> int:
    """Epoch milliseconds to nanoseconds without float rounding (1700000000000.5 ms exactly)."""
    if isinstance(ms, float) and not math.isfinite(ms):
        raise ValueError(f"{ms!r} is not a time")
    return int(Fraction(ms) * 1_000_000)


def parse_time_ns(value: str | int | float, now_ns: int) -> int:
    """A point in time: ISO 8601, epoch milliseconds, `now`, or a duration before now;
    ValueError for anything else, or a time that epoch nanoseconds in 64 bits cannot hold."""
    found = _parse_time_ns(value, now_ns)
    if not -(2**63) <= found < 2**63:
        raise ValueError(f"{value!r} is outside the times that can be stored "
                         "(1677-09-21 to 2262-04-11)")
    return found


def _parse_time_ns(value: str | int | float, now_ns: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        return _ms_to_ns(value)
    text = value.strip()
    if text == "now":
        return now_ns
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _ms_to_ns(Fraction(text))
    if _DURATION.match(text):
        return now_ns - parse_duration_ns(text)
    if text.startswith("now-") and _DURATION.match(text[4:]):
        return now_ns - parse_duration_ns(text[4:])
    try:
        return parse_iso_ns(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time (use ISO 8601, epoch milliseconds, 'now' or e.g. '15m')"
        ) from None


def format_ns(timestamp_ns: int) -> str:
    """Epoch nanoseconds as ISO 8601 UTC with nanoseconds."""
    seconds, fraction = divmod(timestamp_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{moment}.{fraction:09d}Z"
