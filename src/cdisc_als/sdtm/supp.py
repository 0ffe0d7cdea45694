"""SUPP-- datasets: non-standard values split out of a parent domain (SDTMIG 3.4 §8.4).

The spec lists each QNAM with its label and where its value comes from; one SUPP record is written
per parent record with a non-null value, keyed by IDVAR/IDVARVAL (``--SEQ`` usually; none for DM).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdisc_als.dataset import Variable
from cdisc_als.ops.assign import text
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context, run_variable_op
from cdisc_als.standards import DatasetMeta

# SDTMIG 3.4 §8.4.1 SUPPQUAL structure, used when the curated metadata has no SUPPQUAL entry.
SUPPQUAL_VARIABLES = (
    Variable("STUDYID", "Study Identifier", "Char", core="Req", role="Identifier"),
    Variable("RDOMAIN", "Related Domain Abbreviation", "Char", core="Req", role="Identifier"),
    Variable("USUBJID", "Unique Subject Identifier", "Char", core="Req", role="Identifier"),
    Variable("IDVAR", "Identifying Variable", "Char", core="Exp", role="Identifier"),
    Variable("IDVARVAL", "Identifying Variable Value", "Char", core="Exp", role="Identifier"),
    Variable("QNAM", "Qualifier Variable Name", "Char", core="Req", role="Topic"),
    Variable("QLABEL", "Qualifier Variable Label", "Char", core="Req", role="Synonym Qualifier"),
    Variable("QVAL", "Data Value", "Char", core="Req", role="Result Qualifier"),
    Variable("QORIG", "Origin", "Char", core="Req", role="Record Qualifier"),
    Variable("QEVAL", "Evaluator", "Char", core="Exp", role="Record Qualifier"),
)


def supp_meta(standard: Any, domain: str) -> DatasetMeta:
    """Metadata of SUPP<domain>: from the standard when it has it, else SDTMIG's SUPPQUAL."""
    name = f"SUPP{domain}"
    for candidate in (name, "SUPPQUAL"):
        try:
            meta = standard.dataset(candidate) if standard is not None else None
        except KeyError:
            meta = None
        if meta is not None:
            return DatasetMeta(name, f"Supplemental Qualifiers for {domain}", meta.cls, meta.structure, meta.keys, meta.variables)
    return DatasetMeta(
        name,
        f"Supplemental Qualifiers for {domain}",
        "RELATIONSHIP",
        "One record per IDVAR, IDVARVAL, and QNAM value per subject",
        ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
        SUPPQUAL_VARIABLES,
    )


def build_supp(ctx: Context, frame: pd.DataFrame, supp: dict[str, Any], domain: str,
               items: dict[str, Any] | None = None) -> pd.DataFrame:
    """Long SUPP-- records (with ``__source__``/``__row__`` kept for logging) from the parent frame.

    ``items`` (QNAM -> ``origins.Meta``, from the runner's lineage tracker) sets QORIG/QEVAL from
    the origin of the split-out value: the item's ``origin`` as written, else the supp's ``qorig``
    (default CRF) and ``qeval`` for collected values, Derived / Assigned / ... otherwise. Without it, the spec's texts are used as written.
    """
    from cdisc_als.sdtm.lineage import qeval, qorig

    idvar = supp.get("idvar")
    parts = []
    for qnam, item in supp["variables"].items():
        ctx.target, ctx.where = qnam, f"supp.variables.{qnam}.value"
        value = run_variable_op(ctx, frame, item["value"])
        qval = text(value)
        keep = qval.notna() & qval.str.strip().ne("")
        part = pd.DataFrame(
            {
                "STUDYID": frame["STUDYID"],
                "RDOMAIN": domain,
                "USUBJID": frame["USUBJID"],
                "IDVAR": idvar,
                "IDVARVAL": text(frame[idvar]) if idvar else None,
                "QNAM": qnam,
                "QLABEL": item["label"],
                "QVAL": qval,
                "QORIG": qorig(items[qnam], item, supp) if items and qnam in items else item.get("origin", supp.get("qorig", "CRF")),
                "QEVAL": qeval(items[qnam], item, supp) if items and qnam in items else item.get("eval", supp.get("qeval")),
            },
            index=frame.index,
        )
        for c in (SOURCE_COLUMN, ROW_COLUMN):
            if c in frame:
                part[c] = frame[c]
        parts.append(part[keep])
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not out.empty:
        out = out.sort_values(["USUBJID", "IDVARVAL", "QNAM"], kind="mergesort", key=_natural).reset_index(drop=True)
    return out


def _natural(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s, errors="coerce")
    return num if num.notna().all() and s.name == "IDVARVAL" else s
