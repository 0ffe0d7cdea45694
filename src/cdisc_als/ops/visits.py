"""Visits and epochs: ``visit`` (VISIT/VISITNUM from the study's visit map) and ``epoch``.

The visit map lives in ``study.yaml`` so that every domain of a study uses the same schedule::

    design:
      visits:
        - {visitnum: 1, visit: SCREENING, folders: [SCR, Screening]}
        - {visitnum: 2, visit: BASELINE, folders: [BASE]}
      unscheduled: [UNS, Unscheduled]     # folder names of unplanned visits

``visitdy`` (planned study day) feeds VISITDY. Unplanned visits whose name carries their number
("Unscheduled 8.2") are read with ``design.unscheduled_pattern``, a regex with a ``(?P<num>...)``
group; VISIT is then the name in upper case. Any other unplanned visit gets the number of the last planned visit before it plus .01, .02, ... (in date
order within the subject) and VISIT ``UNSCHEDULED x.yy``, the common SDTM convention. By
default one unplanned visit is one date (all records of that date share its number, as in a
findings domain); ``instance`` names the form's own instance number of the unplanned visit
(e.g. the EDC repeat number UNSNUM), so that two unplanned visits on the same day stay two
visits (x.01, x.02 in date, then instance order) instead of one VISITNUM given twice.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.ops.assign import COLUMN, text
from cdisc_als.ops.dates import reference_values, to_date
from cdisc_als.ops.expr import by_unique
from cdisc_als.ops.registry import ROW_COLUMN, Context, operation

VISIT_SCHEMA = {
    "anyof": [
        COLUMN,
        {
            "type": "dict",
            "schema": {
                "from": {**COLUMN, "required": True},
                "value": {"type": "string", "allowed": ["VISIT", "VISITNUM", "VISITDY"]},
                "date": COLUMN,
                "by": COLUMN,
                "instance": COLUMN,
            },
        },
    ]
}


def _visit_inputs(arg: Any) -> list[str]:
    if isinstance(arg, str):
        return [arg]
    return [arg["from"]] + [arg[k] for k in ("date", "instance") if arg.get(k)]


def visit_table(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """The visit map of study.yaml as (folder -> visitnum, visit, visitdy) and the unscheduled
    folder names."""
    design = (ctx.study.config.get("design") or {}) if ctx.study is not None else {}
    visits = design.get("visits")
    if not visits:
        raise ctx.fail("visit: study.yaml has no design.visits")
    rows = []
    for v in visits:
        for folder in [v["visit"], *v.get("folders", [])]:
            dy = v.get("visitdy")
            rows.append((str(folder).strip().upper(), float(v["visitnum"]), v["visit"], None if dy is None else float(dy)))
    table = pd.DataFrame(rows, columns=["folder", "visitnum", "visit", "visitdy"]).drop_duplicates("folder")
    unscheduled = [str(u).strip().upper() for u in design.get("unscheduled", [])]
    return table, unscheduled


@operation("visit", schema=VISIT_SCHEMA, inputs=_visit_inputs)
def visit(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """VISITNUM or VISIT (chosen by ``value``, default: from the target's name) for a folder name.

    Example: ``VISITNUM: {visit: {from: FOLDER, date: QSDTC}}``, ``VISIT: {visit: FOLDER}``.
    An unknown folder name is logged and left null.
    """
    if isinstance(arg, str):
        arg = {"from": arg}
    target = ctx.target or ""
    want = arg.get("value") or ("VISITNUM" if target.endswith("NUM") else "VISITDY" if target.endswith("DY") else "VISIT")
    table, unscheduled = visit_table(ctx)
    folder = by_unique(text(frame[arg["from"]]), lambda u: u.str.strip().str.upper())
    num = folder.map(dict(zip(table["folder"], table["visitnum"], strict=True)))
    name = folder.map(dict(zip(table["folder"], table["visit"], strict=True)))
    if want == "VISITDY":
        return folder.map(dict(zip(table["folder"], table["visitdy"], strict=True))).astype(float)
    pattern = ((ctx.study.config.get("design") or {}) if ctx.study is not None else {}).get("unscheduled_pattern")
    if pattern:  # unplanned visits whose name carries their number ("Unscheduled 8.2")
        got = folder.str.extract(pattern, flags=re.IGNORECASE)
        if "num" not in got:
            raise ctx.fail("design.unscheduled_pattern needs a (?P<num>...) group")
        hit = num.isna() & got["num"].notna()
        num = num.where(~hit, pd.to_numeric(got["num"], errors="coerce"))
        name = name.where(~hit, folder)
    unplanned = folder.isin(unscheduled)
    unknown = folder.notna() & num.isna() & ~unplanned
    ctx.log_rows(frame, unknown, "folder not in the study's visit map", field=arg["from"], values=frame[arg["from"]])
    if unplanned.any():
        by = arg.get("by", "USUBJID")
        work = pd.DataFrame({"by": frame[by].to_numpy() if by in frame else 0, "num": num.to_numpy()})
        work["d"] = to_date(frame[arg["date"]]).to_numpy() if arg.get("date") else pd.NaT
        work["row"] = frame[ROW_COLUMN].to_numpy() if ROW_COLUMN in frame else np.arange(len(frame))
        work["unp"] = unplanned.to_numpy()
        work["pos"] = np.arange(len(frame))
        work = work.sort_values(["by", "d", "row", "pos"], kind="mergesort", na_position="last")
        filled = work.groupby("by", sort=False)["num"].ffill()
        base = filled.groupby(work["by"], sort=False).cummax().fillna(0)
        # one unplanned visit = one date (or, undated, one record); with `instance`, one
        # (date, instance) pair, so two unplanned visits on one day get two numbers
        dnum = work["d"].to_numpy().astype("datetime64[ns]").astype("int64")
        key = np.where(work["d"].isna().to_numpy(), -(work["row"].to_numpy().astype("int64") + 1), dnum)
        if arg.get("instance"):
            inst = _instance_codes(frame[arg["instance"]])[work["pos"].to_numpy()]
            key = np.where(work["d"].isna().to_numpy() & (inst >= 0), np.iinfo(np.int64).min, key)
        else:
            inst = np.zeros(len(work), dtype=np.int64)
        unp = work["unp"].to_numpy()
        u = pd.DataFrame({"by": work["by"].to_numpy(), "base": base.to_numpy(), "key": key, "inst": inst}, index=work.index)[unp]
        u = u.sort_values(["by", "base", "key", "inst"], kind="mergesort")
        first = u[["by", "base"]].ne(u[["by", "base"]].shift()).any(axis=1)
        new = first | u[["key", "inst"]].ne(u[["key", "inst"]].shift()).any(axis=1)
        rank = new.astype("int64").groupby(first.cumsum()).cumsum()
        unum = (u["base"] + rank * 0.01).round(2)
        unum = unum.sort_index()
        pos = work.loc[unum.index, "pos"].to_numpy()
        num = num.copy()
        num.iloc[pos] = unum.to_numpy()
        name = name.astype("object").copy()
        labels = "UNSCHEDULED " + pd.Series(unum.to_numpy()).map("{:.2f}".format)
        name.iloc[pos] = labels.to_numpy()
    return num.astype(float) if want == "VISITNUM" else name.astype("object").where(name.notna(), None)


def _instance_codes(values: pd.Series) -> np.ndarray:
    """Order codes of an unplanned visit's instance number (numeric order when the values are
    numbers, else text order); -1 where blank."""
    t = text(values)
    n = pd.to_numeric(t, errors="coerce")
    ordered = n if n.notna().sum() == t.notna().sum() else t
    return pd.Series(pd.factorize(ordered, sort=True)[0], index=values.index).to_numpy(dtype=np.int64)


EPOCH_SCHEMA = {
    "type": "dict",
    "schema": {
        "date": {**COLUMN, "required": True},
        "se": COLUMN,
        "cuts": {
            "type": "list",
            "schema": {
                "type": "dict",
                "schema": {
                    "before": COLUMN,
                    "on_or_before": COLUMN,
                    "epoch": {"type": "string", "required": True},
                },
            },
        },
        "otherwise": {"type": "string"},
        "dataset": COLUMN,
    },
}


@operation("epoch", schema=EPOCH_SCHEMA, inputs=lambda a: [a["date"]])
def epoch(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """EPOCH of a dated record, from the subject's SE elements (``se: SE``) or from date cuts.

    SE: the element with SESTDTC <= date < SEENDTC (the last element includes its end).
    Cuts (in the spec or in study.yaml ``design.epoch_cuts``): the first cut whose reference
    date (a DM column) the record is before / on-or-before gives the epoch, else ``otherwise``.
    Example: ``EPOCH: {epoch: {date: AESTDTC, cuts: [{before: RFXSTDTC, epoch: SCREENING}],
    otherwise: TREATMENT}}``. Partial or missing dates give null.
    """
    d = to_date(frame[arg["date"]])
    if arg.get("se"):
        se = ctx.dataset_frame(arg["se"])
        left = pd.DataFrame({"USUBJID": frame["USUBJID"].to_numpy(), "_d": d.to_numpy(), "_pos": np.arange(len(frame))})
        right = pd.DataFrame(
            {
                "USUBJID": se["USUBJID"].to_numpy(),
                "_s": to_date(se["SESTDTC"]).to_numpy(),
                "_e": to_date(se["SEENDTC"]).to_numpy(),
                "_ep": se["EPOCH"].to_numpy(),
                "_n": np.arange(len(se)),
            }
        )
        m = left.merge(right, on="USUBJID", how="inner")
        last = m.groupby("USUBJID")["_n"].transform("max") == m["_n"]
        inside = (m["_s"] <= m["_d"]) & ((m["_d"] < m["_e"]) | (last & (m["_d"] <= m["_e"])))
        hit = m[inside].sort_values(["_pos", "_n"]).drop_duplicates("_pos", keep="first")
        out = pd.Series(None, index=frame.index, dtype="object")
        out.iloc[hit["_pos"].to_numpy()] = hit["_ep"].to_numpy()
        return out
    cuts = arg.get("cuts")
    otherwise = arg.get("otherwise")
    if cuts is None:
        design = (ctx.study.config.get("design") or {}) if ctx.study is not None else {}
        rule = design.get("epoch_cuts") or {}
        cuts, otherwise = rule.get("cuts"), rule.get("otherwise", otherwise)
    if not cuts:
        raise ctx.fail("epoch needs `se`, `cuts`, or design.epoch_cuts in study.yaml")
    out = pd.Series(None, index=frame.index, dtype="object")
    done = pd.Series(False, index=frame.index)
    for cut in cuts:
        col = cut.get("before") or cut.get("on_or_before")
        if col is None:
            raise ctx.fail("each epoch cut needs `before` or `on_or_before`")
        ref = to_date(reference_values(ctx, frame, col, arg.get("dataset", "DM"), "USUBJID"))
        hit = (d < ref) if cut.get("before") else (d <= ref)
        hit = hit & ~done & d.notna() & ref.notna()
        out = out.where(~hit, cut["epoch"])
        done |= hit
    if otherwise:
        out = out.where(done | d.isna(), otherwise)
    return out
