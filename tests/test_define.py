"""Define-XML 2.1 builder on hand-made datasets: content worked out by hand from the data and CT."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.define import build_define, check_define_consistency, render_html, validate_define

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}  # fmt: skip
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
XLINK = "{http://www.w3.org/1999/xlink}"


def study() -> SimpleNamespace:
    cfg = {
        "studyid": "ADMSC-ALS",
        "title": "AdMSC in ALS",
        "protocol": "ADMSC-ALS",
        "sponsor": "Example sponsor",
        "standards": {"sdtm": "sdtmig-3.4", "adam": "adamig-1.3", "ct": "2025-03-28"},
        "created": "2026-01-01T00:00:00",
    }
    return SimpleNamespace(studyid=cfg["studyid"], config=cfg)


def dm() -> Dataset:
    data = pd.DataFrame(
        {
            "STUDYID": ["ADMSC-ALS"] * 3,
            "DOMAIN": ["DM"] * 3,
            "USUBJID": ["ADMSC-ALS-001", "ADMSC-ALS-002", "ADMSC-ALS-003"],
            "AGE": [45.0, 67.0, 71.0],
            "SEX": ["M", "F", "M"],
            "RACE": ["WHITE", "ASIAN", "WHITE"],
        }
    )
    variables = [
        Variable("STUDYID", "Study Identifier", "Char"),
        Variable("DOMAIN", "Domain Abbreviation", "Char"),
        Variable("USUBJID", "Unique Subject Identifier", "Char"),
        Variable("AGE", "Age", "Num", origin="Collected", source="CRF page 5"),
        Variable("SEX", "Sex", "Char", origin="Collected", source="5", comment="Sex at birth."),
        Variable("RACE", "Race", "Char", origin="Collected", source="5-6"),
    ]
    return Dataset("DM", data, "Demographics", variables)


def qs() -> Dataset:
    n = 5
    data = pd.DataFrame(
        {
            "STUDYID": ["ADMSC-ALS"] * n,
            "DOMAIN": ["QS"] * n,
            "USUBJID": ["ADMSC-ALS-001"] * n,
            "QSSEQ": [1.0, 2.0, 3.0, 4.0, 5.0],
            "QSTESTCD": ["ALSF0101", "ALSF0101", "ALSF0102", "MAS0101", "MAS0101"],
            "QSTEST": ["ALSF01-Speech", "ALSF01-Speech", "ALSF01-Salivation",
                       "MAS01-Right Elbow Flexors", "MAS01-Right Elbow Flexors"],
            "QSCAT": ["ALSFRS-R", "ALSFRS-R", "ALSFRS-R", "MODIFIED ASHWORTH SCALE", "MODIFIED ASHWORTH SCALE"],
            "QSORRES": ["4", "3", "2", "1+", "0"],
            "QSSTRESC": ["4", "3", "2", "1+", "0"],
            "QSSTRESN": [4.0, 3.0, 2.0, 1.5, 0.0],
        }
    )  # fmt: skip
    variables = [Variable(c, c.title(), "Num" if c in ("QSSEQ", "QSSTRESN") else "Char") for c in data.columns]
    variables[4] = variables[4].copy(codelist="ALSF01TC", label="Question Short Name")
    return Dataset("QS", data, "Questionnaires", variables)


def adsl() -> Dataset:
    data = pd.DataFrame(
        {
            "STUDYID": ["ADMSC-ALS"] * 2,
            "USUBJID": ["ADMSC-ALS-001", "ADMSC-ALS-002"],
            "AGE": [45.0, 67.0],
            "AGEGR1": ["<65", ">=65"],
            "TRTSDT": [dt.date(2012, 3, 1), dt.date(2012, 4, 15)],
            "BMIBL": [22.31, 25.1],
        }
    )
    variables = [
        Variable("STUDYID", "Study Identifier", "Char", origin="Predecessor", source="DM.STUDYID"),
        Variable("USUBJID", "Unique Subject Identifier", "Char", origin="Predecessor", source="DM.USUBJID"),
        Variable("AGE", "Age", "Num", origin="Predecessor", source="DM.AGE"),
        Variable("AGEGR1", "Pooled Age Group 1", "Char", method="<65 when AGE < 65, else >=65."),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "Num", format="DATE9", method="Date of EXSTDTC."),
        Variable("BMIBL", "Baseline BMI (kg/m2)", "Num", origin="Derived"),
    ]
    return Dataset("ADSL", data, "Subject-Level Analysis Dataset", variables,
                   cls="SUBJECT LEVEL ANALYSIS DATASET", structure="One record per subject",
                   keys=["STUDYID", "USUBJID"])  # fmt: skip


def adfrs() -> Dataset:
    data = pd.DataFrame(
        {
            "STUDYID": ["ADMSC-ALS"] * 4,
            "USUBJID": ["ADMSC-ALS-001"] * 4,
            "PARAMCD": ["FRSTOT", "FRSTOT", "FRSSLOPE", "FRSSLOPE"],
            "PARAM": ["ALSFRS-R Total Score", "ALSFRS-R Total Score", "ALSFRS-R Slope (points/month)",
                      "ALSFRS-R Slope (points/month)"],
            "AVAL": [40.0, 38.0, -0.75, -1.125],
        }
    )  # fmt: skip
    return Dataset("ADFRS", data, "ALSFRS-R Analysis Dataset", cls="BASIC DATA STRUCTURE",
                   structure="One record per subject per parameter per analysis visit",
                   keys=["STUDYID", "USUBJID", "PARAMCD"])  # fmt: skip


def parse(xml: bytes):
    return etree.fromstring(xml)


@pytest.fixture(scope="module")
def sdtm_xml() -> bytes:
    pytest.importorskip("cdisc_als.ct")
    return build_define(study(), {"DM": dm(), "QS": qs()}, "sdtmig-3.4")


@pytest.fixture(scope="module")
def adam_xml() -> bytes:
    return build_define(study(), {"ADSL": adsl(), "ADFRS": adfrs()}, "adamig-1.3")


def one(root, xpath):
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, f"{xpath}: {len(found)} matches"
    return found[0]


def test_header_and_standards(sdtm_xml):
    root = parse(sdtm_xml)
    assert root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Snapshot"
    assert root.get("CreationDateTime") == "2026-01-01T00:00:00"
    assert root.get(DEF + "Context") == "Submission"
    assert one(root, "//odm:StudyName").text == "ADMSC-ALS"
    mdv = one(root, "//odm:MetaDataVersion")
    assert mdv.get(DEF + "DefineVersion") == "2.1.0"
    std = [(s.get("Name"), s.get("Type"), s.get("Version")) for s in root.xpath("//def:Standard", namespaces=NS)]
    assert ("SDTMIG", "IG", "3.4") in std and ("CDISC/NCI", "CT", "2025-03-28") in std
    assert sdtm_xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet')


def test_item_group_dm(sdtm_xml):
    root = parse(sdtm_xml)
    ig = one(root, "//odm:ItemGroupDef[@OID='IG.DM']")
    assert (ig.get("Domain"), ig.get("Purpose"), ig.get("Repeating")) == ("DM", "Tabulation", "No")
    keys = {r.get("ItemOID"): r.get("KeySequence") for r in ig.xpath("odm:ItemRef[@KeySequence]", namespaces=NS)}
    assert keys == {"IT.DM.STUDYID": "1", "IT.DM.USUBJID": "2"}  # SDTMIG DM keys
    assert one(ig, "def:Class").get("Name") == "SPECIAL PURPOSE"
    leaf = one(ig, "def:leaf")
    assert leaf.get("ID") == "LF.DM" and leaf.get(XLINK + "href") == "dm.xpt"
    assert ig.get(DEF + "ArchiveLocationID") == "LF.DM"
    # STUDYID is Req in SDTMIG -> Mandatory Yes
    assert one(ig, "odm:ItemRef[@ItemOID='IT.DM.STUDYID']").get("Mandatory") == "Yes"


def test_item_defs_lengths_and_origins(sdtm_xml):
    root = parse(sdtm_xml)
    age = one(root, "//odm:ItemDef[@OID='IT.DM.AGE']")
    assert (age.get("DataType"), age.get("Length")) == ("integer", "2")
    assert one(age, "def:Origin").get("Type") == "Collected"
    assert one(age, "def:Origin/def:DocumentRef").get("leafID") == "LF.acrf"
    assert one(age, "def:Origin/def:DocumentRef/def:PDFPageRef").get("PageRefs") == "5"
    race = one(root, "//odm:ItemDef[@OID='IT.DM.RACE']")
    assert race.get("Length") == "5"  # WHITE
    pr = one(race, ".//def:PDFPageRef")
    assert (pr.get("FirstPage"), pr.get("LastPage")) == ("5", "6")
    usubjid = one(root, "//odm:ItemDef[@OID='IT.DM.USUBJID']")
    assert usubjid.get("Length") == "13"
    sex = one(root, "//odm:ItemDef[@OID='IT.DM.SEX']")
    assert sex.get(DEF + "CommentOID") == "COM.DM.SEX"
    assert one(root, "//def:CommentDef[@OID='COM.DM.SEX']//odm:TranslatedText").text == "Sex at birth."
    assert {lf.get("ID") for lf in root.xpath("//odm:MetaDataVersion/def:leaf", namespaces=NS)} == {"LF.acrf", "LF.csdrg"}
    assert one(root, "//def:AnnotatedCRF/def:DocumentRef").get("leafID") == "LF.acrf"
    stresn = one(root, "//odm:ItemDef[@OID='IT.QS.QSSTRESN']")
    assert (stresn.get("DataType"), stresn.get("SignificantDigits")) == ("float", "1")  # 1.5
    assert one(root, "//odm:ItemDef[@OID='IT.QS.QSSEQ']/def:Origin").get("Type") == "Derived"


def test_cdisc_codelist_subset_with_c_codes(sdtm_xml):
    root = parse(sdtm_xml)
    assert one(root, "//odm:ItemDef[@OID='IT.DM.SEX']/odm:CodeListRef").get("CodeListOID") == "CL.SEX"
    cl = one(root, "//odm:CodeList[@OID='CL.SEX']")
    items = cl.xpath("odm:CodeListItem", namespaces=NS)
    # only the values used (F, M), not U / UNDIFFERENTIATED; NCI codes from CDISC CT
    assert {i.get("CodedValue"): one(i, "odm:Alias").get("Name") for i in items} == {"F": "C16576", "M": "C20197"}
    assert one(cl, "odm:Alias").get("Name") == "C66731"
    assert cl.get(DEF + "StandardOID") == "STD.CT.SDTM"


def test_extended_and_sponsor_codelists(sdtm_xml):
    root = parse(sdtm_xml)
    qscat = one(root, "//odm:CodeList[@OID='CL.QSCAT']")
    ext = {i.get("CodedValue"): i.get(DEF + "ExtendedValue") for i in qscat.xpath("odm:*[@CodedValue]", namespaces=NS)}
    assert ext == {"ALSFRS-R": "Yes", "MODIFIED ASHWORTH SCALE": "Yes"}
    assert not qscat.xpath("odm:*[@CodedValue]/odm:Alias", namespaces=NS)  # sponsor terms: no C-code
    assert one(qscat, "odm:Alias").get("Name") == "C100129"  # the CDISC list keeps its code
    tc = one(root, "//odm:CodeList[@OID='CL.ALSF01TC']")
    assert not tc.xpath(".//odm:Alias", namespaces=NS) and tc.get(DEF + "StandardOID") is None
    assert tc.get(DEF + "IsNonStandard") == "Yes" and qscat.get(DEF + "IsNonStandard") is None
    decodes = {i.get("CodedValue"): one(i, "odm:Decode/odm:TranslatedText").text for i in tc.xpath("odm:CodeListItem", namespaces=NS)}
    assert decodes == {"ALSF0101": "ALSF01-Speech", "ALSF0102": "ALSF01-Salivation"}  # MAS0101 is not in ALSF01TC


def test_value_level_metadata_qs(sdtm_xml):
    root = parse(sdtm_xml)
    vl = one(root, "//def:ValueListDef[@OID='VL.QS.QSORRES']")
    refs = [r.get("ItemOID") for r in vl.xpath("odm:ItemRef", namespaces=NS)]
    assert refs == ["IT.QS.QSORRES.ALSF0101", "IT.QS.QSORRES.ALSF0102", "IT.QS.QSORRES.MAS0101"]
    wc = one(root, "//def:WhereClauseDef[@OID='WC.QS.QSORRES.MAS0101']/odm:RangeCheck")
    assert (wc.get("Comparator"), wc.get(DEF + "ItemOID")) == ("EQ", "IT.QS.QSTESTCD")
    assert [c.text for c in wc.xpath("odm:CheckValue", namespaces=NS)] == ["MAS0101"]
    assert one(root, "//odm:ItemDef[@OID='IT.QS.QSORRES.MAS0101']").get("Length") == "2"  # "1+"
    assert one(root, "//odm:ItemDef[@OID='IT.QS.QSORRES']/def:ValueListRef").get("ValueListOID") == "VL.QS.QSORRES"
    by_test = {t: one(root, f"//odm:ItemDef[@OID='IT.QS.QSSTRESN.{t}']").get("DataType") for t in ("ALSF0101", "MAS0101")}
    assert by_test == {"ALSF0101": "integer", "MAS0101": "float"}
    assert {v.get("OID") for v in root.xpath("//def:ValueListDef", namespaces=NS)} == {
        "VL.QS.QSORRES", "VL.QS.QSSTRESC", "VL.QS.QSSTRESN"}  # fmt: skip


def test_adam_define(adam_xml):
    root = parse(adam_xml)
    ig = one(root, "//odm:ItemGroupDef[@OID='IG.ADSL']")
    assert ig.get("Purpose") == "Analysis" and ig.get("Domain") is None
    assert one(ig, "odm:ItemRef[@ItemOID='IT.ADSL.AGEGR1']").get("MethodOID") == "MT.ADSL.AGEGR1"
    mt = one(root, "//odm:MethodDef[@OID='MT.ADSL.AGEGR1']")
    assert one(mt, ".//odm:TranslatedText").text == "<65 when AGE < 65, else >=65."
    age = one(root, "//odm:ItemDef[@OID='IT.ADSL.AGE']/def:Origin")
    assert age.get("Type") == "Predecessor" and one(age, ".//odm:TranslatedText").text == "DM.AGE"
    trtsdt = one(root, "//odm:ItemDef[@OID='IT.ADSL.TRTSDT']")
    assert (trtsdt.get("DataType"), trtsdt.get(DEF + "DisplayFormat")) == ("integer", "DATE9.")
    assert one(trtsdt, "def:Origin").get("Type") == "Derived"
    bmi = one(root, "//odm:ItemDef[@OID='IT.ADSL.BMIBL']")
    assert (bmi.get("DataType"), bmi.get("SignificantDigits")) == ("float", "2")
    vl = one(root, "//def:ValueListDef[@OID='VL.ADFRS.AVAL']")
    assert [r.get("ItemOID") for r in vl.xpath("odm:ItemRef", namespaces=NS)] == [
        "IT.ADFRS.AVAL.FRSLOPE".replace("FRSLOPE", "FRSSLOPE"), "IT.ADFRS.AVAL.FRSTOT"]  # fmt: skip
    slope = one(root, "//odm:ItemDef[@OID='IT.ADFRS.AVAL.FRSSLOPE']")
    assert (slope.get("DataType"), slope.get("SignificantDigits")) == ("float", "3")  # -1.125
    assert one(root, "//odm:ItemDef[@OID='IT.ADFRS.AVAL.FRSTOT']").get("DataType") == "integer"
    cls = one(root, "//odm:ItemGroupDef[@OID='IG.ADFRS']/def:Class")
    assert cls.get("Name") == "BASIC DATA STRUCTURE"
    assert {lf.get("ID") for lf in root.xpath("//odm:MetaDataVersion/def:leaf", namespaces=NS)} == {"LF.adrg"}
    assert root.xpath("//def:AnnotatedCRF", namespaces=NS) == []


def test_builds_are_byte_identical_and_epoch(monkeypatch, adam_xml):
    assert build_define(study(), {"ADSL": adsl(), "ADFRS": adfrs()}, "adamig-1.3") == adam_xml
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    again = build_define(study(), {"ADSL": adsl(), "ADFRS": adfrs()}, "adamig-1.3")
    assert parse(again).get("CreationDateTime") == "1970-01-02T00:00:00"


def test_stylesheet_renders_html(sdtm_xml, tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(sdtm_xml)
    html = render_html(path)
    assert html.lstrip().lower().startswith("<!doctype html")
    for text in ("Demographics", "ALSF0101", "sponsor extension", "Sex at birth.", "C20197",
                 "QSTESTCD EQ MAS0101", "Annotated CRF"):
        assert text in html, text
    assert "<script" not in html


def test_consistency(sdtm_xml, tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(sdtm_xml)
    assert check_define_consistency(path, {"DM": dm(), "QS": qs()}) == []
    changed = dm()
    changed.data = changed.data.drop(columns=["RACE"]).assign(EXTRA=["x"] * 3, SEX=["M", "F", "MALE"])
    changed.variables = [v for v in changed.variables if v.name != "RACE"] + [Variable("EXTRA")]
    findings = {(f.dataset, f.variable, f.severity): f.message for f in check_define_consistency(path, {"DM": changed, "AE": dm()})}
    assert ("DM", "RACE", "error") in findings and ("DM", "EXTRA", "error") in findings
    assert findings[("DM", "SEX", "error")] == "define Length 1 but the longest value is 4"
    assert ("AE", None, "error") in findings and ("QS", None, "error") in findings


def test_no_schema_is_said_plainly(monkeypatch, tmp_path):
    monkeypatch.delenv("CDISC_REFERENCE_DIR", raising=False)
    path = tmp_path / "define.xml"
    path.write_bytes(build_define(study(), {"ADSL": adsl()}, "adamig-1.3"))
    res = validate_define(path)
    assert res.valid is None and not res.available
    assert "no Define-XML 2.1 schema available" in res.message


def test_generated_defines_are_schema_valid(reference_dir, sdtm_xml, adam_xml, tmp_path):
    schema_dir = reference_dir / "schemas" / "define-2.1"
    for name, xml in (("sdtm.xml", sdtm_xml), ("adam.xml", adam_xml)):
        path = tmp_path / name
        path.write_bytes(xml)
        res = validate_define(path, schema_dir)
        assert res.valid, res.errors


def test_schema_catches_a_broken_document(reference_dir, adam_xml, tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(adam_xml.replace(b'Purpose="Analysis"', b'Purpose="Analysis" Bogus="1"', 1))
    res = validate_define(path, reference_dir / "schemas" / "define-2.1")
    assert res.valid is False and any("Bogus" in e for e in res.errors)


def test_msg_sample_define_has_exactly_the_stdtmig_error(reference_dir):
    res = validate_define(reference_dir / "sdtm-msg-v2" / "sdtm" / "define.xml")
    assert res.valid is False
    assert len(res.errors) == 1 and "STDTMIG" in res.errors[0]


def test_missing_values_do_not_break_lengths():
    d = Dataset("XX", pd.DataFrame({"A": [None, None], "B": [np.nan, np.nan]}),
                variables=[Variable("A", "A", "Char"), Variable("B", "B", "Num")])  # fmt: skip
    root = parse(build_define(study(), {"XX": d}, "sdtmig-3.4"))
    assert one(root, "//odm:ItemDef[@OID='IT.XX.A']").get("Length") == "1"
    ig = one(root, "//odm:ItemGroupDef[@OID='IG.XX']")
    assert ig.get(DEF + "IsNonStandard") == "Yes"
    ref = one(ig, "odm:ItemRef[@ItemOID='IT.XX.A']")
    assert (ref.get(DEF + "HasNoData"), ref.get("Mandatory")) == ("Yes", "No")


def test_external_dictionary_from_study_yaml():
    st = study()
    st.config["define"] = {"dictionaries": {"MEDDRA": {"dictionary": "MedDRA", "version": "27.1"}}}
    ae = Dataset("AE", pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["AE"], "USUBJID": ["S-1"],
                                     "AESEQ": [1.0], "AETERM": ["HEADACHE"], "AEDECOD": ["Headache"]}))  # fmt: skip
    root = parse(build_define(st, {"AE": ae}, "sdtmig-3.4"))
    assert one(root, "//odm:ItemDef[@OID='IT.AE.AEDECOD']/odm:CodeListRef").get("CodeListOID") == "CL.MEDDRA"
    ext = one(root, "//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList")
    assert (ext.get("Dictionary"), ext.get("Version")) == ("MedDRA", "27.1")
    assert not root.xpath("//odm:ItemDef[@OID='IT.AE.AETERM']/odm:CodeListRef", namespaces=NS)


def test_cli_define_with_metadata_merge(tmp_path):
    import pyreadstat
    from typer.testing import CliRunner

    from cdisc_als.cli import app
    from cdisc_als.define import read_datasets
    from cdisc_als.define.build import merge_metadata

    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "study.yaml").write_text(
        "studyid: ADMSC-ALS\ntitle: T\nstandards: {sdtm: sdtmig-3.4, ct: '2025-03-28'}\n"
        "created: '2026-01-01T00:00:00'\n"
    )
    data = tmp_path / "sdtm"
    data.mkdir()
    frame = dm().data
    pyreadstat.write_xport(frame, str(data / "dm.xpt"), table_name="DM", file_format_version=5,
                           column_labels=[v.label for v in dm().variables])  # fmt: skip
    out = tmp_path / "out" / "define.xml"
    res = CliRunner().invoke(app, ["define", "--study", str(tmp_path / "st"), "--data", str(data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file() and (out.parent / "define2-1.xsl").is_file()
    root = etree.parse(str(out)).getroot()
    assert one(root, "//odm:ItemDef[@OID='IT.DM.USUBJID']").get("Length") == "13"
    # the file knows no origins; merged in-memory metadata brings them back
    assert not root.xpath("//odm:ItemDef[@OID='IT.DM.AGE']/def:Origin", namespaces=NS)
    merged = merge_metadata(read_datasets(data), {"DM": dm()})
    assert merged["DM"].var("AGE").origin == "Collected" and merged["DM"].var("AGE").source == "CRF page 5"
    res = CliRunner().invoke(app, ["define", "--study", str(tmp_path / "st"), "--data", str(tmp_path / "nope"), "--out", str(out)])
    assert res.exit_code == 2


@pytest.mark.parametrize(
    ("name", "cls", "expected"),
    [
        ("ADTTE", "BASIC DATA STRUCTURE", ("BASIC DATA STRUCTURE", "TIME-TO-EVENT")),
        ("ADEFF", "TTE", ("BASIC DATA STRUCTURE", "TIME-TO-EVENT")),
        ("ADAE", "OCCDS", ("OCCURRENCE DATA STRUCTURE", "ADVERSE EVENT")),
        ("ADCM", "OCCURRENCE DATA STRUCTURE", ("OCCURRENCE DATA STRUCTURE", None)),
        ("ADLB", "BDS", ("BASIC DATA STRUCTURE", None)),
    ],
)
def test_adam_classes(name, cls, expected):
    d = Dataset(name, pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"]}), cls=cls)
    root = parse(build_define(study(), {name: d}, "adamig-1.3"))
    got = one(root, f"//odm:ItemGroupDef[@OID='IG.{name}']/def:Class")
    sub = got.xpath("def:SubClass/@Name", namespaces=NS)
    assert (got.get("Name"), sub[0] if sub else None) == expected


def test_adam_class_inferred_from_the_data():
    frames = {
        "ADFRS": {"USUBJID": ["S-1"], "PARAMCD": ["FRSTOT"], "AVAL": [40.0]},
        "ADEVT": {"USUBJID": ["S-1"], "PARAMCD": ["TTDEATH"], "AVAL": [400.0], "CNSR": [1.0]},
        "ADCM": {"USUBJID": ["S-1"], "CMDECOD": ["RILUZOLE"]},
        "ADXY": {"USUBJID": ["S-1"], "X": ["1"]},
    }
    root = parse(build_define(study(), {n: Dataset(n, pd.DataFrame(f)) for n, f in frames.items()}, "adamig-1.3"))
    got = {n: (one(root, f"//odm:ItemGroupDef[@OID='IG.{n}']/def:Class/@Name"),
               root.xpath(f"//odm:ItemGroupDef[@OID='IG.{n}']/def:Class/def:SubClass/@Name", namespaces=NS))
           for n in frames}  # fmt: skip
    assert got == {
        "ADFRS": ("BASIC DATA STRUCTURE", []),
        "ADEVT": ("BASIC DATA STRUCTURE", ["TIME-TO-EVENT"]),
        "ADCM": ("OCCURRENCE DATA STRUCTURE", []),
        "ADXY": ("ADAM OTHER", []),
    }


def test_consistency_with_a_folder_checks_the_leaf_files(tmp_path):
    import pyreadstat

    from cdisc_als.define import write_define_for_folder

    data = tmp_path / "sdtm"
    data.mkdir()
    pyreadstat.write_xport(dm().data, str(data / "dm.xpt"), table_name="DM", file_format_version=5)
    out = write_define_for_folder(study(), data, tmp_path / "define.xml")
    assert [f for f in check_define_consistency(out, data) if f.severity == "error"] == []
    (data / "dm.xpt").rename(data / "demog.xpt")
    msgs = {str(f) for f in check_define_consistency(out, data)}
    assert f"error: DM: def:leaf dm.xpt is not in {data}" in msgs
    assert "error: DEMOG: dataset in the data but not described in define.xml" in msgs


@pytest.mark.parametrize(
    ("origin", "source", "expected"),
    [
        ("Protocol", None, ("Protocol", "Sponsor")),
        ("assigned", None, ("Assigned", "Sponsor")),
        ("Derived", None, ("Derived", "Sponsor")),
        ("Collected", None, ("Collected", "Investigator")),
        ("Not Available", None, ("Not Available", None)),
        ("Predecessor", "EC.ECDOSE", ("Predecessor", None)),
    ],
)
def test_origin_types(origin, source, expected):
    d = Dataset("EX", pd.DataFrame({"EXDOSE": [1.0]}),
                variables=[Variable("EXDOSE", "Dose", "Num", origin=origin, source=source)])  # fmt: skip
    el = one(parse(build_define(study(), {"EX": d}, "sdtmig-3.4")), "//odm:ItemDef[@OID='IT.EX.EXDOSE']/def:Origin")
    assert (el.get("Type"), el.get("Source")) == expected
    assert el.xpath("odm:Description/odm:TranslatedText/text()", namespaces=NS) == ([source] if source else [])
