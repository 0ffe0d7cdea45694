"""SAS display formats and the SAS numeric date convention.

ADaM numeric dates, datetimes and times are SAS numbers with a display format: days since
1960-01-01 (DATE9., YYMMDD10., E8601DA., ...), seconds since 1960-01-01T00:00:00 (DATETIME20.,
E8601DT., ...) and seconds since midnight (TIME8., E8601TM., ...). Inside the project such a
column may be held as ``datetime64`` / ``timedelta64`` (or ``datetime.date`` objects); the writers
convert it to the SAS number, and the readers convert it back, using the format to know which of
the three it is. SDTM dates stay ISO 8601 text and never come here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

Kind = Literal["date", "datetime", "time"]

SAS_EPOCH = pd.Timestamp("1960-01-01")

_DATE = {
    "DATE", "DAY", "DDMMYY", "DDMMYYB", "DDMMYYC", "DDMMYYD", "DDMMYYN", "DDMMYYP", "DDMMYYS",
    "DOWNAME", "E8601DA", "B8601DA", "IS8601DA", "JULDAY", "JULIAN", "MMDDYY", "MMDDYYB",
    "MMDDYYC", "MMDDYYD", "MMDDYYN", "MMDDYYP", "MMDDYYS", "MMYY", "MONNAME", "MONTH", "MONYY",
    "NLDATE", "QTR", "WEEKDATE", "WEEKDATX", "WEEKDAY", "WORDDATE", "WORDDATX", "YEAR", "YYMM",
    "YYMMDD", "YYMMDDB", "YYMMDDC", "YYMMDDD", "YYMMDDN", "YYMMDDP", "YYMMDDS", "YYMON", "YYQ",
}  # fmt: skip
_DATETIME = {
    "DATETIME", "DATEAMPM", "DTDATE", "DTMONYY", "DTWKDATX", "DTYEAR", "DTYYQC", "E8601DT",
    "B8601DT", "IS8601DT", "E8601DN", "B8601DN", "MDYAMPM", "NLDATM",
}  # fmt: skip
_TIME = {"TIME", "TIMEAMPM", "TOD", "HHMM", "HOUR", "MMSS", "E8601TM", "B8601TM", "IS8601TM", "NLTIME"}

#: Default display format given to a date-like column that has none in its metadata.
DEFAULT_FORMAT: dict[Kind, str] = {"date": "DATE9.", "datetime": "DATETIME20.", "time": "TIME8."}

_FORMAT_RE = re.compile(r"^(\$?[A-Z_](?:[A-Z0-9_]*[A-Z_])?|\$)?(\d+)?\.(\d+)?$")


class SasFormat(NamedTuple):
    """A parsed display format: ``DATE9.`` -> ("DATE", 9, 0); ``8.2`` -> ("", 8, 2)."""

    name: str
    width: int
    decimals: int

    @property
    def text(self) -> str:
        """The format as SAS writes it (``DATE9.``, ``8.2``, ``$CHAR20.``, ``BEST.``)."""
        width = str(self.width) if self.width else ""
        dec = str(self.decimals) if self.decimals else ""
        return f"{self.name}{width}.{dec}"


def parse_format(text: str | None) -> SasFormat | None:
    """Parse a SAS format; ``None`` for no format; ``ValueError`` when it is not one.

    A missing final dot is tolerated (``DATE9`` as pyreadstat reports it means ``DATE9.``).
    """
    if text is None or not str(text).strip():
        return None
    value = str(text).strip().upper()
    if "." not in value:
        value += "."
    match = _FORMAT_RE.match(value)
    if not match:
        raise ValueError(f"not a SAS format: {text!r}")
    name, width, dec = match.groups()
    return SasFormat(name or "", int(width or 0), int(dec or 0))


def format_kind(fmt: SasFormat | str | None) -> Kind | None:
    """Whether a format displays a date, a datetime or a time (``None`` for anything else)."""
    if isinstance(fmt, str):
        fmt = parse_format(fmt)
    if fmt is None:
        return None
    if fmt.name in _DATE:
        return "date"
    if fmt.name in _DATETIME:
        return "datetime"
    if fmt.name in _TIME:
        return "time"
    return None


def temporal_kind(series: pd.Series) -> Kind | None:
    """The kind of date-like values a column holds, or ``None`` for ordinary data.

    Object columns are classified by their first non-null value (``datetime.date``,
    ``datetime.datetime``, ``datetime.time``); a column mixing those with other values fails
    later in the conversion with the offending row.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime" if _has_time_part(series) else "date"
    if pd.api.types.is_timedelta64_dtype(series):
        return "time"
    if series.dtype == object:
        index = series.first_valid_index()
        if index is None:
            return None
        first = series.loc[index]
        if isinstance(first, dt.datetime):
            return "datetime"
        if isinstance(first, dt.date):
            return "date"
        if isinstance(first, dt.time):
            return "time"
    return None


def _has_time_part(series: pd.Series) -> bool:
    values = _naive(series)
    return bool((values.dropna() != values.dropna().dt.normalize()).any())


def _naive(series: pd.Series) -> pd.Series:
    """datetime64 without time zone (a zoned value keeps its wall-clock time)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_localize(None)
    return series


def to_sas_number(series: pd.Series, kind: Kind) -> np.ndarray:
    """SAS numbers (float64, NaN = missing) for a date-like column, read as ``kind``.

    ``date``: days since 1960-01-01; ``datetime``: seconds since 1960-01-01T00:00;
    ``time``: seconds since midnight. Raises ``ValueError`` for values that do not fit ``kind``
    (a date with a time part, unparseable objects).
    """
    if kind == "time":
        if pd.api.types.is_timedelta64_dtype(series):
            delta = series
        else:
            # str(datetime.time) is its ISO form "HH:MM:SS[.ffffff]"
            delta = pd.to_timedelta(series.astype(str).where(series.notna(), None), errors="raise")
        return (delta / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = _naive(series).to_numpy()
    else:  # date/datetime objects (or ISO text); numpy's units reach years 1-9999 and beyond
        objects = series.astype(object).where(series.notna(), None).to_numpy()
        stamps = np.array(objects, dtype="datetime64[us]")
    seconds = (stamps - np.datetime64("1960-01-01T00:00:00", "us")) / np.timedelta64(1, "s")
    if kind == "datetime":
        return seconds
    days = seconds / 86400.0
    with np.errstate(invalid="ignore"):
        partial = np.flatnonzero(~np.isnan(days) & (days != np.floor(days)))
    if partial.size:
        raise ValueError(
            f"row {partial[0] + 1}: {series.iloc[partial[0]]} has a time part but the format "
            "is a date format (use a DATETIME format)"
        )
    return days


def from_sas_number(values: np.ndarray, kind: Kind) -> pd.Series:
    """``datetime64`` (date: seconds unit, datetime: microseconds) or ``timedelta64[us]`` (time).

    Coarser units than pandas' default nanoseconds keep every SAS date of years 1-9999 (for
    example the 9999-12-31 placeholder) representable.
    """
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if kind == "date":
        units = np.where(missing, 0, np.round(values * 86400)).astype(np.int64)
        out = np.datetime64("1960-01-01T00:00:00", "s") + units.astype("timedelta64[s]")
        out[missing] = np.datetime64("NaT")
        return pd.Series(out)
    units = np.where(missing, 0, np.round(values * 1e6)).astype(np.int64)
    delta = units.astype("timedelta64[us]")
    if kind == "time":
        delta[missing] = np.timedelta64("NaT")
        return pd.Series(delta)
    out = np.datetime64("1960-01-01T00:00:00", "us") + delta
    out[missing] = np.datetime64("NaT")
    return pd.Series(out)


#: SAS numbers of the first and last ISO 8601 dates (0001-01-01, 9999-12-31).
FIRST_DAY = (dt.date(1, 1, 1) - dt.date(1960, 1, 1)).days
LAST_DAY = (dt.date(9999, 12, 31) - dt.date(1960, 1, 1)).days


def iso_problems(values: np.ndarray, kind: Kind) -> np.ndarray:
    """Mask of SAS numbers that have no ISO 8601 form in whole units (days or seconds).

    Dates must be whole days of years 1-9999; datetimes whole seconds in that span; times whole
    seconds of one day (0 <= t < 86400).
    """
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(values)
        fractional = present & (values != np.floor(values))
        if kind == "date":
            outside = (values < FIRST_DAY) | (values > LAST_DAY)
        elif kind == "datetime":
            outside = (values < FIRST_DAY * 86400.0) | (values >= (LAST_DAY + 1) * 86400.0)
        else:
            outside = (values < 0) | (values >= 86400)
    return fractional | (present & outside)
