"""Standards metadata (specs/sdtmig-3.4, specs/adamig-1.3) checked against known SDTMIG/ADaMIG facts."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cdisc_als.ct import load_ct
from cdisc_als.resources import specs_path
from cdisc_als.standards import load_standard

STANDARDS = ["sdtmig-3.4", "adamig-1.3"]
SDTM_DOMAINS = [
    "DM",
    "SUPPQUAL",
    "AE",
    "EX",
    "EC",
    "PR",
    "CM",
    "MH",
    "QS",
    "DS",
    "SV",
    "SE",
    "TA",
    "TE",
    "TV",
    "TI",
    "TS",
    "VS",
    "LB",
    "RELREC",
]
DATATYPES = {
    "text",
    "integer",
    "float",
    "datetime",
    "date",
    "time",
    "durationDatetime",
    "partialDate",
    "partialDatetime",
    "incompleteDatetime",
}


def _vars(std: str) -> pd.DataFrame:
    return pd.read_csv(specs_path(std, "variables.csv"), dtype=str, keep_default_na=False)


def _datasets(std: str) -> pd.DataFrame:
    return pd.read_csv(specs_path(std, "datasets.csv"), dtype=str, keep_default_na=False)


def test_sdtm_domains_present():
    names = load_standard("sdtmig-3.4").dataset_names
    assert set(SDTM_DOMAINS) <= set(names)


def test_adam_datasets_present():
    assert {"ADSL", "ADAE", "ADTTE", "BDS"} <= set(load_standard("adamig-1.3").dataset_names)


@pytest.mark.parametrize("std", STANDARDS)
def test_names_labels_types_well_formed(std):
    v = _vars(std)
    assert (v["variable"].str.len() <= 8).all()
    assert v["variable"].str.fullmatch(r"[A-Z][A-Z0-9]*").all()
    assert (v["label"].str.len().between(1, 40)).all()
    assert v["type"].isin(["Char", "Num"]).all()
    assert v["datatype"].isin(DATATYPES).all()
    assert not v.duplicated(["dataset", "variable"]).any()
    cores = {"sdtmig-3.4": {"Req", "Exp", "Perm"}, "adamig-1.3": {"Req", "Cond", "Perm"}}[std]
    assert v["core"].isin(cores).all()
    # Char variables carry a character Define-XML datatype, Num ones a numeric one
    num = v["type"] == "Num"
    assert v.loc[num, "datatype"].isin(["integer", "float"]).all()
    assert not v.loc[~num, "datatype"].isin(["integer", "float"]).any()


@pytest.mark.parametrize("std", STANDARDS)
def test_order_contiguous_and_keys_exist(std):
    v = _vars(std)
    for name, g in v.groupby("dataset"):
        assert sorted(g["order"].astype(int)) == list(range(1, len(g) + 1)), name
    ds = _datasets(std)
    assert set(ds["dataset"]) == set(v["dataset"])
    assert (ds["label"].str.len() <= 40).all()
    for r in ds.itertuples():
        meta = load_standard(std).dataset(r.dataset)
        assert set(meta.keys) <= {x.name for x in meta.variables}, r.dataset


def test_dm_facts():
    dm = load_standard("sdtmig-3.4").dataset("DM")
    names = [v.name for v in dm.variables]
    assert names[:4] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"]
    assert {"ARMNRS", "ACTARMUD", "RFXSTDTC", "DTHFL", "COUNTRY"} <= set(names)
    assert dm.variable("ARMNRS").label == "Reason Arm and/or Actual Arm is Null"
    assert dm.variable("ARMNRS").codelist == "ARMNULRS"
    assert dm.variable("AGE").type == "Num"
    assert dm.variable("SEX").core == "Req" and dm.variable("SEX").codelist == "SEX"
    assert dm.variable("RFSTDTC").datatype == "datetime"
    assert dm.cls == "SPECIAL PURPOSE" and dm.keys == ("STUDYID", "USUBJID")


def test_ae_facts():
    ae = load_standard("sdtmig-3.4").dataset("AE")
    assert ae.variable("AESER").label == "Serious Event"
    assert ae.variable("AESER").codelist == "NY"
    assert ae.variable("AETERM").role == "Topic" and ae.variable("AETERM").core == "Req"
    assert ae.variable("AEDECOD").core == "Req"
    assert ae.variable("AESEQ").type == "Num"
    assert ae.variable("AEDUR").datatype == "durationDatetime"
    assert ae.variable("AEOUT").codelist == "OUT"
    assert ae.keys == ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC")
    names = [v.name for v in ae.variables]
    # timing variables come after the qualifiers, in the IG's order
    assert names.index("AESTDTC") < names.index("AEENDTC") < names.index("AESTDY")
    assert names.index("AESER") < names.index("AESTDTC")


def test_trial_design_and_special_purpose():
    s = load_standard("sdtmig-3.4")
    assert [v.name for v in s.dataset("TA").variables] == [
        "STUDYID",
        "DOMAIN",
        "ARMCD",
        "ARM",
        "TAETORD",
        "ETCD",
        "ELEMENT",
        "TABRANCH",
        "TATRANS",
        "EPOCH",
    ]
    assert s.dataset("TS").variable("TSPARMCD").codelist == "TSPARMCD"
    assert s.dataset("TE").variable("TEDUR").datatype == "durationDatetime"
    assert s.dataset("SV").variable("VISITNUM").role == "Topic"
    assert s.dataset("QS").variable("QSCAT").codelist == "QSCAT"
    assert s.dataset("QS").variable("QSSTRESN").datatype == "float"
    assert s.dataset("EX").variable("EXDOSU").codelist == "UNIT"


def test_supp_alias_and_template():
    s = load_standard("sdtmig-3.4")
    supp = s.dataset("SUPPAE")
    assert supp.name == "SUPPAE" and supp.label == "Supplemental Qualifiers for AE"
    assert [v.name for v in supp.variables][:6] == [
        "STUDYID",
        "RDOMAIN",
        "USUBJID",
        "IDVAR",
        "IDVARVAL",
        "QNAM",
    ]
    assert s.has_dataset("SUPPDM") and not s.has_dataset("XYZ")
    with pytest.raises(KeyError, match="sdtmig-3.4 has no dataset XYZ"):
        s.dataset("XYZ")
    bds = load_standard("adamig-1.3").dataset("ADQSALS", like="BDS")
    assert bds.name == "ADQSALS" and bds.variable("CHG") is not None


def test_adsl_period_variables():
    adsl = load_standard("adamig-1.3").dataset("ADSL")
    names = {v.name for v in adsl.variables}
    want = [
        "TRT01P",
        "TRT01PN",
        "TRT01A",
        "TRT01AN",
        "TRT02P",
        "TRT02PN",
        "TRT02A",
        "TRT02AN",
        "TR01SDT",
        "TR01EDT",
        "TR02SDT",
        "TR02EDT",
        "AP01SDT",
        "AP01EDT",
        "AP02SDT",
        "AP02EDT",
        "TRTSDT",
        "TRTEDT",
        "RANDDT",
        "ITTFL",
        "SAFFL",
        "EFFFL",
        "RANDFL",
        "DTHFL",
        "DTHDT",
        "DTHCAUS",
        "EOSSTT",
        "DCSREAS",
        "EOSDT",
        "LSTALVDT",
        "AGEGR1",
        "AGEGR1N",
    ]
    assert set(want) <= names
    assert adsl.variable("TRT01P").label == "Planned Treatment for Period 01"
    assert adsl.variable("TRT01P").core == "Req"
    assert adsl.variable("SAFFL").label == "Safety Population Flag"


@pytest.mark.parametrize("std", ["adamig-1.3"])
def test_adam_numeric_dates_have_sas_formats(std):
    v = _vars(std)
    num = v[v["type"] == "Num"]
    fmt = dict(zip(num["variable"], num["format"], strict=False))
    assert fmt["TRTSDT"] == "DATE9." and fmt["ASTDT"] == "DATE9." and fmt["ADT"] == "DATE9."
    assert fmt["TRTSDTM"] == "DATETIME20." and fmt["TRTSTM"] == "TIME8."
    dates = num[num["variable"].str.fullmatch(r".*DT")]
    assert (dates["format"] == "DATE9.").all()
    assert (v.loc[v["type"] == "Char", "format"] == "").all()


def test_adtte_and_adae_variables():
    a = load_standard("adamig-1.3")
    tte = {v.name for v in a.dataset("ADTTE").variables}
    assert {
        "PARAMCD",
        "PARAM",
        "AVAL",
        "STARTDT",
        "ADT",
        "CNSR",
        "EVNTDESC",
        "CNSDTDSC",
        "SRCDOM",
        "SRCVAR",
        "SRCSEQ",
    } <= tte
    ae = a.dataset("ADAE")
    assert {
        "ASTDT",
        "ASTDTF",
        "AENDT",
        "AENDTF",
        "ASTDY",
        "AENDY",
        "TRTEMFL",
        "APERIOD",
        "TRTA",
        "TRTAN",
        "AOCCFL",
        "AOCCSFL",
        "AOCCPFL",
        "AESEQ",
    } <= {v.name for v in ae.variables}
    assert ae.variable("TRTEMFL").label == "Treatment Emergent Analysis Flag"
    bds = {v.name for v in a.dataset("BDS").variables}
    assert {
        "PARAM",
        "PARAMCD",
        "AVAL",
        "AVALC",
        "BASE",
        "CHG",
        "PCHG",
        "ABLFL",
        "AVISIT",
        "AVISITN",
        "ADT",
        "ADY",
        "ANL01FL",
        "DTYPE",
    } <= bds


@pytest.mark.parametrize("std", STANDARDS)
def test_every_named_codelist_is_in_the_terminology(std):
    ct = load_ct()
    named = {c for c in _vars(std)["codelist"] if c}
    missing = sorted(c for c in named if c not in ct)
    assert not missing


def _define_items(path):
    """(dataset, variable) -> (label, role, datatype, order) from a Define-XML file."""
    etree = pytest.importorskip("lxml.etree")
    ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
    t = etree.parse(str(path))
    items = {i.get("OID"): i for i in t.findall(".//o:ItemDef", ns)}
    out = {}
    for ig in t.findall(".//o:ItemGroupDef", ns):
        for r in ig.findall("o:ItemRef", ns):
            it = items[r.get("ItemOID")]
            d = it.find("o:Description/o:TranslatedText", ns)
            out[(ig.get("Name"), it.get("Name"))] = (d.text if d is not None else "", r.get("Role"))
    return out


# Variables whose label or role changed between SDTMIG 3.3 (the MSG sample) and 3.4: (label, role)
CHANGED_IN_34 = {
    ("SV", "SVSTDTC"): ("Start Date/Time of Observation", "Timing"),
    ("SV", "SVENDTC"): ("End Date/Time of Observation", "Timing"),
    ("SV", "SVSTDY"): ("Study Day of Start of Observation", "Timing"),
    ("SV", "SVENDY"): ("Study Day of End of Observation", "Timing"),
    ("SV", "SVUPDES"): ("Description of Unplanned Visit", "Record Qualifier"),
    ("TS", "TSVALNF"): ("Parameter Value Null Flavor", "Result Qualifier"),
    ("EX", "EXDOSFRQ"): ("Dosing Frequency per Interval", "Record Qualifier"),
    ("EC", "ECDOSFRQ"): ("Dosing Frequency per Interval", "Record Qualifier"),
    ("CM", "CMDOSFRQ"): ("Dosing Frequency per Interval", "Record Qualifier"),
}


def test_labels_and_roles_agree_with_cdisc_msg_define(reference_dir):
    """CDISC's own SDTM-MSG 2.0 sample define (SDTMIG 3.3) uses the IG labels and roles.

    The few variables SDTMIG 3.4 relabelled or re-roled are listed in CHANGED_IN_34 and must
    carry the 3.4 value instead.
    """
    items = _define_items(reference_dir / "sdtm-msg-v2/sdtm/define.xml")
    v = _vars("sdtmig-3.4")
    v["ds"] = v["dataset"].replace({"SUPPQUAL": "SUPPDM"})
    checked, wrong = 0, []
    for r in v.itertuples():
        hit = items.get((r.ds, r.variable))
        if hit is None:
            continue
        checked += 1
        label, role = CHANGED_IN_34.get((r.dataset, r.variable), hit)
        if label != r.label or (role and role != r.role):
            wrong.append((r.dataset, r.variable, r.label, r.role, label, role))
    assert checked > 150
    assert not wrong


def test_dtc_and_duration_datatypes():
    v = _vars("sdtmig-3.4")
    assert (v.loc[v["variable"].str.endswith("DTC"), "datatype"] == "datetime").all()
    dur = v[v["variable"].map(lambda n: bool(re.search(r"(DUR|ELTM|EVLINT)$", n)))]
    assert len(dur) > 5 and (dur["datatype"] == "durationDatetime").all()


def test_sdtmig_34_specific_changes():
    """Facts of SDTMIG 3.4 that differ from 3.3 (CDISC SDTMIG v3.4 domain specifications)."""
    s = load_standard("sdtmig-3.4")
    sv = [v.name for v in s.dataset("SV").variables]
    assert "EPOCH" not in sv
    assert sv[4:10] == ["VISIT", "SVPRESP", "SVOCCUR", "SVREASOC", "SVCNTMOD", "SVEPCHGI"]
    assert s.dataset("SV").variable("SVCNTMOD").codelist == "CNTMODE"
    ae = s.dataset("AE")
    assert ae.variable("AESINTV").label == "Needs Intervention to Prevent Impairment"
    assert ae.variable("AEACNDEV").codelist == "DEACNDEV"
    names = [v.name for v in ae.variables]
    assert names.index("TAETORD") + 1 == names.index("EPOCH") < names.index("AESTDTC")
    assert s.dataset("DS").variable("DSSTDY").core == "Exp"
    qs = s.dataset("QS")
    assert qs.variable("QSLOBXFL").core == "Exp" and qs.variable("QSBLFL").core == "Perm"
    assert "QSEVAL" not in {v.name for v in qs.variables}
    assert s.dataset("LB").variable("LBPDUR").datatype == "durationDatetime"
    assert s.dataset("TV").variable("VISIT").core == "Req"
    assert s.dataset("DM").variable("COUNTRY").core == "Req"


def test_adamig_13_facts():
    """ADaMIG v1.3 section 3.2/3.3 and ADaM OCCDS v1.1 labels and core."""
    a = load_standard("adamig-1.3")
    adsl = a.dataset("ADSL")
    assert adsl.variable("ACTARM").core == "Perm" and adsl.variable("ARM").core == "Req"
    assert adsl.variable("EOSSTT").codelist == "SBJTSTAT" and adsl.variable("EOSSTT").core == "Perm"
    assert adsl.variable("TRTSDTF").label == "Date of First Exposure Imput. Flag"
    assert adsl.variable("TRTSDTF").codelist == "DATEFL"
    assert adsl.variable("AP01SDT").label == "Period 01 Start Date"
    assert adsl.variable("LSTALVDT").label == "Date Last Known Alive"
    flags = [v.name for v in adsl.variables if v.name.endswith("FL") and v.core == "Cond"]
    assert flags[:7] == ["FASFL", "SAFFL", "ITTFL", "PPROTFL", "COMPLFL", "RANDFL", "ENRLFL"]
    adae = a.dataset("ADAE")
    assert adae.variable("ASTDTM").label == "Analysis Start Datetime"
    assert adae.variable("AOCCIFL").label == "1st Max Sev./Int. Occurrence Flag"
    assert adae.variable("APERIOD").type == "Num" and adae.variable("APERIODC").type == "Char"
    assert a.dataset("ADTTE").variable("CNSR").type == "Num"


PILOT_ADAM_LABEL_DIFFS = {
    # the CDISC pilot (2013) predates ADaMIG 1.3 / OCCDS 1.1 wording
    ("ADSL", "DTHFL"), ("ADAE", "ADURN"), ("ADAE", "ADURU"), ("ADAE", "AOCCFL"),
    ("ADTTE", "STARTDT"), ("ADTTE", "SRCDOM"),
}


def test_adam_labels_agree_with_cdisc_pilot_adam(reference_dir):
    """Labels of variables shared with the CDISC pilot ADaM (TDF XPTs) agree, bar known diffs."""
    pyreadstat = pytest.importorskip("pyreadstat")
    v = _vars("adamig-1.3")
    checked, wrong = 0, []
    for ds in ("adsl", "adae", "adtte"):
        _, meta = pyreadstat.read_xport(
            str(reference_dir / "cdiscpilot01" / "adam_tdf" / f"{ds}.xpt"), metadataonly=True
        )
        ours = v[v["dataset"] == ds.upper()].set_index("variable")["label"]
        for name, label in meta.column_names_to_labels.items():
            if name in ours.index and (ds.upper(), name) not in PILOT_ADAM_LABEL_DIFFS:
                checked += 1
                if ours[name] != label:
                    wrong.append((ds, name, ours[name], label))
    assert checked > 60
    assert not wrong
