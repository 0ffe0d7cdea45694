"""Value-level define checks (DEF006-DEF008) and the schema rules (DEF009/DEF010).

The define.xml is built by ``cdisc_als.define.build_define`` from small hand-made DM/QS datasets
whose QSORRES carries value-level codelists by QSTESTCD (ALSFRS-R items 0-4: ALSF01OR; Modified
Ashworth grades 0, 1, 1+, 2, 3, 4: MAS01OR; sponsor codelists of specs/ct/sponsor). The datasets
are then changed (a 5 answered to an ALSFRS-R item, ...) and validated against that define.
Expected findings are worked out from those codelists, not from the engine's output.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.rules import load_rules, validate_datasets
from cdisc_als.rules.define_check import SCHEMA_DATASET, load_define

pytest.importorskip("cdisc_als.define")
from cdisc_als.define import build_define  # noqa: E402

RULES = {r.id: r for r in load_rules()}
U = ["S-001", "S-001", "S-001", "S-001", "S-001", "S-001"]


def _study() -> SimpleNamespace:
    cfg = {"studyid": "S", "title": "t", "protocol": "S", "sponsor": "x",
           "standards": {"sdtm": "sdtmig-3.4", "ct": "2025-03-28"}, "created": "2026-01-01T00:00:00"}  # fmt: skip
    return SimpleNamespace(studyid="S", config=cfg)


def _dm() -> Dataset:
    data = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"], "USUBJID": ["S-001"], "AGE": [50.0], "SEX": ["M"]})
    return Dataset("DM", data, "Demographics", [Variable(c, c, "Num" if c == "AGE" else "Char") for c in data.columns])


def _qs(**changes) -> Dataset:
    data = pd.DataFrame(
        {
            "STUDYID": ["S"] * 6, "DOMAIN": ["QS"] * 6, "USUBJID": U,
            "QSSEQ": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "QSTESTCD": ["ALSF0101", "ALSF0101", "ALSF0102", "MAS0101", "MAS0101", "MAS0101"],
            "QSTEST": ["Speech", "Speech", "Salivation", "Right Elbow Flexors", "Right Elbow Flexors", "Right Elbow Flexors"],
            "QSORRES": ["4", "3", "2", "1+", "0", "4"],
            "QSSTRESC": ["4", "3", "2", "1+", "0", "4"],
            "QSSTRESN": [4.0, 3.0, 2.0, 1.5, 0.0, 4.0],
        }
    )  # fmt: skip
    for col, (row, value) in changes.items():
        data.loc[row, col] = value
    vl = {"by": "QSTESTCD", "values": {"ALSF0101": {"codelist": "ALSF01OR"}, "ALSF0102": {"codelist": "ALSF01OR"},
                                       "MAS0101": {"codelist": "MAS01OR"}}}  # fmt: skip
    variables = [Variable(c, c, "Num" if c in ("QSSEQ", "QSSTRESN") else "Char") for c in data.columns]
    variables[6] = variables[6].copy(value_level=vl)  # QSORRES
    return Dataset("QS", data, "Questionnaires", variables)


@pytest.fixture(scope="module")
def define_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("def") / "define.xml"
    path.write_bytes(build_define(_study(), {"DM": _dm(), "QS": _qs()}, "sdtmig-3.4"))
    return path


def _run(define_path, rule_id: str, qs: Dataset):
    rep = validate_datasets({"DM": _dm(), "QS": qs}, "sdtmig-3.4", define_path, rules=[RULES[rule_id]], ct=None, meta=None)
    return rep.findings


def test_value_level_parsed(define_path):
    items = {(i.variable, i.where[0][0].values): i for i in load_define(define_path).value_level}
    orres = items[("QSORRES", ("ALSF0101",))]
    assert orres.where[0][0].variable == "QSTESTCD" and orres.where[0][0].comparator == "EQ"
    assert orres.codelist_oid and orres.length == 1
    assert items[("QSORRES", ("MAS0101",))].length == 2  # "1+"
    assert items[("QSSTRESN", ("ALSF0101",))].datatype == "integer"
    assert items[("QSSTRESN", ("MAS0101",))].datatype == "float"  # 1.5


# rule: (changes to QS that break it, changes that keep it clean)
CASES = {
    # an ALSFRS-R item answered 5 (items are scored 0-4); 4 for ALSF0102 is a score the define lists
    # (build_define lists the terms used, here 2, 3, 4, in the one ALSF01OR list of both items)
    "DEF008": ({"QSORRES": (0, "5")}, {"QSORRES": (2, "4")}),
    # ALSFRS-R scores are integers: 3.5 is not; 1.5 is fine for Ashworth (float value-level item)
    "DEF006": ({"QSSTRESN": (1, 3.5)}, {"QSSTRESN": (4, 1.5)}),
    # QSSTRESC "10" for ALSF0101: value-level Length 1 (variable-level Length 2 from "1+" is not exceeded)
    "DEF007": ({"QSSTRESC": (0, "10")}, {"QSSTRESC": (0, "0")}),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_value_level_rules_fail_and_pass(define_path, rule_id):
    bad, ok = CASES[rule_id]
    f = _run(define_path, rule_id, _qs(**bad))
    col, (row, value) = next(iter(bad.items()))
    assert f[["rule_id", "dataset", "variable", "row"]].values.tolist() == [[rule_id, "QS", col, row + 1]]
    assert f["usubjid"].tolist() == ["S-001"] and f["seq"].tolist() == [str(row + 1)]
    assert "QSTESTCD EQ" in f["expected"].iloc[0]
    assert _run(define_path, rule_id, _qs(**ok)).empty
    assert _run(define_path, rule_id, _qs()).empty


def test_ashworth_grade_is_wrong_for_an_alsfrs_item(define_path):
    """1+ is in the variable's values (an Ashworth grade) but not a score of ALSF0102."""
    f = _run(define_path, "DEF008", _qs(QSORRES=(2, "1+")))
    assert f["row"].tolist() == [3] and f["value"].tolist() == ["1+"]
    assert "QSTESTCD EQ ALSF0102" in f["expected"].iloc[0]
    assert _run(define_path, "DEF005", _qs(QSORRES=(2, "1+"))).empty  # the variable-level check cannot see it


def test_where_clause_comparators(tmp_path):
    """NE / IN / NOTIN / GE and ANDed RangeChecks select the rows the Define-XML 2.1 spec says."""
    from cdisc_als.rules.define_values import RangeCheck, ValueItem, _Subsets
    from cdisc_als.rules.engine import make_target

    d = Dataset("LB", pd.DataFrame({"LBTESTCD": ["A", "B", "C", None, "A"], "VISITNUM": [1.0, 2.0, 3.0, 1.0, 3.0],
                                    "LBORRES": ["1", "2", "3", "4", "5"]}))  # fmt: skip
    t = make_target(d, "sdtmig-3.4", lambda n: None)
    sub = _Subsets(t)

    def rows(*checks):
        return sub.rows(ValueItem("LB", "LBORRES", "X", (tuple(checks),), "text", None, None)).tolist()

    assert rows(RangeCheck("LBTESTCD", "EQ", ("A",))) == [0, 4]
    assert rows(RangeCheck("LBTESTCD", "NE", ("A",))) == [1, 2]  # null is not "not A"
    assert rows(RangeCheck("LBTESTCD", "IN", ("A", "C"))) == [0, 2, 4]
    assert rows(RangeCheck("LBTESTCD", "NOTIN", ("A", "C"))) == [1]
    assert rows(RangeCheck("VISITNUM", "GE", ("2",))) == [1, 2, 4]
    assert rows(RangeCheck("LBTESTCD", "EQ", ("A",)), RangeCheck("VISITNUM", "EQ", ("3",))) == [4]
    either = ValueItem("LB", "LBORRES", "X", ((RangeCheck("LBTESTCD", "EQ", ("B",)),), (RangeCheck("VISITNUM", "LT", ("2",)),)), "text", None, None)
    assert sub.rows(either).tolist() == [0, 1, 3]


def test_schema_errors_reported(reference_dir, define_path, tmp_path):
    broken = tmp_path / "define.xml"
    text = define_path.read_text(encoding="utf-8")
    broken.write_text(text.replace('Name="AGE"', 'Nome="AGE"', 1), encoding="utf-8")  # unknown attribute, Name missing
    f = _run(broken, "DEF009", _qs())
    assert len(f) >= 1 and (f["dataset"] == SCHEMA_DATASET).all()
    assert f["value"].str.contains("line ").all()
    assert _run(define_path, "DEF009", _qs()).empty
    assert _run(define_path, "DEF010", _qs()).empty  # a schema was found: no notice


def test_notice_when_no_schema(define_path, monkeypatch):
    monkeypatch.delenv("CDISC_REFERENCE_DIR", raising=False)
    f = _run(define_path, "DEF010", _qs())
    assert f[["rule_id", "severity", "dataset"]].values.tolist() == [["DEF010", "notice", SCHEMA_DATASET]]
    assert "NOT schema-validated" in f["expected"].iloc[0]
    assert _run(define_path, "DEF009", _qs()).empty  # nothing claimed about validity


def test_define_role_against_ig(define_path, tmp_path):
    """SDTMIG 3.4: QSTESTCD is the Topic variable of QS; a define saying Timing is reported."""
    wrong = tmp_path / "define.xml"
    text = define_path.read_text(encoding="utf-8")
    assert 'ItemOID="IT.QS.QSTESTCD"' in text and 'Role="Topic"' in text
    wrong.write_text(text.replace('KeySequence="3" Role="Topic"', 'KeySequence="3" Role="Timing"', 1), encoding="utf-8")

    def run(path):
        rep = validate_datasets({"DM": _dm(), "QS": _qs()}, "sdtmig-3.4", path, rules=[RULES["DEF011"]], ct=None)
        return rep.findings

    f = run(wrong)
    assert f[["dataset", "variable", "value", "expected"]].values.tolist() == [["QS", "QSTESTCD", "Timing", "IG role Topic"]]
    assert run(define_path).empty


def test_sas_dates_read_as_datetimes_match_integer_datatype(tmp_path):
    """An ADaM date (numeric SAS date, DATE9.) is DataType integer, Length 8 in the define; a reader
    gives it back as datetime64. That is the numeric variable the define describes, not text."""
    data = pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"],
                         "TRTSDT": pd.to_datetime(["2012-03-01", "2012-04-15"])})  # fmt: skip
    variables = [Variable("STUDYID", "Study Identifier", "Char"), Variable("USUBJID", "Unique Subject Identifier", "Char"),
                 Variable("TRTSDT", "Date of First Exposure to Treatment", "Num", format="DATE9")]  # fmt: skip
    adsl = Dataset("ADSL", data, "Subject-Level Analysis Dataset", variables, cls="SUBJECT LEVEL ANALYSIS DATASET")
    path = tmp_path / "define.xml"
    path.write_bytes(build_define(_study(), {"ADSL": adsl}, "adamig-1.3"))
    item = next(r for r in load_define(path).variables.itertuples() if r.name == "TRTSDT")
    assert (item.datatype, item.length) == ("integer", 8)
    rules = [RULES["DEF003"], RULES["DEF004"]]
    rep = validate_datasets({"ADSL": adsl}, "adamig-1.3", path, rules=rules, ct=None, meta=None)
    assert rep.findings.empty
