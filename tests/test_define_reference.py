"""Define-XML from public reference data (SDTM-MSG v2.0 sample SDTM, CDISC pilot ADaM).

Expected values come from the data files themselves (read independently with pyreadstat) and
from CDISC's own sample define.xml (NCI codes of the same terms).
"""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pyreadstat
import pytest
from lxml import etree

from cdisc_als.compare.loading import load_dataset
from cdisc_als.define import (
    build_define,
    check_define_consistency,
    render_html,
    validate_define,
    write_define_for_folder,
)

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
SDTM = ("dm", "ae", "qsph", "ts", "suppdm")


def study():
    cfg = {"studyid": "CDISCPILOT01", "title": "CDISC pilot", "created": "2026-01-01T00:00:00",
           "standards": {"sdtm": "sdtmig-3.4", "adam": "adamig-1.3", "ct": "2025-03-28"}}  # fmt: skip
    return SimpleNamespace(studyid="CDISCPILOT01", config=cfg)


def _load(path):
    ds = load_dataset(path)
    ds.name = path.stem.upper()
    return ds


@pytest.fixture(scope="module")
def msg(reference_dir, tmp_path_factory):
    pytest.importorskip("cdisc_als.ct")
    folder = reference_dir / "sdtm-msg-v2" / "sdtm"
    datasets = {n.upper(): _load(folder / f"{n}.xpt") for n in SDTM}
    datasets["QSPH"].domain = "QS"
    out = tmp_path_factory.mktemp("msg") / "define.xml"
    out.write_bytes(build_define(study(), datasets, "sdtmig-3.4"))
    return folder, datasets, out


def test_msg_sdtm_define_valid_and_consistent(msg, reference_dir):
    folder, datasets, out = msg
    res = validate_define(out, reference_dir / "schemas" / "define-2.1")
    assert res.valid, res.errors
    errors = [f for f in check_define_consistency(out, datasets) if f.severity == "error"]
    assert errors == []


def test_msg_value_lists_and_codelists(msg):
    folder, _, out = msg
    root = etree.parse(str(out)).getroot()
    qs, _ = pyreadstat.read_xport(str(folder / "qsph.xpt"))
    tests = sorted(qs["QSTESTCD"].unique())
    refs = root.xpath("//def:ValueListDef[@OID='VL.QSPH.QSORRES']/odm:ItemRef/@ItemOID", namespaces=NS)
    assert refs == [f"IT.QSPH.QSORRES.{t}" for t in tests]
    dm, _ = pyreadstat.read_xport(str(folder / "dm.xpt"))
    sex = root.xpath("//odm:CodeList[@OID='CL.SEX']/odm:CodeListItem/@CodedValue", namespaces=NS)
    assert sorted(sex) == sorted(dm["SEX"].unique())
    # the NCI codes agree with CDISC's own sample define.xml for the same terms
    sample = etree.parse(str(folder / "define.xml")).getroot()
    for cl in ("SEX", "RACE"):
        ours = {i.get("CodedValue"): i.find("odm:Alias", NS).get("Name")
                for i in root.xpath(f"//odm:CodeList[@OID='CL.{cl}']/odm:CodeListItem", namespaces=NS)}  # fmt: skip
        theirs = {i.get("CodedValue"): i.find("odm:Alias", NS).get("Name")
                  for i in sample.xpath(f"//odm:CodeList[starts-with(@OID, 'CL.{cl}')]/odm:*[odm:Alias]", namespaces=NS)}  # fmt: skip
        common = set(ours) & set(theirs)
        assert common and all(ours[v] == theirs[v] for v in common)
    # a split dataset names its domain and the domain's description, as in CDISC's sample
    qsph = root.xpath("//odm:ItemGroupDef[@OID='IG.QSPH']", namespaces=NS)[0]
    assert qsph.get("Domain") == sample.xpath("//odm:ItemGroupDef[@OID='IG.QSPH']/@Domain", namespaces=NS)[0]
    assert qsph.xpath("odm:Alias[@Context='DomainDescription']/@Name", namespaces=NS) == ["Questionnaires"]
    suppdm = root.xpath("//odm:ItemGroupDef[@OID='IG.SUPPDM']", namespaces=NS)[0]
    assert suppdm.get("Domain") == sample.xpath("//odm:ItemGroupDef[@OID='IG.SUPPDM']/@Domain", namespaces=NS)[0]
    assert suppdm.xpath("odm:Alias/@Name", namespaces=NS) == ["Demographics"]
    supp, _ = pyreadstat.read_xport(str(folder / "suppdm.xpt"))
    qval = root.xpath("//def:ValueListDef[@OID='VL.SUPPDM.QVAL']/odm:ItemRef/@ItemOID", namespaces=NS)
    assert qval == [f"IT.SUPPDM.QVAL.{q}" for q in sorted(supp["QNAM"].unique())]
    # text length is the longest value in the data
    ae, _ = pyreadstat.read_xport(str(folder / "ae.xpt"))
    aeterm = root.xpath("//odm:ItemDef[@OID='IT.AE.AETERM']/@Length", namespaces=NS)
    assert aeterm == [str(int(ae["AETERM"].str.len().max()))]


def test_pilot_adam_define(reference_dir, tmp_path):
    folder = reference_dir / "cdiscpilot01" / "adam"
    adsl, adtte = _load(folder / "adsl.xpt"), _load(folder / "adtte.xpt")
    adsl.cls, adsl.keys = "SUBJECT LEVEL ANALYSIS DATASET", ["STUDYID", "USUBJID"]
    adtte.cls, adtte.keys = "BASIC DATA STRUCTURE", ["STUDYID", "USUBJID", "PARAMCD"]
    out = tmp_path / "define.xml"
    out.write_bytes(build_define(study(), {"ADSL": adsl, "ADTTE": adtte}, "adamig-1.3"))
    res = validate_define(out, reference_dir / "schemas" / "define-2.1")
    assert res.valid, res.errors
    root = etree.parse(str(out)).getroot()
    raw, meta = pyreadstat.read_xport(str(folder / "adtte.xpt"))
    refs = root.xpath("//def:ValueListDef[@OID='VL.ADTTE.AVAL']/odm:ItemRef/@ItemOID", namespaces=NS)
    assert refs == [f"IT.ADTTE.AVAL.{p}" for p in sorted(raw["PARAMCD"].unique())]
    adt = root.xpath("//odm:ItemDef[@OID='IT.ADTTE.ADT']", namespaces=NS)[0]
    assert meta.original_variable_types["ADT"] == "DATE9"
    assert (adt.get("DataType"), adt.get(DEF + "DisplayFormat")) == ("integer", "DATE9.")
    sub = root.xpath("//odm:ItemGroupDef[@OID='IG.ADTTE']/def:Class/def:SubClass/@Name", namespaces=NS)
    assert sub == ["TIME-TO-EVENT"]
    assert [f for f in check_define_consistency(out, {"ADSL": adsl, "ADTTE": adtte}) if f.severity == "error"] == []


def test_write_define_for_folder(reference_dir, tmp_path):
    pytest.importorskip("cdisc_als.ct")
    data = tmp_path / "sdtm"
    data.mkdir()
    for n in ("dm", "ts"):
        shutil.copyfile(reference_dir / "sdtm-msg-v2" / "sdtm" / f"{n}.xpt", data / f"{n}.xpt")
    out = write_define_for_folder(study(), data, tmp_path / "pkg" / "define.xml")
    assert out.is_file() and (out.parent / "define2-1.xsl").is_file()
    assert validate_define(out, reference_dir / "schemas" / "define-2.1").valid
    assert [f for f in check_define_consistency(out, data) if f.severity == "error"] == []
    html = render_html(out, out.parent / "define2-1.xsl")
    assert "Trial Summary" in html and "Demographics" in html
