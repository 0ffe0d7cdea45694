"""The SDTM define.xml of the example study shows where every variable came from.

Built from the AdMSC-ALS specs over the hand-made tiny raw set (tests/data/admsc_tiny_raw): the
origins, aCRF pages (study.yaml ``define.acrf.pages``), methods and value-level codelists
expected below are read off the specs by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from lxml import etree

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.define import build_define, validate_define
from cdisc_als.errors import ConversionLog
from cdisc_als.sdtm import map_study
from cdisc_als.study import load_study

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
DEF = "{http://www.cdisc.org/ns/def/v2.1}"


@pytest.fixture(scope="module")
def built(repo_root):
    study = load_study(repo_root / "mappings" / "admsc-als")
    datasets = map_study(study, repo_root / "tests" / "data" / "admsc_tiny_raw", ConversionLog())
    return study, datasets, build_define(study, datasets, "sdtmig-3.4")


@pytest.fixture(scope="module")
def root(built):
    return etree.fromstring(built[2])


def one(node, xpath: str):
    found = node.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def origin(root, oid: str):
    return one(root, f"//odm:ItemDef[@OID='{oid}']/def:Origin")


def pages(root, oid: str) -> str | None:
    ref = root.xpath(f"//odm:ItemDef[@OID='{oid}']/def:Origin/def:DocumentRef/def:PDFPageRef", namespaces=NS)
    return ref[0].get("PageRefs") if ref else None


def test_every_item_def_has_an_origin(root, built):
    items = root.xpath("//odm:ItemDef", namespaces=NS)
    missing = [i.get("OID") for i in items if not i.xpath("def:Origin", namespaces=NS)]
    assert missing == []
    # every variable of every dataset is described
    n_vars = sum(len([v for v in ds.variables if v.name in ds.data.columns]) for ds in built[1].values())
    assert len([i for i in items if i.get("OID").count(".") == 2]) == n_vars


def test_collected_with_crf_pages(root):
    o = origin(root, "IT.AE.AETERM")
    assert (o.get("Type"), o.get("Source")) == ("Collected", "Investigator")
    assert one(o, "def:DocumentRef").get("leafID") == "LF.acrf"
    assert pages(root, "IT.AE.AETERM") == "20 21"
    assert pages(root, "IT.DM.AGE") == "3"
    assert one(root, "//def:leaf[@ID='LF.acrf']").get("{http://www.w3.org/1999/xlink}href") == "acrf.pdf"


def test_assigned_derived_protocol(root):
    assert origin(root, "IT.AE.STUDYID").get("Type") == "Assigned"
    assert origin(root, "IT.QS.QSDY").get("Type") == "Derived"
    ts = root.xpath("//odm:ItemDef[starts-with(@OID, 'IT.TS.')]/def:Origin/@Type", namespaces=NS)
    assert ts and set(ts) == {"Protocol"}
    ref = one(root, "//odm:ItemGroupDef[@OID='IG.AE']/odm:ItemRef[@ItemOID='IT.AE.AESEQ']")
    assert ref.get("MethodOID") == "MT.AE.AESEQ"
    text = one(root, "//odm:MethodDef[@OID='MT.AE.AESEQ']/odm:Description/odm:TranslatedText").text
    assert "USUBJID" in text and "AESTDTC, AESPID" in text
    # every Derived variable-level item has a method
    derived = root.xpath("//odm:ItemDef[def:Origin/@Type='Derived']/@OID", namespaces=NS)
    with_method = set(root.xpath("//odm:ItemGroupDef/odm:ItemRef[@MethodOID]/@ItemOID", namespaces=NS))
    assert [d for d in derived if d.count(".") == 2 and d not in with_method] == []


def _value_items(root, vl: str) -> dict[str, str]:
    """{CheckValue: value-level ItemOID} of a ValueListDef."""
    out = {}
    for ref in root.xpath(f"//def:ValueListDef[@OID='{vl}']/odm:ItemRef", namespaces=NS):
        wc = one(ref, "def:WhereClauseRef").get("WhereClauseOID")
        value = one(root, f"//def:WhereClauseDef[@OID='{wc}']/odm:RangeCheck/odm:CheckValue").text
        out[value] = ref.get("ItemOID")
    return out


def codelist_of(root, item_oid: str) -> str:
    return one(root, f"//odm:ItemDef[@OID='{item_oid}']/odm:CodeListRef").get("CodeListOID")


def test_qs_test_codes_by_category(root):
    for var, lists in (("QSTESTCD", ("CL.ALSF01TC", "CL.MAS01TC")), ("QSTEST", ("CL.ALSF01TN", "CL.MAS01TN"))):
        items = _value_items(root, f"VL.QS.{var}")
        assert set(items) == {"ALSFRS-R", "MODIFIED ASHWORTH SCALE"}
        assert (codelist_of(root, items["ALSFRS-R"]), codelist_of(root, items["MODIFIED ASHWORTH SCALE"])) == lists
        wc = one(root, f"//def:WhereClauseDef[@OID='WC.QS.{var}.MODIFIED_ASHWORTH_SCALE']/odm:RangeCheck")
        assert wc.get(DEF + "ItemOID") == "IT.QS.QSCAT"
    mas = root.xpath("//odm:CodeList[@OID='CL.MAS01TC']/odm:*/@CodedValue", namespaces=NS)
    alsf = root.xpath("//odm:CodeList[@OID='CL.ALSF01TC']/odm:*/@CodedValue", namespaces=NS)
    assert mas and all(v.startswith("MAS01") for v in mas)
    assert alsf and all(v.startswith("ALSF") for v in alsf)
    # decodes are the QSTEST values of the same records (docs/conventions.md)
    decode = one(root, "//odm:CodeList[@OID='CL.MAS01TC']/odm:CodeListItem[@CodedValue='MAS0101']"
                       "/odm:Decode/odm:TranslatedText").text
    assert decode == "MAS01-Right Elbow Flexors"


def test_qs_results_by_test_code(root):
    for var in ("QSORRES", "QSSTRESC", "QSSTRESN"):
        items = _value_items(root, f"VL.QS.{var}")
        assert {"ALSF0101", "MAS0101"} <= set(items), var
    orres = _value_items(root, "VL.QS.QSORRES")
    for code, oid in orres.items():
        expected = ("CL.MAS01OR", "12") if code.startswith("MAS") else ("CL.ALSF01OR", "10 11")
        assert (codelist_of(root, oid), pages(root, oid)) == expected, code
    grades = set(root.xpath("//odm:CodeList[@OID='CL.MAS01OR']/odm:*/@CodedValue", namespaces=NS))
    assert grades and grades <= {"0", "1", "1+", "2", "3", "4"}
    # the Ashworth standardization (1+ -> 1.5) is a derivation with its own method
    stresc = _value_items(root, "VL.QS.QSSTRESC")
    ref = one(root, f"//def:ValueListDef[@OID='VL.QS.QSSTRESC']/odm:ItemRef[@ItemOID='{stresc['MAS0101']}']")
    text = one(root, f"//odm:MethodDef[@OID='{ref.get('MethodOID')}']/odm:Description/odm:TranslatedText").text
    assert "1.5" in text
    assert origin(root, stresc["MAS0101"]).get("Type") == "Derived"
    assert origin(root, stresc["ALSF0101"]).get("Type") == "Collected"


def test_supp_qval_by_qnam(root):
    items = _value_items(root, "VL.SUPPAE.QVAL")
    oid = items["AERELPRC"]
    assert origin(root, oid).get("Type") == "Collected" and pages(root, oid) == "20 21"
    label = one(root, f"//odm:ItemDef[@OID='{oid}']/odm:Description/odm:TranslatedText").text
    assert label == "Relationship to Liposuction Procedure"


def test_supp_value_origins_from_qorig_without_engine_metadata():
    """Read back from files (no engine metadata), QORIG still gives each QNAM its origin."""
    data = pd.DataFrame({
        "STUDYID": ["S"] * 3, "RDOMAIN": ["AE"] * 3, "USUBJID": ["S-1", "S-1", "S-2"],
        "IDVAR": ["AESEQ"] * 3, "IDVARVAL": ["1", "1", "1"], "QNAM": ["AETRTEM", "AEX", "AETRTEM"],
        "QLABEL": ["Treatment Emergent Flag", "Other", "Treatment Emergent Flag"], "QVAL": ["Y", "A", "N"],
        "QORIG": ["DERIVED", "CRF", "DERIVED"], "QEVAL": [None, "INVESTIGATOR", None],
    })  # fmt: skip
    supp = Dataset("SUPPAE", data, "Supplemental Qualifiers for AE", [Variable(c, c, "Char") for c in data.columns])
    study = SimpleNamespace(studyid="S", config={"studyid": "S", "created": "2026-01-01T00:00:00"})
    root = etree.fromstring(build_define(study, {"SUPPAE": supp}, "sdtmig-3.4"))
    assert origin(root, "IT.SUPPAE.QVAL.AETRTEM").get("Type") == "Derived"
    assert origin(root, "IT.SUPPAE.QVAL.AEX").get("Type") == "Collected"


def test_schema_valid(reference_dir, built, tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(built[2])
    res = validate_define(path, reference_dir / "schemas" / "define-2.1")
    assert res.valid is True, res.errors[:5]


@pytest.mark.slow
def test_generated_example_study(reference_dir, repo_root, tmp_path):
    """The example study on generated raw data (12 subjects): same guarantees, schema-valid."""
    from cdisc_als.synth import generate_raw

    study = load_study(repo_root / "mappings" / "admsc-als")
    generate_raw(study, tmp_path / "raw", subjects=12, seed=7)
    datasets = map_study(study, tmp_path / "raw", ConversionLog())
    path = tmp_path / "define.xml"
    path.write_bytes(build_define(study, datasets, "sdtmig-3.4"))
    assert validate_define(path, reference_dir / "schemas" / "define-2.1").valid is True
    root = etree.parse(str(path)).getroot()
    assert [i.get("OID") for i in root.xpath("//odm:ItemDef[not(def:Origin)]", namespaces=NS)] == []
    assert {"VL.QS.QSTESTCD", "VL.QS.QSTEST", "VL.QS.QSORRES", "VL.QS.QSSTRESC", "VL.QS.QSSTRESN"} <= set(
        root.xpath("//def:ValueListDef/@OID", namespaces=NS)
    )


def test_stylesheet_shows_value_level_pages_and_lists(built):
    from cdisc_als.define import render_html

    html = render_html(built[2])
    start = html.index('id="VL.QS.QSORRES"')
    section = html[start:html.index("</table>", start)]
    assert "Annotated CRF p. 12" in section and "Annotated CRF p. 10 11" in section
    assert 'href="#CL.MAS01OR"' in section and 'href="#CL.ALSF01OR"' in section
