"""Origins, sources, methods and value-level codelists of SDTM variables (Define-XML input).

Expected origins are decided by hand from the specs: a value read from a raw form is Collected on
that form's aCRF pages (study.yaml ``define.acrf.pages``), a constant is Assigned, --SEQ/--DY/
expressions are Derived, trial-design datasets come from the Protocol; spec overrides win.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.registry import REGISTRY
from cdisc_als.sdtm import load_spec, map_study
from cdisc_als.sdtm.origins import OP_ORIGIN
from cdisc_als.study import load_study
from sdtm_fixtures import StubTerminology, mini_standard, write_study

DM_RAW = pd.DataFrame({
    "SITEID": ["01", "01"], "SUBJID": ["001", "002"], "SEX": ["Female", "Male"], "AGE": ["54", "61"],
    "FIRSTDOSE": ["12 MAR 2013", "14 MAR 2013"], "OTHRACE": ["Basque", None],
})  # fmt: skip
AE_RAW = pd.DataFrame({
    "SITEID": ["01", "01", "01"], "SUBJID": ["001", "001", "002"], "AETERM": ["Headache", "Nausea", "Rash"],
    "SEV": ["Mild", "Severe", "Mild"], "SER": ["No", "Yes", "No"],
    "STDAT": ["14 MAR 2013", "11 MAR 2013", "20 MAR 2013"], "REL": ["Y", "N", "Y"],
})  # fmt: skip
DM_SPEC = """
domain: DM
from: dm
variables:
  STUDYID: {constant: $study.studyid}
  DOMAIN: {constant: DM}
  USUBJID: {usubjid: [SITEID, SUBJID]}
  SUBJID: {copy: SUBJID}
  SITEID: {copy: SITEID}
  RFSTDTC: {iso8601: {date: FIRSTDOSE, format: DD MON YYYY}}
  RFXSTDTC: {copy: RFSTDTC}
  AGE: {numeric: AGE}
  SEX: {ct: {from: SEX, codelist: SEX}}
supp:
  idvar: null
  qorig: CRF
  qeval: INVESTIGATOR
  variables:
    RACEOTH: {label: "Race, Other", value: OTHRACE}
    AGEGRP: {label: Age Group, value: {expr: "if_else(AGE >= 60, '>=60', '<60')"}}
"""
AE_SPEC = """
domain: AE
from: ae
require_subject_in: DM
variables:
  STUDYID: {constant: $study.studyid}
  DOMAIN: {constant: AE}
  USUBJID: {usubjid: [SITEID, SUBJID]}
  AETERM: {copy: AETERM}
  AEDECOD: {expr: "upper(AETERM)"}
  AESEV: {ct: {from: SEV, codelist: AESEV}}
  AESER: {ct: {from: SER, codelist: NY}}
  AESTDTC: {iso8601: {date: STDAT, format: DD MON YYYY}}
  AESTDY: {study_day: AESTDTC}
  AESEQ: {seq: [USUBJID, AESTDTC, AETERM]}
supp:
  idvar: AESEQ
  variables:
    AERELX: {label: Related to Procedure, value: REL}
    AETRTEM: {label: Treatment Emergent Flag, value: {expr: "if_else(AESTDY > 0, 'Y', None)"}, origin: Derived}
"""
ACRF = {"define": {"acrf": {"file": "acrf.pdf", "pages": {"dm": 3, "ae": [20, 21]}}}}


def _run(tmp_path, specs: dict[str, str], config: dict | None = None):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    DM_RAW.to_csv(raw / "dm.csv", index=False)
    AE_RAW.to_csv(raw / "ae.csv", index=False)
    study = write_study(tmp_path, specs, config)
    return map_study(study, raw, ConversionLog(), standard=mini_standard(tmp_path), ct=StubTerminology())


@pytest.fixture()
def mini(tmp_path):
    return _run(tmp_path, {"dm": DM_SPEC, "ae": AE_SPEC}, ACRF)


def test_default_origins_from_the_operations(mini):
    dm, ae = mini["DM"], mini["AE"]
    assert (dm.var("STUDYID").origin, dm.var("DOMAIN").origin) == ("Assigned", "Assigned")
    assert dm.var("USUBJID").origin == "Derived"
    # read from the demographics form (dm.csv -> page 3 of the aCRF)
    for name in ("SUBJID", "SITEID", "AGE", "SEX", "RFSTDTC"):
        assert (dm.var(name).origin, dm.var(name).source) == ("Collected", "CRF page 3"), name
    # a copy of a collected target stays collected
    assert dm.var("RFXSTDTC").origin == "Collected"
    assert ae.var("AETERM").origin == "Collected" and ae.var("AETERM").source == "CRF page 20 21"
    assert ae.var("AETERM").method is None
    seq = ae.var("AESEQ")
    assert seq.origin == "Derived" and "within USUBJID" in seq.method and "AESTDTC, AETERM" in seq.method
    dy = ae.var("AESTDY")
    assert dy.origin == "Derived" and "AESTDTC" in dy.method and "DM.RFSTDTC" in dy.method and "no day 0" in dy.method
    assert ae.var("AEDECOD").origin == "Derived" and "upper(AETERM)" in ae.var("AEDECOD").method
    # the codelist the ct operation used
    assert (ae.var("AESEV").codelist, ae.var("AESER").codelist, dm.var("SEX").codelist) == ("AESEV", "NY", "SEX")


def test_supp_qorig_qeval_and_value_level(mini):
    supp = mini["SUPPDM"].data.set_index("QNAM")
    # a raw column split out: collected -> the supp's qorig/qeval; a derivation -> Derived, no evaluator
    assert (supp.loc["RACEOTH", "QORIG"], supp.loc["RACEOTH", "QEVAL"]) == ("CRF", "INVESTIGATOR")
    assert supp.loc["AGEGRP", "QORIG"].tolist() == ["Derived", "Derived"]
    assert supp.loc["AGEGRP", "QEVAL"].isna().all()
    qval = mini["SUPPDM"].var("QVAL")
    values = qval.value_level["values"]
    assert qval.value_level["by"] == "QNAM"
    assert (values["RACEOTH"]["origin"], values["RACEOTH"]["source"]) == ("Collected", "CRF page 3")
    assert values["AGEGRP"]["origin"] == "Derived" and "AGE >= 60" in values["AGEGRP"]["method"]
    ae = mini["SUPPAE"]
    got = ae.data.groupby("QNAM")["QORIG"].first().to_dict()
    assert got == {"AERELX": "CRF", "AETRTEM": "Derived"}  # explicit origin text kept as written
    assert ae.var("USUBJID").origin == "Predecessor" and ae.var("USUBJID").source == "AE.USUBJID"
    assert ae.var("IDVARVAL").source == "AE.AESEQ"


def test_spec_overrides(tmp_path):
    spec = DM_SPEC.replace(
        "AGE: {numeric: AGE}", 'AGE: {numeric: AGE, origin: Derived, method: "Age in years at informed consent"}'
    ).replace("SUBJID: {copy: SUBJID}", "SUBJID: {copy: SUBJID, crf: [12, 13]}").replace(
        "SITEID: {copy: SITEID}", "SITEID: {copy: SITEID, origin: Predecessor, source: XX.SITEID}"
    ).replace("STUDYID: {constant: $study.studyid}", "STUDYID: {constant: $study.studyid, origin: protocol}")
    dm = _run(tmp_path, {"dm": spec}, ACRF)["DM"]
    assert (dm.var("AGE").origin, dm.var("AGE").method) == ("Derived", "Age in years at informed consent")
    assert (dm.var("SUBJID").origin, dm.var("SUBJID").source) == ("Collected", "CRF page 12 13")
    assert (dm.var("SITEID").origin, dm.var("SITEID").source) == ("Predecessor", "XX.SITEID")
    assert dm.var("STUDYID").origin == "Protocol"  # case-insensitive
    assert dm.var("SEX").source == "CRF page 3"  # untouched variables keep their default


def test_without_page_map_collected_has_no_page(tmp_path):
    dm = _run(tmp_path, {"dm": DM_SPEC})["DM"]
    assert (dm.var("AGE").origin, dm.var("AGE").source) == ("Collected", None)


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ("{numeric: AGE, origin: Guessed}", "variables.AGE.origin", "unknown origin 'Guessed'"),
        ("{numeric: AGE, origin: Predecessor}", "variables.AGE.source", "needs source"),
        ("{numeric: AGE, origin: Derived, crf: 3}", "variables.AGE.crf", "Collected"),
        ("{numeric: AGE, crf: [0]}", "variables.AGE.crf", "crf"),
    ],
)
def test_bad_override_is_a_spec_error(tmp_path, entry, key, words):
    path = tmp_path / "dm.yaml"
    path.write_text(DM_SPEC.replace("AGE: {numeric: AGE}", f"AGE: {entry}"))
    with pytest.raises(SpecError) as err:
        load_spec(path, mini_standard(tmp_path))
    text = str(err.value)
    assert "dm.yaml" in text and key in text and words in text


def test_every_operation_has_an_origin():
    """A new mapping operation must say where its values come from.

    ADaM derivations (registered from ``cdisc_als.adam``) carry their own ``method`` text and are
    not SDTM origins, so only the operations of ``cdisc_als.ops`` are checked. Importing the
    package first makes the check independent of which other tests ran before.
    """
    import cdisc_als.adam  # noqa: F401  (registers the ADaM operations too)

    mapping_ops = {n for n, op in REGISTRY.items() if op.func.__module__.startswith("cdisc_als.ops.")}
    assert len(mapping_ops) > 20
    assert sorted(mapping_ops - set(OP_ORIGIN)) == []


# --------------------------------------------------------------- the example study, tiny raw set


@pytest.fixture(scope="module")
def tiny(repo_root):
    study = load_study(repo_root / "mappings" / "admsc-als")
    return map_study(study, repo_root / "tests" / "data" / "admsc_tiny_raw", ConversionLog())


def test_tiny_dm_ae(tiny):
    dm, ae = tiny["DM"], tiny["AE"]
    assert (dm.var("AGE").origin, dm.var("AGE").source) == ("Collected", "CRF page 3")  # demog.csv
    assert (dm.var("DTHDTC").origin, dm.var("DTHDTC").source) == ("Collected", "CRF page 26")  # joined death.csv
    assert dm.var("RFSTDTC").origin == "Derived" and dm.var("RFSTDTC").method == "Same as RFXSTDTC"
    assert "min of" in dm.var("RFXSTDTC").method and "infusion" in dm.var("RFXSTDTC").method
    assert dm.var("ACTARMUD").origin == "Not Available"  # Exp, not mapped
    assert (ae.var("AETERM").origin, ae.var("AETERM").source) == ("Collected", "CRF page 20 21")
    assert ae.var("STUDYID").origin == "Assigned"
    assert "AESTDTC, AESPID" in ae.var("AESEQ").method
    supp = tiny["SUPPAE"].data
    assert set(supp["QORIG"]) == {"CRF"} and set(supp["QEVAL"]) == {"INVESTIGATOR"}


def test_tiny_trial_design_is_protocol(tiny):
    for name in ("TS", "TA", "TE", "TV", "TI"):
        origins = {v.name: v.origin for v in tiny[name].variables}
        assert set(origins.values()) == {"Protocol"}, (name, origins)
    se = tiny["SE"]
    assert se.var("SESTDTC").origin == "Derived" and se.var("STUDYID").origin == "Assigned"


def test_tiny_qs_origins_and_value_level(tiny):
    qs = tiny["QS"]
    assert qs.var("QSDY").origin == "Derived" and "QSDTC" in qs.var("QSDY").method
    assert qs.var("QSCAT").origin == "Assigned"
    # QSTESTCD / QSTEST: one sponsor codelist per questionnaire -> value level by QSCAT
    for name, lists in (("QSTESTCD", ("ALSF01TC", "MAS01TC")), ("QSTEST", ("ALSF01TN", "MAS01TN"))):
        var = qs.var(name)
        assert var.codelist is None and var.value_level["by"] == "QSCAT"
        got = {k: v["codelist"] for k, v in var.value_level["values"].items()}
        assert got == {"ALSFRS-R": lists[0], "MODIFIED ASHWORTH SCALE": lists[1]}
    # QSORRES by QSTESTCD: response lists, pages of the form the item is on
    orres = qs.var("QSORRES").value_level
    assert orres["by"] == "QSTESTCD"
    for code, meta in orres["values"].items():
        if code.startswith("MAS"):
            assert (meta["codelist"], meta["source"]) == ("MAS01OR", "CRF page 12"), code
        else:
            assert (meta["codelist"], meta["source"]) == ("ALSF01OR", "CRF page 10 11"), code
    assert {"ALSF0101", "MAS0101"} <= set(orres["values"])
    stresc = qs.var("QSSTRESC").value_level["values"]
    assert stresc["MAS0101"]["origin"] == "Derived" and "1.5" in stresc["MAS0101"]["method"]
    assert stresc["ALSF0101"]["origin"] == "Collected"
