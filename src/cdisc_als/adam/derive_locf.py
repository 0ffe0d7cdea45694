"""Last observation carried forward: imputed BDS records with ``DTYPE = "LOCF"``.

``derive_locf_records`` follows admiral's ``derive_locf_records`` (imputation "add"): for each
``by`` group (subject and parameter) and each *expected* analysis visit at which the group has
no non-missing ``analysis_var``, a new record is added with the value of the last observed
record before that visit (in ``order``), ``DTYPE = "LOCF"``. Observed records are kept as they
are, with ``DTYPE`` missing. Why an operation and not a spec trick: which visits are expected,
what may be carried and where carrying must stop are analysis decisions that the spec (and
hence Define-XML) has to state explicitly; the mechanics are the same for every study.

Rules (each explicit in the arguments, none silently assumed):

- ``expected``: the analysis visits, either a list in the spec (``visits``) or a list in
  ``study.yaml`` (``study: design.visits``), optionally narrowed by ``filter`` and reshaped by
  ``set_values_to`` (expressions over the list's keys). ``id_vars`` say which of its variables
  identify a visit in the data (default: all of them).
- nothing is carried *into* a visit before the group's first observed value (no backward fill);
- ``stop_at``: subject-level date variables (e.g. ADSL ``DTHDT``, ``EOSDT``); the earliest
  non-missing one ends the carrying: an expected visit whose ``visit_date`` (an expression, e.g.
  ``TRTSDT + AWTARGET - 1``) is after it gets no record. A subject with none of these dates
  (still ongoing) follows ``stop_missing``: ``last_observed`` (default: only gaps followed by a
  later observed value are filled) or ``carry`` (no limit). Without ``stop_at``, no limit.
- ``keep_vars`` are copied from the carried record (e.g. ``PARAM``, ``ADT``, ``ADY``); the
  expected visit's variables come from ``expected``; every other variable is missing.

Vectorized: a cross join of groups and expected visits, one anti-join, one lexsort of observed
and candidate records and a running maximum of observed positions (forward fill by position),
so there is no loop over subjects or records.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.adam.common import (
    NAME,
    NAMES,
    ORDER,
    VALUES,
    as_datetime,
    compute,
    group_starts,
    log_source,
    mask,
    parse_order,
    require_columns,
    set_values_to,
    sort_positions,
)
from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import Context, operation

EXPECTED = {
    "type": "dict",
    "required": True,
    "schema": {
        "visits": {"type": "list", "schema": {"type": "dict"}, "minlength": 1, "excludes": "study"},
        "study": {"type": "string", "excludes": "visits"},
        "filter": {"type": "string"},
        "set_values_to": VALUES,
        "id_vars": NAMES,
    },
}


def expected_visits(ctx: Context, spec: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """The expected-visit table (one row per visit) and the variables that identify a visit."""
    if "visits" in spec:
        rows = spec["visits"]
    elif "study" in spec:
        node: Any = getattr(ctx.study, "config", None) or {}
        for part in spec["study"].split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, list) or not all(isinstance(r, dict) for r in node):
            raise SpecError(ctx.spec_file, f"{ctx.where}.expected.study",
                            f"study.yaml has no list of visits at {spec['study']!r}")
        rows = node
    else:
        raise SpecError(ctx.spec_file, f"{ctx.where}.expected", "needs visits (a list) or study (a study.yaml key path)")
    table = pd.DataFrame(rows)
    if spec.get("filter"):
        table = table[mask(ctx, table, spec["filter"])].reset_index(drop=True)
    if spec.get("set_values_to"):
        table = compute(ctx, table, spec["set_values_to"]).reset_index(drop=True)
    ids = spec.get("id_vars") or list(table.columns)
    missing = [c for c in ids if c not in table.columns]
    if missing:
        raise SpecError(ctx.spec_file, f"{ctx.where}.expected.id_vars", f"not variables of the expected visits: {', '.join(missing)}")
    return table, ids


@operation(
    "derive_locf_records",
    schema={
        "type": "dict",
        "schema": {
            "by": {**NAMES, "required": True},
            "order": {**ORDER, "required": True},
            "expected": EXPECTED,
            "analysis_var": {**NAME, "default": "AVAL"},
            "filter": {"type": "string"},
            "keep_vars": {**NAMES, "default": []},
            "stop_at": NAMES,
            "visit_date": {"type": "string", "dependencies": "stop_at"},
            "stop_missing": {"type": "string", "allowed": ["last_observed", "carry"], "default": "last_observed"},
            "dtype": {"type": "string", "default": "LOCF"},
            "new_var": {**NAME, "default": "DTYPE"},
            "set_values_to": VALUES,
        },
    },
    kind="dataset",
)
def derive_locf_records(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """Add LOCF records (DTYPE = "LOCF") for expected analysis visits without a value, carrying
    the last observed value before the visit; never before the first value, nor after the
    earliest ``stop_at`` date."""
    from cdisc_als.adam.expr import names_in

    by, var, keep = arg["by"], arg["analysis_var"], list(arg["keep_vars"])
    if arg.get("stop_at") and not arg.get("visit_date"):
        raise SpecError(ctx.spec_file, ctx.where, "stop_at needs visit_date (the date of an expected visit)")
    exp, ids = expected_visits(ctx, arg["expected"])
    order_cols, _ = parse_order(arg["order"])
    exp_cols = list(exp.columns)
    date_inputs = sorted(names_in(arg["visit_date"]) - set(exp_cols)) if arg.get("visit_date") else []
    stop_vars = list(arg.get("stop_at") or [])
    carried = list(dict.fromkeys(c for c in [var, *keep, *stop_vars, *date_inputs] if c not in by and c not in exp_cols))
    require_columns(ctx, frame, list(dict.fromkeys([*by, *ids, *order_cols, *carried])), "the working dataset")
    out_frame = frame.copy(deep=False)
    if arg["new_var"] not in out_frame.columns:
        out_frame[arg["new_var"]] = None  # observed records: DTYPE missing

    sel = mask(ctx, frame, arg["filter"]) if arg.get("filter") else np.ones(len(frame), dtype=bool)
    obs = frame.loc[sel, list(dict.fromkeys([*by, *ids, *order_cols, *carried]))].reset_index(drop=True)
    obs = obs[obs[var].notna().to_numpy()].reset_index(drop=True)
    if obs.empty or exp.empty:
        return out_frame

    # every group x expected visit, less the visits where the group has a value
    groups = obs[by].drop_duplicates()
    cand = groups.merge(exp, how="cross")
    seen = obs[[*by, *ids]].drop_duplicates()
    flag = cand[[*by, *ids]].merge(seen.assign(__seen=True), on=[*by, *ids], how="left")["__seen"]
    cand = cand[flag.isna().to_numpy()].reset_index(drop=True)
    if cand.empty:
        return out_frame

    # observed and candidate records in one order; the last observed position before each
    # candidate (running maximum within the group) is the record carried forward
    key_cols = list(dict.fromkeys([*by, *order_cols]))
    cand_keys = pd.DataFrame({c: cand[c].to_numpy() if c in cand.columns
                              else obs[c].iloc[:0].reindex(range(len(cand))).to_numpy() for c in key_cols})
    both = pd.concat([obs[key_cols], cand_keys], ignore_index=True)
    n_obs = len(obs)
    pos, group_codes = sort_positions(both, by, arg["order"])
    n = len(both)
    change = group_starts(group_codes, n)
    start = np.maximum.accumulate(np.where(change, np.arange(n), 0))
    is_obs = pos < n_obs
    last = np.maximum.accumulate(np.where(is_obs, np.arange(n), -1))
    has_prior = last >= start
    # a later observed record in the group (for stop_missing: last_observed)
    end = np.append(np.flatnonzero(change)[1:], n) - 1
    group_end = end[np.cumsum(change) - 1]
    nxt = np.minimum.accumulate(np.where(is_obs, np.arange(n), n)[::-1])[::-1]
    has_later = nxt <= group_end

    c_sorted = ~is_obs
    cand_idx = pos[c_sorted] - n_obs
    src_idx = pos[last[c_sorted].clip(min=0)]
    prior = has_prior[c_sorted]
    later = has_later[c_sorted]
    order_back = np.argsort(cand_idx)
    cand_prior, cand_src, cand_later = prior[order_back], src_idx[order_back], later[order_back]

    n_before = int((~cand_prior).sum())
    if n_before:
        ctx.log.add("info", "adam", log_source(ctx), "expected visit before the first observed value: no LOCF record (count in value)",
                    field=var, value=n_before, target=ctx.domain)
    recs = cand[cand_prior].reset_index(drop=True)
    src = obs.iloc[cand_src[cand_prior]].reset_index(drop=True)
    later_v = cand_later[cand_prior]
    for col in carried:
        recs[col] = src[col].to_numpy()

    if stop_vars:
        stop = pd.concat([as_datetime(recs[c]) for c in stop_vars], axis=1).min(axis=1)
        vdate = as_datetime(compute(ctx, recs, {"__vdate": arg["visit_date"]})["__vdate"])
        no_date = vdate.isna().to_numpy()
        if no_date.any():
            ctx.log.add_rows("warning", "adam", log_source(ctx), "expected visit without a visit date: no LOCF record",
                             recs.loc[no_date, by[min(1, len(by) - 1)]], field="visit_date", target=ctx.domain)
        no_stop = stop.isna().to_numpy()
        limit_ok = np.where(no_stop, True, (vdate <= stop).fillna(False).to_numpy())
        if arg["stop_missing"] == "last_observed":
            limit_ok &= ~no_stop | later_v
        ok = ~no_date & limit_ok
        n_stop = int((~no_date & ~limit_ok).sum())
        if n_stop:
            ctx.log.add("info", "adam", log_source(ctx),
                        f"expected visit after the earliest of {', '.join(stop_vars)} (or after the last value when none): "
                        "no LOCF record (count in value)", field=var, value=n_stop, target=ctx.domain)
        recs = recs[ok].reset_index(drop=True)

    recs = recs[list(dict.fromkeys([*by, *exp_cols, var, *keep]))].copy()
    recs[arg["new_var"]] = arg["dtype"]
    set_values_to(ctx, recs, arg.get("set_values_to"))
    if recs.empty:
        return out_frame
    return pd.concat([out_frame, recs], ignore_index=True)
