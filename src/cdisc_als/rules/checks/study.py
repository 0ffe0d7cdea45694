"""Study-level checks: datasets that must (or must not) be present together, shared variables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    HIT_COLUMNS,
    VALUES,
    VARS,
    concat,
    meta_hit,
    operator,
)
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target


@operator("dataset_present", scope="study", datasets=VARS)
def op_dataset_present(ctx: Context, args: dict) -> pd.DataFrame:
    """The listed datasets are part of the submission."""
    rows = [{"dataset": d, "row": pd.NA, "variable": None, "value": "missing", "expected": "dataset present"}
            for d in args["datasets"] if ctx.target(d) is None]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("shared_variable", scope="study", suffix={"type": "string", "required": True})
def op_shared_variable(ctx: Context, args: dict) -> pd.DataFrame:
    """A --``suffix`` variable (--LNKID, --LNKGRP) present in one domain is present in another."""
    sfx = args["suffix"]
    having = [n for n, t in ctx.targets.items() if t.prefix and f"{t.prefix}{sfx}" in t.columns]
    rows = []
    if len(having) == 1:
        n = having[0]
        rows.append({"dataset": n, "row": pd.NA, "variable": f"{ctx.targets[n].prefix}{sfx}", "value": "only domain with it",
                     "expected": f"--{sfx} also in another domain"})
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("requires_dataset", scope="study", vars=VARS, dataset={"type": "string", "required": True})
def op_requires_dataset(ctx: Context, args: dict) -> pd.DataFrame:
    """When any dataset has one of ``vars`` (e.g. MIDS), ``dataset`` (e.g. TM) must be present."""
    if ctx.target(args["dataset"]) is not None:
        return pd.DataFrame(columns=["dataset", *HIT_COLUMNS])
    rows = [{"dataset": n, "row": pd.NA, "variable": v, "value": "present", "expected": f"{args['dataset']} dataset present"}
            for n, t in ctx.targets.items() for v in args["vars"] if v in t.columns]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("absent_if_dataset", scope="study", dataset={"type": "string", "required": True}, vars=VARS, if_present={"type": "string", "required": True})
def op_absent_if_dataset(ctx: Context, args: dict) -> pd.DataFrame:
    """When dataset ``if_present`` exists, ``dataset`` must not have ``vars`` (EC exists -> no EXVAMT)."""
    t = ctx.target(args["dataset"])
    if t is None or ctx.target(args["if_present"]) is None:
        return pd.DataFrame(columns=["dataset", *HIT_COLUMNS])
    rows = [{"dataset": t.name, "row": pd.NA, "variable": v, "value": "present", "expected": f"absent when {args['if_present']} exists"}
            for v in args["vars"] if v in t.columns]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("required_values", scope="dataset", var={"type": "string", "required": True}, values=VALUES)
def op_required_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each of ``values`` occurs in ``var`` on a selected record (e.g. TSPARMCD INTMODEL with TSVAL)."""
    if not t.has(args["var"]):
        raise NotApplicable("variable absent")
    have = set(t.text(args["var"])[mask].dropna())
    return concat([meta_hit(args["var"], "missing", f"a record with {args['var']} = {v}") for v in args["values"] if str(v) not in have])
