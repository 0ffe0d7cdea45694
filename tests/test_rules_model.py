"""Details of the SDTM-model and size rules beyond the catalog's failing/passing pair: the XPT
size estimate, the reader's file size, AP datasets, class-allowed variables, title case words,
same-day predicate. Expected values worked out by hand from the rule texts."""

from __future__ import annotations

import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.rules import load_rules, validate_datasets
from cdisc_als.rules.reader import read_dataset
from rules_helpers import ds, stub_meta, study

RULES = {r.id: r for r in load_rules()}


def _run(rule_id: str, data: dict) -> pd.DataFrame:
    rep = validate_datasets(data, "sdtmig-3.4", rules=[RULES[rule_id]], ct=None, meta=stub_meta())
    assert not rep.skipped, rep.skipped
    return rep.findings


def test_size_estimate_is_rows_times_record_length(monkeypatch):
    """XPT v5: 3 rows x (8 numeric + declared Char length 200) = 624 bytes of data plus
    80-byte header records: 8 + 2 per variable = 12 -> 960; 1584 bytes in all."""
    from cdisc_als.rules.checks import model

    d = Dataset("AE", pd.DataFrame({"AESEQ": [1.0, 2.0, 3.0], "AETERM": ["A", "B", "C"]}),
                variables=[Variable("AESEQ", "Seq", "Num"), Variable("AETERM", "Term", "Char", length=200)])  # fmt: skip
    rule = RULES["XPT007"]
    small = rule.__class__(**{**rule.__dict__, "check": {"op": "dataset_size", "max_bytes": 1583}})
    f = validate_datasets({"AE": d}, "sdtmig-3.4", rules=[small], ct=None, meta=None).findings
    assert f["value"].tolist() == ["1584 bytes (estimated XPT size)"]
    ok = rule.__class__(**{**rule.__dict__, "check": {"op": "dataset_size", "max_bytes": 1584}})
    assert validate_datasets({"AE": d}, "sdtmig-3.4", rules=[ok], ct=None, meta=None).findings.empty
    assert model.op_dataset_size  # the operator under test


def test_reader_records_file_size(tmp_path):
    path = tmp_path / "ae.parquet"
    pd.DataFrame({"STUDYID": ["S"], "AESEQ": [1.0]}).to_parquet(path)
    d = read_dataset(path)
    assert d.file_bytes == path.stat().st_size


def test_associated_persons_dataset_needs_apid():
    """SDTMIG-AP: APMH has DOMAIN APMH, MH-prefixed variables and APID (USUBJID is not enough)."""
    ap = ds("APMH", {"DOMAIN": ["APMH"], "MHSEQ": [1], "MHTERM": ["DIABETES"], "RSUBJID": ["01"]})  # USUBJID added too
    f = _run("GEN099", {"APMH": ap})
    assert f["variable"].tolist() == ["APID"]
    ok = ds("APMH", {"DOMAIN": ["APMH"], "APID": ["P1"], "MHSEQ": [1], "MHTERM": ["DIABETES"]})
    assert _run("GEN099", {"APMH": ok}).empty


def test_class_allowed_variables():
    """VSLOINC is allowed in VS because LBLOINC is a Findings variable of the IG (class union);
    VSFOO is not; in DM (special purpose) the rule does not apply."""
    vs = ds("VS", {"VSSEQ": [1], "VSTESTCD": ["SYSBP"], "VSLOINC": ["8480-6"], "VSFOO": ["x"], "VISITNUM": [1]})
    f = _run("GEN102", {"VS": vs})
    assert f[["dataset", "variable"]].values.tolist() == [["VS", "VSFOO"]]
    assert _run("GEN102", {"DM": ds("DM", {"DMFOO": ["x"]})}).empty


def test_title_case_words():
    labels = {"A": "Date/Time of Collection", "B": "Character Result/Finding in Std Format", "C": "pH of Urine",
              "D": "of the Study", "E": "Body System or Organ Class", "F": "Reason Not done"}  # fmt: skip
    d = ds("AE", {"AESEQ": [1], **{k: ["x"] for k in labels}, "_labels": labels})
    f = _run("GEN103", {"AE": d})
    assert sorted(f["variable"]) == ["C", "D", "F"]  # pH, leading "of", done


def test_same_day_predicate_needs_complete_dates():
    # 2020-01 is partial: not "the same day", so AFTER is not reported; a different day neither
    ae = ds("AE", {"AESTTPT": ["2020-01", "2020-01-06", "2020-01-05"], "AESTRTPT": ["AFTER", "AFTER", None],
                   "AEDTC": ["2020-01-05", "2020-01-05", "2020-01-05"]})  # fmt: skip
    f = _run("GEN104", {"AE": ae})
    assert f["row"].tolist() == [3]  # same day, STRTPT null


def test_custom_prefix_reports_each_variable():
    xx = ds("XX", {"XXSEQ": [1], "XXTESTCD": ["A"], "YYORRES": ["1"], "ZZSTAT": [None], "EPOCH": ["TREATMENT"]})
    f = _run("GEN100", {"XX": xx})
    assert f[["variable", "value"]].values.tolist() == [["YYORRES", "YY"], ["ZZSTAT", "ZZ"]]
    assert _run("GEN100", {"AE": study({})["AE"]}).empty  # AE is a standard domain


def test_repnum_null_on_repeated_records():
    """Two records of test A at visit 1 with no QSREPNUM: not told apart -> both reported; one
    record alone with a null QSREPNUM is fine (nothing to number)."""
    qs = ds("QS", {"QSTESTCD": ["A", "A", "B"], "VISITNUM": [1, 1, 1], "QSREPNUM": [None, None, None]})
    assert _run("GEN105", {"QS": qs})["row"].tolist() == [1, 2]
