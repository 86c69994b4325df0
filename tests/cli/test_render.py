"""The terminal chart of a series."""

from __future__ import annotations

import pytest

from limelight.cli.render import sparkline


@pytest.mark.parametrize(("values", "expected"), [
    ([2772.0], "█"),
    ([5.0, 5.0, 5.0], "███"),
    ([0.0, 7.0, 14.0], "▁▄█"),
    ([None, 3.0, None], " █ "),
    ([-4.0, 0.0, 4.0], "▁▄█"),
    ([None, None], "  "),
], ids=["one-bucket", "flat", "rising", "gaps", "below-zero", "empty"])
def test_sparkline(values: list[float | None], expected: str) -> None:
    assert sparkline(values) == expected


def test_long_series_are_squeezed_to_the_width() -> None:
    averages = [sum(range(i, i + 10)) / 10 for i in range(0, 100, 10)]  # 4.5, 14.5, ...
    assert sparkline([float(i) for i in range(100)], width=10) == sparkline(averages)
    assert len(sparkline([1.0] * 100, width=10)) == 10
