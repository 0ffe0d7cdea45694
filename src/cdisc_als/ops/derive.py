"""Record-level derivations: ``seq`` (--SEQ), ``baseline_flag`` (--BLFL/--LOBXFL) and ``from_dataset``
(a value aggregated from another dataset, e.g. RFSTDTC = first EXSTDTC).

All work on whole columns: sorts, group-wise cumulative counts and merges, never a row loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.ops import expr
from cdisc_als.ops.assign import COLUMN, is_blank
from cdisc_als.ops.dates import reference_values, to_date
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context, operation, run_variable_op

SEQ_SCHEMA = {
    "anyof": [
        {"type": "list", "schema": COLUMN, "minlength": 1},
        {
            "type": "dict",
            "schema": {
                "by": {"type": "list", "schema": COLUMN, "required": True},
                "order": {"type": "list", "schema": COLUMN},
            },
        },
    ]
}


def _seq_cols(arg: Any) -> tuple[list[str], list[str]]:
    if isinstance(arg, list):
        return [arg[0]], list(arg)
    return list(arg["by"]), list(arg["by"]) + list(arg.get("order", []))


def _sort_key(s: pd.Series) -> pd.Series:
    """Sort numbers as numbers even when stored as text; nulls last (as SAS sorts them first, we
    choose last so that records with a date come before undated ones)."""
    if s.dtype == object:
        num = expr.by_unique(s, lambda u: pd.to_numeric(u, errors="coerce"))
        if num.notna().sum() == s.notna().sum() and s.notna().any():
            return num
    return s


@operation("seq", schema=SEQ_SCHEMA, inputs=lambda a: _seq_cols(a)[1])
def seq(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """--SEQ: 1, 2, ... within ``by`` (USUBJID) in the order of the listed keys, ties in raw order.

    List form: the first column groups, all columns sort: ``AESEQ: {seq: [USUBJID, AESTDTC, AETERM]}``.
    Dict form: ``{seq: {by: [USUBJID], order: [AESTDTC, AETERM]}}``.
    """
    by, order = _seq_cols(arg)
    keys = pd.DataFrame({f"k{i}": _sort_key(frame[c]) for i, c in enumerate(order)}, index=frame.index)
    tie = [c for c in (SOURCE_COLUMN, ROW_COLUMN) if c in frame.columns]
    for i, c in enumerate(tie):
        keys[f"t{i}"] = frame[c].to_numpy()
    keys["_pos"] = np.arange(len(frame))
    ordered = keys.sort_values(list(keys.columns), na_position="last", kind="mergesort")
    grp = frame.loc[ordered.index, by]
    n = grp.groupby(by, dropna=False, sort=False).cumcount() + 1
    return n.reindex(frame.index).astype(float)


BASELINE_SCHEMA = {
    "type": "dict",
    "schema": {
        "by": {"type": "list", "schema": COLUMN, "required": True},
        "date": {**COLUMN, "required": True},
        "value": {**COLUMN, "required": True},
        "ref": COLUMN,
        "dataset": COLUMN,
        "strict": {"type": "boolean"},
        "where": {"type": "string"},
    },
}


@operation(
    "baseline_flag",
    schema=BASELINE_SCHEMA,
    inputs=lambda a: [*a["by"], a["date"], a["value"]],
)
def baseline_flag(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """--BLFL / --LOBXFL: ``Y`` on the last record with a non-missing ``value`` dated on or before
    the reference date (``ref``, default DM.RFXSTDTC), per ``by`` group; else null.

    ``strict: true`` uses *before* instead of *on or before*; ``where`` limits the candidates.
    Dates compare at day precision; partial dates are not candidates.
    Example: ``QSBLFL: {baseline_flag: {by: [USUBJID, QSTESTCD], date: QSDTC, value: QSORRES}}``.
    """
    ref_name = arg.get("ref", "RFXSTDTC")
    ref = reference_values(ctx, frame, ref_name, arg.get("dataset", "DM"), "USUBJID")
    d, r = to_date(frame[arg["date"]]), to_date(ref)
    val = frame[arg["value"]]
    has_val = ~is_blank(val)
    ok = d.notna() & r.notna() & has_val & ((d < r) if arg.get("strict") else (d <= r))
    if arg.get("where"):
        ok &= expr.condition(arg["where"], frame)
    cand = frame.loc[ok, arg["by"]].copy()
    cand["_d"] = d[ok]
    cand["_full"] = frame.loc[ok, arg["date"]].astype(str)
    cand["_pos"] = np.arange(int(ok.sum()))
    cand = cand.sort_values(["_d", "_full", "_pos"], kind="mergesort")
    last = cand.groupby(arg["by"], dropna=False, sort=False).tail(1).index
    out = pd.Series(None, index=frame.index, dtype="object")
    out.loc[last] = "Y"
    return out


FROM_DATASET_SCHEMA = {
    "type": "dict",
    "schema": {
        "dataset": {**COLUMN, "excludes": "table"},
        "table": {**COLUMN, "excludes": "dataset"},
        "value": {"anyof": [COLUMN, {"type": "dict"}], "required": True},
        "by": {"anyof": [COLUMN, {"type": "list", "schema": COLUMN}, {"type": "dict", "valuesrules": COLUMN}], "required": True},
        "agg": {"type": "string", "allowed": ["min", "max", "first", "last", "count", "any"]},
        "where": {"type": "string"},
        "order": {"type": "list", "schema": COLUMN},
    },
}


def _by(arg: dict) -> dict[str, str]:
    by = arg["by"]
    if isinstance(by, str):
        return {by: by}
    if isinstance(by, list):
        return {b: b for b in by}
    return dict(by)


@operation("from_dataset", schema=FROM_DATASET_SCHEMA, inputs=lambda a: list(_by(a)))
def from_dataset(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """A value from another dataset (built domain such as EX, or raw table such as ec_raw; use
    ``table:`` instead of ``dataset:`` to name a raw table that shares a domain's name),
    aggregated per key and merged back: ``min``/``max`` (ISO dates sort as text), ``first``/``last``
    (in ``order`` or record order), ``count``, ``any`` (Y when any record matches).

    ``by`` maps this frame's key to the other's (``{PATNUM: PATNUM}``, or a name/list when equal).
    ``value`` is a column or any variable operation run on the other dataset, e.g.
    ``RFSTDTC: {from_dataset: {dataset: ec_raw, by: PATNUM, agg: min,
    value: {iso8601: {date: IT.ECSTDAT, format: DD-Mon-YYYY}}, where: "num(IT.ECDSTXT) >= 0"}}``.
    """
    keys = _by(arg)
    name = arg.get("dataset") or arg.get("table")
    if not name:
        raise ctx.fail("from_dataset needs `dataset` (built domain, else raw table) or `table` (raw table)")
    other = ctx.read_source(name) if arg.get("table") else ctx.dataset_frame(name)  # type: ignore[misc]
    missing = [c for c in keys.values() if c not in other.columns]
    if missing:
        raise ctx.fail(f"from_dataset: {name} has no column(s) {missing}")
    if arg.get("where"):
        try:
            other = other[expr.condition(arg["where"], other)]
        except expr.ExprError as exc:
            raise ctx.fail(f"from_dataset.where: {exc}") from None
    # Bad values of the other table are reported by its own spec; a nested op must not log twice.
    quiet = Context(**{**ctx.__dict__, "log": type(ctx.log)(), "dropped": []})
    value = run_variable_op(quiet, other, arg["value"])
    work = pd.DataFrame({f"_k{i}": other[c].to_numpy() for i, c in enumerate(keys.values())})
    work["_v"] = value.to_numpy()
    kcols = [f"_k{i}" for i in range(len(keys))]
    agg = arg.get("agg", "first")
    if agg in ("min", "max"):
        work = work[work["_v"].notna()]
        work = work.sort_values("_v", kind="mergesort", ascending=agg == "min")
        res = work.drop_duplicates(kcols, keep="first")
    elif agg in ("first", "last"):
        if arg.get("order"):
            for i, c in enumerate(arg["order"]):
                work[f"_o{i}"] = other[c].to_numpy()
            work = work.sort_values([f"_o{i}" for i in range(len(arg["order"]))], kind="mergesort", na_position="last")
        work = work[work["_v"].notna()]
        res = work.drop_duplicates(kcols, keep=agg)
    elif agg == "count":
        res = work.groupby(kcols, dropna=False).size().rename("_v").reset_index()
    else:  # any
        res = work[work["_v"].notna()].drop_duplicates(kcols).assign(_v="Y")
    res = res[[*kcols, "_v"]]
    left = pd.DataFrame({f"_k{i}": frame[c].to_numpy() for i, c in enumerate(keys)})
    merged = left.merge(res, on=kcols, how="left")
    out = pd.Series(merged["_v"].to_numpy(), index=frame.index)
    if agg == "count":
        out = out.fillna(0).astype(float)
    return out.astype("object") if out.dtype == object else out
