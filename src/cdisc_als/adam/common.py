"""Helpers shared by the derivation operations: sources, ordering, grouping, cerberus pieces.

All selection of "first/last record per group" is done by a stable sort plus
``groupby().head(1)``/``tail(1)`` on whole columns, never by looping over subjects.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.adam.expr import ExprError, condition, evaluate_series
from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import Context

# cerberus fragments reused by the operation schemas
NAME = {"type": "string", "regex": r"^[A-Za-z_][A-Za-z0-9_]*$"}
NAMES = {"type": "list", "schema": NAME}
ORDER = {"type": "list", "schema": {"type": "string", "regex": r"^(-|desc\()?[A-Za-z_][A-Za-z0-9_]*\)?$"}}
EXPR = {"type": ["string", "number", "boolean"], "nullable": True}
#: variable name -> expression (``set_values_to``, ``missing_values``, ...)
VALUES = {"type": "dict", "keysrules": NAME, "valuesrules": EXPR}
NEW_VARS = {"anyof": [{"type": "list", "schema": NAME}, VALUES]}
MODE = {"type": "string", "allowed": ["first", "last"]}
SUBJECT_KEYS = ["STUDYID", "USUBJID"]
SELF = "."  # a source name meaning "the dataset being derived"


def get_frame(ctx: Context, name: str, frame: pd.DataFrame | None = None, required: bool = True) -> pd.DataFrame | None:
    """The frame of a source dataset (SDTM, ADaM built so far, or a work dataset).

    ``"."`` or the name of the dataset being derived means the current working frame. A missing
    source is a spec/data problem: with ``required`` it raises SpecError naming the spec entry;
    otherwise it is logged as a warning and ``None`` is returned (the caller documents the rule).
    """
    key = name.upper()
    if frame is not None and (name == SELF or key == (ctx.domain or "").upper()):
        return frame
    if key in ctx.datasets:
        value = ctx.datasets[key]
        return value.data if hasattr(value, "data") else value
    if required:
        have = ", ".join(sorted(ctx.datasets)) or "none"
        raise SpecError(ctx.spec_file, ctx.where, f"source dataset {name!r} is not available (have: {have})")
    ctx.log.add(
        "warning",
        "adam",
        log_source(ctx),
        f"source dataset {key} not available; its records are not used for this derivation",
        field=ctx.where,
        target=ctx.domain,
    )
    return None


def log_source(ctx: Context) -> str:
    """The log's ``source``: the dataset whose rows the entry's row numbers refer to, and the spec."""
    from pathlib import Path

    spec = Path(ctx.spec_file).name if ctx.spec_file else ""
    if ctx.source_file:
        return f"{ctx.source_file} ({spec})" if spec else ctx.source_file
    return ctx.spec_file


def parse_order(order: list[str] | None) -> tuple[list[str], list[bool]]:
    """``["ASTDT", "desc(ASEVN)", "-AESEQ"]`` -> column names and ascending flags."""
    cols, asc = [], []
    for item in order or []:
        m = re.fullmatch(r"(?:desc\((\w+)\)|-(\w+)|(\w+))", item.strip())
        if not m:
            raise ValueError(f"bad order item {item!r}")
        name = m.group(1) or m.group(2) or m.group(3)
        cols.append(name)
        asc.append(m.group(3) is not None)
    return cols, asc


def _codes(values: pd.Series, ascending: bool) -> np.ndarray:
    """Integer codes in sort order (missing values last in both directions, as dplyr)."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    n = len(uniques)
    if not ascending:
        codes = np.where(codes < 0, -1, n - 1 - codes)
    return np.where(codes < 0, n, codes)


def sort_positions(frame: pd.DataFrame, by: list[str], order: list[str] | None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Stable sort positions by the group keys then the order items, and the sorted group codes.

    Sorting integer codes (from ``factorize``) with ``np.lexsort`` is much faster than sorting
    text columns, and only the positions move, never the frame's other columns.
    """
    cols, asc = parse_order(order)
    key_codes = [_codes(frame[c], True) for c in by] + [_codes(frame[c], a) for c, a in zip(cols, asc, strict=True)]
    if not key_codes:
        return np.arange(len(frame)), []
    pos = np.lexsort(key_codes[::-1])
    return pos, [k[pos] for k in key_codes[: len(by)]]


def sort_frame(frame: pd.DataFrame, by: list[str], order: list[str] | None) -> pd.DataFrame:
    """Stable sort by the group keys then the order items (missing values last, as dplyr)."""
    pos, _ = sort_positions(frame, by, order)
    return frame.iloc[pos]


def group_starts(group_codes: list[np.ndarray], n: int) -> np.ndarray:
    """True at the first of the ``n`` (>= 1) sorted records of each group (from ``sort_positions``)."""
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for g in group_codes:  # loop over key columns, not records
        change[1:] |= g[1:] != g[:-1]
    return change


def pick(frame: pd.DataFrame, by: list[str], order: list[str] | None, mode: str = "first", nth: int | None = None) -> pd.DataFrame:
    """One record per ``by`` group: the first/last (or n-th) after ordering (groups in key order)."""
    n = len(frame)
    if n == 0:
        return frame
    pos, group_codes = sort_positions(frame, by, order)
    change = group_starts(group_codes, n)
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n) - 1
    if nth is None:
        chosen = starts if mode == "first" else ends
    else:
        group_of = np.cumsum(change) - 1
        rank = np.arange(n) - starts[group_of] if mode == "first" else ends[group_of] - np.arange(n)
        chosen = np.flatnonzero(rank == nth - 1)
    return frame.iloc[pos[chosen]]


def new_var_map(new_vars: Any) -> dict[str, Any]:
    """A list of names means "copy them"; a dict maps each new variable to an expression."""
    if new_vars is None:
        return {}
    if isinstance(new_vars, list):
        return {v: v for v in new_vars}
    return dict(new_vars)


def compute(ctx: Context, frame: pd.DataFrame, mapping: dict[str, Any], extra: dict[str, Any] | None = None) -> pd.DataFrame:
    """Frame of new columns, each the value of its expression on ``frame``."""
    out = pd.DataFrame(index=frame.index)
    for name, expr in mapping.items():
        out[name] = expr_series(ctx, frame, expr, extra)
    return out


def set_values_to(ctx: Context, frame: pd.DataFrame, values: dict[str, Any] | None) -> None:
    """Set each variable of ``values`` (name -> expression) on ``frame``, in place and in the
    order written, so later expressions see earlier results (the ``set_values_to`` rule)."""
    for name, value in (values or {}).items():
        frame[name] = compute(ctx, frame, {name: value})[name].to_numpy()


def expr_series(ctx: Context, frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> pd.Series:
    """Evaluate an expression, turning evaluator errors into SpecErrors that name the spec entry."""
    try:
        s = evaluate_series(frame, expr, extra)
    except ExprError as exc:
        raise SpecError(ctx.spec_file, ctx.where, str(exc)) from None
    if isinstance(s.dtype, pd.BooleanDtype):
        return s.astype("object").where(s.notna(), None)
    return s


def mask(ctx: Context, frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> np.ndarray:
    """Row mask where a condition holds; evaluator errors become SpecErrors."""
    try:
        return condition(frame, expr, extra)
    except ExprError as exc:
        raise SpecError(ctx.spec_file, ctx.where, str(exc)) from None


def require_columns(ctx: Context, frame: pd.DataFrame, cols: list[str], what: str) -> None:
    """SpecError naming the missing columns of ``what`` (a dataset or the working frame)."""
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SpecError(ctx.spec_file, ctx.where, f"{what} has no variable(s) {', '.join(missing)}")


def left_join(frame: pd.DataFrame, add: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Left join keeping the row order and index of ``frame``; new columns replace old ones.

    Only the key columns go through the merge; the working frame itself is not copied (a
    shallow copy gets the new columns), which matters for frames of millions of cells.
    """
    new_cols = [c for c in add.columns if c not in by]
    keys = frame[by].reset_index(drop=True)
    merged = keys.merge(add, on=by, how="left", sort=False, validate="many_to_one")
    return add_columns(frame, {c: merged[c].to_numpy() for c in new_cols})


def add_columns(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """A shallow copy of ``frame`` with the given columns set (replaced when they exist).

    New columns only: the input frame (and the arrays it shares with other datasets) is never
    written into, so an operation can return this without copying the data.
    """
    out = frame.copy(deep=False)
    for name, values in columns.items():
        out[name] = values
    return out


def as_datetime(series: pd.Series) -> pd.Series:
    """Any date-like column as naive datetime64[ns]."""
    from cdisc_als.adam.dates import to_datetime

    return to_datetime(series)
