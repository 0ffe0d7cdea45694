"""Value-level metadata of a Define-XML 2.1 document, checked on the records it describes.

A variable such as QSORRES has one ItemDef for the whole column and, through a ValueListDef,
one value-level ItemDef per subset of records selected by a WhereClauseDef (``QSTESTCD EQ
ALSF0101``). Each value-level ItemDef says the DataType, Length and CodeList of the values in
that subset; a define-level check of the column alone cannot see a "5" answered to a 0-4 item.

Parsing: ItemGroupDef -> ItemRef -> ItemDef with ``def:ValueListRef`` -> ``def:ValueListDef``
-> ItemRef (value-level ItemDef) with ``def:WhereClauseRef`` -> ``def:WhereClauseDef`` ->
RangeCheck(s) (``Comparator``, ``def:ItemOID``, CheckValue). Several RangeChecks in one
WhereClauseDef are ANDed; several WhereClauseRefs on one ItemRef are ORed (Define-XML 2.1
section 5.3.7).

Subsetting is done on row-index arrays: each where variable is factorized once per dataset, so
the cost of a check is the size of its subset, not one full-column pass per value-level item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree

from cdisc_als.rules.checks.dates import datetime_ok
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import NUMBER_RE, Target
from cdisc_als.rules.operators import HIT_COLUMNS, hits, operator

INTEGER_RE = r"^[+-]?\d+$"
DATE_TYPES = {"date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
              "incompleteDatetime", "durationDatetime", "intervalDatetime"}  # fmt: skip


@dataclass(frozen=True)
class RangeCheck:
    variable: str  # name of the where variable (from the def:ItemOID ItemDef)
    comparator: str  # EQ, NE, IN, NOTIN, LT, LE, GT, GE
    values: tuple[str, ...]


@dataclass(frozen=True)
class ValueItem:
    """One value-level ItemDef: the subset (OR of ANDed RangeChecks) and what it says."""

    dataset: str
    variable: str
    oid: str
    where: tuple[tuple[RangeCheck, ...], ...]
    datatype: str
    length: int | None
    codelist_oid: str | None

    def describe(self) -> str:
        return " or ".join(
            " and ".join(f"{c.variable} {c.comparator} {','.join(c.values)}" for c in clause)
            for clause in self.where
        )


def parse_value_level(root, odm: str, def_ns: tuple[str, ...]) -> list[ValueItem]:
    """All value-level items of a parsed define (2.1, also 2.0 namespaces)."""
    ns = {"odm": odm}
    mdv = root.find(".//odm:MetaDataVersion", ns)
    if mdv is None:
        return []
    items = {el.get("OID"): el for el in mdv.iterfind("odm:ItemDef", ns)}
    vlists: dict[str, etree._Element] = {}
    wclauses: dict[str, etree._Element] = {}
    for d in def_ns:
        vlists.update({el.get("OID"): el for el in mdv.iterfind(f"{{{d}}}ValueListDef")})
        wclauses.update({el.get("OID"): el for el in mdv.iterfind(f"{{{d}}}WhereClauseDef")})

    def name_of(oid: str | None) -> str | None:
        it = items.get(oid)
        return (it.get("Name") or "").upper() if it is not None else None

    def clause(oid: str) -> tuple[RangeCheck, ...] | None:
        wc = wclauses.get(oid)
        if wc is None:
            return None
        checks = []
        for rc in wc.iterfind("odm:RangeCheck", ns):
            var = name_of(next((rc.get(f"{{{d}}}ItemOID") for d in def_ns if rc.get(f"{{{d}}}ItemOID")), None))
            if var is None:
                return None  # a where clause on an unknown item selects nothing we can check
            vals = tuple((cv.text or "").strip() for cv in rc.iterfind("odm:CheckValue", ns))
            checks.append(RangeCheck(var, (rc.get("Comparator") or "EQ").upper(), vals))
        return tuple(checks) or None

    out: list[ValueItem] = []
    for ig in mdv.iterfind("odm:ItemGroupDef", ns):
        dataset = (ig.get("Name") or "").upper()
        for ref in ig.iterfind("odm:ItemRef", ns):
            it = items.get(ref.get("ItemOID"))
            if it is None:
                continue
            vl_oid = next((el.get("ValueListOID") for d in def_ns for el in it.iterfind(f"{{{d}}}ValueListRef")), None)
            vl = vlists.get(vl_oid) if vl_oid else None
            if vl is None:
                continue
            for vref in vl.iterfind("odm:ItemRef", ns):
                vit = items.get(vref.get("ItemOID"))
                if vit is None:
                    continue
                wc_oids = [el.get("WhereClauseOID") for d in def_ns for el in vref.iterfind(f"{{{d}}}WhereClauseRef")]
                where = tuple(c for c in (clause(o) for o in wc_oids) if c)
                if not where:
                    continue
                cl = vit.find("odm:CodeListRef", ns)
                length = vit.get("Length") or ""
                out.append(ValueItem(
                    dataset=dataset, variable=(it.get("Name") or "").upper(), oid=vit.get("OID") or "",
                    where=where, datatype=vit.get("DataType") or "",
                    length=int(length) if length.isdigit() else None,
                    codelist_oid=cl.get("CodeListOID") if cl is not None else None,
                ))  # fmt: skip
    return out


class _Subsets:
    """Row indices of a dataset selected by where clauses (each where variable grouped once)."""

    def __init__(self, t: Target):
        self.t = t
        self._groups: dict[str, dict[str, np.ndarray]] = {}

    def groups(self, var: str) -> dict[str, np.ndarray]:
        if var not in self._groups:
            codes, uniques = pd.factorize(self.t.text(var), use_na_sentinel=True)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            self._groups[var] = {str(u): order[bounds[i]:bounds[i + 1]] for i, u in enumerate(uniques)}
        return self._groups[var]

    def check(self, rc: RangeCheck) -> np.ndarray:
        if rc.variable not in self.t.columns:
            raise NotApplicable(f"{rc.variable} absent")
        if rc.comparator in ("EQ", "NE", "IN", "NOTIN"):
            g = self.groups(rc.variable)
            sel = [g[v] for v in rc.values if v in g]
            idx = np.sort(np.concatenate(sel)) if sel else np.array([], dtype=np.int64)
            if rc.comparator in ("EQ", "IN"):
                return idx
            populated = np.sort(np.concatenate(list(g.values()))) if g else np.array([], dtype=np.int64)
            return np.setdiff1d(populated, idx, assume_unique=True)
        num = self.t.num(rc.variable).to_numpy()
        bound = pd.to_numeric(pd.Series(rc.values[:1]), errors="coerce").iloc[0] if rc.values else np.nan
        with np.errstate(invalid="ignore"):
            ok = {"LT": num < bound, "LE": num <= bound, "GT": num > bound, "GE": num >= bound}.get(rc.comparator)
        if ok is None:
            raise NotApplicable(f"comparator {rc.comparator}")
        return np.flatnonzero(ok)

    def rows(self, item: ValueItem) -> np.ndarray:
        out = np.array([], dtype=np.int64)
        for clause in item.where:
            idx = self.check(clause[0])
            for rc in clause[1:]:
                idx = np.intersect1d(idx, self.check(rc), assume_unique=True)
            out = np.union1d(out, idx)
        return out


def _each(ctx: Context):
    """(target, item, subset rows) for every value-level item whose dataset and variable exist."""
    doc = ctx.define
    if doc is None:
        raise NotApplicable("no define.xml")
    subsets: dict[str, _Subsets] = {}
    for item in doc.value_level:  # loop over define entries, not data rows
        t = ctx.targets.get(item.dataset)
        if t is None or item.variable not in t.columns:
            continue
        sub = subsets.setdefault(item.dataset, _Subsets(t))
        try:
            rows = sub.rows(item)
        except NotApplicable:
            continue
        if len(rows):
            yield t, item, rows


def _emit(parts: list, t: Target, item: ValueItem, rows: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if not bad.any():
        return
    mask = np.zeros(len(t), dtype=bool)
    mask[rows[bad]] = True
    h = hits(mask, item.variable, t.text(item.variable), f"{expected} (where {item.describe()})")
    h.insert(0, "dataset", t.name)
    parts.append(h)


def _done(parts: list) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["dataset", *HIT_COLUMNS])


@operator("define_value_types", scope="study")
def op_define_value_types(ctx: Context, args: dict) -> pd.DataFrame:
    """Values of each where-clause subset have the value-level DataType (integer, float, ISO 8601)."""
    parts: list = []
    for t, item, rows in _each(ctx):
        dt = item.datatype
        if dt not in ("integer", "float") and dt not in DATE_TYPES:
            continue
        if pd.api.types.is_datetime64_any_dtype(t.frame[item.variable]):
            continue  # a SAS date read as a datetime: numeric in the file, nothing to parse
        if t.is_numeric_col(item.variable):
            if dt == "integer":
                v = t.num(item.variable).to_numpy()[rows]
                _emit(parts, t, item, rows, np.isfinite(v) & (np.mod(np.nan_to_num(v), 1) != 0), "integer value")
            continue  # numbers are floats by nature; a numeric date is an ADaM SAS date
        s = t.text(item.variable).iloc[rows]
        filled = s.notna().to_numpy()
        if dt == "integer":
            ok = s.str.fullmatch(INTEGER_RE)
        elif dt == "float":
            ok = s.str.fullmatch(NUMBER_RE)
        else:
            ok = datetime_ok(s)
        _emit(parts, t, item, rows, filled & ~ok.fillna(False).to_numpy(dtype=bool), f"{dt} value")
    return _done(parts)


@operator("define_value_lengths", scope="study")
def op_define_value_lengths(ctx: Context, args: dict) -> pd.DataFrame:
    """Character values of each where-clause subset fit the value-level Length (bytes)."""
    parts: list = []
    for t, item, rows in _each(ctx):
        if item.length is None or t.is_numeric_col(item.variable) or pd.api.types.is_datetime64_any_dtype(t.frame[item.variable]):
            continue
        lens = t.text(item.variable).iloc[rows].str.encode("utf-8").str.len()
        bad = (lens > item.length).fillna(False).to_numpy(dtype=bool)
        _emit(parts, t, item, rows, bad, f"<= value-level Length {item.length}")
    return _done(parts)


@operator("define_value_codelists", scope="study")
def op_define_value_codelists(ctx: Context, args: dict) -> pd.DataFrame:
    """Values of each where-clause subset are coded values of the value-level CodeList."""
    parts: list = []
    codelists = ctx.define.codelists if ctx.define is not None else {}
    for t, item, rows in _each(ctx):
        allowed = codelists.get(item.codelist_oid) if item.codelist_oid else None
        if not allowed:
            continue  # no codelist, or an ExternalCodeList (MedDRA, ...) with no items
        s = t.text(item.variable).iloc[rows]
        bad = s.notna().to_numpy() & ~s.isin(allowed).to_numpy()
        _emit(parts, t, item, rows, bad, f"coded value of {item.codelist_oid}")
    return _done(parts)
