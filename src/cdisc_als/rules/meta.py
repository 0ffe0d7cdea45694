"""Standard metadata the rules need: dataset class and Req/Exp variables.

Read from ``cdisc_als.standards`` (the curated ``specs/<standard>/`` files). When a dataset is
not described there (custom domain, metadata not written yet), the class is guessed from the
SDTM domain list below or from the dataset's topic variable, so class-based rules still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from cdisc_als.dataset import Dataset
from cdisc_als.standards import DatasetMeta, load_standard

# SDTMIG 3.4 section 6-7 domain classes (stable standard knowledge, used only as a fallback).
SDTM_CLASSES: dict[str, str] = {
    **dict.fromkeys(["AE", "CE", "DS", "DV", "HO", "MH", "BE"], "EVENTS"),
    **dict.fromkeys(["AG", "CM", "EC", "EX", "ML", "PR", "SU"], "INTERVENTIONS"),
    **dict.fromkeys(
        ["BS", "CP", "CV", "DA", "DD", "EG", "FT", "GF", "IE", "IS", "LB", "MB", "MI", "MK", "MS",
         "NV", "OE", "PC", "PE", "PP", "QS", "RE", "RP", "RS", "SC", "SS", "TR", "TU", "UR", "VS"],
        "FINDINGS",
    ),
    "FA": "FINDINGS ABOUT",
    "SR": "FINDINGS ABOUT",
    **dict.fromkeys(["DM", "CO", "SE", "SM", "SV"], "SPECIAL PURPOSE"),
    **dict.fromkeys(["TA", "TD", "TE", "TI", "TM", "TS", "TV"], "TRIAL DESIGN"),
    **dict.fromkeys(["RELREC", "RELSUB", "RELSPEC"], "RELATIONSHIP"),
    "OI": "STUDY REFERENCE",
}

MetaLookup = Callable[[str], "DatasetMeta | None"]


@cache
def standard_meta(standard: str) -> MetaLookup:
    """A lookup ``name -> DatasetMeta | None`` over the curated metadata of ``standard``."""
    try:
        std = load_standard(standard)
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return lambda name: None

    @cache
    def lookup(name: str) -> DatasetMeta | None:
        try:
            return std.dataset(name)
        except KeyError:
            return None

    return lookup


def dataset_classes(ds: Dataset, domain: str, meta: DatasetMeta | None, standard: str) -> frozenset[str]:
    """Class tags of a dataset: SDTM class (``EVENTS``...) or ADaM tags (ADSL, BDS, TTE, OCCDS)."""
    cols = set(ds.data.columns)
    if standard.startswith("adam"):
        tags = set()
        if ds.name == "ADSL":
            tags.add("ADSL")
        elif {"PARAMCD", "PARAM"} & cols or "AVAL" in cols:
            tags.add("BDS")
            if "CNSR" in cols:
                tags.add("TTE")
        else:
            tags.add("OCCDS")
        return frozenset(tags)
    if ds.name.startswith("SUPP") or ds.name in ("RELREC", "RELSUB", "RELSPEC"):
        return frozenset({"RELATIONSHIP"})
    if is_associated_persons(domain):  # APMH: the class of MH
        domain = domain[2:]
    cls = (ds.cls or (meta.cls if meta else "") or SDTM_CLASSES.get(domain) or SDTM_CLASSES.get(ds.name[:2], "")).upper()
    cls = cls.replace("-", " ").replace("_", " ")
    if cls.startswith("SPECIAL"):
        cls = "SPECIAL PURPOSE"
    if not cls:
        p = domain
        if f"{p}TESTCD" in cols:
            cls = "FINDINGS"
        elif f"{p}TRT" in cols:
            cls = "INTERVENTIONS"
        elif f"{p}TERM" in cols:
            cls = "EVENTS"
    return frozenset({cls}) if cls else frozenset()


def is_associated_persons(domain: str) -> bool:
    """AP + a two-letter domain code (APMH, APDM): Associated Persons data (SDTMIG-AP)."""
    return len(domain) == 4 and domain.startswith("AP") and domain[2:].isalpha()


def domain_of(ds: Dataset) -> str:
    """The SDTM domain code of a dataset (DOMAIN value, ``ds.domain`` or the name)."""
    if ds.domain and not ds.name.startswith("SUPP"):
        return ds.domain.upper()
    if "DOMAIN" in ds.data.columns and len(ds.data):
        vals = ds.data["DOMAIN"].dropna().astype(str).str.strip()
        vals = vals[vals != ""]
        if len(vals):
            return vals.iloc[0].upper()
    return ds.name
