"""Operations that combine values *within* a record, and a step that adds helper columns early.

- ``max_of`` / ``min_of``: the latest / earliest of several columns of the same record (e.g.
  RFPENDTC = the latest of the last contact dates found on several CRFs). ``from_dataset``
  aggregates *across* records of one table; these combine its results across tables.
- ``round``: a number rounded to a fixed count of decimals, half away from zero (as SAS ``round``
  and as clinical conversions such as °F -> °C or lb -> kg are usually reported).
- ``compute`` (dataset step): columns computed by any variable operation *before* later dataset
  steps, so that a ``filter`` or ``transpose`` can read a value derived from the whole raw record
  (e.g. "every measurement of this row is blank") that is no longer visible once the row is
  transposed.

All vectorized: loops run over the listed columns, never over records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.ops.assign import COLUMN
from cdisc_als.ops.registry import INTERNAL_COLUMNS, Context, operation, run_variable_op

ROW_AGG_SCHEMA = {"type": "list", "schema": COLUMN, "minlength": 1}


def _row_extreme(frame: pd.DataFrame, cols: list[str], latest: bool) -> pd.Series:
    """Row-wise max (``latest``) or min of ``cols``, nulls ignored; null when all are null.

    Numeric columns compare as numbers; anything else as text, which orders ISO 8601 values
    correctly (``2014-07-02T11:45`` > ``2014-07-02``: the more precise value of a day wins a tie).
    """
    parts = [frame[c] for c in cols]
    numeric = all(pd.api.types.is_numeric_dtype(p) for p in parts)
    out: pd.Series | None = None
    for p in parts:
        p = p.astype(float) if numeric else p.astype("object").where(p.notna(), None)
        if out is None:
            out = p.copy()
            continue
        both = out.notna() & p.notna()
        better = both & ((p > out) if latest else (p < out)) if numeric else both & _text_cmp(p, out, latest)
        take = (out.isna() & p.notna()) | better
        out = out.where(~take, p)
    assert out is not None
    return out if numeric else out.astype("object").where(out.notna(), None)


def _text_cmp(a: pd.Series, b: pd.Series, greater: bool) -> pd.Series:
    """``a > b`` (or ``a < b``) as text, on the rows where both are present."""
    x, y = a.fillna("").astype(str), b.fillna("").astype(str)
    return (x > y) if greater else (x < y)


@operation("max_of", schema=ROW_AGG_SCHEMA, inputs=list)
def max_of(ctx: Context, frame: pd.DataFrame, arg: list) -> pd.Series:
    """The largest (latest) non-null value among the listed columns of the same record.

    ISO 8601 dates compare as text; on the same day the value with a time wins.
    ``RFPENDTC: {max_of: [_LAST_DS, _LAST_AE, _LAST_VS]}``.
    """
    return _row_extreme(frame, list(arg), latest=True)


@operation("min_of", schema=ROW_AGG_SCHEMA, inputs=list)
def min_of(ctx: Context, frame: pd.DataFrame, arg: list) -> pd.Series:
    """The smallest (earliest) non-null value among the listed columns of the same record.

    ``RFICDTC: {min_of: [_IC_DEMOG, _IC_DISPOSITION]}``.
    """
    return _row_extreme(frame, list(arg), latest=False)


ROUND_SCHEMA = {
    "type": "dict",
    "schema": {
        "value": {"anyof": [COLUMN, {"type": "dict"}], "required": True},
        "digits": {"type": "integer", "min": 0, "max": 12, "required": True},
    },
}


def _round_inputs(arg: dict) -> list[str]:
    return [arg["value"]] if isinstance(arg.get("value"), str) else []


@operation("round", schema=ROUND_SCHEMA, inputs=_round_inputs)
def round_half_up(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """A number rounded to ``digits`` decimals, halves away from zero (SAS ``round``).

    ``value`` is a column or any variable operation (typically ``expr``); text that is not a number
    is logged with its row and left null.
    ``VSSTRESN: {round: {value: {expr: "(num(VSORRES) - 32) * 5 / 9"}, digits: 2}}``.
    """
    raw = run_variable_op(ctx, frame, arg["value"])
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & num.isna()
    if bad.any():
        ctx.log_rows(frame, bad, "not a number", severity="error", field=str(arg["value"]), values=raw)
    scale = 10.0 ** int(arg["digits"])
    x = num.astype(float) * scale
    # a tiny relative nudge absorbs binary representation error (2.675 is 2.67499999...)
    nudged = np.sign(x) * np.floor(np.abs(x) * (1 + 1e-12) + 0.5)
    return pd.Series(nudged / scale, index=frame.index)


COMPUTE_SCHEMA = {"type": "dict", "minlength": 1, "keysrules": COLUMN, "valuesrules": {"type": "dict", "minlength": 1}}


@operation("compute", schema=COMPUTE_SCHEMA, kind="dataset")
def compute(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Add columns computed by variable operations, before the dataset steps that follow.

    Use it when a later step must see a value of the whole raw record, e.g. before a transpose:
    ``steps: [{compute: {_ALLBLANK: {expr: "if_else(isnull(SYS) and isnull(DIA), 'Y', None)"}}},
    {transpose: ...}, {filter: {where: "notnull(ORRES) or _ALLBLANK == 'Y'", reason: ...}}]``.
    Names should start with ``_`` (helpers are never output); a name that is an internal column is
    an error.
    """
    out = frame.copy()
    for name, entry in arg.items():
        if name in INTERNAL_COLUMNS:
            raise ctx.fail(f"compute: {name!r} is an internal column")
        value = run_variable_op(ctx, out, entry)
        out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return out
