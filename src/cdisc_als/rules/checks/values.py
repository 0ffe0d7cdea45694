"""Value checks: allowed values, controlled terminology, lengths, patterns, numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    VALUES,
    VARS,
    concat,
    hits,
    operator,
    present_vars,
)
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target


def _values(args: dict) -> tuple[list[str], bool]:
    ic = bool(args.get("ignore_case", False))
    vals = [str(v) for v in args["values"]]
    return ([v.upper() for v in vals] if ic else vals), ic


@operator("in_values", vars=VARS, values=VALUES, ignore_case={"type": "boolean"}, allow_null={"type": "boolean", "default": True})
def op_in_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Values are one of ``values``; null is accepted unless ``allow_null`` is false."""
    vals, ic = _values(args)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        cmp = s.str.upper() if ic else s
        considered = s.notna().to_numpy() if args.get("allow_null", True) else np.ones(len(t), dtype=bool)
        bad = mask & considered & ~cmp.isin(vals).to_numpy()
        parts.append(hits(bad, v, s, " | ".join(map(str, args["values"]))))
    return concat(parts)


@operator("not_in_values", vars=VARS, values=VALUES, ignore_case={"type": "boolean"})
def op_not_in_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values are none of ``values``."""
    vals, ic = _values(args)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        cmp = s.str.upper() if ic else s
        bad = mask & cmp.isin(vals).fillna(False).to_numpy()
        parts.append(hits(bad, v, s, f"not one of {', '.join(map(str, args['values']))}"))
    return concat(parts)


@operator(
    "in_codelist",
    extensible={"type": "boolean", "required": True},
    map={"type": "dict", "default": {}, "valuesrules": {"type": "string"}},
    use_metadata={"type": "boolean", "default": True},
    skip_vars={"type": "list", "schema": {"type": "string"}, "default": []},
    allow={"type": "dict", "default": {}, "valuesrules": {"type": "list", "schema": {"type": "string"}}},
)
def op_in_codelist(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Values are submission values of the variable's codelist (from metadata or ``map``).

    Only codelists whose extensibility equals ``extensible`` are checked, so one rule reports
    non-extensible violations (errors) and another extensible ones (sponsor terms, warnings).
    """
    if ctx.ct is None:
        raise NotApplicable("no controlled terminology available")
    pairs: dict[str, str] = {}
    for var, cl in (args.get("map") or {}).items():
        for name in t.expand([var]):
            pairs[name] = cl
    if args.get("use_metadata", True):
        meta = ctx.meta(t.name) or ctx.meta(t.domain)
        if meta is not None:
            for v in meta.variables:
                name = t.resolve(v.name) if v.name.startswith("--") else v.name
                if v.codelist:
                    pairs[name] = v.codelist
        for v in t.ds.variables:
            if v.codelist:
                pairs[v.name] = v.codelist
    skip = set(t.expand(args.get("skip_vars") or []))
    parts = []
    for var, cl_id in pairs.items():
        if var not in t.frame.columns or var in skip:
            continue
        cl = ctx.ct.get(cl_id)
        if cl is None or cl.extensible != args["extensible"]:
            continue
        s = t.text(var)
        allowed = set(cl.values) | set((args.get("allow") or {}).get(var, []))
        bad = mask & s.notna().to_numpy() & ~s.isin(list(allowed)).to_numpy()
        kind = "extensible" if cl.extensible else "non-extensible"
        parts.append(hits(bad, var, s, f"value in {kind} codelist {cl.id} ({cl.code})"))
    return concat(parts)


@operator("max_length", vars=VARS, length={"type": "integer", "required": True}, unit={"type": "string", "allowed": ["chars", "bytes"], "default": "chars"})
def op_max_length(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Value length (characters, or UTF-8 bytes) is at most ``length``."""
    n = args["length"]
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        lens = s.str.encode("utf-8").str.len() if args.get("unit") == "bytes" else s.str.len()
        bad = mask & (lens > n).fillna(False).to_numpy(dtype=bool)
        parts.append(hits(bad, v, s, f"length <= {n} {args.get('unit', 'chars')}"))
    return concat(parts)


@operator("regex", vars=VARS, pattern={"type": "string", "required": True}, must_match={"type": "boolean", "default": True})
def op_regex(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values match (or, with must_match false, do not match) ``pattern``."""
    pat = args["pattern"]
    want = args.get("must_match", True)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        m = s.str.match(pat).fillna(False).to_numpy(dtype=bool)
        bad = mask & s.notna().to_numpy() & (~m if want else m)
        parts.append(hits(bad, v, s, ("matches " if want else "does not match ") + args["pattern"]))
    return concat(parts)


@operator("numeric", vars=VARS, must_be={"type": "string", "allowed": ["numeric", "not_numeric", "integer", "non_negative"], "required": True})
def op_numeric(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values are numbers / are not numbers / are integers / are >= 0."""
    kind = args["must_be"]
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        x = t.num(v)
        pop = s.notna().to_numpy()
        isnum = x.notna().to_numpy()
        if kind == "numeric":
            bad = pop & ~isnum
        elif kind == "not_numeric":
            bad = pop & isnum
        elif kind == "integer":
            bad = pop & ~(isnum & (np.mod(x.fillna(0.5).to_numpy(), 1) == 0))
        else:
            bad = isnum & (x.fillna(0).to_numpy() < 0)
        parts.append(hits(mask & bad, v, s, kind.replace("_", " ")))
    return concat(parts)


@operator(
    "if_any",
    vars=VARS,
    value={"type": "string", "required": True},
    none={"type": "boolean", "default": False},
    target={"type": "string", "required": True},
    target_values=VALUES,
)
def op_if_any(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """When any (or, with none, none) of ``vars`` equals ``value``, ``target`` is one of ``target_values``.

    Example: a seriousness criterion is "Y" -> AESER is "Y".
    """
    have = present_vars(t, args["vars"])
    if not t.has(args["target"]):
        raise NotApplicable("target absent")
    hit_any = np.logical_or.reduce([(t.text(v) == args["value"]).fillna(False).to_numpy(dtype=bool) for v in have])
    cond = ~hit_any if args.get("none") else hit_any
    tgt = t.text(args["target"])
    bad = mask & cond & ~tgt.isin([str(v) for v in args["target_values"]]).to_numpy()
    return hits(bad, t.resolve(args["target"]), tgt, " | ".join(map(str, args["target_values"])))


@operator("name_match", var={"type": "string", "required": True}, start={"type": "integer", "default": 0})
def op_name_match(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The variable's value equals the dataset name's characters from ``start`` (DOMAIN, RDOMAIN)."""
    if not t.has(args["var"]):
        raise NotApplicable("variable absent")
    s = t.text(args["var"])
    start = args.get("start", 0)
    expected = t.name[start : start + 2]
    bad = mask & s.notna().to_numpy() & (s != expected).fillna(False).to_numpy(dtype=bool)
    return hits(bad, args["var"], s, expected)
