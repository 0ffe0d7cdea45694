"""Datasets against their Define-XML (2.1, also 2.0): described, typed, sized and coded as said.

The define is parsed once with lxml into plain tables (datasets, variables, codelists); the
checks are study-scope operators that compare those tables with the datasets' columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from cdisc_als.errors import DataError
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.define_values import parse_value_level  # also registers operators
from cdisc_als.rules.operators import HIT_COLUMNS, hits, operator

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = ("http://www.cdisc.org/ns/def/v2.1", "http://www.cdisc.org/ns/def/v2.0")

NUMERIC_TYPES = {"integer", "float"}


@dataclass
class DefineDoc:
    path: Path
    datasets: pd.DataFrame  # name, oid
    variables: pd.DataFrame  # dataset, name, datatype, length, codelist_oid, role (ItemRef Role)
    codelists: dict[str, set[str]]  # oid -> coded values
    value_level: list = field(default_factory=list)  # define_values.ValueItem, one per value-level ItemDef


def load_define(path: Path) -> DefineDoc:
    """Parse define.xml; DataError when it cannot be read or is not ODM."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise DataError(path, f"cannot read define.xml: {exc}") from exc
    if etree.QName(root).namespace != ODM:
        raise DataError(path, "not an ODM 1.3 / Define-XML 2.x document")
    ns = {"odm": ODM}
    items = {
        el.get("OID"): el
        for el in root.iterfind(".//odm:MetaDataVersion/odm:ItemDef", ns)
    }
    ds_rows, var_rows = [], []
    for ig in root.iterfind(".//odm:MetaDataVersion/odm:ItemGroupDef", ns):
        name = (ig.get("Name") or "").upper()
        ds_rows.append({"name": name, "oid": ig.get("OID")})
        for ref in ig.iterfind("odm:ItemRef", ns):
            it = items.get(ref.get("ItemOID"))
            if it is None:
                continue
            cl = it.find("odm:CodeListRef", ns)
            var_rows.append(
                {
                    "dataset": name,
                    "name": (it.get("Name") or "").upper(),
                    "datatype": it.get("DataType") or "",
                    "length": int(it.get("Length")) if (it.get("Length") or "").isdigit() else None,
                    "codelist_oid": cl.get("CodeListOID") if cl is not None else None,
                    "role": ref.get("Role") or None,
                }
            )
    codelists: dict[str, set[str]] = {}
    for cl in root.iterfind(".//odm:MetaDataVersion/odm:CodeList", ns):
        vals = {
            el.get("CodedValue")
            for el in cl
            if etree.QName(el).localname in ("CodeListItem", "EnumeratedItem")
        }
        vals = {v for v in vals if v is not None}
        if vals:  # an ExternalCodeList (MedDRA, ISO 3166, ...) has no items to compare with
            codelists[cl.get("OID")] = vals
    return DefineDoc(
        path,
        pd.DataFrame(ds_rows, columns=["name", "oid"]),
        pd.DataFrame(var_rows, columns=["dataset", "name", "datatype", "length", "codelist_oid", "role"]),
        codelists,
        parse_value_level(root, ODM, DEF_NS),
    )


def stored_numeric(t, name: str) -> bool:
    """Numeric in the file: numbers, and SAS dates/times a reader turned into datetimes."""
    return t.is_numeric_col(name) or pd.api.types.is_datetime64_any_dtype(t.frame[name])


def _rows(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["dataset", *HIT_COLUMNS])


def _need(ctx: Context) -> DefineDoc:
    if ctx.define is None:
        raise NotApplicable("no define.xml")
    return ctx.define


@operator("define_datasets", scope="study")
def op_define_datasets(ctx: Context, args: dict) -> pd.DataFrame:
    """Every dataset is described by an ItemGroupDef, and every ItemGroupDef has its dataset."""
    doc = _need(ctx)
    described = set(doc.datasets["name"])
    rec = [{"dataset": n, "row": pd.NA, "variable": None, "value": n, "expected": "ItemGroupDef in define.xml"}
           for n in ctx.targets if n not in described]
    rec += [{"dataset": n, "row": pd.NA, "variable": None, "value": "no data", "expected": "dataset described in define.xml is submitted"}
            for n in sorted(described) if n not in ctx.targets]
    return _rows(rec)


@operator("define_variables", scope="study")
def op_define_variables(ctx: Context, args: dict) -> pd.DataFrame:
    """Every variable of a described dataset has an ItemRef/ItemDef, and vice versa."""
    doc = _need(ctx)
    rec = []
    for name, t in ctx.targets.items():
        dv = doc.variables[doc.variables["dataset"] == name]
        if not (doc.datasets["name"] == name).any():
            continue
        have, said = set(t.columns), set(dv["name"])
        rec += [{"dataset": name, "row": pd.NA, "variable": v, "value": "not in define", "expected": "ItemDef in define.xml"} for v in t.columns if v not in said]
        rec += [{"dataset": name, "row": pd.NA, "variable": v, "value": "not in data", "expected": "variable in dataset"} for v in sorted(said - have)]
    return _rows(rec)


@operator("define_types", scope="study")
def op_define_types(ctx: Context, args: dict) -> pd.DataFrame:
    """The define DataType agrees with the column type (integer/float numeric, others text)."""
    doc = _need(ctx)
    rec = []
    for r in doc.variables.itertuples(index=False):  # loop over define variables, not data rows
        t = ctx.targets.get(r.dataset)
        if t is None or r.name not in t.columns or not r.datatype:
            continue
        is_num = stored_numeric(t, r.name)
        if r.datatype in ("date", "datetime", "time") and is_num:
            continue  # ADaM numeric dates are described as integer or date: both accepted
        want_num = r.datatype in NUMERIC_TYPES
        if is_num != want_num:
            rec.append({"dataset": r.dataset, "row": pd.NA, "variable": r.name, "value": "Num" if is_num else "Char", "expected": f"type for DataType {r.datatype}"})
    return _rows(rec)


@operator("define_lengths", scope="study")
def op_define_lengths(ctx: Context, args: dict) -> pd.DataFrame:
    """Character values fit the define Length (longest value <= Length)."""
    doc = _need(ctx)
    rec = []
    for r in doc.variables.itertuples(index=False):
        t = ctx.targets.get(r.dataset)
        if t is None or r.name not in t.columns or r.length is None or stored_numeric(t, r.name):
            continue
        lens = t.text(r.name).str.encode("utf-8").str.len()
        longest = int(lens.max()) if lens.notna().any() else 0
        if longest > r.length:
            rec.append({"dataset": r.dataset, "row": pd.NA, "variable": r.name, "value": str(longest), "expected": f"<= define Length {r.length}"})
    return _rows(rec)


@operator("define_codelists", scope="study")
def op_define_codelists(ctx: Context, args: dict) -> pd.DataFrame:
    """Values of a variable with a CodeListRef are coded values of that codelist."""
    doc = _need(ctx)
    parts = []
    for r in doc.variables.itertuples(index=False):
        t = ctx.targets.get(r.dataset)
        if t is None or r.name not in t.columns or not r.codelist_oid or r.codelist_oid not in doc.codelists:
            continue
        s = t.text(r.name)
        bad = s.notna().to_numpy() & ~s.isin(doc.codelists[r.codelist_oid]).to_numpy()
        h = hits(np.asarray(bad), r.name, s, f"coded value of {r.codelist_oid}")
        if len(h):
            h.insert(0, "dataset", r.dataset)
            parts.append(h)
    return pd.concat(parts, ignore_index=True) if parts else _rows([])


SCHEMA_DATASET = "DEFINE.XML"  # the "dataset" column of findings about the document itself


@operator("define_schema", scope="study", unavailable={"type": "boolean"})
def op_define_schema(ctx: Context, args: dict) -> pd.DataFrame:
    """define.xml is valid against the Define-XML 2.1 XSD (found via CDISC_REFERENCE_DIR).

    With ``unavailable: true`` the rule instead reports (once) that no schema was available, so
    a report never implies a schema check that did not happen.
    """
    doc = _need(ctx)
    from cdisc_als.define.schema import validate_define

    res = validate_define(doc.path)
    if args.get("unavailable"):
        if res.available:
            return _rows([])
        return _rows([{"dataset": SCHEMA_DATASET, "row": pd.NA, "variable": None, "value": "no schema",
                       "expected": res.message}])  # fmt: skip
    if not res.available:
        raise NotApplicable("no Define-XML schema")
    return _rows([{"dataset": SCHEMA_DATASET, "row": pd.NA, "variable": None, "value": e[:500],
                   "expected": "valid against Define-XML 2.1 schema"} for e in res.errors])  # fmt: skip


@operator("define_roles", scope="study")
def op_define_roles(ctx: Context, args: dict) -> pd.DataFrame:
    """The ItemRef Role of a variable is the role the IG gives it in that domain (variables the
    IG metadata does not describe, e.g. in custom domains, are not checked)."""
    doc = _need(ctx)
    rec = []
    for r in doc.variables.itertuples(index=False):  # loop over define variables, not data rows
        if not r.role or r.dataset not in ctx.targets:
            continue
        t = ctx.targets[r.dataset]
        meta = ctx.meta(r.dataset) or ctx.meta(t.domain)
        v = meta.variable(r.name) if meta is not None else None
        if v is None or not v.role:
            continue
        if r.role.strip().lower() != v.role.strip().lower():
            rec.append({"dataset": r.dataset, "row": pd.NA, "variable": r.name, "value": r.role, "expected": f"IG role {v.role}"})
    return _rows(rec)
