"""ISO text for NumericDates: the hand-rolled formatter agrees with datetime, edges of the calendar included."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from jwtlens.core.timefmt import MAX_TIME, MIN_TIME, iso

OUT = "out of the calendar's range"


def _datetime_iso(ts: float) -> str:
    m = datetime.fromtimestamp(ts, UTC)
    millis = f".{m.microsecond // 1000:03d}" if m.microsecond else ""
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}{millis}Z"


def _samples() -> list[float]:
    rng = random.Random(7519)
    values: list[float] = []
    for _ in range(3000):
        values.append(rng.uniform(MIN_TIME, MAX_TIME - 1))  # any time, fractional
        values.append(float(rng.randint(int(MIN_TIME), int(MAX_TIME))))  # whole seconds, the usual claim
        values.append(rng.randint(int(MIN_TIME), int(MAX_TIME)))  # ... and as a JSON integer
        # fractions on the rounding edges: half a microsecond, just under a whole second, negative times
        second = rng.randint(-(10**9), 2 * 10**9)
        values.append(second + rng.choice([0.0005, 0.0015, 0.4999995, 0.9999995, 0.9999999, 0.1, 0.7]))
        values.append(rng.uniform(-1e4, 1e4))
    return values


@pytest.mark.parametrize("chunk", range(4))
def test_iso_agrees_with_datetime(chunk):
    values = _samples()[chunk::4]
    wrong = [(v, iso(v), _datetime_iso(v)) for v in values if iso(v) != _datetime_iso(v)]
    assert wrong == []


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-0.5, "1969-12-31T23:59:59.500Z"),
        (1.9999996, "1970-01-01T00:00:02Z"),  # rounds up to the next second, as datetime does
        (951782400, "2000-02-29T00:00:00Z"),
        (MIN_TIME, "0001-01-01T00:00:00Z"),  # the year padded to four digits
        (MAX_TIME, "9999-12-31T23:59:59Z"),
        (MAX_TIME + 0.25, OUT),
        (MAX_TIME - 1e-7 + 1, OUT),
        (MIN_TIME - 1, OUT),
        (10**400, OUT),
        (float("nan"), OUT),
        (float("inf"), OUT),
    ],
)
def test_iso_edges(ts, text):
    assert iso(ts) == text
