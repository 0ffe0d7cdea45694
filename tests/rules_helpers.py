"""Hand-made datasets for the rule tests: a tiny study (one subject) built column by column."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.rules.ct_adapter import CtAdapter
from cdisc_als.standards import DatasetMeta

STUDY = "S1"


def ds(name: str, spec: dict[str, Any] | Dataset, adam: bool = False) -> Dataset:
    """A dataset from ``{column: values}``; STUDYID, DOMAIN and USUBJID are added when absent.

    Reserved keys: ``_label`` (dataset label, default "Test data"), ``_labels`` ({var: label},
    default label = variable name), ``_nodefaults`` (do not add STUDYID/DOMAIN/USUBJID).
    """
    if isinstance(spec, Dataset):
        return spec
    spec = dict(spec)
    label = spec.pop("_label", "Test data")
    labels = spec.pop("_labels", {})
    nodefaults = spec.pop("_nodefaults", False)
    n = max((len(v) for v in spec.values()), default=0)
    cols: dict[str, list] = {}
    if not nodefaults:
        cols["STUDYID"] = [STUDY] * n
        if not adam and not name.startswith("SUPP") and name not in ("RELREC",):
            cols["DOMAIN"] = [name[:2]] * n
        if name not in ("TA", "TE", "TV", "TS", "TI"):
            cols["USUBJID"] = ["01"] * n
    cols.update(spec)
    frame = pd.DataFrame({k: pd.Series(v, dtype="object") if _is_text(v) else pd.Series(v, dtype="float64") for k, v in cols.items()})
    variables = [
        Variable(name=c, label=labels.get(c, c), type="Char" if frame[c].dtype == object else "Num")
        for c in frame.columns
    ]
    return Dataset(name=name, data=frame, label=label, variables=variables)


def _is_text(values: list) -> bool:
    return any(isinstance(v, str) for v in values) or all(v is None for v in values)


SDTM_BASE: dict[str, dict[str, Any]] = {
    "DM": {"SUBJID": ["001"], "SITEID": ["10"], "SEX": ["M"], "COUNTRY": ["ESP"], "AGE": [50], "AGEU": ["YEARS"],
           "ARMCD": ["A"], "ARM": ["Drug A"], "ACTARMCD": ["A"], "ACTARM": ["Drug A"],
           "RFSTDTC": ["2020-01-01"], "RFENDTC": ["2020-06-01"], "RFPENDTC": ["2020-12-31"],
           "RFICDTC": ["2019-12-20"], "RFXSTDTC": ["2020-01-01"], "RFXENDTC": ["2020-01-01"],
           "DTHFL": [None], "DTHDTC": [None]},
    "AE": {"AESEQ": [1], "AETERM": ["HEADACHE"], "AEDECOD": ["HEADACHE"]},
    "DS": {"DSSEQ": [1], "DSTERM": ["COMPLETED"], "DSDECOD": ["COMPLETED"], "DSCAT": ["DISPOSITION EVENT"]},
    "SV": {"VISITNUM": [1], "VISIT": ["SCREENING"]},
    "TA": {"ARMCD": ["A", "A"], "ARM": ["Drug A", "Drug A"], "TAETORD": [1, 2], "ETCD": ["SCRN", "TRT"],
           "ELEMENT": ["Screening", "Treatment"], "EPOCH": ["SCREENING", "TREATMENT"]},
    "TE": {"ETCD": ["SCRN", "TRT"], "ELEMENT": ["Screening", "Treatment"], "TESTRL": ["Consent", "Dose"], "TEDUR": ["P14D", "P6M"]},
    "TV": {"VISITNUM": [1], "VISIT": ["SCREENING"], "ARMCD": ["A"]},
}

ADAM_BASE: dict[str, dict[str, Any]] = {
    "ADSL": {"SUBJID": ["001"], "SITEID": ["10"], "AGE": [50], "AGEU": ["YEARS"], "SEX": ["M"], "RACE": ["WHITE"],
             "ARM": ["Drug A"], "ACTARM": ["Drug A"], "TRT01P": ["Drug A"], "TRT01A": ["Drug A"], "SAFFL": ["Y"]},
}


@cache
def _base(adam: bool) -> dict[str, Dataset]:
    return {name: ds(name, spec, adam=adam) for name, spec in (ADAM_BASE if adam else SDTM_BASE).items()}


def study(overrides: dict[str, Any], adam: bool = False) -> dict[str, Dataset]:
    """Base study with ``overrides`` (a dataset spec replaces the base one; None removes it).

    The base datasets are built once and shared (the engine never modifies a Dataset).
    """
    out = dict(_base(adam))
    for name, spec in overrides.items():
        if spec is None:
            out.pop(name, None)
        else:
            out[name] = ds(name, spec, adam=adam)
    return out


def stub_ct() -> CtAdapter:
    """Hand-written codelists (values from CDISC CT 2025-03-28)."""
    rows = []
    for code, cl, ext, values in [
        ("C66731", "SEX", "No", ["F", "M", "U", "UNDIFFERENTIATED"]),
        ("C66742", "NY", "No", ["N", "Y", "U", "NA"]),
        ("C99079", "EPOCH", "Yes", ["SCREENING", "TREATMENT", "FOLLOW-UP"]),
        ("C81224", "DTYPE", "Yes", ["LOCF", "AVERAGE", "WOCF"]),
        ("C66727", "NCOMPLT", "Yes", ["COMPLETED", "ADVERSE EVENT", "DEATH"]),
        ("C114118", "PROTMLST", "Yes", ["INFORMED CONSENT OBTAINED", "RANDOMIZED"]),
        ("C150811", "OTHEVENT", "Yes", ["TREATMENT UNBLINDED"]),
        ("C66734", "DOMAIN", "Yes", ["AE", "CM", "DM", "DS", "EX", "LB", "QS", "SE", "SV", "TA", "TE", "TS", "TV"]),
    ]:
        rows += [{"codelist_code": code, "codelist": cl, "codelist_name": cl, "extensible": ext, "submission_value": v} for v in values]
    return CtAdapter.from_frame(pd.DataFrame(rows), "test")


def stub_meta():
    """Metadata for DM (Req: identifiers, SUBJID; Exp: AGE) and AE (SDTMIG 3.4 Req variables, AESEV
    Perm); other datasets use the rule fallbacks."""
    dm = DatasetMeta(
        name="DM", label="Demographics", cls="SPECIAL PURPOSE", structure="", keys=("STUDYID", "USUBJID"),
        variables=tuple(
            Variable(name=n, core=c, type=ty)
            for n, c, ty in [("STUDYID", "Req", "Char"), ("DOMAIN", "Req", "Char"), ("USUBJID", "Req", "Char"),
                             ("SUBJID", "Req", "Char"), ("AGE", "Exp", "Num")]
        ),
    )
    ae = DatasetMeta(
        name="AE", label="Adverse Events", cls="EVENTS", structure="", keys=("STUDYID", "USUBJID"),
        variables=tuple(
            Variable(name=n, core=c, type=ty)
            for n, c, ty in [("STUDYID", "Req", "Char"), ("DOMAIN", "Req", "Char"), ("USUBJID", "Req", "Char"),
                             ("AESEQ", "Req", "Num"), ("AETERM", "Req", "Char"), ("AEDECOD", "Req", "Char"),
                             ("AESEV", "Perm", "Char")]
        ),
    )
    return {"DM": dm, "AE": ae}.get
