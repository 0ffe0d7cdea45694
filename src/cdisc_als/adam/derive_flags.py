"""Flags, categories and computed variables.

- ``derive_var_trtemfl``: treatment-emergent flag (admiral's rules, see the function doc).
- ``derive_var_extreme_flag``: first/last record per group (AOCCFL, AOCCPFL, ABLFL, ANL01FL).
- ``derive_var_flag_if``: a condition to Y/N or Y/null.
- ``derive_vars_cat``: ordered condition table -> one or more variables (AGEGR1 + AGEGR1N).
- ``derive_var_cat``: numeric cut points -> category (and its numeric code).
- ``derive_var_map``: value map (ASEV -> ASEVN).
- ``derive_vars_computed`` / ``derive_vars_constant`` / ``derive_vars_copy``: expressions,
  constants and copies; ``filter_records``: keep records meeting a condition (drops are logged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.adam.common import (
    EXPR,
    MODE,
    NAME,
    NAMES,
    ORDER,
    VALUES,
    add_columns,
    as_datetime,
    log_source,
    mask,
    parse_order,
    pick,
    require_columns,
    set_values_to,
)
from cdisc_als.ops.registry import ROW_COLUMN, Context, operation


@operation(
    "derive_var_trtemfl",
    schema={
        "type": "dict",
        "schema": {
            "new_var": {**NAME, "default": "TRTEMFL"},
            "start_date": {**NAME, "default": "ASTDT"},
            "end_date": {**NAME, "default": "AENDT"},
            "trt_start_date": {**NAME, "default": "TRTSDT"},
            "trt_end_date": NAME,
            "end_window": {"type": "number"},
            "false_value": {**EXPR, "default": None},
        },
    },
    kind="dataset",
)
def derive_var_trtemfl(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Treatment-emergent flag, first matching rule wins (admiral ``derive_var_trtemfl``):

    1. no treatment start -> missing; 2. the event ended before treatment start -> missing;
    3. no start date (and not ended before treatment) -> Y (conservative);
    4. start on/after treatment start (and, with ``end_window``, on/before treatment end +
       window days) -> Y; 5. otherwise missing (or ``false_value``).
    """
    cols = [arg["start_date"], arg["end_date"], arg["trt_start_date"]] + ([arg["trt_end_date"]] if arg.get("trt_end_date") else [])
    require_columns(ctx, frame, cols, "the working dataset")
    st = as_datetime(frame[arg["start_date"]]).dt.normalize()
    en = as_datetime(frame[arg["end_date"]]).dt.normalize()
    ts = as_datetime(frame[arg["trt_start_date"]]).dt.normalize()
    during = st >= ts
    if arg.get("end_window") is not None:
        te = as_datetime(frame[arg["trt_end_date"]]).dt.normalize()
        during &= st <= te + pd.to_timedelta(arg["end_window"], unit="D")
    rules = [ts.isna(), en.notna() & (en < ts), st.isna(), during.fillna(False)]
    value = np.select([r.to_numpy(dtype=bool) for r in rules], [None, None, "Y", "Y"], default=arg["false_value"])
    return add_columns(frame, {arg["new_var"]: pd.Series(value, index=frame.index, dtype="object").to_numpy()})


@operation(
    "derive_var_extreme_flag",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "required": True},
            "order": {**ORDER, "required": True},
            "new_var": {**NAME, "required": True},
            "mode": {**MODE, "default": "first"},
            "filter": {"type": "string"},
            "true_value": {**EXPR, "default": "Y"},
            "false_value": {**EXPR, "default": None},
        },
    },
    kind="dataset",
)
def derive_var_extreme_flag(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Flag the first/last record per ``by`` group after ``order``, among records meeting ``filter``
    (records outside the filter get a missing flag, as admiral's ``restrict_derivation``)."""
    require_columns(ctx, frame, arg["by"], "the working dataset")
    keep = mask(ctx, frame, arg.get("filter"))
    cols = list(dict.fromkeys(arg["by"] + parse_order(arg["order"])[0]))
    require_columns(ctx, frame, cols, "the working dataset")
    sub = frame.loc[keep, cols].copy()
    sub.index = np.flatnonzero(keep)  # positions, so a repeated index cannot confuse the flag
    chosen = pick(sub, arg["by"], arg["order"], arg["mode"]).index.to_numpy()
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    flag = np.full(len(frame), None, dtype=object)
    flag[keep] = arg["false_value"]
    flag[chosen] = arg["true_value"]
    out[arg["new_var"]] = flag
    return out


@operation(
    "derive_var_flag_if",
    schema={
        "type": "dict",
        "schema": {
            "new_var": {**NAME, "required": True},
            "condition": {"type": "string", "required": True},
            "true_value": {**EXPR, "default": "Y"},
            "false_value": {**EXPR, "default": None},
        },
    },
    kind="dataset",
)
def derive_var_flag_if(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``new_var`` = true_value where ``condition`` holds, else false_value (missing counts as false)."""
    hit = mask(ctx, frame, arg["condition"])
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    out[arg["new_var"]] = np.where(hit, arg["true_value"], arg["false_value"])
    out[arg["new_var"]] = out[arg["new_var"]].astype("object").where(out[arg["new_var"]].notna(), None)
    return out


@operation(
    "derive_vars_cat",
    schema={
        "type": "dict",
        "schema": {
            "definition": {
                "type": "list",
                "required": True,
                "schema": {"type": "dict", "schema": {"condition": {"type": "string", "required": True}}, "allow_unknown": True},
            },
        },
    },
    kind="dataset",
)
def derive_vars_cat(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Ordered table of ``{condition, VAR: value, ...}``; each record takes the values of the first
    condition it meets (catch-all conditions go last); no match leaves the variables missing."""
    rows = arg["definition"]
    targets = list(dict.fromkeys(k for r in rows for k in r if k != "condition"))
    masks = [mask(ctx, frame, r["condition"]) for r in rows]
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    for t in targets:
        choices = [r.get(t) for r in rows]
        numeric = all(isinstance(c, (int, float)) or c is None for c in choices)
        value = np.select(masks, [np.nan if c is None else c for c in choices] if numeric else choices,
                          default=np.nan if numeric else None)
        out[t] = value.astype("float64") if numeric else pd.Series(value, dtype="object").where(pd.notna(value), None).to_numpy()
    return out


@operation(
    "derive_var_cat",
    schema={
        "type": "dict",
        "schema": {
            "source": {**NAME, "required": True},
            "new_var": {**NAME, "required": True},
            "breaks": {"type": "list", "schema": {"type": "number"}, "required": True, "minlength": 1},
            "labels": {"type": "list", "schema": {"type": "string"}, "required": True},
            "new_var_n": NAME,
            "right": {"type": "boolean", "default": False},
        },
    },
    kind="dataset",
)
def derive_var_cat(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Category of a number from cut points: ``breaks: [65, 80]`` makes 3 groups ``<65``,
    ``65-<80``, ``>=80`` (``right: true`` puts the cut point in the lower group). ``labels`` must
    have one more item than ``breaks``; ``new_var_n`` gets the 1-based group number."""
    from cdisc_als.errors import SpecError

    if len(arg["labels"]) != len(arg["breaks"]) + 1:
        raise SpecError(ctx.spec_file, ctx.where, "labels must have one more item than breaks")
    require_columns(ctx, frame, [arg["source"]], "the working dataset")
    x = pd.to_numeric(frame[arg["source"]], errors="coerce").to_numpy(dtype="float64")
    grp = np.searchsorted(np.asarray(arg["breaks"], dtype="float64"), x, side="left" if arg["right"] else "right")
    grp = np.where(np.isnan(x), -1, grp)
    labels = np.asarray(arg["labels"] + [None], dtype=object)
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    out[arg["new_var"]] = labels[grp]
    if arg.get("new_var_n"):
        out[arg["new_var_n"]] = np.where(grp < 0, np.nan, grp + 1.0)
    return out


@operation(
    "derive_var_map",
    schema={
        "type": "dict",
        "schema": {
            "source": {**NAME, "required": True},
            "new_var": {**NAME, "required": True},
            "values": {"type": "dict", "required": True},
            "default": {**EXPR, "default": None},
        },
    },
    kind="dataset",
)
def derive_var_map(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``new_var`` = ``values[source]``; unmapped non-missing values get ``default`` and are logged."""
    require_columns(ctx, frame, [arg["source"]], "the working dataset")
    src = frame[arg["source"]]
    mapping = {str(k): v for k, v in arg["values"].items()}
    keys = src.astype("string")
    mapped = keys.map(mapping)
    unmapped = src.notna() & ~keys.isin(list(mapping)).fillna(False)
    if unmapped.any():
        rows = frame.loc[unmapped, ROW_COLUMN] if ROW_COLUMN in frame.columns else pd.Series(np.flatnonzero(unmapped) + 1)
        ctx.log.add_rows("warning", "adam", log_source(ctx), f"value of {arg['source']} not in the map of {arg['new_var']}",
                         rows, field=arg["source"], values=src[unmapped], target=ctx.domain)
        mapped = mapped.where(~unmapped, arg["default"])
    numeric = all(isinstance(v, (int, float)) for v in mapping.values())
    value = pd.to_numeric(mapped, errors="coerce").astype("float64") if numeric else mapped.astype("object").where(mapped.notna(), None)
    return add_columns(frame, {arg["new_var"]: value.to_numpy()})


@operation("derive_vars_computed", schema={**VALUES, "minlength": 1}, kind="dataset")
def derive_vars_computed(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Each variable = the value of its expression, in the order written (later ones see earlier)."""
    out = frame.copy(deep=False)  # new columns only: never writes into shared arrays
    set_values_to(ctx, out, arg)
    return out


@operation("derive_vars_constant", schema={"type": "dict", "keysrules": NAME, "minlength": 1}, kind="dataset")
def derive_vars_constant(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Each variable = a literal value (no expression parsing: ``"Y"`` is the text Y)."""
    return add_columns(frame, arg)


@operation("derive_vars_copy", schema={"type": "dict", "keysrules": NAME, "valuesrules": NAME, "minlength": 1}, kind="dataset")
def derive_vars_copy(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """``NEW: OLD`` copies a variable under a new name (e.g. ``ASEV: AESEV``)."""
    require_columns(ctx, frame, list(arg.values()), "the working dataset")
    return add_columns(frame, {new: frame[old].to_numpy() for new, old in arg.items()})


@operation("filter_records", schema={"type": "dict", "schema": {"condition": {"type": "string", "required": True}, "reason": {"type": "string"}}}, kind="dataset")
def filter_records(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Keep the records meeting ``condition``; the others are listed in the log (info) with
    ``reason``, so nothing leaves the dataset unaccounted for."""
    keep = mask(ctx, frame, arg["condition"])
    if (~keep).any():
        rows = frame.loc[~keep, ROW_COLUMN] if ROW_COLUMN in frame.columns else pd.Series(np.flatnonzero(~keep) + 1)
        ctx.log.add_rows("info", "adam", log_source(ctx), arg.get("reason") or f"record excluded: not ({arg['condition']})",
                         rows, field=ctx.where, target=ctx.domain)
    return frame[keep]


@operation("drop_vars", schema={"type": "dict", "schema": {"vars": {**NAMES, "required": True}}}, kind="dataset")
def drop_vars(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Remove helper variables that should not reach the output."""
    return frame.drop(columns=[c for c in arg["vars"] if c in frame.columns])


@operation(
    "log_records",
    schema={
        "type": "dict",
        "schema": {
            "condition": {"type": "string", "required": True},
            "reason": {"type": "string", "required": True},
            "severity": {"type": "string", "allowed": ["error", "warning", "info"], "default": "warning"},
            "field": {"type": "string"},
            "value": {"type": "string"},
        },
    },
    kind="dataset",
)
def log_records(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """List the records meeting ``condition`` in the conversion log (data unchanged): how a spec
    documents the rule it applies to missing or contradictory SDTM (a death without a date, a
    randomized subject never infused) so that every such record is visible to the reviewer."""
    hit = mask(ctx, frame, arg["condition"])
    if hit.any():
        rows = frame.loc[hit, ROW_COLUMN] if ROW_COLUMN in frame.columns else pd.Series(np.flatnonzero(hit) + 1)
        values = frame.loc[hit, arg["value"]] if arg.get("value") in frame.columns else None
        ctx.log.add_rows(arg["severity"], "adam", log_source(ctx), arg["reason"], rows,
                         field=arg.get("field") or arg.get("value"), values=values, target=ctx.domain)
    return frame
