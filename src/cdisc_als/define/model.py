"""Turn Datasets + study + standards + CT into the plain context the Define-XML template renders.

Why a separate context: all decisions (OIDs, origins, codelist subsets, value-level metadata)
are made here in Python, where they are testable; the jinja2 template in ``define/`` only lays
the context out as XML. OIDs follow docs/conventions.md (``IG.DM``, ``IT.DM.AGE``, ``CL.NY``,
``VL.QS.QSORRES``, ``WC.QS.QSORRES.ALSF0101``, ``MT.ADSL.AGEGR1``, ``COM.DM.RACE``, ``LF.DM``).
Every loop here is over datasets, variables, codelist terms or distinct test codes, never over
data rows.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import defaultdict
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als import __version__
from cdisc_als.dataset import Dataset, Variable
from cdisc_als.define.metadata import enrich, is_reference, measured, repeating, standard_info
from cdisc_als.reproducible import study_date

CLASS_ORDER = [
    "TRIAL DESIGN", "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT",
    "RELATIONSHIP", "STUDY REFERENCE", "SUBJECT LEVEL ANALYSIS DATASET", "OCCURRENCE DATA STRUCTURE",
    "BASIC DATA STRUCTURE", "ADAM OTHER",
]  # fmt: skip
CLASS_ALIASES = {
    "ADSL": "SUBJECT LEVEL ANALYSIS DATASET",
    "BDS": "BASIC DATA STRUCTURE",
    "OCCDS": "OCCURRENCE DATA STRUCTURE",
    "TTE": "BASIC DATA STRUCTURE",
    "BASIC DATA STRUCTURE - TIME-TO-EVENT": "BASIC DATA STRUCTURE",
    "SPECIAL-PURPOSE": "SPECIAL PURPOSE",
    "OTHER": "ADAM OTHER",
}
ORIGIN_TYPES = {
    "collected": "Collected", "derived": "Derived", "assigned": "Assigned", "protocol": "Protocol",
    "predecessor": "Predecessor", "not available": "Not Available", "other": "Other",
}  # fmt: skip
ORIGIN_SOURCE = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor", "Protocol": "Sponsor"}
MAX_VALUE_LEVEL = 500  # distinct test codes beyond which no value-level metadata is written
NCI_CODE = re.compile(r"^C\d+$")


def creation_datetime(study) -> str:
    """Fixed timestamp for reproducible builds: SOURCE_DATE_EPOCH, else study.yaml ``created``."""
    stamp = study_date(study) or _dt.datetime.now(_dt.UTC)
    return stamp.replace(tzinfo=None).isoformat(timespec="seconds")


def infer_adam_class(ds: Dataset) -> str | None:
    """ADaM class from the structure of the data when neither the spec nor the standard says."""
    cols = set(ds.data.columns)
    if ds.name == "ADSL":
        return "SUBJECT LEVEL ANALYSIS DATASET"
    if {"PARAMCD", "AVAL"} <= cols or {"PARAMCD", "AVALC"} <= cols:
        return "TTE" if "CNSR" in cols else "BASIC DATA STRUCTURE"
    if any(c.endswith("DECOD") or c.endswith("TERM") for c in cols):
        return "OCCURRENCE DATA STRUCTURE"
    return "ADAM OTHER"


def _class(ds: Dataset) -> tuple[str | None, str | None]:
    raw = (ds.cls or "").strip().upper() or None
    cls = CLASS_ALIASES.get(raw, raw) if raw else None
    subclass = None
    if cls == "BASIC DATA STRUCTURE" and ("TIME-TO-EVENT" in (raw or "") or raw == "TTE" or ds.name.startswith("ADTTE")):
        subclass = "TIME-TO-EVENT"
    if cls == "OCCURRENCE DATA STRUCTURE" and ds.name.startswith("ADAE"):
        subclass = "ADVERSE EVENT"
    return cls, subclass


def _sort_key(ds: Dataset) -> tuple:
    cls = _class(ds)[0] or ""
    rank = CLASS_ORDER.index(cls) if cls in CLASS_ORDER else len(CLASS_ORDER)
    return (0 if ds.name in ("DM", "ADSL") else 1, rank, ds.name)


def _origin(var: Variable, adam: bool) -> dict | None:
    """def:Origin of a variable; defaults when the spec gave none (see define/README.md)."""
    raw = (var.origin or "").strip()
    otype = ORIGIN_TYPES.get(raw.lower()) if raw else None
    if otype is None:
        if var.method:
            otype = "Derived"
        elif adam and var.source:
            otype = "Predecessor"
        elif var.name in ("STUDYID", "DOMAIN", "RDOMAIN"):
            otype = "Assigned"
        elif var.name.endswith("SEQ"):
            otype = "Derived"
        else:
            return None
    origin: dict[str, Any] = {"type": otype, "source": ORIGIN_SOURCE.get(otype), "description": None, "pages": None}
    src = (var.source or "").strip()
    if otype == "Predecessor" and src:
        origin["description"] = src
    elif otype == "Collected" and src:
        rng = re.fullmatch(r"\D*(\d+)\s*-\s*(\d+)\D*", src)
        if rng:
            origin["pages"] = {"refs": None, "first": rng.group(1), "last": rng.group(2)}
        elif re.search(r"\d", src):
            origin["pages"] = {"refs": " ".join(re.findall(r"\d+", src)), "first": None, "last": None}
    return origin


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def _present(series: pd.Series) -> np.ndarray:
    """Row mask of values neither missing nor blank text (blankness judged on distinct values)."""
    mask = series.notna().to_numpy()
    if _is_text(series) and mask.any():
        uniq = pd.Series(series[mask].unique())
        blank = uniq[uniq.astype(str).str.strip() == ""]
        if len(blank):
            mask &= ~series.isin(blank.tolist()).to_numpy()
    return mask


def _has_values(series: pd.Series) -> bool:
    """True when at least one value is neither missing nor blank text."""
    return bool(_present(series).any())


def _stripped(series: pd.Series) -> pd.Series:
    """Text without surrounding blanks, None for missing/blank (mapped over distinct values)."""
    uniq = pd.Series(series.dropna().unique())
    clean = uniq.astype(str).str.strip()
    mapping = dict(zip(uniq.tolist(), clean.where(clean != "", None).tolist(), strict=True))
    return series.map(mapping)


def _domain(ds: Dataset) -> str:
    """ItemGroupDef Domain: the domain code (QS for QSPH, DM for SUPPDM, as CDISC's MSG sample)."""
    if ds.domain:
        return ds.domain
    if ds.name.startswith("SUPP") and len(ds.name) > 4:
        return ds.name[4:]
    return ds.name


def _domain_alias(ds: Dataset, spec_name: str) -> str | None:
    """DomainDescription of a split or supplemental dataset (QSPH -> QS's label "Questionnaires")."""
    from cdisc_als.define.metadata import _standard_meta

    domain = _domain(ds)
    if domain == ds.name:
        return None
    meta = _standard_meta(spec_name, domain)
    return meta.label if meta is not None else None


def _prefix(ds: Dataset) -> str:
    return (ds.domain or ds.name[:2]).upper()


def _value_level_specs(ds: Dataset, adam: bool) -> list[tuple[str, str]]:
    """(target variable, where variable) pairs that get value-level metadata."""
    cols = set(ds.data.columns)
    if adam:
        if "PARAMCD" in cols:
            return [(v, "PARAMCD") for v in ("AVAL", "AVALC") if v in cols and ds.data[v].notna().any()]
        return []
    if ds.name.startswith("SUPP") and {"QNAM", "QVAL"} <= cols:
        return [("QVAL", "QNAM")]
    p = _prefix(ds)
    testcd = f"{p}TESTCD"
    if testcd not in cols:
        return []
    return [(f"{p}{v}", testcd) for v in ("ORRES", "STRESC", "STRESN") if f"{p}{v}" in cols]


class _Codelists:
    """Collects codelist references and the values used, then builds the CodeList entries."""

    def __init__(self, study, adam: bool):
        self.adam = adam
        self.dictionaries = {str(k).upper(): v for k, v in (_define_cfg(study).get("dictionaries") or {}).items()}
        self.refs: dict[str, list[tuple[pd.Series, str, pd.Series | None]]] = defaultdict(list)
        self.types: dict[str, set[str]] = defaultdict(set)
        self.ct = None
        version = ((getattr(study, "config", None) or {}).get("standards") or {}).get("ct") or "2025-03-28"
        self.version = version
        try:
            from cdisc_als.ct import study_terminology

            self.ct = study_terminology(study)
        except (ImportError, FileNotFoundError):
            self.ct = None
        self.adam_ids = self._adam_ids(version)

    @staticmethod
    def _adam_ids(version: str) -> set[str]:
        from cdisc_als.resources import specs_path

        try:
            path = specs_path("ct", f"adam-ct-{version}.csv")
        except FileNotFoundError:
            return set()
        if not path.is_file():
            return set()
        return set(pd.read_csv(path, dtype=str, usecols=["codelist"])["codelist"])

    def lookup(self, cid: str):
        if self.ct is None:
            return None
        try:
            return self.ct.codelist(cid)
        except KeyError:
            return None

    def add(self, cid: str, values: pd.Series, datatype: str, decode_from: pd.Series | None) -> str:
        self.refs[cid].append((values, datatype, decode_from))
        self.types[cid].add(datatype)
        return f"CL.{cid}"

    def standard_oid(self, cl) -> str | None:
        if cl is None or cl.sponsor:
            return None
        return "STD.CT.ADAM" if (self.adam and cl.id in self.adam_ids) else "STD.CT.SDTM"

    def build(self) -> tuple[list[dict], set[str]]:
        """CodeList entries and the ids that ended up empty (their CodeListRefs are dropped)."""
        out, empty = [], set()
        for cid in sorted(self.refs):
            if cid in self.dictionaries:
                d = self.dictionaries[cid] or {}
                out.append({
                    "oid": f"CL.{cid}", "name": d.get("name") or d.get("dictionary") or cid,
                    "datatype": "text", "standard_oid": None, "items": [], "use_decode": False,
                    "alias": None, "non_standard": False,
                    "external": {"dictionary": d.get("dictionary") or cid, "version": d.get("version"),
                                 "href": d.get("href")},
                })  # fmt: skip
                continue
            cl = self.lookup(cid)
            used: set[str] = set()
            decodes: dict[str, str] = {}
            for values, _dtype, decode_from in self.refs[cid]:
                v = pd.Series(values.dropna().unique())
                if pd.api.types.is_numeric_dtype(v.dtype):
                    used.update(f"{x:g}" for x in v.tolist())  # distinct numeric codes only
                else:
                    v = v.astype(str).str.strip()
                    used.update(v[v != ""].tolist())
                if decode_from is not None:
                    pairs = pd.DataFrame({"c": values, "d": decode_from}).dropna().drop_duplicates("c")
                    decodes.update({str(c).strip(): str(d) for c, d in zip(pairs["c"], pairs["d"], strict=True)})
            if not used:
                empty.add(cid)
                continue
            dtype = "text" if "text" in self.types[cid] or len(self.types[cid]) != 1 else next(iter(self.types[cid]))
            entry = self._entry(cid, cl, used, decodes, dtype)
            if not entry["items"] and not entry["external"]:  # no used value is in the list
                empty.add(cid)
                continue
            out.append(entry)
        return out, empty

    def _entry(self, cid: str, cl, used: set[str], decodes: dict[str, str], dtype: str) -> dict:
        items = []
        if cl is not None and cl.external:
            ext = cl.external
            return {
                "oid": f"CL.{cid}", "name": cl.name or cid, "datatype": dtype,
                "standard_oid": None, "items": [], "use_decode": False, "alias": None, "non_standard": False,
                "external": {"dictionary": ext.get("dictionary", cid), "version": ext.get("version"),
                             "href": ext.get("href")},
            }  # fmt: skip
        if cl is not None:
            terms = cl.terms
            known = terms[terms["submission_value"].isin(used)]
            for row in known.itertuples(index=False):
                sv = row.submission_value
                extended = bool(row.extended)
                code = row.code if (NCI_CODE.match(str(row.code or "")) and not extended and not cl.sponsor) else None
                items.append({
                    "value": sv, "decode": decodes.get(sv) or row.preferred_term or sv,
                    "alias": code, "extended": extended,
                })  # fmt: skip
            extra = sorted(used - set(known["submission_value"]))
            if cl.extensible and not cl.sponsor:  # values outside a non-extensible list stay out
                for sv in extra:
                    items.append({"value": sv, "decode": decodes.get(sv) or sv, "alias": None, "extended": True})
            name, alias = cl.name or cid, (cl.code if (cl.code and NCI_CODE.match(cl.code) and not cl.sponsor) else None)
        else:  # a sponsor list known only from the data
            for sv in sorted(used):
                items.append({"value": sv, "decode": decodes.get(sv) or sv, "alias": None, "extended": False})
            name, alias = cid, None
        for i, item in enumerate(items, start=1):
            item["order"] = i
        use_decode = bool(decodes) or any(it["decode"] != it["value"] for it in items)
        return {
            "oid": f"CL.{cid}", "name": name, "datatype": dtype,
            "standard_oid": self.standard_oid(cl), "items": items, "use_decode": use_decode,
            "alias": alias, "external": None, "non_standard": self.standard_oid(cl) is None,
        }  # fmt: skip


DICTIONARY_VARIABLES = {
    "MEDDRA": ({"AE", "MH", "CE"}, {"LLT", "LLTCD", "DECOD", "PTCD", "HLT", "HLTCD", "HLGT", "HLGTCD",
                                    "BODSYS", "BDSYCD", "SOC", "SOCCD"}),
    "WHODRUG": ({"CM"}, {"DECOD"}),
}  # fmt: skip


def _dictionary(var: Variable, dictionaries: dict) -> str | None:
    """The external dictionary (MEDDRA, WHODRUG) of a coding variable, when study.yaml names it."""
    for cid, (prefixes, suffixes) in DICTIONARY_VARIABLES.items():
        if cid in dictionaries and var.name[:2] in prefixes and var.name[2:] in suffixes:
            return cid
    return None


def _decode_partner(ds: Dataset, var: Variable) -> pd.Series | None:
    """The decode column of a code variable (QSTESTCD -> QSTEST, ARMCD -> ARM, PARAMCD -> PARAM)."""
    if var.name.endswith("CD") and var.name[:-2] in ds.data.columns:
        return ds.data[var.name[:-2]]
    return None


def _define_cfg(study) -> dict:
    return ((getattr(study, "config", None) or {}).get("define")) or {}


def build_context(study, datasets: dict[str, Dataset], standard: str) -> dict[str, Any]:
    """The full template context of one define.xml (SDTM or ADaM)."""
    spec_name, std_name, std_version = standard_info(standard)
    adam = std_name == "ADaMIG"
    cfg = getattr(study, "config", None) or {}
    dcfg = _define_cfg(study)
    studyid = cfg.get("studyid") or getattr(study, "studyid", "STUDY")
    ct_version = (cfg.get("standards") or {}).get("ct") or "2025-03-28"
    ds_cfg = dcfg.get("datasets") or {}

    enriched = []
    for ds in datasets.values():
        ds2, known = enrich(ds, spec_name)
        if adam and not ds2.cls:
            ds2 = replace(ds2, cls=infer_adam_class(ds2))
        enriched.append((ds2, known))
    enriched.sort(key=lambda t: _sort_key(t[0]))

    codelists = _Codelists(study, adam)
    item_groups, item_defs, value_lists, where_clauses, methods, comments = [], [], [], [], [], []
    vl_defs: list[dict] = []
    any_pages = False
    for ds, known in enriched:
        cls, subclass = _class(ds)
        comment_oid = None
        if (ds_cfg.get(ds.name) or {}).get("comment"):
            comment_oid = f"COM.{ds.name}"
            comments.append({"oid": comment_oid, "text": ds_cfg[ds.name]["comment"]})
        vl_specs = {t: w for t, w in _value_level_specs(ds, adam)}
        for v in ds.variables:  # value-level metadata the engines recorded (QSTESTCD by QSCAT, ...)
            by = (v.value_level or {}).get("by")
            if by and by in ds.data.columns and v.name in ds.data.columns and v.name not in vl_specs:
                vl_specs[v.name] = by
        item_refs = []
        for order, var in enumerate([v for v in ds.variables if v.name in ds.data.columns], start=1):
            series = ds.data[var.name]
            m = measured(var, series, adam)
            item_oid = f"IT.{ds.name}.{var.name}"
            method_oid = None
            if var.method:
                method_oid = f"MT.{ds.name}.{var.name}"
                methods.append({
                    "oid": method_oid, "name": f"Algorithm to derive {ds.name}.{var.name}",
                    "type": "Imputation" if "imput" in var.method.lower() else "Computation",
                    "description": var.method,
                })  # fmt: skip
            key_seq = ds.keys.index(var.name) + 1 if var.name in ds.keys else None
            core = (var.core or "").strip().lower()
            no_data = len(series) > 0 and not _has_values(series)
            item_refs.append({
                "item_oid": item_oid, "order": order,
                "mandatory": "Yes" if (core in ("req", "required") or (not core and key_seq)) and not no_data else "No",
                "key_sequence": key_seq, "method_oid": method_oid,
                "role": var.role if (var.role and not adam) else None, "has_no_data": no_data,
            })  # fmt: skip
            var_comment = None
            if var.comment:
                var_comment = f"COM.{ds.name}.{var.name}"
                comments.append({"oid": var_comment, "text": var.comment})
            cl_oid = None
            cid = var.codelist or _dictionary(var, codelists.dictionaries)
            if cid:
                cl_oid = codelists.add(cid, series, m["datatype"], _decode_partner(ds, var))
            origin = _origin(var, adam)
            any_pages = any_pages or bool(origin and origin["pages"])
            vl_oid = None
            if var.name in vl_specs:
                vl_oid = _value_list(ds, var, vl_specs[var.name], origin, adam, value_lists, where_clauses, vl_defs,
                                     codelists=codelists, methods=methods)
            item_defs.append({
                "oid": item_oid, "name": var.name, "label": var.label or var.name, **m,
                "comment_oid": var_comment, "codelist_oid": cl_oid, "codelist_id": cid,
                "origin": origin, "value_list_oid": vl_oid,
            })  # fmt: skip
        item_groups.append({
            "oid": f"IG.{ds.name}", "name": ds.name, "label": ds.label or ds.name,
            "domain": None if adam else _domain(ds),
            "repeating": repeating(ds), "is_reference": "Yes" if is_reference(ds) else "No",
            "structure": ds.structure or ("One record per " + ", ".join(ds.keys) if ds.keys else "See description"),
            "purpose": "Analysis" if adam else "Tabulation",
            "standard_oid": "STD.IG" if known else None,
            "is_non_standard": None if known or adam else "Yes",
            "comment_oid": comment_oid, "cls": cls, "subclass": subclass,
            "domain_alias": None if adam else _domain_alias(ds, spec_name),
            "has_no_data": len(ds.data) == 0,
            "item_refs": item_refs,
            "leaf": {"id": f"LF.{ds.name}", "href": f"{ds.name.lower()}.xpt", "title": f"{ds.name.lower()}.xpt"},
        })  # fmt: skip

    cl_entries, empty = codelists.build()
    for it in item_defs + vl_defs:
        if it.get("codelist_id") in empty:
            it["codelist_oid"] = None

    leaves = []
    acrf = dcfg.get("acrf", "acrf.pdf")
    if isinstance(acrf, dict):  # {file: acrf.pdf, pages: {form: pages}} (pages are used by the SDTM engine)
        acrf = acrf.get("file") or "acrf.pdf"
    if not adam or any_pages:
        leaves.append({"id": "LF.acrf", "href": acrf, "title": "Annotated CRF"})
    guide = dcfg.get("reviewers_guide") or ("adrg.pdf" if adam else "csdrg.pdf")
    guide_id = "LF.adrg" if adam else "LF.csdrg"
    guide_title = "Analysis Data Reviewer's Guide" if adam else "Clinical Study Data Reviewer's Guide"
    leaves.append({"id": guide_id, "href": guide, "title": guide_title})

    standards = [{"oid": "STD.IG", "name": std_name, "type": "IG", "version": std_version, "publishing_set": None}]
    standards.append({"oid": "STD.CT.SDTM", "name": "CDISC/NCI", "type": "CT", "version": ct_version, "publishing_set": "SDTM"})
    if adam:
        standards.append({"oid": "STD.CT.ADAM", "name": "CDISC/NCI", "type": "CT", "version": ct_version, "publishing_set": "ADaM"})
    used_std = {c["standard_oid"] for c in cl_entries} | {"STD.IG"}
    standards = [s for s in standards if s["oid"] in used_std or s["type"] == "CT"]

    kind = "ADaM" if adam else "SDTM"
    return {
        "file_oid": f"{studyid}.Define-XML_2.1.{kind}",
        "creation": creation_datetime(study),
        "originator": cfg.get("sponsor") or "cdisc-als",
        "source_system": "cdisc-als",
        "source_system_version": __version__,
        "study_oid": f"STDY.{studyid}",
        "study_name": studyid,
        "study_description": " ".join(str(cfg.get("title") or studyid).split()),
        "protocol": cfg.get("protocol") or studyid,
        "mdv_oid": f"MDV.{studyid}.{std_name}.{std_version}",
        "mdv_name": f"Study {studyid}, {kind} Data Definitions",
        "mdv_description": f"{kind} datasets of study {studyid} ({std_name} {std_version}, CDISC CT {ct_version})",
        "standards": standards,
        "acrf": "LF.acrf" if not adam else None,
        "supplemental": [guide_id],
        "value_lists": value_lists,
        "where_clauses": where_clauses,
        "item_groups": item_groups,
        "item_defs": item_defs + vl_defs,
        "codelists": cl_entries,
        "methods": sorted(methods, key=lambda x: x["oid"]),
        "comments": sorted(comments, key=lambda x: x["oid"]),
        "leaves": leaves,
        "has_acrf": any(leaf["id"] == "LF.acrf" for leaf in leaves),
    }


def _value_overrides(ds: Dataset, var: Variable, where_var: str) -> dict[str, dict]:
    """Per-value metadata of ``var`` by ``where_var``: what the engine recorded
    (``Variable.value_level``), else, for SUPP-- QVAL, the origin written in QORIG per QNAM."""
    vl = var.value_level or {}
    if vl.get("by") == where_var:
        return {str(k): dict(v or {}) for k, v in (vl.get("values") or {}).items()}
    if where_var == "QNAM" and var.name == "QVAL" and "QORIG" in ds.data.columns:
        pairs = ds.data[["QNAM", "QORIG"]].dropna().drop_duplicates("QNAM")
        out = {}
        for q, o in zip(pairs["QNAM"], pairs["QORIG"], strict=True):
            otype = SUPP_QORIG.get(str(o).strip().upper())
            if otype:
                out[str(q).strip()] = {"origin": otype}
        return out
    return {}


def _oid_part(value: str, seen: set[str]) -> str:
    """A value as an OID part: characters other than letters, digits, ``.``, ``-`` and ``_``
    become ``_`` (``MODIFIED ASHWORTH SCALE`` -> ``MODIFIED_ASHWORTH_SCALE``); made unique."""
    part = re.sub(r"[^A-Za-z0-9._-]+", "_", value.strip()) or "_"
    base, n = part, 1
    while part in seen:
        n += 1
        part = f"{base}_{n}"
    seen.add(part)
    return part


SUPP_QORIG = {"CRF": "Collected", "COLLECTED": "Collected", "EDT": "Collected", "DERIVED": "Derived",
              "ASSIGNED": "Assigned", "PROTOCOL": "Protocol", "PREDECESSOR": "Predecessor"}  # fmt: skip


def _value_list(ds, var, where_var, origin, adam, value_lists, where_clauses, vl_defs,
                codelists=None, methods=None) -> str | None:
    """ValueListDef + WhereClauseDefs + value-level ItemDefs of ``var`` by the values of ``where_var``.

    Each value-level ItemDef is measured on its own records; its origin, method and codelist come
    from ``_value_overrides`` when the engine recorded them, else from the parent variable.
    """
    overrides = _value_overrides(ds, var, where_var)
    method_oids: dict[str, str] = {}  # one MethodDef per distinct method text of this variable
    oid_parts: set[str] = set()
    labels: dict[str, str] = {}
    if where_var == "QNAM" and "QLABEL" in ds.data.columns:
        lab = ds.data[["QNAM", "QLABEL"]].dropna().drop_duplicates("QNAM")
        labels = {str(q).strip(): str(v) for q, v in zip(lab["QNAM"], lab["QLABEL"], strict=True)}
    key = _stripped(ds.data[where_var])
    target = ds.data[var.name]
    present_all = _present(target)
    frame = pd.DataFrame({"k": key.to_numpy(dtype=object), "i": np.arange(len(key))}).dropna(subset=["k"])
    groups = list(frame.groupby("k", sort=True)["i"])  # one entry per distinct value, not per row
    if not groups or len(groups) > MAX_VALUE_LEVEL:
        return None
    vl_oid = f"VL.{ds.name}.{var.name}"
    refs = []
    for order, (value, idx) in enumerate(groups, start=1):
        rows = idx.to_numpy()
        present = present_all[rows]
        if not present.any():
            continue
        series = target.iloc[rows]
        m = measured(var.copy(datatype=None), series, adam)  # the subset's own type (integer/float)
        part = _oid_part(str(value), oid_parts)
        oid = f"IT.{ds.name}.{var.name}.{part}"
        wc = f"WC.{ds.name}.{var.name}.{part}"
        over = overrides.get(str(value)) or {}
        v_origin, method_oid, cl_oid, cid = origin, None, None, None
        if over:
            sub_var = var.copy(origin=over.get("origin") or var.origin, source=over.get("source"),
                               method=over.get("method"))
            v_origin = _origin(sub_var, adam) or origin
            text = over.get("method")
            if text and methods is not None:
                method_oid = method_oids.get(text)
                if method_oid is None:
                    method_oid = f"MT.{ds.name}.{var.name}.{part}"
                    method_oids[text] = method_oid
                    methods.append({"oid": method_oid, "name": f"Algorithm to derive {ds.name}.{var.name} ({where_var} = {value})",
                                    "type": "Imputation" if "imput" in text.lower() else "Computation",
                                    "description": text})  # fmt: skip
            cid = over.get("codelist")
            if cid and codelists is not None:
                partner = _decode_partner(ds, var)  # QSTESTCD -> QSTEST decodes of these records
                cl_oid = codelists.add(cid, series, m["datatype"], partner.iloc[rows] if partner is not None else None)
        where_clauses.append({"oid": wc, "item_oid": f"IT.{ds.name}.{where_var}", "comparator": "EQ", "values": [value]})
        refs.append({"item_oid": oid, "order": order, "mandatory": "Yes" if bool(present.all()) else "No", "wc_oid": wc,
                     "method_oid": method_oid})  # fmt: skip
        label = labels.get(str(value)) or f"{var.label or var.name} ({where_var} = {value})"
        vl_defs.append({
            "oid": oid, "name": var.name, "label": label, **m,
            "comment_oid": None, "codelist_oid": cl_oid, "codelist_id": cid, "origin": v_origin,
            "value_list_oid": None,
        })  # fmt: skip
    if not refs:
        return None
    for i, r in enumerate(refs, start=1):
        r["order"] = i
    value_lists.append({"oid": vl_oid, "items": refs})
    return vl_oid
