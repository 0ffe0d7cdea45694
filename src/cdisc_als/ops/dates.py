"""Dates: collected text -> ISO 8601 (``iso8601``) and study day (``study_day``).

Collected dates come in CRF formats ("12 MAR 2013", "03/12/2013", "12-Mar-2013") with unknown
parts written as ``UN``/``UNK``/``UNKN``. SDTM wants ISO 8601 truncated at the first unknown
component ("2013-03", "2013"), or with a gap for a known day in an unknown month ("2013---12").
An impossible date (31 FEB 2013) is logged with file/row/field and left null: the record still
lands. All parsing is done with vectorized regex extraction on whole columns.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.ops.assign import COLUMN, text
from cdisc_als.ops.expr import by_unique
from cdisc_als.ops.registry import Context, operation

MONTHS = {m: i + 1 for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
)}
_UNK_DAY = r"UN|UK|XX|--|\?\?"
_UNK_MONTH = r"UNK|UN|UK|XXX|XX|---|--"
_UNK_YEAR = r"UNKN|UNK|XXXX|----"
_TOKENS = [
    ("YYYY", rf"(?P<y>\d{{4}}|{_UNK_YEAR})"),
    ("MONTH", rf"(?P<m>[A-Za-z]{{3,9}}|{_UNK_MONTH})"),
    ("MON", rf"(?P<m>[A-Za-z]{{3}}|{_UNK_MONTH})"),
    ("Mon", rf"(?P<m>[A-Za-z]{{3}}|{_UNK_MONTH})"),
    ("MM", rf"(?P<m>\d{{1,2}}|{_UNK_MONTH})"),
    ("DD", rf"(?P<d>\d{{1,2}}|{_UNK_DAY})"),
]
_TIME_TOKENS = [
    ("HH", r"(?P<H>\d{1,2}|UN|UK|--)"),
    ("MM", r"(?P<M>\d{2}|UN|UK|--)"),
    ("MI", r"(?P<M>\d{2}|UN|UK|--)"),
    ("SS", r"(?P<S>\d{2}|UN|UK|--)"),
]
DATE_FORMATS = ["DD MON YYYY", "DD-MON-YYYY", "MM/DD/YYYY", "DD/MM/YYYY", "YYYY-MM-DD", "DD-MM-YYYY", "DD.MM.YYYY", "DDMONYYYY", "MON YYYY", "YYYY"]


def _regex(fmt: str, tokens: list[tuple[str, str]]) -> str:
    out, i = [], 0
    while i < len(fmt):
        for tok, pat in tokens:
            if fmt.startswith(tok, i):
                out.append(pat)
                i += len(tok)
                break
        else:
            ch = fmt[i]
            out.append(r"\s*" if ch == " " else re.escape(ch))
            i += 1
    return "^" + "".join(out) + "$"


def _known(part: pd.Series) -> pd.Series:
    return part.notna() & part.str.fullmatch(r"\d+|[A-Za-z]{3,9}", na=False) & ~part.str.upper().isin(
        ["UNK", "UN", "UK", "UNKN", "XXX", "XX", "XXXX"]
    )


def _month_number(m: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(m.where(m.str.fullmatch(r"\d+", na=False)), errors="coerce")
    named = m.str.upper().str[:3].map(MONTHS)
    return numeric.fillna(named)


def _pad(num: pd.Series, width: int) -> pd.Series:
    """Whole numbers as zero-padded text, None where null (vectorized)."""
    ok = num.notna() & np.isfinite(num.astype(float))
    out = pd.Series(None, index=num.index, dtype="object")
    out[ok] = num[ok].astype("int64").astype(str).str.zfill(width)
    return out


def _spread(frame: pd.DataFrame, col: str, fn) -> pd.DataFrame:
    """Run ``fn`` (unique stripped text values -> DataFrame of results) once per distinct value of
    ``frame[col]`` and spread the result rows back onto the records (nulls give null rows)."""
    values = text(frame[col])
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    u = pd.Series(uniq, dtype="object").str.strip()
    u = u.where(u.ne(""), None)
    res = fn(u).reset_index(drop=True)
    null_row = pd.DataFrame({c: [False if res[c].dtype == bool else None] for c in res.columns})
    res = pd.concat([res, null_row], ignore_index=True)
    out = res.iloc[np.where(codes < 0, len(res) - 1, codes)].reset_index(drop=True)
    out.index = frame.index
    for c in out.columns:
        if out[c].dtype == object and res[c].iloc[:-1].dtype == bool:
            out[c] = out[c].fillna(False).astype(bool)
    return out


def _parse_unique_dates(values: pd.Series, formats: list[str]) -> pd.DataFrame:
    index = values.index
    parts = pd.DataFrame({"y": None, "m": None, "d": None}, index=index, dtype="object")
    matched = pd.Series(False, index=index)
    for fmt in formats:
        todo = values.notna() & ~matched
        if not todo.any():
            break
        got = values[todo].str.extract(_regex(fmt, _TOKENS), flags=re.IGNORECASE)
        ok = got.notna().any(axis=1)
        ok_idx = got.index[ok]
        for p in ("y", "m", "d"):
            if p in got:
                parts.loc[ok_idx, p] = got.loc[ok_idx, p]
        matched.loc[ok_idx] = True
    nomatch = values.notna() & ~matched
    y_known = _known(parts["y"].astype("object"))
    m_known = _known(parts["m"].astype("object"))
    d_known = _known(parts["d"].astype("object"))
    y = pd.to_numeric(parts["y"].where(y_known), errors="coerce")
    m = _month_number(parts["m"].where(m_known).astype("object"))
    d = pd.to_numeric(parts["d"].where(d_known), errors="coerce")
    y_s, m_s, d_s = _pad(y, 4), _pad(m, 2), _pad(d, 2)
    complete = y.notna() & m.notna() & d.notna()
    full = (y_s + "-" + m_s + "-" + d_s).where(complete)
    checked = pd.to_datetime(full, format="%Y-%m-%d", errors="coerce")
    impossible = complete & checked.isna()
    bad_month = m.notna() & ~m.between(1, 12)
    bad_name = parts["m"].notna() & m_known & m.isna()
    impossible = impossible | ((bad_month | bad_name) & ~complete)
    iso = pd.Series(None, index=index, dtype="object")
    iso = iso.where(~complete, full)
    ym = y.notna() & m.notna() & d.isna()
    iso = iso.where(~ym, y_s + "-" + m_s)
    yd = y.notna() & m.isna() & d.notna()
    iso = iso.where(~yd, y_s + "---" + d_s)
    yo = y.notna() & m.isna() & d.isna()
    iso = iso.where(~yo, y_s)
    iso = iso.where(~impossible, None)
    return pd.DataFrame(
        {"iso": iso.astype("object"), "complete": complete & ~impossible, "nomatch": nomatch, "impossible": impossible}
    )


def parse_dates(
    ctx: Context, frame: pd.DataFrame, col: str, formats: list[str], *, log: bool = True
) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 date text from ``frame[col]``; returns (iso, complete-mask).

    The parsing runs once per distinct collected value (dates repeat across records)."""
    raw = frame[col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        iso = raw.dt.strftime("%Y-%m-%d").where(raw.notna(), None).astype("object")
        return iso, raw.notna()
    res = _spread(frame, col, lambda u: _parse_unique_dates(u, formats))
    if log:
        ctx.log_rows(frame, res["nomatch"], f"date does not match format {' or '.join(formats)}", field=col, values=raw)
        ctx.log_rows(frame, res["impossible"], "impossible date", field=col, values=raw)
    return res["iso"].astype("object"), res["complete"]


def _parse_unique_times(values: pd.Series, fmt: str) -> pd.DataFrame:
    got = values.str.extract(_regex(fmt, _TIME_TOKENS), flags=re.IGNORECASE)
    for p in ("H", "M", "S"):
        if p not in got:
            got[p] = np.nan
    nomatch = values.notna() & got.isna().all(axis=1)
    h = pd.to_numeric(got["H"], errors="coerce")
    mi = pd.to_numeric(got["M"], errors="coerce")
    s = pd.to_numeric(got["S"], errors="coerce")
    bad = ((h > 23) | (mi > 59) | (s > 59)).fillna(False)
    out = _pad(h, 2)
    with_m = out + ":" + _pad(mi, 2)
    out = with_m.where(mi.notna(), out)
    with_s = out + ":" + _pad(s, 2)
    out = with_s.where(s.notna() & mi.notna(), out)
    return pd.DataFrame({"iso": out.where(~bad, None).astype("object"), "nomatch": nomatch, "bad": bad})


def parse_times(
    ctx: Context, frame: pd.DataFrame, col: str, fmt: str, *, log: bool = True
) -> pd.Series:
    """``HH:MM[:SS]`` text -> ISO time ``HH:MM[:SS]`` truncated at the first unknown part."""
    raw = frame[col]
    res = _spread(frame, col, lambda u: _parse_unique_times(u, fmt))
    if log:
        ctx.log_rows(frame, res["nomatch"], f"time does not match format {fmt}", field=col, values=raw)
        ctx.log_rows(frame, res["bad"], "impossible time", field=col, values=raw)
    return res["iso"].astype("object")


ISO_SCHEMA = {
    "anyof": [
        COLUMN,
        {
            "type": "dict",
            "schema": {
                "date": {**COLUMN, "required": True},
                "format": {"type": ["string", "list"], "schema": {"type": "string"}},
                "time": COLUMN,
                "time_format": {"type": "string"},
            },
        },
    ]
}


def _iso_inputs(arg: Any) -> list[str]:
    if isinstance(arg, str):
        return [arg]
    return [arg["date"]] + ([arg["time"]] if arg.get("time") else [])


@operation("iso8601", schema=ISO_SCHEMA, inputs=_iso_inputs)
def iso8601(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """Collected date (and optional time column) -> ISO 8601, with partial dates (sdtm.oak ``assign_datetime``).

    ``format`` uses DD, MM, MON/Mon (month name), YYYY and literal separators; a list tries each
    in turn; default: a list of common CRF formats. ``time_format`` uses HH, MM/MI, SS (default
    ``HH:MM``). The time is appended only to a complete date.
    Example: ``AESTDTC: {iso8601: {date: AESTDAT, format: "DD MON YYYY", time: AESTTIM}}``.
    """
    if isinstance(arg, str):
        arg = {"date": arg}
    fmts = arg.get("format") or DATE_FORMATS
    fmts = [fmts] if isinstance(fmts, str) else list(fmts)
    iso, complete = parse_dates(ctx, frame, arg["date"], fmts)
    if arg.get("time"):
        times = parse_times(ctx, frame, arg["time"], arg.get("time_format", "HH:MM"))
        with_time = iso + "T" + times
        iso = with_time.where(complete & times.notna(), iso)
    return iso


_COMPLETE = r"^\d{4}-\d{2}-\d{2}"


def to_date(values: pd.Series) -> pd.Series:
    """The date part of complete ISO 8601 values as datetime64 (partial/missing -> NaT)."""
    def parse(u: pd.Series) -> pd.Series:
        part = u.str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False)
        return pd.to_datetime(part, format="%Y-%m-%d", errors="coerce")

    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize()
    return by_unique(text(values), parse).astype("datetime64[ns]")


def reference_values(
    ctx: Context, frame: pd.DataFrame, ref: str, dataset: str, by: list[str] | str
) -> pd.Series:
    """``dataset.ref`` looked up for each record of ``frame`` by the ``by`` key(s) (one per key)."""
    by = [by] if isinstance(by, str) else list(by)
    other = ctx.dataset_frame(dataset)
    missing = [c for c in [*by, ref] if c not in other.columns]
    if missing:
        raise ctx.fail(f"dataset {dataset} has no column(s) {missing}")
    lookup = other[[*by, ref]].drop_duplicates(subset=by, keep="first")
    merged = frame[by].merge(lookup, on=by, how="left")
    return pd.Series(merged[ref].to_numpy(), index=frame.index)


STUDY_DAY_SCHEMA = {
    "anyof": [
        COLUMN,
        {
            "type": "dict",
            "schema": {
                "date": {**COLUMN, "required": True},
                "ref": COLUMN,
                "dataset": COLUMN,
                "by": {"type": ["string", "list"]},
            },
        },
    ]
}


@operation(
    "study_day",
    schema=STUDY_DAY_SCHEMA,
    inputs=lambda a: [a] if isinstance(a, str) else [a["date"]],
)
def study_day(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.Series:
    """--DY: days from the reference start date (DM.RFSTDTC by default), no day 0.

    Day 1 is the reference date itself; the day before is -1. Only complete dates on both sides
    give a day; partial dates give null. Example: ``AESTDY: {study_day: AESTDTC}``.
    """
    if isinstance(arg, str):
        arg = {"date": arg}
    ref_name = arg.get("ref", "RFSTDTC")
    dataset = arg.get("dataset", "DM")
    if dataset.upper() == (ctx.domain or "").upper() and ref_name in frame.columns:
        ref = frame[ref_name]
    else:
        ref = reference_values(ctx, frame, ref_name, dataset, arg.get("by", "USUBJID"))
    d, r = to_date(frame[arg["date"]]), to_date(ref)
    delta = (d - r).dt.days
    out = delta + (delta >= 0).astype(float)
    return out.where(d.notna() & r.notna()).astype(float)
