"""Joining information from other datasets: admiral's derive_vars_merged family.

- ``derive_vars_merged``: variables from one selected record (filter, order, first/last/n-th) of
  another dataset per ``by`` group, with ``missing_values`` for subjects without a record.
- ``derive_var_merged_exist_flag``: Y/N flag "the other dataset has a record meeting a condition".
- ``derive_vars_joined``: like merged, but the selection may compare both sides (e.g. the last
  dose on or before the AE start: ``filter_join: EXSTDTM <= ASTDTM``).
- ``derive_vars_extreme_event``: the first/last of several event sources (e.g. last known alive
  date from AE, LB and ADSL dates; cause of death from AE or DS).
- ``create_single_dose_dataset``: expand dosing intervals into one record per dose day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.adam.common import (
    EXPR,
    MODE,
    NAME,
    NAMES,
    NEW_VARS,
    ORDER,
    SUBJECT_KEYS,
    VALUES,
    add_columns,
    as_datetime,
    compute,
    get_frame,
    left_join,
    log_source,
    mask,
    new_var_map,
    parse_order,
    pick,
    require_columns,
)
from cdisc_als.adam.expr import names_in
from cdisc_als.ops.registry import Context, operation


def _order_column(item: str) -> str:
    """The variable an ``order`` item sorts by: ``-X``, ``desc(X)`` and ``X`` all give ``X``."""
    return item.lstrip("-").removeprefix("desc(").rstrip(")")


MERGED_SCHEMA = {
    "type": "dict",
    "schema": {
        "dataset": {"type": "string", "required": True},
        "by": {**NAMES, "default": SUBJECT_KEYS},
        "new_vars": {**NEW_VARS, "required": True},
        "filter": {"type": "string"},
        "order": ORDER,
        "mode": {**MODE, "default": "first"},
        "nth": {"type": "integer", "min": 1},
        "missing_values": VALUES,
        "exist_flag": NAME,
    },
}


@operation("derive_vars_merged", schema=MERGED_SCHEMA, kind="dataset")
def derive_vars_merged(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Add variables from one record per ``by`` group of another dataset (left join)."""
    by = arg["by"]
    mapping = new_var_map(arg["new_vars"])
    add = get_frame(ctx, arg["dataset"], frame)
    require_columns(ctx, add, by, f"dataset {arg['dataset']}")
    require_columns(ctx, frame, by, "the working dataset")
    add = add[mask(ctx, add, arg.get("filter"))]
    values = compute(ctx, add, mapping)
    order_cols = [_order_column(c) for c in arg.get("order") or []]
    require_columns(ctx, add, order_cols, f"dataset {arg['dataset']}")
    sel = pd.concat([add[by + [c for c in order_cols if c not in by]], values], axis=1)
    sel = sel.loc[:, ~sel.columns.duplicated(keep="last")]
    if arg.get("order") or arg.get("nth"):
        sel = pick(sel, by, arg.get("order"), arg["mode"], arg.get("nth"))
    else:
        dup = sel.duplicated(by, keep="first")
        if dup.any():
            ctx.log.add(
                "warning", "adam", log_source(ctx),
                f"{int(dup.sum())} extra record(s) per {'/'.join(by)} in {arg['dataset']} without an order; "
                "the first in dataset order is used",
                field=ctx.where, target=ctx.domain,
            )
            sel = sel[~dup]
    sel = sel[by + list(mapping)]
    if arg.get("exist_flag"):
        sel = sel.assign(**{arg["exist_flag"]: "Y"})
    out = left_join(frame, sel, by)
    for name, value in (arg.get("missing_values") or {}).items():
        matched = frame[by].merge(sel[by].drop_duplicates().assign(__m=True), on=by, how="left")["__m"]
        unmatched = matched.isna().to_numpy()
        fill = compute(ctx, frame, {name: value})[name]
        out.loc[unmatched, name] = fill[unmatched].to_numpy()
    return out


@operation(
    "derive_var_merged_exist_flag",
    schema={
        "type": "dict",
        "schema": {
            "dataset": {"type": "string", "required": True},
            "by": {**NAMES, "default": SUBJECT_KEYS},
            "new_var": {**NAME, "required": True},
            "condition": {"type": "string", "required": True},
            "filter": {"type": "string"},
            "true_value": {**EXPR, "default": "Y"},
            "false_value": {**EXPR, "default": None},
            "missing_value": {**EXPR, "default": None},
        },
    },
    kind="dataset",
)
def derive_var_merged_exist_flag(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Flag: true_value when a record of the other dataset meets ``condition``, false_value when the
    group has records but none meets it, missing_value when the group has no record at all."""
    by = arg["by"]
    add = get_frame(ctx, arg["dataset"], frame)
    require_columns(ctx, add, by, f"dataset {arg['dataset']}")
    add = add[mask(ctx, add, arg.get("filter"))]
    hit = add[by].assign(__hit=mask(ctx, add, arg["condition"]))
    agg = hit.groupby(by, dropna=False, sort=False)["__hit"].any().reset_index()
    m = frame[by].reset_index(drop=True).merge(agg, on=by, how="left")
    hit = m["__hit"].astype("boolean")
    flag = np.where(hit.isna(), arg["missing_value"], np.where(hit.fillna(False).to_numpy(dtype=bool), arg["true_value"], arg["false_value"]))
    value = pd.Series(flag, index=frame.index, dtype="object").where(pd.notna(flag), None)
    return add_columns(frame, {arg["new_var"]: value.to_numpy()})


@operation(
    "derive_vars_joined",
    schema={
        "type": "dict",
        "schema": {
            "dataset": {"type": "string", "required": True},
            "by": {**NAMES, "default": SUBJECT_KEYS},
            "new_vars": {**NEW_VARS, "required": True},
            "filter_add": {"type": "string"},
            "filter_join": {"type": "string"},
            "order": ORDER,
            "mode": {**MODE, "default": "last"},
        },
    },
    kind="dataset",
)
def derive_vars_joined(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Join every record of another dataset within ``by``, keep pairs meeting ``filter_join``
    (which may use both sides; a variable present on both sides is ``NAME_JOIN`` for the other
    dataset's copy), then take the first/last pair per working record by ``order``."""
    by = arg["by"]
    mapping = new_var_map(arg["new_vars"])
    add = get_frame(ctx, arg["dataset"], frame)
    require_columns(ctx, add, by, f"dataset {arg['dataset']}")
    add = add[mask(ctx, add, arg.get("filter_add"))]
    left = frame.copy(deep=False)
    left.index = pd.RangeIndex(len(frame))
    left["__rid"] = np.arange(len(frame))
    clash = [c for c in add.columns if c in left.columns and c not in by]
    right = add.rename(columns={c: f"{c}_JOIN" for c in clash})
    # join only the columns the expressions use: the pairs can be many (AE x dosing days)
    order_names = {_order_column(o) for o in arg.get("order") or []}
    used = set().union(names_in(arg.get("filter_join")), *(names_in(v) for v in mapping.values()), order_names)
    used |= {f"{c}_JOIN" for c in used if c in clash}
    left_small = left[[c for c in left.columns if c in by or c == "__rid" or c in used]]
    right_small = right[[c for c in right.columns if c in by or c in used]]
    joined = left_small.merge(right_small, on=by, how="inner", sort=False)
    joined = joined[mask(ctx, joined, arg.get("filter_join"))]
    order = [o.replace(c, c + "_JOIN") if (c := _order_column(o)) in clash else o for o in arg.get("order") or []]
    renamed = {k: (v + "_JOIN" if isinstance(v, str) and v in clash else v) for k, v in mapping.items()}
    if order:
        joined = pick(joined, ["__rid"], order, arg["mode"])
    else:
        dup = joined.duplicated("__rid")
        if dup.any():
            ctx.log.add("warning", "adam", log_source(ctx),
                        f"{int(dup.sum())} working record(s) match several {arg['dataset']} records without an order; the first is used",
                        field=ctx.where, target=ctx.domain)
            joined = joined[~dup]
    values = compute(ctx, joined, renamed)
    values["__rid"] = joined["__rid"].to_numpy()
    pos = pd.DataFrame({"__rid": np.arange(len(frame))}).merge(values, on="__rid", how="left")
    return add_columns(frame, {c: pos[c].to_numpy() for c in mapping})


EVENT_SCHEMA = {
    "type": "dict",
    "schema": {
        "dataset": {"type": "string", "required": True},
        "condition": {"type": "string"},
        "order": ORDER,
        "mode": MODE,
        "set_values_to": {**VALUES, "required": True},
    },
}


@operation(
    "derive_vars_extreme_event",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "default": SUBJECT_KEYS},
            "events": {"type": "list", "schema": EVENT_SCHEMA, "required": True, "minlength": 1},
            "order": ORDER,
            "mode": {**MODE, "default": "first"},
            "new_vars": {**NAMES, "required": True},
            "missing_values": VALUES,
        },
    },
    kind="dataset",
)
def derive_vars_extreme_event(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """First/last of several event sources per ``by`` group; ``event_nr`` (1-based position of the
    event in the list) may be used in ``order`` to break ties. A source dataset that is absent
    is skipped with a warning in the log."""
    by = arg["by"]
    pieces = []
    for i, ev in enumerate(arg["events"], start=1):
        src = get_frame(ctx, ev["dataset"], frame, required=False)
        if src is None:
            continue
        require_columns(ctx, src, by, f"dataset {ev['dataset']}")
        src = src[mask(ctx, src, ev.get("condition"))]
        if ev.get("order"):
            src = pick(src, by, ev["order"], ev.get("mode", arg["mode"]))
        vals = compute(ctx, src, ev["set_values_to"])
        for c in vals.columns:
            if pd.api.types.is_datetime64_any_dtype(vals[c]):
                vals[c] = as_datetime(vals[c])
        piece = pd.concat([src[by].reset_index(drop=True), vals.reset_index(drop=True)], axis=1)
        piece["event_nr"] = float(i)
        order = arg.get("order") or ["event_nr"]
        if all(c in piece.columns for c in parse_order(order)[0]):
            # the extreme of each source's extremes is the overall extreme: keep one per group
            piece = pick(piece, by, order, arg["mode"])
        pieces.append(piece)
    new_vars = arg["new_vars"]
    if pieces:
        allp = pd.concat(pieces, ignore_index=True)
        for c in new_vars:
            if c not in allp.columns:
                allp[c] = None
        sel = pick(allp, by, arg.get("order") or ["event_nr"], arg["mode"])[by + new_vars]
    else:
        sel = pd.DataFrame({c: pd.Series(dtype="object") for c in by + new_vars})
    out = left_join(frame, sel, by)
    for name, value in (arg.get("missing_values") or {}).items():
        miss = out[name].isna().to_numpy()
        fill = compute(ctx, out, {name: value})[name]
        out.loc[miss, name] = fill[miss].to_numpy()
    return out


@operation(
    "create_single_dose_dataset",
    schema={
        "type": "dict",
        "schema": {
            "dose_freq": {**NAME, "required": True},
            "start_date": {**NAME, "required": True},
            "end_date": {**NAME, "required": True},
            "start_datetime": NAME,
            "end_datetime": NAME,
        },
    },
    kind="dataset",
)
def create_single_dose_dataset(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """One record per dose: ``QD`` intervals become one record per day, ``ONCE`` stays one record.

    Other frequencies are kept as one record and logged (documented limitation). Records without
    start or end date are kept unexpanded and logged, never dropped.
    """
    require_columns(ctx, frame, [arg["dose_freq"], arg["start_date"], arg["end_date"]], "the working dataset")
    s, e = as_datetime(frame[arg["start_date"]]), as_datetime(frame[arg["end_date"]])
    freq = frame[arg["dose_freq"]].astype("string").str.upper()
    days = ((e - s).dt.days + 1).fillna(1).clip(lower=1).astype("int64")
    daily = (freq == "QD").fillna(False).to_numpy()
    other = ~daily & (freq != "ONCE").fillna(True).to_numpy()
    if other.any():
        ctx.log.add("warning", "adam", log_source(ctx),
                    f"{int(other.sum())} dosing record(s) with a frequency other than QD/ONCE kept as one record",
                    field=arg["dose_freq"], target=ctx.domain)
    nodate = (s.isna() | e.isna()).to_numpy()
    if nodate.any():
        ctx.log.add("warning", "adam", log_source(ctx),
                    f"{int(nodate.sum())} dosing record(s) without start/end date kept unexpanded",
                    field=arg["start_date"], target=ctx.domain)
    n = np.where(daily & ~nodate, days.to_numpy(), 1)
    rep = np.repeat(np.arange(len(frame)), n)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    out = frame.iloc[rep].reset_index(drop=True)
    shift = pd.to_timedelta(offset, unit="D")
    start = as_datetime(out[arg["start_date"]]) + shift
    out[arg["start_date"]] = start.to_numpy()
    expand = np.repeat(daily & ~nodate, n)
    out.loc[expand, arg["end_date"]] = start[expand].to_numpy()
    if arg.get("start_datetime"):
        sdt = as_datetime(out[arg["start_datetime"]]) + shift
        out[arg["start_datetime"]] = sdt.to_numpy()
        if arg.get("end_datetime"):
            edt = as_datetime(out[arg["end_datetime"]])
            tod = edt - edt.dt.normalize()
            new_end = sdt.dt.normalize() + tod
            out[arg["end_datetime"]] = np.where(expand, new_end, edt).astype("datetime64[ns]")
    return out
