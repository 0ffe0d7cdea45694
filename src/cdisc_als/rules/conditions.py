"""``when`` conditions of a rule: a list of predicates, all of which must hold (AND).

Each predicate names one variable and one test::

    - {var: ETCD, eq: UNPLAN}            # value tests select rows
    - {var: --OCCUR, null: true}
    - {var: DSDECOD, in: [DEATH]}
    - {var: CNSR, ge: 1}
    - {var: --PRESP, present: true}      # presence tests select the whole dataset (or none)
    - {var: --STTPT, same_date: --DTC}   # both have a complete date part, and it is the same day

A predicate on a variable the dataset does not have makes the rule not applicable, except
``present: false`` which is exactly how a rule says "when --X is absent".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target

PREDICATE_SCHEMA: dict[str, Any] = {
    "var": {"type": "string", "required": True},
    "eq": {"nullable": True},
    "ne": {"nullable": True},
    "in": {"type": "list"},
    "not_in": {"type": "list"},
    "null": {"type": "boolean"},
    "present": {"type": "boolean"},
    "complete": {"type": "boolean"},
    "same_date": {"type": "string"},
    "gt": {"type": "number"},
    "ge": {"type": "number"},
    "lt": {"type": "number"},
    "le": {"type": "number"},
    "ignore_case": {"type": "boolean"},
}
TESTS = [k for k in PREDICATE_SCHEMA if k not in ("var", "ignore_case")]


def evaluate(t: Target, ctx: Context, preds: list[dict[str, Any]]) -> np.ndarray:
    """Row mask of the rows where every predicate holds; NotApplicable when one cannot apply."""
    mask = np.ones(len(t), dtype=bool)
    for p in preds:
        var = p["var"]
        if "present" in p:
            if t.has(var) != bool(p["present"]):
                raise NotApplicable(f"{t.resolve(var)} presence")
            continue
        if "." in var:
            s = ctx.column(t, var)
        elif not t.has(var):
            raise NotApplicable(f"{t.resolve(var)} absent")
        else:
            s = t.text(var)
        ic = bool(p.get("ignore_case"))
        cmp = s.str.upper() if ic else s

        def norm(v: Any, ic: bool = ic) -> str:
            text = str(v)
            return text.upper() if ic else text

        if "eq" in p:
            mask &= (cmp == norm(p["eq"])).fillna(False).to_numpy(dtype=bool)
        if "ne" in p:
            mask &= ~(cmp == norm(p["ne"])).fillna(False).to_numpy(dtype=bool)
        if "in" in p:
            mask &= cmp.isin([norm(v) for v in p["in"]]).to_numpy()
        if "not_in" in p:
            mask &= ~cmp.isin([norm(v) for v in p["not_in"]]).to_numpy()
        if "complete" in p:  # date part is a complete, real calendar date (or not)
            from cdisc_als.rules.operators import complete_dates

            full = complete_dates(s).notna().to_numpy()
            mask &= full if p["complete"] else ~full
        if "same_date" in p:
            from cdisc_als.rules.operators import complete_dates

            other = ctx.column(t, p["same_date"])
            a, b = complete_dates(s), complete_dates(other)
            mask &= (a.notna() & b.notna() & (a == b)).fillna(False).to_numpy(dtype=bool)
        if "null" in p:
            isnull = s.isna().to_numpy()
            mask &= isnull if p["null"] else ~isnull
        for op in ("gt", "ge", "lt", "le"):
            if op in p:
                x = t.num(var) if "." not in var else s.astype("float64")
                cmpv = {"gt": x > p[op], "ge": x >= p[op], "lt": x < p[op], "le": x <= p[op]}[op]
                mask &= cmpv.fillna(False).to_numpy(dtype=bool)
    return mask
