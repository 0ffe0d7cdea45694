"""Basic Data Structure (BDS) derivations: baseline, change, summary parameters, slopes.

- ``derive_var_base``: BASE (or BASEC, ...) = the value of the baseline record of each group.
- ``derive_var_chg`` / ``derive_var_pchg``: CHG = AVAL - BASE; PCHG = 100 * CHG / BASE
  (missing when BASE is 0 or missing).
- ``derive_summary_records``: a new parameter summarising records of a group (e.g. the ALSFRS-R
  total = sum of the 12 items) -- only when exactly ``require_count`` non-missing values are
  present, so a visit with a missing item gets no total (documented rule, logged).
- ``derive_param_slope``: per-subject least-squares slope of AVAL over time as its own parameter
  (e.g. ALSFRS-R points per month), from at least ``min_points`` records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.adam.common import (
    NAME,
    NAMES,
    VALUES,
    add_columns,
    compute,
    left_join,
    log_source,
    mask,
    require_columns,
    set_values_to,
)
from cdisc_als.ops.registry import Context, operation


@operation(
    "derive_var_base",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "required": True},
            "source_var": {**NAME, "default": "AVAL"},
            "new_var": {**NAME, "default": "BASE"},
            "filter": {"type": "string", "default": 'ABLFL == "Y"'},
        },
    },
    kind="dataset",
)
def derive_var_base(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``new_var`` = ``source_var`` of the baseline record (``filter``) of each ``by`` group; a group
    with several baseline records is logged and the first one used."""
    by = arg["by"]
    require_columns(ctx, frame, [*by, arg["source_var"]], "the working dataset")
    base = frame.loc[mask(ctx, frame, arg["filter"]), [*by, arg["source_var"]]]
    dup = base.duplicated(by)
    if dup.any():
        ctx.log.add("warning", "adam", log_source(ctx), f"{int(dup.sum())} group(s) with more than one baseline record; the first is used",
                    field=ctx.where, target=ctx.domain)
        base = base[~dup]
    base = base.rename(columns={arg["source_var"]: arg["new_var"]})
    return left_join(frame, base, by)


def _change_schema(new_var: str) -> dict:
    """CHG and PCHG take the same inputs (AVAL, BASE); only the default result name differs."""
    return {
        "type": "dict",
        "schema": {
            "new_var": {**NAME, "default": new_var},
            "aval": {**NAME, "default": "AVAL"},
            "base": {**NAME, "default": "BASE"},
        },
    }


@operation("derive_var_chg", schema=_change_schema("CHG"), kind="dataset")
def derive_var_chg(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """CHG = AVAL - BASE (missing when either is missing)."""
    require_columns(ctx, frame, [arg["aval"], arg["base"]], "the working dataset")
    change = frame[arg["aval"]].astype("float64") - frame[arg["base"]].astype("float64")
    return add_columns(frame, {arg["new_var"]: change})


@operation("derive_var_pchg", schema=_change_schema("PCHG"), kind="dataset")
def derive_var_pchg(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """PCHG = 100 * (AVAL - BASE) / BASE; missing when BASE is 0 or missing."""
    require_columns(ctx, frame, [arg["aval"], arg["base"]], "the working dataset")
    base = frame[arg["base"]].astype("float64")
    pchg = 100.0 * (frame[arg["aval"]].astype("float64") - base) / base.where(base != 0)
    return add_columns(frame, {arg["new_var"]: pchg.to_numpy()})


PARAM_DEF = {
    "type": "dict",
    "schema": {
        "filter": {"type": "string", "required": True},
        "require_count": {"type": "integer", "min": 1},
        "set_values_to": {**VALUES, "required": True},
    },
}


@operation(
    "derive_summary_records",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "required": True},
            "filter": {"type": "string", "excludes": "parameters"},
            "analysis_var": {**NAME, "default": "AVAL"},
            "function": {"type": "string", "allowed": ["sum", "mean", "min", "max", "count"], "default": "sum"},
            "require_count": {"type": "integer", "min": 1},
            "keep_first": NAMES,
            "set_values_to": VALUES,
            "parameters": {"type": "list", "schema": PARAM_DEF, "minlength": 1, "excludes": ["filter", "set_values_to"]},
        },
    },
    kind="dataset",
)
def derive_summary_records(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Append one summary record per ``by`` group of the records meeting ``filter``. With
    ``require_count`` a group is summarised only when it has exactly that many non-missing
    values; other groups get no record and are logged. ``keep_first`` carries variables (e.g. ADT)
    from the group's first record. ``parameters`` lists several summaries (each with its own
    ``filter``, ``require_count`` and ``set_values_to``, e.g. a total and its subscores) that are
    appended together, so the working frame is copied once."""
    from cdisc_als.errors import SpecError

    by, var = arg["by"], arg["analysis_var"]
    keep_cols = list(dict.fromkeys([*by, var, *(arg.get("keep_first") or [])]))
    require_columns(ctx, frame, keep_cols, "the working dataset")
    defs = arg.get("parameters") or [
        {"filter": arg.get("filter"), "require_count": arg.get("require_count"), "set_values_to": arg.get("set_values_to")}
    ]
    if any(d.get("filter") is None or not d.get("set_values_to") for d in defs):
        raise SpecError(ctx.spec_file, ctx.where, "needs filter and set_values_to, or a parameters list")
    # group numbers once for the whole frame; each parameter is then a few bincounts
    gid = frame.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    all_values = pd.to_numeric(frame[var], errors="coerce").to_numpy(dtype="float64")
    pieces = []
    for d in defs:  # a handful of parameter definitions, not records
        sel = mask(ctx, frame, d["filter"])
        codes, vals = gid[sel], all_values[sel]
        ok = ~np.isnan(vals)
        present = np.bincount(codes, minlength=n_groups) > 0
        n = np.bincount(codes[ok], minlength=n_groups)
        total = np.bincount(codes[ok], weights=vals[ok], minlength=n_groups)
        func = arg["function"]
        if func == "sum":
            value = total
        elif func == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        elif func == "count":
            value = n.astype("float64")
        else:
            ext = pd.Series(vals[ok]).groupby(codes[ok]).agg(func)
            value = ext.reindex(range(n_groups)).to_numpy(dtype="float64")
        groups = np.flatnonzero(present)
        uniq, first_idx = np.unique(codes, return_index=True)
        first_pos = np.flatnonzero(sel)[first_idx]  # uniq == groups (both ascending)
        agg = frame.iloc[first_pos][[*by, *(arg.get("keep_first") or [])]].reset_index(drop=True)
        agg[var] = value[groups]
        need = d.get("require_count") or arg.get("require_count")
        if need:
            short = n[groups] != need
            if short.any():
                ctx.log.add_rows("info", "adam", log_source(ctx),
                                 f"group without exactly {need} non-missing {var}; no summary record",
                                 agg.loc[short, by[min(1, len(by) - 1)]], field=var, values=pd.Series(n[groups][short]),
                                 target=ctx.domain)
            agg = agg[~short].reset_index(drop=True)
        set_values_to(ctx, agg, d["set_values_to"])
        pieces.append(agg)
    return pd.concat([frame, *pieces], ignore_index=True)


@operation(
    "derive_param_slope",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "required": True},
            "filter": {"type": "string", "required": True},
            "x": {"type": "string", "required": True},
            "y": {**NAME, "default": "AVAL"},
            "x_scale": {"type": "number", "default": 1.0},
            "min_points": {"type": "integer", "min": 2, "default": 2},
            "set_values_to": {**VALUES, "required": True},
        },
    },
    kind="dataset",
)
def derive_param_slope(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Append per-group ordinary least-squares slope of ``y`` on ``x / x_scale`` (e.g. days / 30.4375
    gives points per month), from groups with >= ``min_points`` complete (x, y) pairs; computed
    from group sums, so no loop over subjects."""
    by = arg["by"]
    from cdisc_als.adam.expr import names_in

    used = [c for c in dict.fromkeys([*by, arg["y"], *sorted(names_in(arg["x"]))]) if c in frame.columns]
    src = frame.loc[mask(ctx, frame, arg["filter"]), used]
    x = compute(ctx, src, {"__x": arg["x"]})["__x"].astype("float64") / float(arg["x_scale"])
    y = src[arg["y"]].astype("float64")
    ok = x.notna() & y.notna()
    d = src.loc[ok, by].copy()
    d["__x"], d["__y"] = x[ok], y[ok]
    d["__xx"], d["__xy"] = d["__x"] ** 2, d["__x"] * d["__y"]
    s = d.groupby(by, dropna=False, sort=False).agg(
        n=("__x", "size"), sx=("__x", "sum"), sy=("__y", "sum"), sxx=("__xx", "sum"), sxy=("__xy", "sum")
    ).reset_index()
    few = s["n"] < arg["min_points"]
    if few.any():
        ctx.log.add_rows("info", "adam", log_source(ctx), f"fewer than {arg['min_points']} values; no slope record",
                         s.loc[few, by[-1]], field=arg["y"], values=s.loc[few, "n"], target=ctx.domain)
    s = s[~few]
    denom = s["n"] * s["sxx"] - s["sx"] ** 2
    s["AVAL"] = ((s["n"] * s["sxy"] - s["sx"] * s["sy"]) / denom.where(denom != 0)).astype("float64")
    rec = s[by + ["AVAL"]].rename(columns={"AVAL": arg["y"]}) if arg["y"] != "AVAL" else s[by + ["AVAL"]]
    rec = rec.copy()
    set_values_to(ctx, rec, arg["set_values_to"])
    return pd.concat([frame, rec], ignore_index=True)



@operation(
    "derive_vars_analysis_window",
    schema={
        "type": "dict",
        "schema": {
            "day": {**NAME, "default": "ADY"},
            "baseline": {
                "type": "dict",
                "schema": {"AVISIT": {"type": "string", "required": True}, "AVISITN": {"type": "number", "required": True},
                           "upper": {"type": "number", "required": True}},
            },
            "visits": {
                "type": "list",
                "required": True,
                "minlength": 1,
                "schema": {"type": "dict", "schema": {"AVISIT": {"type": "string", "required": True},
                                                      "AVISITN": {"type": "number", "required": True},
                                                      "target": {"type": "number", "required": True}}},
            },
        },
    },
    kind="dataset",
)
def derive_vars_analysis_window(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """AVISIT/AVISITN, AWTARGET, AWLO, AWHI and AWTDIFF from the analysis day.

    Windows are built from the target days alone: the baseline window is ``day <= upper``; each
    visit's window runs from the day after the midpoint with the previous target (or the day after
    the baseline window) to the midpoint with the next target (integer days, midpoint rounded
    down); the last window extends as far after its target as half the previous gap. A day in no
    window leaves the variables missing (the record stays).
    """
    require_columns(ctx, frame, [arg["day"]], "the working dataset")
    visits = sorted(arg["visits"], key=lambda v: v["target"])
    t = np.array([v["target"] for v in visits], dtype="float64")
    base = arg.get("baseline")
    first_lo = (base["upper"] + 1) if base else -np.inf
    mids = np.floor((t[:-1] + t[1:]) / 2)
    lo = np.concatenate([[first_lo], mids + 1])
    last_hi = t[-1] + (np.floor((t[-1] - t[-2]) / 2) if len(t) > 1 else 0)
    hi = np.concatenate([mids, [last_hi]])
    day = pd.to_numeric(frame[arg["day"]], errors="coerce").to_numpy(dtype="float64")
    idx = np.searchsorted(lo, day, side="right") - 1
    inside = (idx >= 0) & ~np.isnan(day)
    idx_c = np.clip(idx, 0, len(t) - 1)
    inside &= day <= hi[idx_c]
    avisit = np.where(inside, np.array([v["AVISIT"] for v in visits], dtype=object)[idx_c], None)
    avisitn = np.where(inside, np.array([v["AVISITN"] for v in visits], dtype="float64")[idx_c], np.nan)
    target = np.where(inside, t[idx_c], np.nan)
    awlo = np.where(inside, lo[idx_c], np.nan)
    awlo = np.where(np.isinf(awlo), np.nan, awlo)
    awhi = np.where(inside, hi[idx_c], np.nan)
    if base:
        b = ~np.isnan(day) & (day <= base["upper"])
        avisit = np.where(b, base["AVISIT"], avisit)
        avisitn = np.where(b, float(base["AVISITN"]), avisitn)
        target = np.where(b, float(base["upper"]), target)
        awhi = np.where(b, float(base["upper"]), awhi)
        awlo = np.where(b, np.nan, awlo)
    cols = {"AVISIT": avisit, "AVISITN": avisitn, "AWTARGET": target, "AWLO": awlo, "AWHI": awhi,
            "AWTDIFF": np.abs(day - target)}
    return add_columns(frame, cols)
