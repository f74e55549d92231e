"""NumericDate helpers: ISO text and relative phrases such as "expires in 4 min"."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["TimeInfo", "as_numeric_date", "describe_time", "duration", "iso"]

# datetime's own range, so ISO text can always be produced
_MIN_TS = -62135596800
_MAX_TS = 253402300799


@dataclass(frozen=True)
class TimeInfo:
    epoch: float
    iso: str
    relative: str


def as_numeric_date(value: object) -> float | None:
    """The value as seconds since 1970, or None when it is not a finite JSON number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value)


def iso(ts: float) -> str:
    if not _MIN_TS <= ts <= _MAX_TS:
        return "out of the calendar's range"
    moment = datetime.fromtimestamp(ts, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def duration(seconds: float) -> str:
    """'3 min 12 s', '2 h', '4 days 1 h': the two largest units, rounded to the second."""
    total = round(abs(seconds))
    if total < 60:
        return f"{total} s"
    units = (("day", 86400), ("h", 3600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        count, total = divmod(total, size)
        if count and len(parts) < 2:
            label = name if name != "day" else ("day" if count == 1 else "days")
            parts.append(f"{count} {label}")
        elif parts:
            break
    return " ".join(parts)


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
