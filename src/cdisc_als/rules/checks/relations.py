"""Keys and relations: uniqueness, one-to-one pairs, references to other datasets, SUPP-- parents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    PREDS,
    VARS,
    empty_hits,
    hits,
    joined,
    joint_codes,
    operator,
    present_vars,
)
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target


@operator("unique", keys=VARS, optional_keys={"type": "list", "schema": {"type": "string"}, "default": []})
def op_unique(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The key variables identify one record (every record of a duplicated key is reported).

    ``optional_keys`` join the key when the dataset has them.
    """
    keys = present_vars(t, args["keys"], require_all=True)
    keys += [v for v in t.expand(args.get("optional_keys") or []) if v in t.columns and v not in keys]
    sub = pd.DataFrame({k: t.text(k) for k in keys})[mask]
    if sub.empty:
        return empty_hits()
    dup = np.zeros(len(t), dtype=bool)
    dup[np.flatnonzero(mask)] = sub.duplicated(keep=False).to_numpy()
    cols = [t.text(k) for k in keys]
    return hits(dup, "/".join(keys), lambda idx: joined(cols, idx), f"unique {', '.join(keys)}")


@operator(
    "one_to_one",
    vars={**VARS, "minlength": 2, "maxlength": 2},
    within=VARS | {"required": False},
    within_optional={"type": "list", "schema": {"type": "string"}, "default": []},
    one_way={"type": "boolean", "default": False},
)
def op_one_to_one(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Two variables map one to one (optionally within groups): rows of offending values.

    ``one_way``: only the first determines the second (e.g. one unit per test);
    ``within_optional``: grouping variables used when the dataset has them.
    """
    a, b = present_vars(t, args["vars"], require_all=True)
    within = present_vars(t, args["within"], require_all=True) if args.get("within") else []
    within += [v for v in t.expand(args.get("within_optional") or []) if v in t.columns]
    frame = pd.DataFrame({"a": t.text(a), "b": t.text(b)} | {f"w{i}": t.text(w) for i, w in enumerate(within)})
    sel = mask & frame["a"].notna().to_numpy() & frame["b"].notna().to_numpy()
    sub = frame[sel]
    g = [f"w{i}" for i in range(len(within))]
    n_b = sub.groupby([*g, "a"], dropna=False)["b"].transform("nunique")
    bad = np.zeros(len(t), dtype=bool)
    if args.get("one_way"):
        bad[np.flatnonzero(sel)] = (n_b > 1).to_numpy()
    else:
        n_a = sub.groupby([*g, "b"], dropna=False)["a"].transform("nunique")
        bad[np.flatnonzero(sel)] = ((n_b > 1) | (n_a > 1)).to_numpy()
    return hits(bad, f"{a}/{b}", lambda idx: joined([frame["a"], frame["b"]], idx, " / "), f"{a} and {b} one-to-one")


@operator(
    "ref_exists",
    vars=VARS,
    dataset={"type": "string", "required": True},
    other_vars={"type": "list", "schema": {"type": "string"}},
    other_when=PREDS,
    negate={"type": "boolean", "default": False},
    missing_dataset={"type": "string", "allowed": ["skip", "fail"], "default": "skip"},
)
def op_ref_exists(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Key values of this dataset are found (or, with negate, not found) in another dataset.

    ``other_vars`` name the matching columns there (default: same names); for a single key a
    pattern such as ``TRT??P`` pools the values of every matching column.
    """
    from cdisc_als.rules.conditions import evaluate

    other = ctx.target(args["dataset"])
    keys = present_vars(t, args["vars"], require_all=True)
    if other is None:
        if args.get("missing_dataset") != "fail" or args.get("negate"):
            raise NotApplicable(f"{args['dataset']} not present")
        complete = np.logical_and.reduce([~t.null(k) for k in keys])
        return hits(mask & complete, "/".join(keys), t.text(keys[0]), f"{args['dataset']} present with a matching record")
    okeys = args.get("other_vars") or args["vars"]
    omask = evaluate(other, ctx, args.get("other_when") or [])
    if len(keys) == 1:
        cols = [c for c in other.expand(okeys) if c in other.columns]
        if not cols:
            raise NotApplicable("reference variable absent")
        pool = pd.concat([other.text(c)[omask] for c in cols]).dropna().unique()
        found = t.text(keys[0]).isin(pool).to_numpy()
        shown = t.text(keys[0])
    else:
        ocols = other.expand(okeys)
        if any(c not in other.columns for c in ocols):
            raise NotApplicable("reference variable absent")
        local_key, other_key = joint_codes([t.text(c) for c in keys], [other.text(c)[omask] for c in ocols])
        found = np.isin(local_key, other_key)
        cols = [t.text(c) for c in keys]

        def shown(idx, cols=cols):
            return joined(cols, idx)
    complete = np.logical_and.reduce([~t.null(k) for k in keys])
    bad = mask & complete & (found if args.get("negate") else ~found)
    where = f"{args['dataset']}.{'/'.join(okeys)}"
    return hits(bad, "/".join(keys), shown, ("not in " if args.get("negate") else "in ") + where)


@operator("supp_parent", mode={"type": "string", "allowed": ["rdomain", "idvar", "record"], "required": True})
def op_supp_parent(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """SUPP--/RELREC-style RDOMAIN, IDVAR and IDVARVAL resolve to a parent dataset, variable, record.

    ``rdomain``: RDOMAIN is a dataset of the study; ``idvar``: IDVAR is a variable of it;
    ``record``: (USUBJID, IDVARVAL) or USUBJID alone (IDVAR null) is a record of the parent.
    """
    for v in ("RDOMAIN", "USUBJID"):
        if v not in t.columns:
            raise NotApplicable(f"{v} absent")
    rdom = t.text("RDOMAIN")
    idvar = t.text("IDVAR") if "IDVAR" in t.columns else pd.Series(pd.NA, index=t.frame.index, dtype="string")
    idval = t.text("IDVARVAL") if "IDVARVAL" in t.columns else idvar
    mode = args["mode"]
    bad = np.zeros(len(t), dtype=bool)
    combos = pd.DataFrame({"r": rdom, "i": idvar}).drop_duplicates()
    for r, i in combos.itertuples(index=False):  # loop over (RDOMAIN, IDVAR) pairs, not rows
        if pd.isna(r):
            continue
        rows = (rdom == r).fillna(False).to_numpy() & (idvar.isna().to_numpy() if pd.isna(i) else (idvar == i).fillna(False).to_numpy())
        parent = ctx.target(r)
        if mode == "rdomain":
            bad |= rows & (parent is None)
            continue
        if parent is None:
            continue
        if mode == "idvar":
            if not pd.isna(i) and i not in parent.columns:
                bad |= rows
            continue
        if pd.isna(i):
            found = t.text("USUBJID").isin(parent.text("USUBJID").dropna().unique()).to_numpy()
        elif i in parent.columns:
            pidx = pd.MultiIndex.from_arrays([parent.text("USUBJID").astype("object"), parent.text(i).astype("object")])
            found = pd.MultiIndex.from_arrays([t.text("USUBJID").astype("object"), idval.astype("object")]).isin(pidx)
        else:
            continue
        bad |= rows & ~found
    def shown(idx):
        return joined([rdom, idvar, idval], idx, " ")

    expected = {"rdomain": "RDOMAIN is a dataset of the study", "idvar": "IDVAR is a variable of RDOMAIN", "record": "parent record exists"}[mode]
    return hits(mask & bad, "RDOMAIN/IDVAR/IDVARVAL", shown, expected)


@operator("supp_qnam_standard")
def op_supp_qnam_standard(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """QNAM is not a variable the standard defines for the parent domain (RDOMAIN)."""
    if not (t.has("QNAM") and t.has("RDOMAIN")):
        raise NotApplicable("variables absent")
    rdom, qnam = t.text("RDOMAIN"), t.text("QNAM")
    bad = np.zeros(len(t), dtype=bool)
    for dom in rdom.dropna().unique():  # loop over parent domains, not rows
        meta = ctx.meta(str(dom))
        if meta is None:
            continue
        names = {v.name.replace("--", str(dom)[:2]) for v in meta.variables}
        bad |= (rdom == dom).fillna(False).to_numpy(dtype=bool) & qnam.isin(list(names)).to_numpy()
    return hits(mask & bad, "QNAM", qnam, "not a standard variable of RDOMAIN")
