"""Subject-level derivations that read other datasets: reference dates, arms, SE, SV and EPOCH.

Why a family of its own: these steps do not map one raw record to one target record; they
summarise a subject across domains (first exposure, last contact, the order of the treatments
actually received, the dates at which the subject moved from one trial element to the next) and
then look records up in that summary (EPOCH of an AE from the subject's elements). They are
written once, in general terms (dataset, column, filter, occurrence), so another study uses them
with other arguments and no new code.

Every operation is vectorized: group-bys, merges and ``merge_asof``; never a loop over rows.
Documented in docs/trial-design.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import Context, operation, run_variable_op
from cdisc_als.ops.trial_design import _study_path, arm_table, build_ta, built, visit_table

ISO_DATE = r"^\d{4}-\d{2}-\d{2}"

# one candidate source of a date: a built dataset (or a raw table) and a column, optionally a
# filter (expression language of cdisc_als.ops.expr) and the n-th record in date order
_SOURCE = {
    "type": "dict",
    "schema": {
        "dataset": {"type": "string", "required": True},  # built domain (DM) or raw table (infusion)
        "column": {"type": "string", "excludes": "value"},  # an ISO 8601 date column, or
        "value": {"type": "dict", "excludes": "column"},  # any variable operation giving one
        "where": {"type": "string"},
        "occurrence": {"type": "integer", "min": 1},
        # subject key of the source: a column (default USUBJID) or a variable operation
        # (``{usubjid: [SUBJID]}`` for a raw table)
        "by": {"type": ["string", "dict"]},
    },
}
_SOURCES = {"type": "list", "schema": _SOURCE, "minlength": 1}


def _filter(ctx: Context, frame: pd.DataFrame, where: str | None) -> pd.DataFrame:
    if not where:
        return frame
    from cdisc_als.ops.expr import ExprError, condition

    try:
        mask = condition(where, frame)
    except ExprError as exc:
        raise ctx.fail(str(exc)) from None
    return frame[mask.fillna(False).astype(bool)]


def complete_date(series: pd.Series) -> pd.Series:
    """True where an ISO 8601 value has at least year, month and day."""
    return series.astype("string").str.match(ISO_DATE).fillna(False).astype(bool)


def source_dates(ctx: Context, src: dict[str, Any]) -> pd.DataFrame:
    """One candidate date per subject from one source: columns ``key``, ``date``.

    Only complete dates (YYYY-MM-DD, with or without time) count. Without ``occurrence`` all
    records of the subject are returned (the caller takes the min or max); with ``occurrence: n``
    the n-th record in date order.
    """
    frame = _filter(ctx, ctx.dataset_frame(src["dataset"]), src.get("where"))
    if not src.get("column") and not src.get("value"):
        raise ctx.fail(f"date source {src['dataset']}: give `column` or `value`")
    # values of another table are checked (and logged) by that table's own spec: stay quiet here
    quiet = Context(**{**ctx.__dict__, "log": type(ctx.log)(), "dropped": []})
    key = run_variable_op(quiet, frame, src.get("by", "USUBJID"))
    date = run_variable_op(quiet, frame, src.get("column") or src["value"])
    out = pd.DataFrame({"key": pd.Series(key).astype("string").to_numpy(),
                        "date": pd.Series(date).astype("string").to_numpy()})
    out = out[complete_date(out["date"]) & out["key"].notna()]
    if src.get("occurrence"):
        out = out.sort_values(["key", "date"], kind="stable")
        n = out.groupby("key", sort=False).cumcount() + 1
        out = out[n == src["occurrence"]]
    return out


def pick_date(ctx: Context, keys: pd.Series, sources: list[dict[str, Any]], how: str) -> pd.Series:
    """For each key, the first (``how="first"``) or last (``"last"``) complete date over sources.

    Candidate lists are in priority order only when ``how="coalesce"``: the first source that
    gives the subject a date wins (used for element starts such as "second infusion, else the
    month-6 visit").
    """
    keys = keys.astype("string")
    if how == "coalesce":
        result = pd.Series(pd.NA, index=keys.index, dtype="string")
        for src in sources:
            cand = source_dates(ctx, src).groupby("key")["date"].min()
            result = result.fillna(keys.map(cand).astype("string"))
        return result
    frames = [source_dates(ctx, s) for s in sources]
    allc = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["key", "date"])
    agg = allc.groupby("key")["date"].min() if how == "first" else allc.groupby("key")["date"].max()
    return keys.map(agg).astype("string")


# --------------------------------------------------------------------------- arms
_ARM_CODE_SCHEMA = {
    "type": "dict",
    "schema": {"columns": {"type": "list", "schema": {"type": "string"}, "required": True},
               "sep": {"type": "string"}},
}


@operation("arm_code", schema=_ARM_CODE_SCHEMA, inputs=lambda a: list(a.get("columns", [])))
def op_arm_code(ctx: Context, frame: pd.DataFrame, arg: dict[str, Any]) -> pd.Series:
    """ARMCD of a multi-stage assignment: the stage codes joined with ``sep`` (default ``-``).

    Blank stages are skipped, so a subject who left before the second randomization gets the
    truncated code (``PBO``) that SDTMIG 3.4 DM assumption 4b asks for. The result must be an
    arm of study.yaml ``design.arms`` (full or partial); other codes are logged and left null.
    """
    sep = arg.get("sep", "-")
    parts = [frame[c].astype("string").str.strip().replace("", pd.NA) for c in arg["columns"]]
    code = parts[0].fillna("")
    for p in parts[1:]:
        code = code + (sep + p).fillna("")
    code = code.str.removeprefix(sep).replace("", pd.NA)
    return _check_arm(ctx, frame, code)


def _check_arm(ctx: Context, frame: pd.DataFrame, code: pd.Series) -> pd.Series:
    config, path = _study_path(ctx.study)
    arms = set(arm_table(config, path)["ARMCD"])
    bad = code.notna() & ~code.isin(list(arms))
    if bad.any():
        ctx.log_rows(frame, bad, f"arm code not in design.arms of study.yaml ({sorted(arms)})",
                     values=code, severity="error")
        code = code.mask(bad)
    return code.astype("object").where(code.notna(), None)


@operation("arm_decode", schema={"type": "string"}, inputs=lambda a: [a])
def op_arm_decode(ctx: Context, frame: pd.DataFrame, arg: str) -> pd.Series:
    """ARM (or ACTARM) from an arm code column, through study.yaml ``design.arms``."""
    config, path = _study_path(ctx.study)
    arms = arm_table(config, path)
    names = frame[arg].map(dict(zip(arms["ARMCD"], arms["ARM"], strict=True)))
    return names.astype("object").where(names.notna(), None)


_ACTUAL_ARM_SCHEMA = {
    "type": "dict",
    "schema": {
        "dataset": {"type": "string", "required": True},
        "column": {"type": "string", "required": True},  # value that identifies the treatment
        "map": {"type": "dict", "required": True},  # value -> stage code (PBO, D1, ...)
        # order of the stages: a column of ``dataset`` or any variable operation run on it
        "order_by": {"type": ["string", "dict"], "required": True},
        "where": {"type": "string"},
        "sep": {"type": "string"},
        "key": {"type": "string"},
    },
}


def _as_text(series: pd.Series) -> pd.Series:
    """Values as text for mapping, numbers without a trailing ``.0`` (``1.0`` -> ``1``)."""
    from cdisc_als.ops.assign import text

    return text(series).astype("string").str.strip()


@operation("actual_arm", schema=_ACTUAL_ARM_SCHEMA, inputs=lambda a: [a.get("key", "USUBJID")])
def op_actual_arm(ctx: Context, frame: pd.DataFrame, arg: dict[str, Any]) -> pd.Series:
    """ACTARMCD: the stage codes of the treatments actually received, in date order.

    Each exposure record of ``dataset`` maps ``column`` through ``map`` to a stage code; the
    subject's codes, ordered by ``order_by``, are joined with ``sep`` (``PBO`` then ``D2`` ->
    ``PBO-D2``). Consecutive repeats collapse (two records of one infusion count once). A code
    that is not an arm of study.yaml is logged and left null (ARMNRS: UNPLANNED TREATMENT).
    """
    key = arg.get("key", "USUBJID")
    sep = arg.get("sep", "-")
    ex = _filter(ctx, ctx.dataset_frame(arg["dataset"]), arg.get("where"))
    for col in (key, arg["column"]):
        if col not in ex.columns:
            raise ctx.fail(f"{arg['dataset']} has no column {col!r}")
    # bad values of the other table are that table's spec's business: do not log them twice
    quiet = Context(**{**ctx.__dict__, "log": type(ctx.log)(), "dropped": []})
    order = run_variable_op(quiet, ex, arg["order_by"])
    mapping = {str(k): str(v) for k, v in arg["map"].items()}
    stage = _as_text(ex[arg["column"]]).map(mapping)
    unmapped = stage.isna() & ex[arg["column"]].notna()
    if unmapped.any():
        ctx.log_rows(ex, unmapped, f"{arg['dataset']}.{arg['column']} value not in actual_arm map",
                     field=arg["column"], values=ex[arg["column"]].astype("object"), severity="error")
    rec = pd.DataFrame({"key": ex[key].astype("string"), "date": pd.Series(order).astype("string").to_numpy(),
                        "stage": stage}).dropna(subset=["stage"])
    rec = rec.sort_values(["key", "date"], kind="stable")
    same = rec["stage"].eq(rec.groupby("key")["stage"].shift())
    rec = rec[~same]
    codes = rec.groupby("key", sort=False)["stage"].agg(sep.join)
    code = frame[key].astype("string").map(codes).astype("string")
    return _check_arm(ctx, frame, code)


# --------------------------------------------------------------------------- SE
_SE_SCHEMA = {
    "type": "dict",
    "schema": {
        "subjects": {"type": "string"},  # dataset with one row per subject (DM)
        "arm": {"type": "string"},  # arm code column used to look the elements up (ACTARMCD)
        "starts": {"type": "dict", "required": True, "keysrules": {"type": "integer"},
                   "valuesrules": _SOURCES},
        "end": _SOURCES,
    },
}


def planned_elements(config: dict[str, Any], path: Any) -> pd.DataFrame:
    """Elements per arm code, incl. partial arms and subjects without an arm (``ARMKEY`` "").

    A partial arm (truncated multi-stage code such as ``PBO``) follows the first full arm whose
    code starts with it, up to the element that carries the branch not taken. Subjects without
    an arm get the first element when every arm starts with the same one (screening).
    """
    ta = build_ta(config, path)
    arms = arm_table(config, path)
    plan = ta[["ARMCD", "TAETORD", "ETCD", "ELEMENT", "EPOCH", "TABRANCH"]].rename(columns={"ARMCD": "ARMKEY"})
    extra = []
    for code in arms.loc[arms["partial"], "ARMCD"]:
        full = [a for a in ta["ARMCD"].unique() if str(a).startswith(f"{code}-")]
        if not full:
            continue
        rows = plan[plan["ARMKEY"] == full[0]]
        branch_ord = rows.loc[rows["TABRANCH"].notna(), "TAETORD"]
        upto = branch_ord.max() if len(branch_ord) else rows["TAETORD"].max()
        extra.append(rows[rows["TAETORD"] <= upto].assign(ARMKEY=code))
    firsts = ta[ta["TAETORD"] == 1]
    if firsts["ETCD"].nunique() == 1:
        extra.append(plan[(plan["ARMKEY"] == firsts["ARMCD"].iloc[0]) & (plan["TAETORD"] == 1)].assign(ARMKEY=""))
    return pd.concat([plan, *extra], ignore_index=True).drop(columns="TABRANCH")


def build_se(ctx: Context, arg: dict[str, Any]) -> pd.DataFrame:
    """SE records: element k of the subject's arm starts at ``starts[k]``; it ends where the next
    element that took place starts, the last one at ``end`` (end of participation)."""
    config, path = _study_path(ctx.study)
    dm = ctx.dataset_frame(arg.get("subjects", "DM"))
    armcol = arg.get("arm", "ACTARMCD")
    for col in ("USUBJID", armcol):
        if col not in dm.columns:
            raise ctx.fail(f"{arg.get('subjects', 'DM')} has no column {col!r}")
    plan = planned_elements(config, path)
    subj = pd.DataFrame({"USUBJID": dm["USUBJID"].astype("string"),
                         "ARMKEY": dm[armcol].astype("string").fillna("")})
    se = subj.merge(plan, on="ARMKEY", how="inner")
    starts = []
    for order, sources in arg["starts"].items():
        s = pick_date(ctx, subj["USUBJID"], sources, "coalesce")
        starts.append(pd.DataFrame({"USUBJID": subj["USUBJID"], "TAETORD": int(order), "SESTDTC": s}))
    start = pd.concat(starts, ignore_index=True)
    se = se.merge(start, on=["USUBJID", "TAETORD"], how="inner")
    se = se[se["SESTDTC"].notna()].sort_values(["USUBJID", "TAETORD"], kind="stable")
    end = pick_date(ctx, subj["USUBJID"], arg["end"], "last") if arg.get("end") else pd.Series(pd.NA, index=subj.index)
    end_by = pd.Series(end.to_numpy(), index=subj["USUBJID"].to_numpy())
    nxt = se.groupby("USUBJID", sort=False)["SESTDTC"].shift(-1)
    se["SEENDTC"] = nxt.fillna(se["USUBJID"].map(end_by).astype("string"))
    config_id = config["studyid"]
    se.insert(0, "DOMAIN", "SE")
    se.insert(0, "STUDYID", config_id)
    se["SESEQ"] = se.groupby("USUBJID", sort=False).cumcount().astype("int64") + 1
    se["TAETORD"] = se["TAETORD"].astype("int64")
    cols = ["STUDYID", "DOMAIN", "USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]
    out = se[cols].reset_index(drop=True)
    for c in ("SESTDTC", "SEENDTC"):
        out[c] = out[c].astype("object").where(out[c].notna(), None)
    return out


@operation("subject_elements", schema=_SE_SCHEMA, kind="dataset")
def op_subject_elements(ctx: Context, frame: pd.DataFrame, arg: dict[str, Any]) -> pd.DataFrame:
    """SE from DM (arm), the design (TA) and dated records (element start dates); see build_se."""
    return built(build_se(ctx, arg))


# --------------------------------------------------------------------------- EPOCH
def _instant(values: pd.Series, date_only_at: str) -> pd.Series:
    """ISO 8601 text -> Timestamp; date-only values at the start (``"start"``) or end of the day.

    Values without a complete date become NaT (an imprecise date cannot be placed in an element).
    """
    txt = values.astype("string")
    ok = complete_date(txt)
    has_time = txt.str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}").fillna(False).astype(bool)
    stamp = pd.to_datetime(txt.where(ok & has_time).str.slice(0, 19), format="ISO8601", errors="coerce")
    day = pd.to_datetime(txt.where(ok).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    if date_only_at == "end":
        day = day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    elif date_only_at == "before":
        day = day - pd.Timedelta(microseconds=1)
    return stamp.where(has_time, day)


def epoch_of(se: pd.DataFrame, keys: pd.Series, dates: pd.Series, same_day: str = "next") -> pd.Series:
    """EPOCH of each (subject, date) from SE; see ``_epoch_at``.

    With ``same_day="previous"`` a date-only record on the first day of the subject's first
    element (no element before it) still belongs to that first element.
    """
    def compute(k: pd.Series, d: pd.Series) -> pd.Series:
        nxt = _epoch_at(se, k, d, "next")
        if same_day == "next":
            return nxt
        prev = _epoch_at(se, k, d, "previous")
        return prev.where(prev.notna(), nxt)

    return per_unique(keys, dates, compute)


def per_unique(keys: pd.Series, dates: pd.Series, compute: Any) -> pd.Series:
    """``compute(keys, dates)`` on the distinct (key, date) pairs only, broadcast back.

    A questionnaire has a dozen records per subject and date: working on the distinct pairs
    keeps the date parsing and the as-of merge proportional to visits, not to records.
    """
    kcode, _ = pd.factorize(keys.to_numpy(), use_na_sentinel=False)
    dcode, duniq = pd.factorize(dates.to_numpy(), use_na_sentinel=False)
    pair, _ = pd.factorize(kcode.astype(np.int64) * (len(duniq) + 1) + dcode)
    _, first = np.unique(pair, return_index=True)  # first record of each distinct pair
    k = pd.Series(keys.to_numpy()[first]).astype("string")
    d = pd.Series(dates.to_numpy()[first]).astype("string")
    result = pd.Series(compute(k, d)).astype("object").to_numpy()
    out = pd.Series(result[pair], index=keys.index, dtype="object")
    return out.where(out.notna(), None)


def _epoch_at(se: pd.DataFrame, keys: pd.Series, dates: pd.Series, same_day: str = "next") -> pd.Series:
    """EPOCH of each (subject, date) from the subject's SE records.

    The element in effect is the last one that started at or before the record's date/time.
    A date without time on the day an element starts belongs to that new element
    (``same_day="next"``, e.g. an AE on the infusion day) or to the one before
    (``"previous"``, e.g. pre-dose assessments of the day-1 visit). Dates before the first
    element, after the end of the last one, or without a complete date give no EPOCH.
    """
    rec = pd.DataFrame({"key": keys.astype("string").to_numpy(),
                        "t": _instant(dates, "end" if same_day == "next" else "before").to_numpy(),
                        "pos": np.arange(len(keys))})
    el = pd.DataFrame({"key": se["USUBJID"].astype("string").to_numpy(),
                       "t": _instant(se["SESTDTC"], "start").to_numpy(),
                       "end": _instant(se["SEENDTC"], "end").to_numpy(),
                       "EPOCH": se["EPOCH"].to_numpy()})
    el = el.dropna(subset=["t"]).sort_values("t", kind="stable")
    have = rec.dropna(subset=["t"]).sort_values("t", kind="stable")
    have = have[have["key"].notna()]
    merged = pd.merge_asof(have, el, on="t", by="key", direction="backward")
    # after the end of the subject's last element: no epoch
    last_end = el.groupby("key")["end"].max()
    late = merged["t"] > merged["key"].map(last_end)
    merged.loc[late.fillna(False).astype(bool), "EPOCH"] = None
    out = pd.Series([None] * len(keys), dtype="object")
    out.iloc[merged["pos"].to_numpy()] = merged["EPOCH"].astype("object").to_numpy()
    out.index = keys.index
    return out.where(out.notna(), None)


def partial_bounds(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last possible day of each ISO 8601 value (complete values map to themselves).

    ``2013-03`` -> (``2013-03-01``, ``2013-03-31``); ``2013`` -> (``2013-01-01``, ``2013-12-31``);
    other shapes (``2013---12``, empty) -> null.
    """
    txt = values.astype("string")
    month = txt.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
    year = txt.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    first_m = pd.to_datetime(txt.where(month) + "-01", format="%Y-%m-%d", errors="coerce")
    last_m = (first_m + pd.offsets.MonthEnd(0)).dt.strftime("%Y-%m-%d")
    lo = txt.where(complete_date(txt))
    hi = lo.copy()
    lo = lo.mask(month, txt + "-01").mask(year, txt + "-01-01")
    hi = hi.mask(month, last_m.astype("string")).mask(year, txt + "-12-31")
    return lo, hi


_ELEMENT_EPOCH_SCHEMA = {
    "type": "dict",
    "schema": {
        "date": {"type": "string", "required": True},
        "se": {"type": "string"},
        "same_day": {"type": "string", "allowed": ["next", "previous"]},
        "partial": {"type": "boolean"},
        "key": {"type": "string"},
        "not_after": {"type": "string"},
    },
}


@operation("element_epoch", schema=_ELEMENT_EPOCH_SCHEMA,
           inputs=lambda a: [a.get("key", "USUBJID"), a["date"]] + ([a["not_after"]] if a.get("not_after") else []))
def op_element_epoch(ctx: Context, frame: pd.DataFrame, arg: dict[str, Any]) -> pd.Series:
    """EPOCH from SE with times and partial dates (see ``epoch_of``).

    Unlike the day-level ``epoch`` operation it compares date/times when both sides have a time
    (an AE at 08:00 before a 10:00 infusion is still in screening), chooses with ``same_day``
    where a date-only record on a transition day goes, and with ``partial: true`` (default)
    places a partial date when every day it may stand for lies in the same element
    (``2013-03`` inside one element -> that epoch; straddling two -> null).
    ``not_after`` names a column whose complete date the partial date cannot be later than (the
    record's own end, e.g. AEENDTC: an AE known only as ``2013-10`` that ended on 2013-10-16
    started between 2013-10-01 and 2013-10-16). It narrows the range, it imputes nothing: the
    epoch is still given only when every possible day lies in one element.
    Example: ``EPOCH: {element_epoch: {date: AESTDTC, se: SE, not_after: AEENDTC}}``.
    """
    key = arg.get("key", "USUBJID")
    se = ctx.dataset_frame(arg.get("se", "SE"))
    same_day = arg.get("same_day", "next")
    if not arg.get("partial", True):
        return epoch_of(se, frame[key], frame[arg["date"]], same_day)
    dates = frame[arg["date"]].astype("string")
    if arg.get("not_after"):
        bound = frame[arg["not_after"]].astype("string")
        bound = bound.str.slice(0, 10).where(complete_date(bound))
        dates = dates.fillna("") + "|" + bound.fillna("")

    def compute(keys: pd.Series, values: pd.Series) -> pd.Series:
        if arg.get("not_after"):
            parts = values.str.split("|", n=1, expand=True)
            dates, bound = parts[0].replace("", pd.NA), parts[1].replace("", pd.NA)
        else:
            dates, bound = values, pd.Series(pd.NA, index=values.index, dtype="string")
        lo, hi = partial_bounds(dates)
        # the end bound narrows the last possible day (when consistent with the first one)
        narrow = bound.notna() & lo.notna() & (bound >= lo).fillna(False) & (bound < hi).fillna(False)
        hi = hi.where(~narrow, bound)
        full = complete_date(dates)
        # a complete date/time keeps its own precision (times compared)
        exact = epoch_of(se, keys, dates.where(full), same_day)
        first = epoch_of(se, keys, lo, same_day)
        last = epoch_of(se, keys, hi, same_day)
        agree = first.notna() & (first == last)
        return exact.where(full, first.where(agree))

    return per_unique(frame[key], dates, compute)


# --------------------------------------------------------------------------- SV
_SV_SCHEMA = {
    "type": "dict",
    "schema": {
        "from": {
            "type": "list",
            "required": True,
            "schema": {
                "type": "dict",
                "schema": {
                    "dataset": {"type": "string", "required": True},
                    "date": {"type": "string", "required": True},
                    "end": {"type": "string"},
                    "where": {"type": "string"},
                },
            },
        },
        "unscheduled": {"type": "string"},  # SVUPDES of unplanned visits
        "epoch": {"type": "dict", "schema": {"se": {"type": "string"},
                                             "same_day": {"type": "string", "allowed": ["next", "previous"]}}},
    },
}


def build_sv(ctx: Context, arg: dict[str, Any]) -> pd.DataFrame:
    """SV: one record per subject and visit that took place, from every visit-dated record.

    SVSTDTC/SVENDTC = first/last complete date of the visit's records; VISITDY from the
    planned visits; SVPRESP = Y for planned visits (VISITNUM in design.visits) and null for
    unscheduled ones (VISITNUM x.01, ...), which get SVUPDES; SVOCCUR = Y (the planned visit
    occurred; null for unscheduled visits, as SDTMIG 3.4 uses SVOCCUR only with SVPRESP = Y).
    """
    config, path = _study_path(ctx.study)
    parts = []
    for i, src in enumerate(arg["from"]):
        frame = _filter(ctx, ctx.dataset_frame(src["dataset"]), src.get("where"))
        need = ["USUBJID", "VISITNUM", "VISIT", src["date"]] + ([src["end"]] if src.get("end") else [])
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise SpecError(ctx.spec_file, f"{ctx.where}.from[{i}]", f"{src['dataset']} has no column(s) {missing}")
        st = frame[src["date"]].astype("string")
        en = frame[src["end"]].astype("string").fillna(st) if src.get("end") else st
        parts.append(pd.DataFrame({"USUBJID": frame["USUBJID"].astype("string"),
                                   "VISITNUM": pd.to_numeric(frame["VISITNUM"], errors="coerce"),
                                   "VISIT": frame["VISIT"].astype("string"), "st": st, "en": en}))
    rec = pd.concat(parts, ignore_index=True)
    rec = rec[rec["VISITNUM"].notna() & rec["USUBJID"].notna()]
    rec["st"] = rec["st"].where(complete_date(rec["st"]))
    rec["en"] = rec["en"].where(complete_date(rec["en"]))
    sv = rec.groupby(["USUBJID", "VISITNUM"], as_index=False, sort=True).agg(
        VISIT=("VISIT", "first"), SVSTDTC=("st", "min"), SVENDTC=("en", "max"))
    visits = visit_table(config, path)[["VISITNUM", "VISITDY"]]
    sv = sv.merge(visits, on="VISITNUM", how="left", indicator=True)
    planned = sv["_merge"] == "both"
    sv["SVPRESP"] = np.where(planned, "Y", None)
    sv["SVOCCUR"] = np.where(planned, "Y", None)  # SVOCCUR only with SVPRESP = Y
    sv["SVUPDES"] = np.where(planned, None, arg.get("unscheduled", "Unscheduled visit"))
    sv.insert(0, "DOMAIN", "SV")
    sv.insert(0, "STUDYID", config["studyid"])
    if arg.get("epoch") is not None:
        e = arg["epoch"]
        se = ctx.dataset_frame(e.get("se", "SE"))
        sv["EPOCH"] = epoch_of(se, sv["USUBJID"], sv["SVSTDTC"], e.get("same_day", "next"))
    cols = ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "VISITDY",
            *(["EPOCH"] if "EPOCH" in sv else []), "SVSTDTC", "SVENDTC", "SVUPDES"]
    out = sv[cols].reset_index(drop=True)
    for c in ("SVSTDTC", "SVENDTC", "VISIT"):
        out[c] = out[c].astype("object").where(out[c].notna(), None)
    return out


@operation("subject_visits", schema=_SV_SCHEMA, kind="dataset")
def op_subject_visits(ctx: Context, frame: pd.DataFrame, arg: dict[str, Any]) -> pd.DataFrame:
    """SV from the visit-dated records of other datasets (list them in depends_on)."""
    return built(build_sv(ctx, arg))
