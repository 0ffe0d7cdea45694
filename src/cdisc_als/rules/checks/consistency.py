"""Consistency between variables: comparisons, date order, study days, --STRESN/--STRESC,
derived values (CHG), ADT/ADTM, subject elements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    empty_hits,
    hits,
    joined,
    operator,
)
from cdisc_als.rules.checks.dates import (
    COMPLETE_DATE_RE,
    complete_dates,
    to_days,
)
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import TEXT, Target, as_text


@operator("compare", left={"type": "string", "required": True}, is_={"type": "string", "allowed": ["eq", "ne"], "required": True}, right={"type": "string"}, value={"nullable": True}, date_part={"type": "boolean", "default": False})
def op_compare(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``left`` equals / differs from ``right`` (a variable or ``DM.VAR``) or a literal ``value``.

    Rows where either side is null are not compared.
    """
    left = ctx.column(t, args["left"])
    if args.get("right"):
        right = ctx.column(t, args["right"])
        label = args["right"]
    elif args.get("value") == "@dataset_label":  # the dataset's own label (e.g. --SCAT vs label)
        right = pd.Series(t.ds.label or None, index=left.index, dtype=TEXT)
        label = "the dataset label"
    else:
        right = pd.Series(str(args.get("value")), index=left.index, dtype=TEXT)
        label = repr(args.get("value"))
    both = left.notna().to_numpy() & right.notna().to_numpy()
    if args.get("date_part"):  # compare the date part only (2020-01-10 equals 2020-01-10T08:00)
        eq = (left.str.slice(0, 10) == right.str.slice(0, 10)).fillna(False).to_numpy(dtype=bool)
    else:
        eq = (left == right).fillna(False).to_numpy(dtype=bool)
    bad = both & (~eq if args["is"] == "eq" else eq)
    word = "equal to" if args["is"] == "eq" else "different from"
    return hits(mask & bad, t.resolve(args["left"]), left, right if args.get("right") and args["is"] == "eq" else f"{word} {label}")


@operator("date_order", start={"type": "string", "required": True}, end={"type": "string", "required": True}, strict={"type": "boolean", "default": False})
def op_date_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``start`` <= ``end`` when both have a complete date part (times compared when both have one)."""
    s, e = ctx.column(t, args["start"]), ctx.column(t, args["end"])
    sd, ed = complete_dates(s), complete_dates(e)
    both = sd.notna().to_numpy() & ed.notna().to_numpy()
    after = (sd > ed).fillna(False).to_numpy(dtype=bool)
    same_day = (sd == ed).fillna(False).to_numpy(dtype=bool)
    timed = (s.str.len() >= 16).fillna(False).to_numpy(dtype=bool) & (e.str.len() >= 16).fillna(False).to_numpy(dtype=bool)
    later_time = (s.str.slice(0, 16) > e.str.slice(0, 16)).fillna(False).to_numpy(dtype=bool)
    bad = both & (after | (same_day & timed & later_time))
    if args.get("strict"):
        bad |= both & same_day & ~timed
    return hits(mask & bad, t.resolve(args["start"]), lambda idx: joined([s, e], idx, " > "), f"{t.resolve(args['start'])} <= {t.resolve(args['end'])}")


@operator("study_day", dy={"type": "string", "required": True}, dtc={"type": "string", "required": True}, ref={"type": "string", "default": "DM.RFSTDTC"}, mode={"type": "string", "allowed": ["value", "incomplete"], "default": "value"})
def op_study_day(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """--DY follows the SDTMIG algorithm from RFSTDTC (no day 0); null when a date is partial."""
    if not t.has(args["dy"]) or not t.has(args["dtc"]):
        raise NotApplicable("variables absent")
    ref = ctx.column(t, args["ref"]) if "." in args["ref"] else t.text(args["ref"])
    dtc = t.text(args["dtc"])
    d, r = complete_dates(dtc), complete_dates(ref)
    dy = t.num(args["dy"])
    pop = dy.notna().to_numpy()
    if args.get("mode") == "incomplete":
        # incomplete = date part not YYYY-MM-DD (an impossible date such as 2013-02-31 is complete
        # but invalid: valid_date reports it, not this rule); subjects without RFSTDTC count too
        def partial(s: pd.Series) -> np.ndarray:
            return ~s.str.match(COMPLETE_DATE_RE).fillna(False).to_numpy(dtype=bool)

        known = np.ones(len(t), dtype=bool)
        if "." in args["ref"]:  # a subject missing from DM is GEN011's finding, not this one
            other = ctx.target(args["ref"].split(".", 1)[0])
            if other is not None and "USUBJID" in other.columns:
                known = t.text("USUBJID").isin(other.text("USUBJID").dropna().unique()).to_numpy()
        bad = pop & (partial(dtc) | (partial(ref) & known))
        return hits(mask & bad, t.resolve(args["dy"]), t.text(args["dy"]), "null (date part incomplete)")
    delta = (d - r).dt.days
    exp = delta.where(delta < 0, delta + 1)
    ok = exp.notna().to_numpy()
    bad = pop & ok & (exp.to_numpy(dtype=float, na_value=np.nan) != dy.to_numpy())
    return hits(mask & bad, t.resolve(args["dy"]), t.text(args["dy"]), lambda idx: as_text(exp.iloc[idx]).to_numpy(dtype=object))


@operator("stresn_stresc", mode={"type": "string", "allowed": ["missing", "mismatch", "not_numeric"], "required": True})
def op_stresn_stresc(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """--STRESN agrees with --STRESC: populated when it is numeric, equal to it, null otherwise."""
    if not (t.has("--STRESC") and t.has("--STRESN")):
        raise NotApplicable("variables absent")
    c, n = t.text("--STRESC"), t.num("--STRESN")
    cn = t.num("--STRESC")
    c_num, n_pop = cn.notna().to_numpy(), n.notna().to_numpy()
    mode = args["mode"]
    if mode == "missing":
        bad, exp = c_num & ~n_pop, "--STRESN populated"
    elif mode == "mismatch":
        bad = c_num & n_pop & ~np.isclose(cn.fillna(0).to_numpy(dtype=float), n.fillna(0).to_numpy(), rtol=1e-9, atol=1e-12)
        exp = c
    else:
        bad, exp = c.notna().to_numpy() & ~c_num & n_pop, "--STRESN null"
    return hits(mask & bad, t.resolve("--STRESN"), t.text("--STRESN"), exp)


@operator("difference", target={"type": "string", "required": True}, a={"type": "string", "required": True}, b={"type": "string", "required": True}, tolerance={"type": "number", "default": 1e-6})
def op_difference(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``target`` = ``a`` - ``b`` wherever all three are populated (e.g. CHG = AVAL - BASE)."""
    for v in (args["target"], args["a"], args["b"]):
        if not t.has(v):
            raise NotApplicable("variables absent")
    y, a, b = t.num(args["target"]), t.num(args["a"]), t.num(args["b"])
    exp = a - b
    both = y.notna().to_numpy() & exp.notna().to_numpy()
    bad = both & (np.abs(y.fillna(0).to_numpy() - exp.fillna(0).to_numpy()) > args.get("tolerance", 1e-6))
    missing = y.isna().to_numpy() & exp.notna().to_numpy()
    return hits(mask & (bad | missing), args["target"], t.text(args["target"]), lambda idx: as_text(exp.iloc[idx]).to_numpy(dtype=object))


@operator("date_part_equal", date={"type": "string", "required": True}, datetime={"type": "string", "required": True})
def op_date_part_equal(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The date variable equals the date part of the datetime variable (ADT vs ADTM)."""
    if not (t.has(args["date"]) and t.has(args["datetime"])):
        raise NotApplicable("variables absent")
    d = to_days(t.frame[args["date"]], "date")
    dt = np.floor(to_days(t.frame[args["datetime"]], "datetime"))
    both = d.notna().to_numpy() & dt.notna().to_numpy()
    bad = both & (np.floor(d.fillna(0).to_numpy()) != dt.fillna(0).to_numpy())
    return hits(mask & bad, args["date"], t.text(args["date"]), f"date part of {args['datetime']}")


@operator("num_order", low={"type": "string", "required": True}, high={"type": "string", "required": True}, strict={"type": "boolean", "default": False})
def op_num_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Numeric ``low`` <= ``high`` (or < with strict) where both are populated."""
    if not (t.has(args["low"]) and t.has(args["high"])):
        raise NotApplicable("variables absent")
    lo, hi = t.num(args["low"]), t.num(args["high"])
    bad = (lo >= hi) if args.get("strict") else (lo > hi)
    op = "<" if args.get("strict") else "<="
    cols = [t.text(args["low"]), t.text(args["high"])]
    return hits(mask & bad.fillna(False).to_numpy(dtype=bool), t.resolve(args["low"]), lambda idx: joined(cols, idx, " / "), f"{t.resolve(args['low'])} {op} {t.resolve(args['high'])}")


@operator("chain", mode={"type": "string", "allowed": ["next_start", "not_last_null", "seq_order"], "required": True})
def op_chain(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Subject element chain (SE): --ENDTC equals the next element's --STDTC, only the last may
    lack --ENDTC, and --SEQ follows --STDTC order. Rows are ordered by USUBJID, --SEQ."""
    for v in ("USUBJID", "--SEQ", "--STDTC"):
        if not t.has(v):
            raise NotApplicable("variables absent")
    f = pd.DataFrame({"u": t.text("USUBJID"), "seq": t.num("--SEQ"), "st": t.text("--STDTC"),
                      "en": t.text("--ENDTC") if t.has("--ENDTC") else pd.Series(pd.NA, index=t.frame.index, dtype="string"),
                      "pos": np.arange(len(t))})
    f = f.sort_values(["u", "seq"], kind="stable")
    nxt_st = f.groupby("u", sort=False)["st"].shift(-1)
    last = f.groupby("u", sort=False).cumcount(ascending=False) == 0
    mode = args["mode"]
    if mode == "next_start":
        bad = f["en"].notna() & nxt_st.notna() & (f["en"] != nxt_st).fillna(False)
        exp, var = nxt_st, t.resolve("--ENDTC")
    elif mode == "not_last_null":
        bad = f["en"].isna() & ~last
        exp, var = "populated (not the last element)", t.resolve("--ENDTC")
    else:
        prev_st = f.groupby("u", sort=False)["st"].shift(1)
        bad = (f["st"].str.slice(0, 10) < prev_st.str.slice(0, 10)).fillna(False)
        exp, var = "--SEQ in --STDTC order", t.resolve("--SEQ")
    out = np.zeros(len(t), dtype=bool)
    out[f["pos"].to_numpy()[bad.to_numpy(dtype=bool)]] = True
    shown = pd.Series(f["en"].to_numpy() if mode != "seq_order" else f["st"].to_numpy(), index=f["pos"].to_numpy()).sort_index()
    expected = pd.Series(exp.to_numpy(), index=f["pos"].to_numpy()).sort_index() if isinstance(exp, pd.Series) else exp
    return hits(mask & out, var, shown.reset_index(drop=True), expected.reset_index(drop=True) if isinstance(expected, pd.Series) else expected)


@operator("element_match", var={"type": "string", "required": True}, date={"type": "string", "required": True})
def op_element_match(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``var`` (EPOCH, TAETORD) equals that of the subject's SE element the ``date`` falls in.

    An as-of join per subject on the element start dates (SESTDTC <= date, and date before
    SEENDTC), so each record is matched to one element without a loop.
    """
    se = ctx.target("SE")
    var = args["var"]
    if se is None or not t.has(var) or not t.has(args["date"]) or var not in se.columns:
        raise NotApplicable("SE or variables absent")
    left = pd.DataFrame({"u": t.text("USUBJID").astype(object), "d": complete_dates(t.text(args["date"])),
                         "v": t.text(var).astype(object), "pos": np.arange(len(t))})
    right = pd.DataFrame({"u": se.text("USUBJID").astype(object), "s": complete_dates(se.text("SESTDTC")),
                          "e": complete_dates(se.text("SEENDTC")) if "SEENDTC" in se.columns else pd.NaT,
                          "sev": se.text(var).astype(object)})
    left = left[left["d"].notna() & left["v"].notna()].sort_values("d", kind="stable")
    right = right[right["s"].notna()].sort_values("s", kind="stable")
    if left.empty or right.empty:
        return empty_hits()
    m = pd.merge_asof(left, right, left_on="d", right_on="s", by="u", direction="backward")
    inside = m["sev"].notna() & (m["e"].isna() | (m["d"] <= m["e"]))
    bad_rows = m.loc[inside & (m["v"] != m["sev"]), "pos"].to_numpy()
    bad = np.zeros(len(t), dtype=bool)
    bad[bad_rows] = True
    exp = pd.Series(pd.NA, index=range(len(t)), dtype=object)
    exp.iloc[m.loc[inside, "pos"].to_numpy()] = m.loc[inside, "sev"].to_numpy()
    return hits(mask & bad, var, t.text(var), exp)


@operator("percent_change", target={"type": "string", "required": True}, change={"type": "string", "required": True}, base={"type": "string", "required": True}, tolerance={"type": "number", "default": 1e-4})
def op_percent_change(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``target`` = ``change`` / ``base`` * 100 wherever all are populated and base is not 0 (PCHG)."""
    for v in (args["target"], args["change"], args["base"]):
        if not t.has(v):
            raise NotApplicable("variables absent")
    y, c, b = t.num(args["target"]), t.num(args["change"]), t.num(args["base"])
    exp = (c / b.where(b != 0)) * 100
    both = y.notna().to_numpy() & exp.notna().to_numpy()
    bad = both & (np.abs(y.fillna(0).to_numpy() - exp.fillna(0).to_numpy()) > args.get("tolerance", 1e-4))
    return hits(mask & bad, args["target"], t.text(args["target"]), lambda idx: as_text(exp.iloc[idx].round(6)).to_numpy(dtype=object))
