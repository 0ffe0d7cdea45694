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
    left_join,
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
    # one key-only join of the subject's period columns, then one vectorized test per period
    # (a loop over the few periods, not over records); the first period that contains the date wins
    wanted = {}
    for xx in periods:
        wanted[f"__sdt{xx}"] = arg["start"].replace("{xx}", xx)
        wanted[f"__edt{xx}"] = arg["end"].replace("{xx}", xx)
        for new, src in arg["new_vars"].items():
            wanted[f"__{new}{xx}"] = src.replace("{xx}", xx)
    per = adsl[by].copy()
    for col, src in wanted.items():
        per[col] = adsl[src].to_numpy() if src in adsl.columns else None
    per = per.drop_duplicates(by)
    joined = left_join(frame[by], per, by)
    d = as_datetime(frame[arg["date"]]).dt.normalize().to_numpy()
    n = len(frame)
    period = np.full(n, np.nan)
    found = np.zeros(n, dtype=bool)
    values = {new: np.full(n, None, dtype=object) for new in arg["new_vars"]}
    for xx in periods:
        sdt = as_datetime(joined[f"__sdt{xx}"]).to_numpy()
        edt = as_datetime(joined[f"__edt{xx}"]).to_numpy()
        inside = ~found & ~np.isnat(d) & ~np.isnat(sdt) & (d >= sdt) & (np.isnat(edt) | (d <= edt))
        period[inside] = float(int(xx))
        for new in arg["new_vars"]:
            values[new][inside] = joined[f"__{new}{xx}"].to_numpy()[inside]
        found |= inside
    cols = {arg["period_var"]: period}
    for new, vals in values.items():
        kind = pd.api.types.infer_dtype(vals[found], skipna=True) if found.any() else "empty"
        numeric = kind in ("integer", "floating", "mixed-integer-float", "decimal")
        cols[new] = pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy(dtype="float64") if numeric else vals
    return add_columns(frame, cols)
