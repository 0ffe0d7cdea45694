"""ISO 8601 text dates to numeric ADaM dates/datetimes, with admiral-style imputation.

Numeric dates are pandas ``datetime64[ns]`` columns (dates at midnight); the writers turn them
into SAS dates/datetimes (days/seconds since 1960-01-01) with DATE9./DATETIME20. formats. Keeping
datetime64 in memory makes date arithmetic, comparisons and parquet round trips exact.

Imputation follows ADaMIG's *DTF/*TMF conventions and admiral's ``derive_vars_dt(m)`` rules:

- ``highest_imputation``: the highest component that may be imputed: ``Y`` (year, only together
  with ``min_dates``/``max_dates``), ``M`` (month and day), ``D`` (day), ``h``/``m``/``s``
  (time parts, datetimes only), ``n`` (none: the date must be complete).
- ``date_imputation``: ``first`` (01, January), ``mid`` (15th; 06-30 when the month is missing),
  ``last`` (last day of the month; 12-31), or a fixed ``MM-DD``.
- ``time_imputation``: ``first`` (00:00:00), ``last`` (23:59:59) or ``hh:mm:ss``.
- ``min_dates``/``max_dates``: when the partial date's possible range contains one of these dates,
  the imputed date is not allowed to be earlier (``min``) / later (``max``) than it; e.g. an AE
  start ``2013-03`` with first dose on 2013-03-12 is imputed as 2013-03-12, not 2013-03-01.
- Flags: ``*DTF`` is ``Y``/``M``/``D`` for the highest imputed date part, ``*TMF`` ``H``/``M``/``S``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ISO_RE = (
    r"^(?P<y>\d{4})?(?:-(?P<m>\d{2}|-))?(?:-(?P<d>\d{2}|-))?"
    r"(?:T(?P<H>\d{2}|-)?(?::(?P<M>\d{2}|-))?(?::(?P<S>\d{2}(?:\.\d+)?))?)?$"
)
LEVELS = {"Y": 6, "M": 5, "D": 4, "h": 3, "m": 2, "s": 1, "n": 0}


def parse_iso(dtc: pd.Series) -> pd.DataFrame:
    """Split ISO 8601 text into float columns y, m, d, H, M, S (NaN where missing/invalid).

    Column ``valid`` says whether the text is a well-formed ISO 8601 value at all (blank counts
    as valid-but-missing); an invalid text (e.g. ``13/03/2013``) gives all components missing.
    Dates repeat a lot (every lab test of a visit shares one date), so the text is parsed once
    per distinct value and the result spread back with the factorized codes.
    """
    codes, uniques = pd.factorize(dtc.astype("object"), use_na_sentinel=True)
    parsed = _parse_unique(pd.Series(uniques, dtype="object"))
    missing = pd.DataFrame(
        {c: [np.nan] for c in ["y", "m", "d", "H", "M", "S"]} | {"valid": [True]}
    )
    table = pd.concat([parsed, missing], ignore_index=True)
    out = table.iloc[np.where(codes < 0, len(parsed), codes)].reset_index(drop=True)
    out.index = dtc.index
    out["valid"] = out["valid"].astype(bool)
    return out


def _parse_unique(dtc: pd.Series) -> pd.DataFrame:
    txt = dtc.astype("string").str.strip()
    parts = txt.str.extract(ISO_RE)
    out = pd.DataFrame(index=dtc.index)
    for c in ["y", "m", "d", "H", "M", "S"]:
        out[c] = pd.to_numeric(parts[c].where(parts[c] != "-"), errors="coerce").astype("float64")
    present = txt.notna() & (txt != "")
    matched = parts.notna().any(axis=1)
    out["valid"] = (~present | matched).to_numpy()
    # a day without month (e.g. "2013---15") cannot be used: keep only the year
    out.loc[out["m"].isna(), "d"] = np.nan
    # impossible calendar dates (2013-02-31) are invalid
    full = out["y"].notna() & out["m"].notna() & out["d"].notna()
    if full.any():
        check = pd.to_datetime(
            pd.DataFrame({"year": out.loc[full, "y"], "month": out.loc[full, "m"], "day": out.loc[full, "d"]}),
            errors="coerce",
        )
        bad = check.isna()
        if bad.any():
            idx = check.index[bad]
            out.loc[idx, ["y", "m", "d", "H", "M", "S"]] = np.nan
            out.loc[idx, "valid"] = False
    return out


def _month_start(y: pd.Series, m: pd.Series) -> np.ndarray:
    """datetime64[D] of the first day of each (year, month); NaT where either is missing."""
    ok = (y.notna() & m.notna()).to_numpy()
    months = np.where(ok, (y.fillna(1970).to_numpy() - 1970) * 12 + (m.fillna(1).to_numpy() - 1), 0).astype("int64")
    out = months.astype("datetime64[M]").astype("datetime64[D]")
    return np.where(ok, out, np.datetime64("NaT"))


def _days_in_month(y: pd.Series, m: pd.Series) -> pd.Series:
    start = _month_start(y.fillna(2000), m.fillna(1))
    nxt = (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return pd.Series((nxt - start).astype("int64").astype("float64"), index=y.index)


def impute(
    parts: pd.DataFrame,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    time_imputation: str | None = None,
    min_dates: pd.Series | None = None,
    max_dates: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Imputed datetime64 values plus the date flag (``Y/M/D``) and time flag (``H/M/S``) Series.

    With ``time_imputation=None`` the result is a date (time parts ignored, time flag all missing).
    """
    idx = parts.index
    level = LEVELS[highest_imputation]
    y, m, d = parts["y"].copy(), parts["m"].copy(), parts["d"].copy()
    miss_y, miss_m, miss_d = y.isna(), m.isna(), d.isna()
    has_bounds = min_dates is not None or max_dates is not None
    # which records can be imputed at all
    ok = ~miss_y | ((level >= LEVELS["Y"]) & has_bounds)
    ok &= ~miss_m | pd.Series(level >= LEVELS["M"], index=idx)
    ok &= ~miss_d | pd.Series(level >= LEVELS["D"], index=idx)
    ok &= ~parts["y"].isna() | pd.Series(has_bounds and level >= LEVELS["Y"], index=idx)

    how = date_imputation.lower() if isinstance(date_imputation, str) else "first"
    if how == "first":
        mm, dd_first = 1.0, True
        fixed_day = 1.0
    elif how == "mid":
        mm, dd_first, fixed_day = 6.0, True, 15.0
    elif how == "last":
        mm, dd_first, fixed_day = 12.0, False, None
    else:  # "MM-DD"
        mm_s, dd_s = how.split("-")
        mm, dd_first, fixed_day = float(mm_s), True, float(dd_s)
    m_imp = m.where(~miss_m, mm)
    if how == "mid":
        d_imp = d.where(~miss_d, np.where(miss_m, 30.0, 15.0))
    elif dd_first:
        d_imp = d.where(~miss_d, fixed_day)
    else:
        d_imp = d.where(~miss_d, _days_in_month(y, m_imp))
    y_imp = y.copy()
    # the earliest/latest possible date of each partial value (used by min/max dates)
    lo = _assemble(y, m.fillna(1.0), d.fillna(1.0))
    hi_m = m.fillna(12.0)
    hi = _assemble(y, hi_m, d.where(~miss_d, _days_in_month(y, hi_m)))
    date = _assemble(y_imp, m_imp, d_imp)

    dflag = pd.Series(None, index=idx, dtype="object")
    dflag[miss_d] = "D"
    dflag[miss_m] = "M"
    dflag[miss_y] = "Y"

    if time_imputation is not None:
        t_how = str(time_imputation).lower()
        if t_how == "first":
            th, tm, ts = 0.0, 0.0, 0.0
        elif t_how == "last":
            th, tm, ts = 23.0, 59.0, 59.0
        else:
            th, tm, ts = (float(x) for x in t_how.split(":"))
        H, M, S = parts["H"], parts["M"], parts["S"]
        # when the date part is imputed, the whole time is imputed too
        date_imputed = miss_d | miss_m | miss_y
        H = H.where(~date_imputed)
        M = M.where(~date_imputed & H.notna())
        S = S.where(~date_imputed & M.notna())
        tflag = pd.Series(None, index=idx, dtype="object")
        tflag[S.isna()] = "S"
        tflag[M.isna()] = "M"
        tflag[H.isna()] = "H"
        t_level = np.select([H.isna(), M.isna(), S.isna()], [3, 2, 1], 0)
        ok &= pd.Series(t_level <= level, index=idx)
        secs = H.fillna(th) * 3600 + M.fillna(tm) * 60 + np.floor(S.fillna(ts))
        value = date + pd.to_timedelta(secs, unit="s")
        hi = hi + pd.to_timedelta(86399, unit="s")
    else:
        tflag = pd.Series(None, index=idx, dtype="object")
        value = date

    for bound, kind in ((min_dates, "min"), (max_dates, "max")):
        if bound is None:
            continue
        b = pd.to_datetime(bound).astype("datetime64[ns]")
        partial = (miss_d | miss_m | miss_y) & b.notna()
        in_range = partial & ((b >= lo) & (b <= hi) | miss_y)
        if kind == "min":
            use = in_range & (value.isna() | (value < b) | miss_y)
        else:
            use = in_range & (value.isna() | (value > b) | miss_y)
        value = value.where(~use, b)
        if time_imputation is not None:
            tflag = tflag.where(~use, tflag)  # flags keep describing what the text lacked
    value = value.where(ok)
    dflag = dflag.where(ok & value.notna())
    tflag = tflag.where(ok & value.notna())
    return value.astype("datetime64[ns]"), dflag, tflag


def _assemble(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
    """datetime64[ns] from year/month/day floats (numpy calendar arithmetic, no parsing)."""
    start = _month_start(y, m)
    ok = ~np.isnat(start) & d.notna().to_numpy()
    days = np.where(ok, d.fillna(1).to_numpy() - 1, 0).astype("int64").astype("timedelta64[D]")
    value = np.where(ok, start + days, np.datetime64("NaT"))
    return pd.Series(value.astype("datetime64[ns]"), index=y.index)


def to_datetime(values: pd.Series) -> pd.Series:
    """Any date-like column (datetime64, date objects, ISO text) as naive datetime64[ns]."""
    if pd.api.types.is_datetime64_any_dtype(values):
        s = values
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return pd.to_datetime(values.astype("string"), errors="coerce").astype("datetime64[ns]")
    return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
