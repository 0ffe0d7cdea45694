"""The SDTM runner and spec checker on a tiny hand-made study (miniature SDTMIG metadata).

Expected values are worked out by hand from the raw rows below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_als.conform import conform_dataset
from cdisc_als.errors import ConversionLog, DataError, SpecError
from cdisc_als.ops import registry
from cdisc_als.sdtm import AccountingError, load_spec, map_study
from sdtm_fixtures import StubTerminology, mini_standard, write_study

DM_RAW = pd.DataFrame(
    {
        "SITEID": ["01", "01", "02"],
        "SUBJID": ["001", "002", "003"],
        "SEX": ["Female", "Male", "Female"],
        "AGE": ["54", "61", "abc"],
        "FIRSTDOSE": ["12 MAR 2013", "14 MAR 2013", ""],
    }
)
AE_RAW = pd.DataFrame(
    {
        "SITEID": ["01", "01", "01", "09", "02"],
        "SUBJID": ["001", "001", "002", "009", "003"],
        "AETERM": ["Headache", "Nausea", "", "Rash", "Cough"],
        "SEV": ["Mild", "Severe", "Mild", "Mild", "Moderate"],
        "SER": ["No", "Yes", "No", "No", "Perhaps"],
        "STDAT": ["11 MAR 2013", "14 MAR 2013", "01 APR 2013", "01 APR 2013", "31 FEB 2013"],
    }
)
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
"""
AE_SPEC = """
domain: AE
from: ae
require_subject_in: DM
filter: {where: "notnull(AETERM)", reason: AE form without a term}
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
  AESEQ: {seq: [USUBJID, AESTDTC]}
supp:
  idvar: AESEQ
  variables:
    AETRTEM: {label: Treatment Emergent Flag, value: {expr: "if_else(AESTDY > 0, 'Y', None)"}, origin: Derived}
"""


@pytest.fixture()
def raw(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    DM_RAW.to_csv(folder / "dm.csv", index=False)
    AE_RAW.to_csv(folder / "ae.csv", index=False)
    return folder


def run(tmp_path, raw, specs, config=None):
    study = write_study(tmp_path, specs, config)
    log = ConversionLog()
    out = map_study(study, raw, log, standard=mini_standard(tmp_path), ct=StubTerminology())
    return out, log


def test_end_to_end_records_and_log(tmp_path, raw):
    out, log = run(tmp_path, raw, {"dm": DM_SPEC, "ae": AE_SPEC})
    dm = out["DM"].data
    assert list(dm.columns) == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFXSTDTC", "SITEID", "AGE", "SEX"]
    assert list(dm["USUBJID"]) == ["TEST-01-01-001", "TEST-01-01-002", "TEST-01-02-003"]
    assert dm["AGE"].tolist()[:2] == [54.0, 61.0] and pd.isna(dm["AGE"].iloc[2])
    ae = out["AE"].data
    # AE rows: 001 Headache (day -1), 001 Nausea (day 3), 003 Cough (impossible date); 002's blank
    # term is filtered, 009 is not in DM
    cells = ae[["USUBJID", "AESEQ", "AETERM", "AESTDTC", "AESTDY", "AESER", "AESEV"]].astype(object)
    assert cells.where(cells.notna(), None).values.tolist() == [
        ["TEST-01-01-001", 1.0, "Headache", "2013-03-11", -1.0, "N", "MILD"],
        ["TEST-01-01-001", 2.0, "Nausea", "2013-03-14", 3.0, "Y", "SEVERE"],
        ["TEST-01-02-003", 1.0, "Cough", None, None, None, "MODERATE"],
    ]
    assert out["AE"].var("AESEQ").type == "Num" and out["AE"].var("AETERM").label == "Reported Term for the Adverse Event"
    supp = out["SUPPAE"].data
    assert supp[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL", "QORIG"]].values.tolist() == [
        ["TEST-01-01-001", "AESEQ", "2", "AETRTEM", "Y", "Derived"]
    ]
    f = log.frame().astype(object)
    f = f.where(f.notna(), "")
    got = set(zip(f["source"], f["row"].astype(str), f["field"], f["reason"], strict=True))
    assert ("dm.csv", "3", "AGE", "not a number") in got
    assert ("ae.csv", "3", "", "AE form without a term") in got
    assert ("ae.csv", "4", "USUBJID", "subject not in DM") in got
    assert ("ae.csv", "5", "STDAT", "impossible date") in got
    assert any(r.startswith("value not in codelist NY") and s == "ae.csv" and row == "5" for s, row, _, r in got)


def test_accounting_in_equals_landed_plus_logged(tmp_path, raw):
    out, log = run(tmp_path, raw, {"dm": DM_SPEC, "ae": AE_SPEC})
    f = log.frame()
    dropped = f[f["reason"].isin(["AE form without a term", "subject not in DM"])]
    assert len(out["AE"]) + len(dropped) == len(AE_RAW)


def test_a_step_that_loses_records_silently_is_caught(tmp_path, raw, monkeypatch):
    def lose(ctx, frame, arg):
        return frame.iloc[:1]

    monkeypatch.setitem(registry.REGISTRY, "lose", registry.Operation("lose", lose, {"type": "boolean"}, "dataset", ""))
    spec = DM_SPEC.replace("from: dm\n", "from: dm\nsteps: [{lose: true}]\n")
    with pytest.raises(AccountingError, match=r"2 raw record\(s\) neither landed in DM nor were logged: dm.csv rows \[2, 3\]"):
        run(tmp_path, raw, {"dm": spec})


def spec_error(tmp_path, text, standard=True):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path, mini_standard(tmp_path) if standard else None)
    return str(err.value)


def test_unknown_operation_names_file_key_and_line(tmp_path):
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariables:\n  AETERM: {copyy: X}\n")
    assert "x.yaml: variables.AETERM.copyy (line 4): unknown operation 'copyy'" in msg
    assert "copy" in msg and "iso8601" in msg


def test_misspelt_target_variable_is_named_with_suggestions(tmp_path):
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariables:\n  AETERM: {copy: X}\n  AESTDTX: {copy: Y}\n")
    assert "variables.AESTDTX (line 5): AESTDTX is not a variable of AE in sdtmig-mini; did you mean AESTDTC" in msg


def test_bad_operation_argument(tmp_path):
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariables:\n  AESEV: {ct: {from: SEV}}\n")
    assert "variables.AESEV.ct (line 4): bad argument for ct: codelist: required field" in msg
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariables:\n  AESEV: {copy: A, where: 'A ==== 1'}\n")
    assert "variables.AESEV.where" in msg and "syntax error" in msg


def test_top_level_schema_and_dataset_ops(tmp_path):
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariabels:\n  AETERM: {copy: X}\n")
    assert "variabels: unknown field" in msg
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nfilter: {where: 'notnull(X)'}\nvariables:\n  AETERM: {copy: X}\n")
    assert "filter (line 3): bad argument for filter: reason: required field" in msg
    msg = spec_error(tmp_path, "domain: AE\nfrom: ae\nvariables:\n  AETERM: {filter: {where: X, reason: r}}\n")
    assert "'filter' is a dataset operation" in msg
    msg = spec_error(tmp_path, "domain: XX\nfrom: ae\nvariables:\n  XXTERM: {copy: X}\n")
    assert "XX is not a dataset of sdtmig-mini" in msg


def test_missing_raw_column_names_spec_key_raw_file_and_column(tmp_path, raw):
    spec = AE_SPEC.replace("AETERM: {copy: AETERM}", "AETERM: {copy: AE_TERM}")
    with pytest.raises(DataError) as err:
        run(tmp_path, raw, {"dm": DM_SPEC, "ae": spec})
    msg = str(err.value)
    assert "ae.yaml" in msg and "variables.AETERM.copy" in msg and "AE_TERM" in msg and "ae.csv" in msg


def test_dependency_cycle_is_a_spec_error(tmp_path, raw):
    dm = DM_SPEC + "depends_on: [AE]\n"
    with pytest.raises(SpecError, match="circular dependency"):
        run(tmp_path, raw, {"dm": dm, "ae": AE_SPEC})


def test_conditional_entries_first_match_wins(tmp_path, raw):
    spec = DM_SPEC.replace(
        "  SEX: {ct: {from: SEX, codelist: SEX}}",
        "  SEX:\n    - {constant: U, where: \"SUBJID == '003'\"}\n    - {ct: {from: SEX, codelist: SEX}}",
    )
    out, _ = run(tmp_path, raw, {"dm": spec})
    assert list(out["DM"].data["SEX"]) == ["F", "M", "U"]


def test_conform_orders_types_and_checks_core(tmp_path):
    meta = mini_standard(tmp_path).dataset("DM")
    frame = pd.DataFrame({"SEX": ["F", None], "USUBJID": ["A", "B"], "AGE": ["54", "x"], "DMDTC": [None, None],
                          "__row__": [1, 2], "__source__": ["dm.csv"] * 2})
    log = ConversionLog()
    ds = conform_dataset(frame, meta, log)
    # Req missing are logged (and present, null), Exp missing added null, Perm all-null (DMDTC)
    # dropped, order from the metadata, AGE numeric
    assert ds.var_names == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFXSTDTC", "SITEID", "AGE", "SEX"]
    assert ds.data["AGE"].tolist()[0] == 54.0 and pd.isna(ds.data["AGE"].iloc[1])
    f = log.frame()
    assert {"required variable STUDYID is not mapped", "required variable SEX is null", "not a number for a Num variable"} <= set(f["reason"])
    assert f[f["reason"] == "required variable SEX is null"]["row"].tolist() == [2]
    with pytest.raises(SpecError, match="BOGUS"):
        conform_dataset(pd.DataFrame({"BOGUS": [1]}), meta, log)


def test_union_of_sources_keeps_each_file_and_row(tmp_path, raw):
    AE_RAW.iloc[:2].to_csv(raw / "ae_site2.csv", index=False)
    spec = AE_SPEC.replace("from: ae\n", "from: [ae, ae_site2]\n")
    out, log = run(tmp_path, raw, {"dm": DM_SPEC, "ae": spec})
    # 3 records from ae.csv (as before) + 2 from ae_site2.csv (both subject 001)
    assert len(out["AE"]) == 5
    assert list(out["AE"].data.query("USUBJID == 'TEST-01-01-001'")["AESEQ"]) == [1, 2, 3, 4]
    f = log.frame()
    assert set(f.loc[f["reason"] == "subject not in DM", "source"]) == {"ae.csv"}


def test_dm_supp_without_idvar_and_helper_variables(tmp_path, raw):
    spec = DM_SPEC + """  _AGEGRP: {expr: "if_else(isnull(AGE), None, if_else(AGE >= 60, '>=60', '<60'))"}
supp:
  idvar: null
  variables:
    AGEGRP: {label: Age Group, value: _AGEGRP, origin: Derived}
"""
    out, _ = run(tmp_path, raw, {"dm": spec})
    assert "_AGEGRP" not in out["DM"].data.columns
    supp = out["SUPPDM"].data
    assert supp[["USUBJID", "QNAM", "QVAL"]].values.tolist() == [
        ["TEST-01-01-001", "AGEGRP", "<60"], ["TEST-01-01-002", "AGEGRP", ">=60"]
    ]  # 003's age is not a number: no SUPP record
    assert supp["IDVAR"].isna().all() and supp["IDVARVAL"].isna().all()
    assert out["SUPPDM"].var("QNAM").label == "Qualifier Variable Name"
