"""Controlled-terminology operations: ``ct`` (collected value -> CT submission value) and ``decode``.

Why the CT check sits in the mapping and not only in validation: an unknown value must be reported
with the codelist, the value and the raw row it came from, never written silently (issue 2, §5).

A study may ship a *study CT* (sdtm.oak style: ``codelist_code, term_value, collected_value``),
named in ``study.yaml`` as ``raw: {study_ct: <path relative to the raw folder>}``. ``ct`` with
``study_ct: true`` first maps collected values through it, then checks the result against CDISC CT;
a codelist that is only in the study CT (e.g. sponsor ``AEREL``) is checked against it alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cdisc_als.ops.assign import COLUMN, SCALAR, map_values, text
from cdisc_als.ops.registry import Context, operation

CT_SCHEMA = {
    "type": "dict",
    "schema": {
        "from": {**COLUMN, "required": True},
        "codelist": {**COLUMN, "required": True},
        "map": {"type": "dict", "valuesrules": SCALAR},
        "study_ct": {"type": "boolean"},
        "extend": {"type": "list", "schema": {"type": "string"}},
    },
}


def get_ct(ctx: Context) -> Any:
    """The study's terminology: its CT version plus its own codelists (loaded once per run)."""
    if ctx.ct is None:
        from cdisc_als.ct import study_terminology

        ctx.ct = study_terminology(ctx.study)
    return ctx.ct


def study_ct(ctx: Context) -> pd.DataFrame:
    """The study CT table named in study.yaml ``raw.study_ct`` (read from the raw folder)."""
    cached = ctx.sources.get("__study_ct__")
    if cached is not None:
        return cached
    rel = None
    if ctx.study is not None:
        rel = (ctx.study.config.get("raw") or {}).get("study_ct")
    if not rel:
        raise ctx.fail("study_ct: true needs `raw: {study_ct: <file>}` in study.yaml")
    path = Path(ctx.raw_dir or ".") / rel
    from cdisc_als.io.tables import read_table

    table = read_table(path).astype("object")
    need = {"codelist_code", "term_value", "collected_value"}
    if not need <= set(table.columns):
        from cdisc_als.errors import DataError

        raise DataError(path, f"study CT needs columns {sorted(need)}; has {list(table.columns)}")
    ctx.sources["__study_ct__"] = table
    return table


def _codelist(ctx: Context, name: str) -> Any:
    try:
        return get_ct(ctx).codelist(name)
    except KeyError:
        return None


@operation("ct", schema=CT_SCHEMA, inputs=lambda a: [a["from"]])
def ct(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """Normalise a collected value to the CT submission value (sdtm.oak ``assign_ct``).

    Order: the spec's own ``map`` (collected -> submission, case-insensitive), then the study CT
    (``study_ct: true``), then CDISC CT synonyms/case. A value still unknown is logged with
    codelist, value and row and left null; for an extensible codelist, sponsor values listed in
    ``extend`` are accepted. Example: ``SEX: {ct: {from: IT.SEX, codelist: SEX, map: {Female: F}}}``.
    """
    col, name = arg["from"], arg["codelist"]
    raw = text(frame[col])
    values = raw.str.strip()
    values = values.where(values.ne(""), None)
    if arg.get("map"):
        mapped, unmapped = map_values(ctx, frame, values, arg["map"], ignore_case=True, field=col)
        values = mapped.where(~unmapped, values)
    study_terms: list[str] | None = None
    if arg.get("study_ct"):
        table = study_ct(ctx)
        codes = table[table["codelist_code"] == name]
        if codes.empty:
            raise ctx.fail(f"codelist {name!r} is not in the study CT")
        mapping = dict(zip(codes["collected_value"].astype(str), codes["term_value"], strict=True))
        mapped, unmapped = map_values(ctx, frame, values, mapping, ignore_case=True, field=col)
        values = mapped.where(~unmapped, values)
        study_terms = list(codes["term_value"].dropna().astype(str))
    codelist = _codelist(ctx, name)
    extend = [str(v) for v in arg.get("extend", [])]
    if codelist is None and study_terms is None:
        raise ctx.fail(f"unknown codelist {name!r} (not in CDISC CT nor the study CT)")
    if codelist is not None:
        normal = codelist.normalize(values).astype("object")
        label = f"{codelist.id} ({codelist.code or 'sponsor-defined'})"
        extensible = bool(codelist.extensible)
    else:
        allowed = dict.fromkeys(study_terms or [])
        normal = values.where(values.isin(list(allowed)), None)
        label, extensible = f"{name} (study CT)", False
    if extend:
        upper = {v.upper(): v for v in extend}
        sponsor = values.str.upper().map(upper)
        if not extensible:
            raise ctx.fail(f"codelist {label} is not extensible; `extend` is not allowed")
        normal = normal.where(normal.notna(), sponsor)
    unknown = values.notna() & normal.isna()
    ctx.log_rows(
        frame,
        unknown,
        f"value not in codelist {label}" + ("" if not extensible else " nor in the spec's extend list"),
        field=col,
        values=frame[col],
    )
    return normal.where(normal.notna(), None)


DECODE_SCHEMA = {
    "type": "dict",
    "schema": {
        "from": {**COLUMN, "required": True},
        "codelist": {**COLUMN, "required": True},
        "codes": {**COLUMN, "required": True},
    },
}


@operation("decode", schema=DECODE_SCHEMA, inputs=lambda a: [a["from"]])
def decode(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.Series:
    """Test code -> test name through a codelist pair sharing C-codes (e.g. QSTESTCD -> QSTEST).

    Example: ``QSTEST: {decode: {from: QSTESTCD, codes: ALSF01TC, codelist: ALSF01TN}}``.
    A code with no name is logged and left null.
    """
    codes = frame[arg["from"]]
    try:
        out = get_ct(ctx).decode(arg["codes"], arg["codelist"], codes)
    except KeyError as exc:
        raise ctx.fail(f"decode: {exc}") from None
    out = pd.Series(out, index=frame.index, dtype="object")
    bad = codes.notna() & out.isna()
    ctx.log_rows(
        frame, bad, f"code not in codelist {arg['codes']} / {arg['codelist']}", field=arg["from"], values=codes
    )
    return out


HARDCODE_SCHEMA = {
    "type": "dict",
    "schema": {
        "value": {"type": "string", "required": True, "empty": False},
        "codelist": {**COLUMN, "required": True},
    },
}


@operation("hardcode_ct", schema=HARDCODE_SCHEMA)
def hardcode_ct(ctx: Context, frame: pd.DataFrame, arg: dict) -> Any:
    """A constant that must be a term of a codelist (sdtm.oak ``hardcode_ct``); a synonym or
    case variant is normalised to the submission value; a value not in the codelist is a spec error.

    Example: ``AGEU: {hardcode_ct: {value: Years, codelist: AGEU}, where: "notnull(AGE)"}`` -> ``YEARS``.
    """
    codelist = _codelist(ctx, arg["codelist"])
    if codelist is None:
        raise ctx.fail(f"unknown codelist {arg['codelist']!r}")
    value = codelist.normalize(pd.Series([arg["value"]], dtype="object")).iloc[0]
    if value is None or (isinstance(value, float) and pd.isna(value)):
        raise ctx.fail(f"{arg['value']!r} is not a term of codelist {codelist.id} ({codelist.code})")
    return value
