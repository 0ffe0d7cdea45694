"""Periods: assign each record to the ADSL period its date falls in (APERIOD, TRTA, TRTP, ...).

ADSL carries one set of period variables per period (``AP01SDT``/``AP01EDT``, ``TRT01A``, ...).
``derive_vars_period`` turns them into one row per subject and period, joins them to the
working records and keeps the period whose ``[APxxSDT, APxxEDT]`` contains the record's date
(an open end, missing APxxEDT, contains every later date). New variables are written with
``{xx}`` for the two-digit period number, e.g. ``TRTA: TRT{xx}A``; ``APERIOD`` is the number.
A record before the first period or in a gap gets missing values (and stays in the dataset).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_als.adam.common import (
    NAME,
    NAMES,
    SUBJECT_KEYS,
    add_columns,
    as_datetime,
    get_frame,
    require_columns,
)
from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import Context, operation


@operation(
    "derive_vars_period",
    schema={
        "type": "dict",
        "schema": {
            "dataset_adsl": {"type": "string", "default": "ADSL"},
            "by": {**NAMES, "default": SUBJECT_KEYS},
            "date": {**NAME, "required": True},
            "start": {"type": "string", "default": "AP{xx}SDT"},
            "end": {"type": "string", "default": "AP{xx}EDT"},
            "period_var": {**NAME, "default": "APERIOD"},
            "new_vars": {"type": "dict", "keysrules": NAME, "valuesrules": {"type": "string"}, "default": {}},
        },
    },
    kind="dataset",
)
def derive_vars_period(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """APERIOD (and e.g. TRTA/TRTAN) from the ADSL period whose start/end dates contain ``date``."""
    by = arg["by"]
    adsl = get_frame(ctx, arg["dataset_adsl"], frame)
    require_columns(ctx, frame, [*by, arg["date"]], "the working dataset")
    pattern = re.compile("^" + re.escape(arg["start"]).replace(r"\{xx\}", r"(\d\d)") + "$")
    periods = sorted(m.group(1) for c in adsl.columns if (m := pattern.match(c)))
    if not periods:
        raise SpecError(ctx.spec_file, ctx.where, f"dataset {arg['dataset_adsl']} has no period start variables {arg['start']}")
    long = []
    for xx in periods:  # loop over period numbers (columns), not over records
        cols = {"__sdt": arg["start"].replace("{xx}", xx), "__edt": arg["end"].replace("{xx}", xx)}
        cols.update({k: v.replace("{xx}", xx) for k, v in arg["new_vars"].items()})
        part = adsl[by].copy()
        for new, src in cols.items():
            part[new] = adsl[src].to_numpy() if src in adsl.columns else None
        part[arg["period_var"]] = float(int(xx))
        long.append(part)
    per = pd.concat(long, ignore_index=True)
    per["__sdt"], per["__edt"] = as_datetime(per["__sdt"]), as_datetime(per["__edt"])
    work = frame[by].reset_index(drop=True).assign(__rid=np.arange(len(frame)), __d=as_datetime(frame[arg["date"]]).dt.normalize().to_numpy())
    j = work.merge(per, on=by, how="inner")
    inside = (j["__d"] >= j["__sdt"]) & (j["__edt"].isna() | (j["__d"] <= j["__edt"]))
    j = j[inside.fillna(False)].sort_values(["__rid", arg["period_var"]]).drop_duplicates("__rid")
    newcols = [arg["period_var"], *arg["new_vars"]]
    pos = pd.DataFrame({"__rid": np.arange(len(frame))}).merge(j[["__rid", *newcols]], on="__rid", how="left")
    return add_columns(frame, {c: pos[c].to_numpy() for c in newcols})
