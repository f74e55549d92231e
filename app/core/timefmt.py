"""NumericDate helpers: ISO text and relative phrases such as "expires in 4 min"."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

__all__ = ["TimeInfo", "as_numeric_date", "describe_time", "duration", "in_calendar", "iso"]

# datetime's own range, so ISO text can always be produced
_MIN_TS = -62135596800
_MAX_TS = 253402300799
_MAX_FLOAT_INT = int(sys.float_info.max)
#: beyond this a duration reads "over 10,000 years" instead of a number with hundreds of digits
_MAX_DURATION = 10_000 * 365 * 86400


@dataclass(frozen=True)
class TimeInfo:
    epoch: float
    iso: str
    relative: str


def as_numeric_date(value: object) -> float | None:
    """The value as seconds since 1970, or None when it is not a finite JSON number (or too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > _MAX_FLOAT_INT:
        return None  # float() would raise OverflowError
    number = float(value)
    return number if math.isfinite(number) else None


def in_calendar(ts: float) -> float:
    """``ts`` clamped to the years 1 to 9999, for drawing: 1e308 - now would overflow to inf."""
    return min(max(ts, _MIN_TS), _MAX_TS)


@lru_cache(maxsize=1024)
def iso(ts: float) -> str:
    if not _MIN_TS <= ts <= _MAX_TS:
        return "out of the calendar's range"
    m = datetime.fromtimestamp(ts, UTC)
    # formatted by hand: strftime costs more than the rest of a claim check (and %Y does not pad year 1)
    millis = f".{m.microsecond // 1000:03d}" if m.microsecond else ""
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}{millis}Z"


def duration(seconds: float) -> str:
    """'3 min 12 s', '2 h', '4 days 1 h': the two largest units, rounded to the second."""
    if not abs(seconds) <= _MAX_DURATION:  # NaN too
        return "over 10,000 years"
    total = round(abs(seconds))
    if total < 60:
        return f"{total} s"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        big = f"{days} day" if days == 1 else f"{days} days"
        return f"{big} {hours} h" if hours else big
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def describe_time(name: str, ts: float, now: float) -> TimeInfo:
    delta = ts - now
    if name == "exp":
        relative = f"expires in {duration(delta)}" if delta > 0 else f"expired {duration(delta)} ago"
        if delta == 0:
            relative = "expires now"
    elif name == "nbf":
        relative = f"valid from {duration(delta)} from now" if delta > 0 else f"valid since {duration(delta)} ago"
    else:
        relative = f"in {duration(delta)}" if delta > 0 else f"{duration(delta)} ago"
        if delta == 0:
            relative = "now"
    return TimeInfo(ts, iso(ts), relative)
