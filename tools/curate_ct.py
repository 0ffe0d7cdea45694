"""Curate the subset of CDISC Controlled Terminology the project uses into ``specs/ct/``.

Why: the full NCI EVS SDTM Terminology file is ~45,000 rows; the engine, the validator and the
Define-XML writer only need the codelists our standards metadata and study specs refer to. Keeping
a versioned, reviewable subset in the repository makes builds reproducible and independent of the
reference folder, while this script (re-run on a new CT release) keeps the subset honest.

Usage::

    CDISC_REFERENCE_DIR=/work/shared/reference python tools/curate_ct.py [--version 2025-03-28]

Reads ``$CDISC_REFERENCE_DIR/ct/SDTM_Terminology_<version>.txt`` (NCI EVS tab-delimited) and
``$CDISC_REFERENCE_DIR/ct/ADaM_CT_<version>.csv`` (CDISC Library export) and writes
``specs/ct/sdtm-ct-<version>.csv`` and ``specs/ct/adam-ct-<version>.csv`` with the columns
codelist_code, codelist, codelist_name, extensible, code, submission_value, synonyms, definition
(truncated to ``DEFINITION_MAX`` characters), preferred_term; one row per term.

The subset is every codelist named in ``specs/*/variables.csv`` plus ``EXPLICIT`` below
(codelists used by value-level metadata, TS parameter values and derivations rather than by a
whole variable). A codelist named in the metadata that is neither in the CT nor a sponsor codelist
in ``specs/ct/sponsor/`` is an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
DEFINITION_MAX = 200
COLUMNS = [
    "codelist_code",
    "codelist",
    "codelist_name",
    "extensible",
    "code",
    "submission_value",
    "synonyms",
    "definition",
    "preferred_term",
]

# Codelists needed beyond those attached to a variable in specs/*/variables.csv: DSDECOD value
# lists per DSCAT, TS parameter values (TSVAL) and the ADaM derivation codelists.
EXPLICIT: dict[str, list[str]] = {
    "sdtm": [
        # disposition (DSDECOD depends on DSCAT)
        "DSCAT", "DSSCAT", "NCOMPLT", "PROTMLST", "OTHEVENT",
        # questionnaires, trial design, epochs, arms
        "QSCAT", "EPOCH", "ARMNULRS", "TSPARMCD", "TSPARM",
        # TS parameter values (TSVAL) coded with CDISC CT
        "TPHASE", "TBLIND", "TCNTRL", "TINDTP", "TTYPE", "INTMODEL", "INTTYPE", "STYPE",
        "SEXPOP", "DICTNAM", "STENRF", "ND",
        # demographics, AE, exposure
        "AGEU", "SEX", "RACE", "ETHNIC", "NY", "AESEV", "OUT", "ACN", "UNIT", "ROUTE", "FRM",
        "FREQ", "DOMAIN", "DTHDX",
    ],
    "adam": ["DTYPE", "PARAMTYP", "DATEFL", "TIMEFL", "SBJTSTAT"],
}


def _read_sdtm(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")


def _read_adam(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def to_subset_rows(raw: pd.DataFrame, wanted: set[str]) -> pd.DataFrame:
    """Flatten NCI EVS rows (codelist header rows + term rows) into one row per term."""
    heads = raw[raw["Codelist Code"] == ""]
    heads = heads[heads["CDISC Submission Value"].isin(wanted)]
    heads = heads.rename(
        columns={
            "Code": "codelist_code",
            "CDISC Submission Value": "codelist",
            "Codelist Name": "codelist_name",
            "Codelist Extensible (Yes/No)": "extensible",
        }
    )[["codelist_code", "codelist", "codelist_name", "extensible"]]
    terms = raw[raw["Codelist Code"].isin(heads["codelist_code"])].rename(
        columns={
            "Codelist Code": "codelist_code",
            "Code": "code",
            "CDISC Submission Value": "submission_value",
            "CDISC Synonym(s)": "synonyms",
            "CDISC Definition": "definition",
            "NCI Preferred Term": "preferred_term",
        }
    )[["codelist_code", "code", "submission_value", "synonyms", "definition", "preferred_term"]]
    terms = terms.assign(definition=terms["definition"].str.slice(0, DEFINITION_MAX))
    out = heads.merge(terms, on="codelist_code", how="inner", validate="one_to_many")
    return out[COLUMNS].sort_values(["codelist", "submission_value", "code"], kind="stable")


def named_codelists() -> set[str]:
    """Codelist ids attached to variables in every standards folder under specs/."""
    names: set[str] = set()
    for path in SPECS.glob("*/variables.csv"):
        col = pd.read_csv(path, dtype=str, keep_default_na=False)["codelist"]
        names |= {c for c in col if c}
    return names


def sponsor_codelists() -> set[str]:
    ids: set[str] = set()
    for path in (SPECS / "ct" / "sponsor").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        ids |= {c["codelist"] for c in doc.get("codelists", [])}
    return ids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="2025-03-28")
    ap.add_argument("--reference-dir", default=os.environ.get("CDISC_REFERENCE_DIR"))
    ap.add_argument("--out", default=str(SPECS / "ct"))
    args = ap.parse_args(argv)
    if not args.reference_dir:
        print("error: set CDISC_REFERENCE_DIR or pass --reference-dir", file=sys.stderr)
        return 2
    ct_dir = Path(args.reference_dir) / "ct"
    sdtm = _read_sdtm(ct_dir / f"SDTM_Terminology_{args.version}.txt")
    adam = _read_adam(ct_dir / f"ADaM_CT_{args.version}.csv")
    sdtm_ids = set(sdtm.loc[sdtm["Codelist Code"] == "", "CDISC Submission Value"])
    adam_ids = set(adam.loc[adam["Codelist Code"] == "", "CDISC Submission Value"])

    named = named_codelists()
    unknown = sorted(named - sdtm_ids - adam_ids - sponsor_codelists())
    if unknown:
        print(f"error: codelists named in specs/*/variables.csv but in neither CT {args.version} "
              f"nor specs/ct/sponsor: {unknown}", file=sys.stderr)
        return 1
    missing_explicit = sorted(
        set(EXPLICIT["sdtm"]) - sdtm_ids | (set(EXPLICIT["adam"]) - adam_ids)
    )
    if missing_explicit:
        print(f"error: EXPLICIT codelists not in CT {args.version}: {missing_explicit}",
              file=sys.stderr)
        return 1

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for pkg, raw, ids in (("sdtm", sdtm, sdtm_ids), ("adam", adam, adam_ids)):
        wanted = (named & ids) | set(EXPLICIT[pkg])
        if pkg == "adam":
            wanted -= sdtm_ids  # an id in both packages is curated once, from SDTM CT
        subset = to_subset_rows(raw, wanted)
        path = out / f"{pkg}-ct-{args.version}.csv"
        subset.to_csv(path, index=False, lineterminator="\n")
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{subset['codelist'].nunique()} codelists, {len(subset)} terms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
