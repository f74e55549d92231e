"""NumericDate helpers: ISO text and relative phrases such as "expires in 4 min"."""

from __future__ import annotations

import math
import re
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_TIME",
    "MIN_TIME",
    "TIME_SPELLINGS",
    "TimeInfo",
    "as_numeric_date",
    "describe_time",
    "duration",
    "in_calendar",
    "iso",
    "number_of",
    "parse_time",
]

# datetime's own range, so ISO text can always be produced
_MIN_TS = -62135596800
_MAX_TS = 253402300799
_MAX_FLOAT_INT = int(sys.float_info.max)
#: datetime's own range, so every time can be shown
MIN_TIME, MAX_TIME = float(_MIN_TS), float(_MAX_TS)
#: beyond this a duration reads "over 10,000 years" instead of a number with hundreds of digits
_MAX_DURATION = 10_000 * 365 * 86400


@dataclass(frozen=True)
class TimeInfo:
    epoch: float
    iso: str
    relative: str


def as_numeric_date(value: object) -> float | None:
    """The value as seconds since 1970, or None when it is not a finite JSON number (or too big for a float)."""
    kind = type(value)  # exact types: bool is an int subclass and never a date; JSON gives no other subclasses
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[arg-type,return-value]
    if kind is int:
        return float(value) if -_MAX_FLOAT_INT <= value <= _MAX_FLOAT_INT else None  # type: ignore[arg-type,operator]
    if kind is bool or not isinstance(value, (int, float)):
        return None
    number = float(value)  # a subclass of int or float (not from JSON, but callers may pass one)
    return number if math.isfinite(number) and abs(number) <= _MAX_FLOAT_INT else None


def in_calendar(ts: float) -> float:
    """``ts`` clamped to the years 1 to 9999, for drawing: 1e308 - now would overflow to inf."""
    return min(max(ts, _MIN_TS), _MAX_TS)


_DAY = 86400
#: datetime.date.toordinal() of 1970-01-01
_EPOCH_ORDINAL = 719163


@lru_cache(maxsize=1024)
def _calendar_day(days: int) -> str:
    d = date.fromordinal(_EPOCH_ORDINAL + days)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T"  # by hand: %Y does not pad year 1


#: "HH:MM:" for each minute of a day, "SS" for each second, ".mmm" for each millisecond: indexed, not formatted
_CLOCK = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_SECONDS = tuple(f"{second:02d}" for second in range(60))
_MILLIS = tuple(f".{milli:03d}" for milli in range(1000))


def iso(ts: float) -> str:
    """``ts`` as UTC ISO 8601 with milliseconds when it has any, e.g. 2026-12-02T06:40:00.125Z.

    Reads as ``datetime.fromtimestamp(ts, UTC)`` would (microseconds rounded half to even, then cut to
    milliseconds) but from the day's cached date and table lookups: a claim check formats three times.
    """
    if not _MIN_TS <= ts <= _MAX_TS:
        return "out of the calendar's range"
    if type(ts) is int:
        whole, micros = ts, 0
    else:
        fraction, integral = math.modf(ts)  # as datetime splits it, so the rounding agrees
        whole, micros = int(integral), round(fraction * 1_000_000)
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        elif micros < 0:
            whole, micros = whole - 1, micros + 1_000_000
        if whole > _MAX_TS:
            return "out of the calendar's range"
    days, seconds = divmod(whole, _DAY)
    minutes, seconds = divmod(seconds, 60)
    text = _calendar_day(days) + _CLOCK[minutes] + _SECONDS[seconds]
    return f"{text}{_MILLIS[micros // 1000]}Z" if micros else f"{text}Z"


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


def number_of(value: Any) -> float | None:
    """A finite JSON number or numeric text (a form field), else None; true and false are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int):
        value = float(value) if abs(value) < 10**20 else math.inf
    return value if isinstance(value, float) and math.isfinite(value) else None


_RELATIVE = re.compile(r"([+-])\s*(\d{1,9}(?:\.\d{1,6})?)\s*([smhdw])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: what parse_time reads, as the CLI's help and the API's schema say it
TIME_SPELLINGS = "epoch seconds, ISO 8601 with a zone, or relative to now (+1h, -30m, now)"


def parse_time(value: Any, what: str = "Check as of") -> float:
    """Epoch seconds, ISO 8601 with a zone, or a relative time (-1h, +30m, now); ValueError naming ``what``."""
    number = number_of(value)
    if number is None and isinstance(value, str):
        text = value.strip()
        relative = _RELATIVE.fullmatch(text)
        if text.lower() == "now":
            number = time.time()
        elif relative:
            sign = -1 if relative.group(1) == "-" else 1
            number = time.time() + sign * float(relative.group(2)) * _UNIT[relative.group(3)]
        elif len(text) <= 40:
            try:
                moment = datetime.fromisoformat(text.replace(" ", "T"))
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{what} needs a time zone, e.g. a trailing Z for UTC")
            number = moment.timestamp() if moment is not None else None
    if number is None:
        raise ValueError(
            f"{what} must be epoch seconds, an ISO 8601 time with a zone (2026-11-29T09:00:00Z) or relative (-1h)"
        )
    if not MIN_TIME <= number <= MAX_TIME:
        raise ValueError(f"{what} is outside the calendar (years 1 to 9999)")
    return number
