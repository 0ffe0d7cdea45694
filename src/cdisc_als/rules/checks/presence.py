"""Presence checks: variables present/absent, populated/null, and the standard's Req/Exp metadata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    FALLBACK,
    VARS,
    concat,
    empty_hits,
    hits,
    meta_hit,
    operator,
    present_vars,
)
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target


@operator("not_null", vars=VARS)
def op_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each listed variable is populated (on the rows selected by ``when``)."""
    return concat(
        [hits(mask & t.null(v), v, None, "not null") for v in present_vars(t, args["vars"])]
    )


@operator("null", vars=VARS)
def op_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each listed variable is empty (on the rows selected by ``when``)."""
    return concat(
        [hits(mask & ~t.null(v), v, t.text(v), "null") for v in present_vars(t, args["vars"])]
    )


@operator("any_not_null", vars=VARS)
def op_any_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """At least one of the listed variables is populated."""
    have = present_vars(t, args["vars"])
    all_null = np.logical_and.reduce([t.null(v) for v in have])
    return hits(mask & all_null, "/".join(have), None, f"one of {', '.join(have)} populated")


@operator("absent", scope="dataset", vars=VARS)
def op_absent(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The listed variables must not be in the dataset."""
    names = [v for v in t.expand(args["vars"]) if v in t.frame.columns]
    return concat([meta_hit(v, "present", "variable not present") for v in names])


@operator("present", scope="dataset", vars=VARS)
def op_present(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The listed variables must be in the dataset."""
    names = [v for v in t.expand(args["vars"]) if v not in t.frame.columns]
    return concat([meta_hit(v, "missing", "variable present") for v in names])


def _meta_vars(t: Target, ctx: Context, core: str, fallback: dict[str, list[str]]) -> list[str]:
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None and t.name.startswith("SUPP"):
        meta = ctx.meta("SUPPQUAL")
    if meta is not None:
        return [v.name for v in meta.variables if (v.core or "").lower() == core.lower()]
    fb = fallback.get(t.domain) or fallback.get("SUPP--" if t.name.startswith("SUPP") else "")
    if fb is None:
        raise NotApplicable("no standard metadata")
    return t.expand(fb)


@operator("metadata_present", scope="dataset", core={"type": "string", "allowed": ["Req", "Exp"], "required": True}, fallback=FALLBACK)
def op_metadata_present(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every variable the standard marks ``core`` (Req or Exp) for this dataset is present."""
    names = _meta_vars(t, ctx, args["core"], args.get("fallback", {}))
    missing = [v for v in names if v not in t.frame.columns]
    return concat([meta_hit(v, "missing", f"{args['core']} variable present") for v in missing])


@operator("metadata_not_null", core={"type": "string", "allowed": ["Req"], "required": True}, fallback=FALLBACK)
def op_metadata_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every Required variable present in the dataset is populated on every record."""
    names = [v for v in _meta_vars(t, ctx, args["core"], args.get("fallback", {})) if v in t.frame.columns]
    return concat([hits(mask & t.null(v), v, None, "Required variable not null") for v in names])


@operator("nonempty", scope="dataset")
def op_nonempty(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The dataset has at least one record."""
    return meta_hit(None, "0 records", "at least one record") if len(t) == 0 else empty_hits()


@operator("metadata_type", scope="dataset")
def op_metadata_type(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each standard variable has the IG type (Char/Num) of the standard's metadata."""
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None:
        raise NotApplicable("no standard metadata")
    parts = []
    for v in meta.variables:
        name = t.resolve(v.name) if v.name.startswith("--") else v.name
        if name not in t.columns or v.type not in ("Char", "Num") or t.null(name).all():
            continue
        is_num = t.is_numeric_col(name)
        if is_num != (v.type == "Num"):
            parts.append(meta_hit(name, "Num" if is_num else "Char", f"{v.type} (IG type)"))
    return concat(parts)


@operator("metadata_order", scope="dataset")
def op_metadata_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Standard variables appear in the order of the IG metadata (others are ignored)."""
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None:
        raise NotApplicable("no standard metadata")
    rank = {(t.resolve(v.name) if v.name.startswith("--") else v.name): i for i, v in enumerate(meta.variables)}
    seen = [c for c in t.columns if c in rank]
    order = [rank[c] for c in seen]
    bad = [seen[i] for i in range(1, len(seen)) if order[i] < max(order[:i])]
    return concat([meta_hit(c, "out of order", "IG variable order") for c in bad])
