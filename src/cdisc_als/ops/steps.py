"""Dataset-level steps that reshape the working frame before variables are mapped:
``filter``, ``transpose`` (wide -> long), ``join``, ``union`` and ``reject_duplicates``.

Every record a step removes is written to the conversion log with the spec's reason and recorded
for the runner's accounting check (records in = records landed + records logged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.errors import DataError
from cdisc_als.ops import expr
from cdisc_als.ops.assign import COLUMN, is_blank
from cdisc_als.ops.registry import INTERNAL_COLUMNS, ROW_COLUMN, SOURCE_COLUMN, Context, operation

SEVERITY = {"type": "string", "allowed": ["error", "warning", "info"]}

FILTER_SCHEMA = {
    "type": "dict",
    "schema": {
        "where": {"type": "string", "required": True, "empty": False},
        "reason": {"type": "string", "required": True, "empty": False},
        "severity": SEVERITY,
    },
}


@operation("filter", schema=FILTER_SCHEMA, kind="dataset", inputs=lambda a: expr.columns(a["where"]))
def filter_rows(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Keep the records where ``where`` is true; each other record is logged with ``reason``.

    Example: ``- filter: {where: "notnull(IT.AETERM)", reason: "AE form without a term"}``.
    Severity defaults to ``info`` (an intended exclusion); use ``error`` for bad records.
    """
    try:
        keep = expr.condition(arg["where"], frame)
    except expr.ExprError as exc:
        raise ctx.fail(str(exc)) from None
    ctx.log_rows(frame, ~keep, arg["reason"], severity=arg.get("severity", "info"), target=None, dropped=True)
    # the runner's working frame is its own: no need for the full copy an all-True mask makes
    return frame[keep] if not keep.all() else frame


TRANSPOSE_SCHEMA = {
    "type": "dict",
    "schema": {
        "id": {"type": "list", "schema": COLUMN},
        "columns": {
            "anyof": [{"type": "list", "schema": COLUMN, "minlength": 1}, {"type": "dict", "minlength": 1, "valuesrules": {"type": ["string", "number"]}}],
            "required": True,
        },
        "name": {**COLUMN, "required": True},
        "value": {**COLUMN, "required": True},
        "dropna": {"type": "boolean"},
        "reason": {"type": "string"},
    },
}


def _transpose_inputs(arg: dict) -> list[str]:
    cols = list(arg["columns"]) if isinstance(arg["columns"], (list, dict)) else []
    return list(arg.get("id", [])) + [str(c) for c in cols]


@operation("transpose", schema=TRANSPOSE_SCHEMA, kind="dataset", inputs=_transpose_inputs)
def transpose(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Wide -> long: one record per listed column, its name (or the mapped code) in ``name`` and
    its value in ``value``. Blank values are dropped (``dropna: false`` keeps them); a raw record
    whose listed columns are all blank is logged (info) as producing no record.

    Example: ``transpose: {columns: {ALSFRS1: ALSF0101, ALSFRS2: ALSF0102}, name: QSTESTCD,
    value: QSORRES}``.
    """
    cols = arg["columns"]
    mapping = {str(c): str(c) for c in cols} if isinstance(cols, list) else {str(k): str(v) for k, v in cols.items()}
    ids = list(arg.get("id") or [c for c in frame.columns if c not in mapping and c not in INTERNAL_COLUMNS])
    ids += [c for c in INTERNAL_COLUMNS if c in frame.columns]
    wide = frame[list(mapping)]
    values = wide.to_numpy(dtype=object)
    if arg.get("dropna", True):
        keep = ~pd.concat([is_blank(wide[c]) for c in mapping], axis=1).to_numpy()
    else:
        keep = np.ones(values.shape, dtype=bool)
    # row-major nonzero: record order, then the listed column order
    rows, cols_idx = np.nonzero(keep)
    long = frame[ids].take(rows)
    long.index = pd.RangeIndex(len(long))  # a fresh frame: no reset_index copy of the long data
    long[arg["name"]] = np.asarray(list(mapping.values()), dtype=object)[cols_idx]
    long[arg["value"]] = values[rows, cols_idx]
    empty = ~keep.any(axis=1)
    if empty.any():
        ctx.log_rows(
            frame, pd.Series(empty, index=frame.index),
            arg.get("reason", "no value in any transposed column"), severity="info", dropped=True,
        )
    return long


JOIN_SCHEMA = {
    "type": "dict",
    "schema": {
        "table": COLUMN,
        "dataset": COLUMN,
        "on": {"anyof": [COLUMN, {"type": "list", "schema": COLUMN}, {"type": "dict", "valuesrules": COLUMN}], "required": True},
        "columns": {"anyof": [{"type": "list", "schema": COLUMN}, {"type": "dict", "valuesrules": COLUMN}]},
        "how": {"type": "string", "allowed": ["left", "inner"]},
        "many": {"type": "boolean"},
        "reason": {"type": "string"},
        "severity": SEVERITY,
    },
}


def _on(arg: dict) -> dict[str, str]:
    on = arg["on"]
    if isinstance(on, str):
        return {on: on}
    if isinstance(on, list):
        return {c: c for c in on}
    return dict(on)


@operation("join", schema=JOIN_SCHEMA, kind="dataset", inputs=lambda a: list(_on(a)))
def join(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Add columns of another raw ``table`` or built ``dataset`` matched on keys.

    ``on``: key name(s), or ``{this: other}``; ``columns``: which to bring (list, or
    ``{other: new_name}``); ``how: inner`` drops (and logs, with ``reason``) records without a
    match; several matches per record are an error unless ``many: true``.
    Example: ``- join: {dataset: DM, on: USUBJID, columns: [RFSTDTC]}``.
    """
    name = arg.get("table") or arg.get("dataset")
    if not name:
        raise ctx.fail("join needs `table` or `dataset`")
    other = ctx.dataset_frame(name) if arg.get("dataset") else ctx.read_source(name)  # type: ignore[misc]
    keys = _on(arg)
    missing = [c for c in keys.values() if c not in other.columns]
    if missing:
        raise ctx.fail(f"join: {name} has no key column(s) {missing}")
    cols = arg.get("columns") or [c for c in other.columns if c not in keys.values() and c not in INTERNAL_COLUMNS]
    rename = {c: c for c in cols} if isinstance(cols, list) else dict(cols)
    missing = [c for c in rename if c not in other.columns]
    if missing:
        raise ctx.fail(f"join: {name} has no column(s) {missing}")
    right = other[list(keys.values()) + list(rename)].rename(columns={**rename, **{v: k for k, v in keys.items()}})
    if not arg.get("many"):
        dup = right.duplicated(list(keys), keep=False)
        if dup.any():
            example = right.loc[dup, list(keys)].iloc[0].to_dict()
            raise DataError(name, f"join keys {list(keys.values())} are not unique (e.g. {example}); add `many: true` if intended")
    clash = [c for c in rename.values() if c in frame.columns and c not in keys]
    if clash:
        raise ctx.fail(f"join: column(s) {clash} already exist; rename them with columns: {{src: new}}")
    merged = frame.reset_index(drop=True).merge(right, on=list(keys), how="left", indicator="_m")
    if arg.get("how") == "inner":
        nomatch = merged["_m"] == "left_only"
        ctx.log_rows(merged, nomatch, arg.get("reason", f"no matching record in {name}"),
                     severity=arg.get("severity", "error"), dropped=True)
        merged = merged[~nomatch]
    return merged.drop(columns="_m")


UNION_SCHEMA = {"type": "list", "schema": COLUMN, "minlength": 1}


@operation("union", schema=UNION_SCHEMA, kind="dataset")
def union(ctx: Context, frame: pd.DataFrame, arg: list) -> pd.DataFrame:
    """Append the records of other raw tables (columns matched by name; missing ones null).

    Each record keeps its own file name and row number. Example: ``- union: [ae_raw_site2]``.
    """
    parts = [frame] + [ctx.read_source(t) for t in arg]  # type: ignore[misc]
    return pd.concat(parts, ignore_index=True, sort=False)


DEDUP_SCHEMA = {
    "type": "dict",
    "schema": {
        "keys": {"type": "list", "schema": COLUMN, "required": True},
        "keep": {"type": "string", "allowed": ["first", "last"]},
        "reason": {"type": "string"},
        "severity": SEVERITY,
    },
}


@operation("reject_duplicates", schema=DEDUP_SCHEMA, kind="dataset", inputs=lambda a: list(a["keys"]))
def reject_duplicates(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Keep one record per ``keys`` (the first, or ``keep: last``); log the others as duplicates.

    Example: ``- reject_duplicates: {keys: [PATNUM, FOLDER], reason: "duplicate form"}``.
    """
    dup = frame.duplicated(arg["keys"], keep=arg.get("keep", "first"))
    ctx.log_rows(frame, dup, arg.get("reason", f"duplicate record for {arg['keys']}"),
                 severity=arg.get("severity", "error"), dropped=True)
    return frame[~dup] if dup.any() else frame


def row_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """(source, row) of every record in a frame (for accounting)."""
    return frame[[SOURCE_COLUMN, ROW_COLUMN]].drop_duplicates()


