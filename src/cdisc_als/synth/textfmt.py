"""Vectorized formatting of collected values as an EDC exports them (dates, times, decimals).

Why not ``strftime``/``str.format``: they run a Python call per value, and the generator must
write millions of values for 10,000 subjects. Lookup tables indexed by numpy integer arrays do
the same in a few array operations.
"""

from __future__ import annotations

import numpy as np

MONTHS = np.array(
    ["UNK", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    dtype=object,
)
DAYS = np.array(["UN"] + [f"{d:02d}" for d in range(1, 32)], dtype=object)
TIMES = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)
_YEARS = {y: str(y) for y in range(1800, 2200)}
YEAR_BASE = 1800
YEARS = np.array([_YEARS[y] for y in range(1800, 2200)], dtype=object)

NAT = np.datetime64("NaT", "D")


def ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) of a datetime64[D] array (NaT gives garbage: mask it)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    safe = np.where(np.isnat(d), np.datetime64("2000-01-01", "D"), d)
    months = safe.astype("datetime64[M]")
    year = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (safe - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def fmt_date(
    dates: np.ndarray,
    day_unknown: np.ndarray | None = None,
    month_unknown: np.ndarray | None = None,
) -> np.ndarray:
    """``12 MAR 2013``; ``UN MAR 2013`` where the day is unknown, ``UN UNK 2013`` where the
    month is unknown too; empty string for NaT. Returns an object array of str."""
    d = np.asarray(dates, dtype="datetime64[D]")
    year, month, day = ymd(d)
    if day_unknown is not None:
        day = np.where(day_unknown, 0, day)
    if month_unknown is not None:
        day = np.where(month_unknown, 0, day)
        month = np.where(month_unknown, 0, month)
    out = DAYS[day] + " " + MONTHS[month] + " " + YEARS[year - YEAR_BASE]
    out[np.isnat(d)] = ""
    return out


def fmt_time(minutes: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``HH:MM`` from minutes after midnight (0..1439); empty where ``missing``."""
    m = np.clip(np.asarray(minutes, dtype=np.int64), 0, 24 * 60 - 1)
    out = TIMES[m]
    if missing is not None:
        out = np.where(missing, "", out).astype(object)
    return out


def fmt_decimal1(values: np.ndarray) -> np.ndarray:
    """One decimal place (``72.4``), half away from zero, for non-negative values."""
    tenths = np.rint(np.asarray(values, dtype=float) * 10).astype(np.int64)
    return (tenths // 10).astype(str).astype(object) + "." + (tenths % 10).astype(str).astype(object)


SMALL_INTS = np.array([str(i) for i in range(10_000)], dtype=object)


def fmt_int(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Integers as text; empty where ``missing``. Small non-negative values (scores, line
    numbers, ages) come from a lookup table, much faster than ``astype(str)``."""
    v = np.asarray(values, dtype=np.int64)
    if v.size and v.min() >= 0 and v.max() < len(SMALL_INTS):
        out = SMALL_INTS[v]
    else:
        out = v.astype(str).astype(object)
    if missing is not None:
        out[np.asarray(missing, dtype=bool)] = ""
    return out


def zero_pad(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded integers as text (``7`` -> ``007``)."""
    return np.char.zfill(np.asarray(values, dtype=np.int64).astype(str), width).astype(object)
