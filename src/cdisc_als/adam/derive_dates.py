"""Date derivations: ISO 8601 text to numeric dates with imputation, study days, durations.

Names and arguments follow admiral (``derive_vars_dt``, ``derive_vars_dtm``,
``derive_vars_dtm_to_dt``, ``derive_vars_dy``, ``derive_vars_duration``) so a clinical programmer
recognises them; the imputation rules are documented in :mod:`cdisc_als.adam.dates`.
Invalid ISO 8601 text is never dropped silently: it gives a missing date and a log entry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.adam.common import NAME, NAMES, as_datetime, log_source, require_columns
from cdisc_als.adam.dates import impute, parse_iso
from cdisc_als.ops.registry import ROW_COLUMN, Context, operation

IMPUTATION = {"type": "string", "regex": r"^(first|mid|last|\d{2}-\d{2})$"}
DT_SCHEMA = {
    "type": "dict",
    "schema": {
        "dtc": {**NAME, "required": True},
        "new_vars_prefix": NAME,
        "new_var": NAME,
        "highest_imputation": {"type": "string", "allowed": ["Y", "M", "D", "n"], "default": "n"},
        "date_imputation": {**IMPUTATION, "default": "first"},
        "flag_imputation": {"type": "string", "allowed": ["auto", "date", "none"], "default": "auto"},
        "min_dates": NAMES,
        "max_dates": NAMES,
    },
}


def _bounds(frame: pd.DataFrame, names: list[str] | None) -> list[pd.Series]:
    return [as_datetime(frame[n]) for n in names or []]


def _log_invalid(ctx: Context, frame: pd.DataFrame, dtc: str, parts: pd.DataFrame) -> None:
    bad = ~parts["valid"].to_numpy(dtype=bool)
    if bad.any():
        rows = frame[ROW_COLUMN][bad] if ROW_COLUMN in frame.columns else pd.Series(np.flatnonzero(bad) + 1)
        ctx.log.add_rows(
            "warning", "adam", log_source(ctx), f"{dtc} is not a valid ISO 8601 date; derived date left missing",
            rows, field=dtc, values=frame.loc[bad, dtc], target=ctx.domain,
        )


def _apply_bounds(value, dflag, tflag, parts, frame, arg, highest, date_imp, time_imp):
    """Re-run the imputation once per bound column (admiral applies each min/max date in turn)."""
    mins, maxs = _bounds(frame, arg.get("min_dates")), _bounds(frame, arg.get("max_dates"))
    if not mins and not maxs:
        return value, dflag, tflag
    for b in mins:
        value, dflag, tflag = _merge(value, dflag, tflag, impute(parts, highest, date_imp, time_imp, min_dates=b))
    for b in maxs:
        value, dflag, tflag = _merge(value, dflag, tflag, impute(parts, highest, date_imp, time_imp, max_dates=b), later=False)
    return value, dflag, tflag


def _merge(value, dflag, tflag, other, later: bool = True):
    v2, d2, t2 = other
    if later:
        use = v2.notna() & (value.isna() | (v2 > value))
    else:
        use = v2.notna() & (value.isna() | (v2 < value))
    return value.where(~use, v2), dflag.where(~use, d2), tflag.where(~use, t2)


@operation("derive_vars_dt", schema=DT_SCHEMA, kind="dataset")
def derive_vars_dt(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``<prefix>DT`` (and ``<prefix>DTF``) from an ISO 8601 ``dtc`` with admiral's imputation rules."""
    require_columns(ctx, frame, [arg["dtc"]], "the working dataset")
    parts = parse_iso(frame[arg["dtc"]])
    _log_invalid(ctx, frame, arg["dtc"], parts)
    highest, date_imp = arg["highest_imputation"], arg["date_imputation"]
    value, dflag, tflag = impute(parts, highest, date_imp, None)
    value, dflag, _ = _apply_bounds(value, dflag, tflag, parts, frame, arg, highest, date_imp, None)
    prefix = arg.get("new_vars_prefix")
    name = arg.get("new_var") or f"{prefix}DT"
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    out[name] = value.to_numpy()
    flag = arg["flag_imputation"] == "date" or (arg["flag_imputation"] == "auto" and highest != "n")
    if flag:
        out[f"{prefix or name[:-2]}DTF"] = dflag.to_numpy()
    return out


@operation(
    "derive_vars_dtm",
    schema={
        "type": "dict",
        "schema": {
            **DT_SCHEMA["schema"],
            "highest_imputation": {"type": "string", "allowed": ["Y", "M", "D", "h", "m", "s", "n"], "default": "h"},
            "time_imputation": {"type": "string", "regex": r"^(first|last|\d{2}:\d{2}:\d{2})$", "default": "first"},
            "flag_imputation": {"type": "string", "allowed": ["auto", "date", "time", "both", "none"], "default": "auto"},
            "ignore_seconds_flag": {"type": "boolean", "default": False},
        },
    },
    kind="dataset",
)
def derive_vars_dtm(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``<prefix>DTM`` with ``<prefix>DTF``/``<prefix>TMF`` imputation flags (admiral rules)."""
    require_columns(ctx, frame, [arg["dtc"]], "the working dataset")
    parts = parse_iso(frame[arg["dtc"]])
    _log_invalid(ctx, frame, arg["dtc"], parts)
    highest, date_imp, time_imp = arg["highest_imputation"], arg["date_imputation"], arg["time_imputation"]
    value, dflag, tflag = impute(parts, highest, date_imp, time_imp)
    value, dflag, tflag = _apply_bounds(value, dflag, tflag, parts, frame, arg, highest, date_imp, time_imp)
    if arg["ignore_seconds_flag"]:
        tflag = tflag.where(tflag != "S")
    prefix = arg.get("new_vars_prefix") or arg.get("new_var", "X")[:-3]
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    out[arg.get("new_var") or f"{prefix}DTM"] = value.to_numpy()
    fi = arg["flag_imputation"]
    date_level = highest in ("Y", "M", "D")
    if fi in ("date", "both") or (fi == "auto" and date_level):
        out[f"{prefix}DTF"] = dflag.to_numpy()
    if fi in ("time", "both") or (fi == "auto" and highest != "n"):
        out[f"{prefix}TMF"] = tflag.to_numpy()
    return out


@operation(
    "derive_vars_dtm_to_dt",
    schema={"type": "dict", "schema": {"source_vars": {**NAMES, "required": True}}},
    kind="dataset",
)
def derive_vars_dtm_to_dt(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``xxDT`` = date part of ``xxDTM`` for each source variable."""
    require_columns(ctx, frame, arg["source_vars"], "the working dataset")
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    for name in arg["source_vars"]:
        target = name[:-3] + "DT" if name.endswith("DTM") else name + "DT"
        out[target] = as_datetime(frame[name]).dt.normalize()
    return out


def study_day(dates: pd.Series, ref: pd.Series) -> pd.Series:
    """Study day: date - reference + 1 on/after the reference, date - reference before (no day 0)."""
    d = as_datetime(dates).dt.normalize()
    r = as_datetime(ref).dt.normalize()
    diff = (d - r).dt.days.astype("float64")
    return diff.where(diff < 0, diff + 1)


@operation(
    "derive_vars_dy",
    schema={
        "type": "dict",
        "schema": {"reference_date": {**NAME, "required": True}, "source_vars": {**NAMES, "required": True}},
    },
    kind="dataset",
)
def derive_vars_dy(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``xxDY`` relative day of each ``xxDT``/``xxDTM`` to ``reference_date`` (no day 0)."""
    require_columns(ctx, frame, [arg["reference_date"], *arg["source_vars"]], "the working dataset")
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    for name in arg["source_vars"]:
        stem = name[:-3] if name.endswith("DTM") else name[:-2] if name.endswith("DT") else name
        out[f"{stem}DY"] = study_day(frame[name], frame[arg["reference_date"]]).to_numpy()
    return out


UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}


@operation(
    "derive_vars_duration",
    schema={
        "type": "dict",
        "schema": {
            "new_var": {**NAME, "required": True},
            "new_var_unit": NAME,
            "start_date": {**NAME, "required": True},
            "end_date": {**NAME, "required": True},
            "out_unit": {"type": "string", "allowed": list(UNITS), "default": "days"},
            "unit_value": {"type": "string"},
            "add_one": {"type": "boolean", "default": True},
            "trunc_out": {"type": "boolean", "default": False},
            "floor_in": {"type": "boolean", "default": True},
        },
    },
    kind="dataset",
)
def derive_vars_duration(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Duration from start to end date in days/weeks/months/years (one day added when >= 0)."""
    require_columns(ctx, frame, [arg["start_date"], arg["end_date"]], "the working dataset")
    s, e = as_datetime(frame[arg["start_date"]]), as_datetime(frame[arg["end_date"]])
    if arg["floor_in"]:
        s, e = s.dt.normalize(), e.dt.normalize()
    days = (e - s).dt.total_seconds() / 86400.0
    if arg["add_one"]:
        days = days.where(days < 0, days + 1)
    value = days / UNITS[arg["out_unit"]]
    if arg["trunc_out"]:
        value = np.trunc(value)
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    out[arg["new_var"]] = value.astype("float64").to_numpy()
    if arg.get("new_var_unit"):
        unit = arg.get("unit_value") or arg["out_unit"]
        out[arg["new_var_unit"]] = np.where(value.notna(), unit, None)
    return out
