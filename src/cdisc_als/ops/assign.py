"""Assignment operations: constants, copies, concatenations, value maps, numbers, expressions.

Names follow sdtm.oak (``hardcode``/``assign_no_ct`` become ``constant``/``copy``) so that a
clinical programmer recognises them. All are vectorized over the working frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.ops import expr
from cdisc_als.ops.registry import Context, operation

COLUMN = {"type": "string", "empty": False}
SCALAR = {"type": ["string", "number", "boolean"], "nullable": True}


def resolve_ref(ctx: Context, value: Any) -> Any:
    """``$study.a.b`` -> ``study.yaml``'s ``a: {b: ...}``; anything else is returned unchanged."""
    if not (isinstance(value, str) and value.startswith("$study.")):
        return value
    node: Any = ctx.study.config if ctx.study is not None else {}
    for part in value[len("$study.") :].split("."):
        if not isinstance(node, dict) or part not in node:
            raise ctx.fail(f"{value}: study.yaml has no {part!r} there")
        node = node[part]
    return node


def text(series: pd.Series) -> pd.Series:
    """A column as text (numbers without a spurious ``.0``), nulls kept as None."""
    return expr._text(series)


def is_blank(series: pd.Series) -> pd.Series:
    """Null, or text of only spaces (vectorized)."""
    return expr._blank(series)


@operation("constant", schema=SCALAR)
def constant(ctx: Context, frame: pd.DataFrame, arg: Any) -> Any:
    """Same value on every record (sdtm.oak ``hardcode_no_ct``); ``$study.studyid`` reads study.yaml.

    Example: ``STUDYID: {constant: $study.studyid}``, ``DOMAIN: {constant: AE}``.
    """
    return resolve_ref(ctx, arg)


def _col(arg: Any) -> list[str]:
    return [arg] if isinstance(arg, str) else []


@operation("copy", schema=COLUMN, inputs=_col)
def copy(ctx: Context, frame: pd.DataFrame, arg: str) -> pd.Series:
    """The raw value as it is (sdtm.oak ``assign_no_ct``). Example: ``AETERM: {copy: IT.AETERM}``."""
    return frame[arg]


@operation("rename", schema=COLUMN, inputs=_col)
def rename(ctx: Context, frame: pd.DataFrame, arg: str) -> pd.Series:
    """Same as ``copy`` (reads better when a raw column simply changes name)."""
    return frame[arg]


_PART = {"anyof": [COLUMN, {"type": "dict", "schema": {"value": {"type": "string", "required": True}}}]}
CONCAT_SCHEMA = {
    "anyof": [
        {"type": "list", "schema": _PART, "minlength": 1},
        {
            "type": "dict",
            "schema": {
                "parts": {"type": "list", "schema": _PART, "required": True, "minlength": 1},
                "sep": {"type": "string"},
                "skip_missing": {"type": "boolean"},
            },
        },
    ]
}


def _concat_inputs(arg: Any) -> list[str]:
    parts = arg if isinstance(arg, list) else arg.get("parts", [])
    return [p for p in parts if isinstance(p, str)]


def _join(ctx: Context, frame: pd.DataFrame, parts: list[Any], sep: str, skip_missing: bool) -> pd.Series:
    cols = []
    for p in parts:
        if isinstance(p, dict):
            cols.append(pd.Series([resolve_ref(ctx, p["value"])] * len(frame), index=frame.index, dtype="object"))
        else:
            cols.append(text(frame[p]))
    if not cols:
        return pd.Series([], dtype="object")
    if len(frame) > 1:
        # each distinct combination of the parts' texts is joined once and spread back: a
        # USUBJID on a 2.8 M-record QS is a few thousand joins, and equal results share one string
        combo = np.zeros(len(frame), dtype=np.int64)
        for col in cols:
            codes, uniq = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=False)
            combo, _ = pd.factorize(combo * (len(uniq) + 1) + codes)
        _, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
        if len(first) < len(frame):
            few = [pd.Series(c.to_numpy(dtype=object)[first], dtype="object") for c in cols]
            joined = _join_texts(few, sep, skip_missing)
            return pd.Series(joined.to_numpy(dtype=object)[inverse.ravel()], index=frame.index, dtype="object",
                             name=joined.name)
    return _join_texts(cols, sep, skip_missing)


def _join_texts(cols: list[pd.Series], sep: str, skip_missing: bool) -> pd.Series:
    """The parts (texts, None for null) joined record by record (vectorized over the columns)."""
    stacked = pd.concat(cols, axis=1, ignore_index=True)
    if skip_missing:
        return _join_skip(stacked, sep)
    filled = stacked.fillna("")
    out = filled[0].astype("object")
    for i in range(1, stacked.shape[1]):
        out = out + sep + filled[i].astype("object")
    return out.where(~stacked.isna().any(axis=1), None)


def _join_skip(stacked: pd.DataFrame, sep: str) -> pd.Series:
    """Join the non-null parts with ``sep`` (column loop, not a row loop)."""
    out = pd.Series(np.full(len(stacked), None, dtype=object), index=stacked.index)
    for i in range(stacked.shape[1]):
        col = stacked[i]
        joined = out + sep + col
        out = joined.where(out.notna() & col.notna(), out.where(out.notna(), col))
    return out


@operation("concat", schema=CONCAT_SCHEMA, inputs=_concat_inputs)
def concat(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """Join columns and literals; a null part makes the result null unless ``skip_missing``.

    Example: ``USUBJID: {concat: {parts: [{value: "01"}, PATNUM], sep: "-"}}`` -> ``01-701-1015``.
    """
    if isinstance(arg, list):
        return _join(ctx, frame, arg, "", False)
    return _join(ctx, frame, arg["parts"], arg.get("sep", ""), arg.get("skip_missing", False))


USUBJID_SCHEMA = {
    "anyof": [
        {"type": "list", "schema": COLUMN, "minlength": 1},
        {
            "type": "dict",
            "schema": {
                "columns": {"type": "list", "schema": COLUMN, "required": True},
                "prefix": {"type": "string", "nullable": True},
                "sep": {"type": "string"},
            },
        },
    ]
}


@operation(
    "usubjid",
    schema=USUBJID_SCHEMA,
    inputs=lambda a: list(a) if isinstance(a, list) else list(a["columns"]),
)
def usubjid(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """STUDYID, then the listed columns, joined with ``-`` (prefix defaults to ``$study.studyid``).

    Example: ``USUBJID: {usubjid: [SITEID, SUBJID]}`` -> ``ADMSC-ALS-01-003``.
    """
    cols = arg if isinstance(arg, list) else arg["columns"]
    prefix = "$study.studyid" if isinstance(arg, list) else arg.get("prefix", "$study.studyid")
    sep = "-" if isinstance(arg, list) else arg.get("sep", "-")
    parts: list[Any] = ([{"value": prefix}] if prefix else []) + list(cols)
    return _join(ctx, frame, parts, sep, False)


VALUE_MAP_SCHEMA = {
    "type": "dict",
    "schema": {
        "from": {**COLUMN, "required": True},
        "map": {"type": "dict", "required": True, "valuesrules": SCALAR},
        "ignore_case": {"type": "boolean"},
        "unmapped": {"type": "string", "allowed": ["error", "keep", "null"]},
    },
}


def map_values(
    ctx: Context, frame: pd.DataFrame, values: pd.Series, mapping: dict, *, ignore_case: bool, field: str
) -> tuple[pd.Series, pd.Series]:
    """Map values through ``mapping``; returns (mapped, unmapped-mask of non-null inputs)."""
    keys = {str(k): v for k, v in mapping.items()}
    src = text(values)
    if ignore_case:
        keys = {k.strip().upper(): v for k, v in keys.items()}
        lookup = expr.by_unique(src, lambda u: u.str.strip().str.upper())
    else:
        lookup = src
    mapped = lookup.map(keys)
    known = lookup.isin(list(keys))
    unmapped = src.notna() & ~known
    return mapped.where(known, None).astype("object"), unmapped


@operation("value_map", schema=VALUE_MAP_SCHEMA, inputs=lambda a: [a["from"]])
def value_map(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """Explicit collected-value -> submission-value table, written from the CRF.

    An unmapped non-null value is logged (file, row, field, value) and left null, unless
    ``unmapped: keep`` (pass through) or ``null`` (silently null: use only for known junk).
    Example: ``SEX: {value_map: {from: IT.SEX, map: {Female: F, Male: M}}}``.
    """
    mapped, unmapped = map_values(
        ctx, frame, frame[arg["from"]], arg["map"], ignore_case=arg.get("ignore_case", False), field=arg["from"]
    )
    mode = arg.get("unmapped", "error")
    if mode == "keep":
        return mapped.where(~unmapped, text(frame[arg["from"]]))
    if mode == "error":
        ctx.log_rows(frame, unmapped, "value not in value_map", field=arg["from"], values=frame[arg["from"]])
    return mapped


NUMERIC_SCHEMA = {"anyof": [COLUMN, {"type": "dict", "schema": {"from": {**COLUMN, "required": True}}}]}


def _from(arg: Any) -> str:
    return arg if isinstance(arg, str) else arg["from"]


@operation("numeric", schema=NUMERIC_SCHEMA, inputs=lambda a: [_from(a)])
def numeric(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """Text -> number; a non-numeric value is logged and left null. Example: ``AGE: {numeric: IT.AGE}``."""
    col = _from(arg)
    raw = frame[col]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float)
    stripped = text(raw).str.strip()
    num = pd.to_numeric(stripped, errors="coerce")
    bad = stripped.notna() & stripped.ne("") & num.isna()
    ctx.log_rows(frame, bad, "not a number", field=col, values=raw)
    return num.astype(float)


@operation("expr", schema={"type": "string", "empty": False}, inputs=expr.columns)
def expression(ctx: Context, frame: pd.DataFrame, arg: str) -> Any:
    """A value computed with the expression language (see docs/spec-language.md).

    Example: ``AGEU: {expr: "if_else(notnull(AGE), 'YEARS', None)"}``.
    """
    try:
        return expr.evaluate(arg, frame)
    except expr.ExprError as exc:
        raise ctx.fail(str(exc)) from None


@operation("coalesce", schema={"type": "list", "schema": COLUMN, "minlength": 1}, inputs=list)
def coalesce(ctx: Context, frame: pd.DataFrame, arg: list) -> pd.Series:
    """First non-null of the listed columns. Example: ``DSSTDTC: {coalesce: [_DTHDTC, _DSSTDTC]}``."""
    out = frame[arg[0]].astype("object")
    for col in arg[1:]:
        out = out.where(out.notna(), frame[col])
    return out
