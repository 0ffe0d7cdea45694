"""ISO 8601 formats and calendar dates: patterns, cached parsing, and the date format checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    VARS,
    concat,
    hits,
    operator,
    present_vars,
)
from cdisc_als.rules.context import Context
from cdisc_als.rules.frame import Target, as_text

# ISO 8601 as SDTM uses it: complete or right-truncated date/time, unknown middle components as
# "-" (e.g. 2003---15), optional fraction and time zone.
DTC_RE = (
    r"^(?:\d{4}|-)(?:-(?:\d{2}|-)(?:-(?:\d{2}|-)"
    r"(?:T(?:\d{2}|-)(?::(?:\d{2}|-)(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)


# ISO 8601 duration; RE2 (Arrow) has no look-ahead, so "at least one component" and "T followed by
# a component" are the extra conditions in ``duration_ok``.
DUR_RE = (
    r"^-?P(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$"
)


def duration_ok(s: pd.Series) -> pd.Series:
    """True where ``s`` is an ISO 8601 duration (P1D, PT2H30M, -P1Y; not P or P1DT)."""
    return s.str.match(DUR_RE) & s.str.contains(r"\d", regex=True) & ~s.str.endswith("T")


def datetime_ok(s: pd.Series) -> pd.Series:
    return s.str.match(DTC_RE)


COMPLETE_DATE_RE = r"^\d{4}-\d{2}-\d{2}"


def complete_dates(s: pd.Series) -> pd.Series:
    """datetime64 for values whose date part is complete and a real calendar date, else NaT.

    The strict format makes partial values (2020-01, 2003---15) and impossible dates NaT.
    Results are memoized per Series object (rules share the cached text columns).
    """
    key = id(s)
    hit = _DATE_CACHE.get(key)
    if hit is not None and hit[0] is s:
        return hit[1]
    out = pd.to_datetime(s.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    if len(_DATE_CACHE) > 256:
        _DATE_CACHE.clear()
    _DATE_CACHE[key] = (s, out)
    return out


_DATE_CACHE: dict[int, tuple[pd.Series, pd.Series]] = {}


def to_days(col: pd.Series, kind: str) -> pd.Series:
    """Dates as days since 1960-01-01 (SAS), from SAS numbers, datetime64 or ISO text."""
    if pd.api.types.is_datetime64_any_dtype(col):
        c = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        return ((c - pd.Timestamp("1960-01-01")) / pd.Timedelta(days=1)).astype("float64")
    if pd.api.types.is_numeric_dtype(col):
        x = col.astype("float64")
        return x / 86400.0 if kind == "datetime" else x
    parsed = pd.to_datetime(as_text(col), errors="coerce", format="ISO8601")
    return ((parsed - pd.Timestamp("1960-01-01")) / pd.Timedelta(days=1)).astype("float64")


@operator("iso8601", vars=VARS, kind={"type": "string", "allowed": ["datetime", "duration", "datetime_or_interval"], "default": "datetime"})
def op_iso8601(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Character date/times (or durations) are ISO 8601 strings. Numeric columns are skipped."""
    kind = args.get("kind", "datetime")
    check = duration_ok if kind == "duration" else datetime_ok
    parts = []
    for v in present_vars(t, args["vars"]):
        if t.is_numeric_col(v) or pd.api.types.is_datetime64_any_dtype(t.frame[v]):
            continue
        s = t.text(v)
        ok = check(s)
        if kind == "datetime_or_interval":
            halves = s.astype(object).str.split("/", n=1, expand=True)
            if halves.shape[1] == 2:
                ok = ok | (check(halves[0]) & check(halves[1]))
        bad = mask & s.notna().to_numpy() & ~ok.fillna(False).to_numpy(dtype=bool)
        parts.append(hits(bad, v, s, "ISO 8601 " + ("duration" if kind == "duration" else "date/time")))
    return concat(parts)


@operator("valid_date", vars=VARS)
def op_valid_date(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """A complete date part is a real calendar date (2013-02-31 is not); time parts in range."""
    parts = []
    for v in present_vars(t, args["vars"]):
        if t.is_numeric_col(v) or pd.api.types.is_datetime64_any_dtype(t.frame[v]):
            continue
        s = t.text(v)
        has_date = s.str.match(COMPLETE_DATE_RE).fillna(False).to_numpy(dtype=bool)
        bad_date = has_date & complete_dates(s).isna().to_numpy()
        bad_time = np.zeros(len(s), dtype=bool)
        timed = s.str.contains("T", regex=False).fillna(False).to_numpy(dtype=bool)
        if timed.any():
            tm = s[timed].str.extract(r"T(\d{2})(?::(\d{2}))?(?::(\d{2}))?")
            h, m, sec = (pd.to_numeric(tm[i], errors="coerce") for i in range(3))
            bad_time[timed] = ((h > 23) | (m > 59) | (sec > 59)).fillna(False).to_numpy(dtype=bool)
        parts.append(hits(mask & (bad_date | bad_time), v, s, "valid calendar date/time"))
    return concat(parts)
