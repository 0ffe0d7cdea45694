"""Rules engine: rule-file checking, ISO 8601 patterns, define.xml checks, reports, CLI contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cdisc_als.cli import app
from cdisc_als.errors import SpecError
from cdisc_als.rules import (
    detect_standard,
    load_rule_file,
    load_rules,
    validate_datasets,
    write_reports,
)
from cdisc_als.rules.operators import DTC_RE, duration_ok
from rules_helpers import ds, stub_ct, stub_meta, study

runner = CliRunner()


# ------------------------------------------------------------------------- rule files


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "body,needle",
    [
        ("rules:\n  - id: X001\n    severity: error\n    message: m\n    check: {op: nope}\n", "unallowed value nope"),
        ("rules:\n  - id: X001\n    severity: fatal\n    message: m\n    check: {op: nonempty}\n", "severity"),
        ("rules:\n  - id: X001\n    severity: error\n    check: {op: nonempty}\n", "message"),
        ("rules:\n  - id: X001\n    severity: error\n    message: m\n    check: {op: unique}\n", "keys"),
        ("rules:\n  - id: X001\n    severity: error\n    message: m\n    when: [{var: A, eq: 1, ne: 2}]\n    check: {op: nonempty}\n", "exactly one test"),
        ("rules:\n  - id: X001\n    severity: error\n    message: m\n    check: {op: in_values, vars: [A], values: [Y], colour: red}\n", "colour"),
    ],
)
def test_bad_rule_file_names_file_and_rule(tmp_path, body, needle):
    with pytest.raises(SpecError) as exc:
        load_rule_file(_write(tmp_path, body))
    msg = str(exc.value)
    assert "bad.yaml" in msg and "X001" in msg and needle in msg


def test_duplicate_rule_ids_are_refused(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("rules:\n  - id: X001\n    severity: error\n    message: m\n    check: {op: nonempty}\n")
    b = tmp_path / "b.yaml"
    b.write_text(a.read_text())
    with pytest.raises(SpecError, match="duplicate rule id"):
        load_rules([a, b])


def test_project_rules_load_with_cdisc_ids():
    rules = load_rules()
    assert len(rules) > 250
    core = {c for r in rules for c in r.core_ids}
    assert {"CORE-000544", "CORE-000201", "CORE-000019", "CORE-000355"} <= core


# ---------------------------------------------------------------------------- ISO 8601


@pytest.mark.parametrize("value", ["2003", "2003-12", "2003-12-15", "2003-12-15T10", "2003-12-15T10:30",
                                   "2003-12-15T10:30:45", "2003-12-15T10:30:45.5", "2003---15", "2003-12-15T10:30Z",
                                   "2003-12-15T-:30"])
def test_iso8601_accepts_sdtm_datetimes(value):
    assert re.match(DTC_RE, value)


@pytest.mark.parametrize("value", ["03-12-15", "2003/12/15", "15DEC2003", "2003-12-15 10:30", "2003-1-5", "UNK"])
def test_iso8601_rejects(value):
    assert not re.match(DTC_RE, value)


@pytest.mark.parametrize("value,ok", [("P1D", True), ("PT2H30M", True), ("P1Y2M", True), ("P2W", True),
                                      ("-P1D", True), ("P", False), ("1D", False), ("PT", False)])
def test_iso8601_durations(value, ok):
    assert bool(duration_ok(pd.Series([value], dtype="string[pyarrow]")).iloc[0]) is ok


def test_study_day_and_findings_carry_subject_and_seq():
    rule = next(r for r in load_rules() if r.id == "GEN031")
    data = study({"AE": {"USUBJID": ["01", "01"], "AESEQ": [4, 5], "AESTDTC": ["2019-12-31", "2020-01-02"], "AESTDY": [-1, 2]}})
    rep = validate_datasets(data, "sdtmig-3.4", rules=[rule], ct=None, meta=stub_meta())
    assert rep.findings.empty  # -1 (day before RFSTDTC 2020-01-01) and 2 are right
    data = study({"AE": {"USUBJID": ["01", "01"], "AESEQ": [4, 5], "AESTDTC": ["2019-12-31", "2020-01-02"], "AESTDY": [0, 2]}})
    f = validate_datasets(data, "sdtmig-3.4", rules=[rule], ct=None, meta=stub_meta()).findings
    assert f[["usubjid", "seq", "row", "variable", "value", "expected"]].values.tolist() == [["01", "4", 1, "AESTDY", "0", "-1"]]


# ------------------------------------------------------------------------------- define

DEFINE = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2" FileOID="F" FileType="Snapshot">
 <Study OID="S"><GlobalVariables><StudyName>S</StudyName><StudyDescription>S</StudyDescription><ProtocolName>S</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV" Name="MDV" def:DefineVersion="2.1.0">
   <ItemGroupDef OID="IG.DM" Name="DM" Repeating="No" def:Structure="One record per subject">
    <ItemRef ItemOID="IT.DM.STUDYID" Mandatory="Yes"/><ItemRef ItemOID="IT.DM.DOMAIN" Mandatory="Yes"/>
    <ItemRef ItemOID="IT.DM.USUBJID" Mandatory="Yes"/><ItemRef ItemOID="IT.DM.AGE" Mandatory="No"/>
    <ItemRef ItemOID="IT.DM.SEX" Mandatory="Yes"/>{extra_ref}
   </ItemGroupDef>
   <ItemDef OID="IT.DM.STUDYID" Name="STUDYID" DataType="text" Length="2"/>
   <ItemDef OID="IT.DM.DOMAIN" Name="DOMAIN" DataType="text" Length="2"/>
   <ItemDef OID="IT.DM.USUBJID" Name="USUBJID" DataType="text" Length="{usubjid_len}"/>
   <ItemDef OID="IT.DM.AGE" Name="AGE" DataType="{age_type}" Length="8"/>
   <ItemDef OID="IT.DM.SEX" Name="SEX" DataType="text" Length="1"><CodeListRef CodeListOID="CL.SEX"/></ItemDef>
   <ItemDef OID="IT.DM.EXTRA" Name="EXTRA" DataType="text" Length="1"/>
   <CodeList OID="CL.SEX" Name="Sex" DataType="text"><EnumeratedItem CodedValue="F"/><EnumeratedItem CodedValue="M"/></CodeList>
  </MetaDataVersion></Study></ODM>"""

GOOD = {"extra_ref": "", "usubjid_len": "2", "age_type": "integer"}
DEF_CASES = {
    "DEF001": ({"datasets": {"DM": {}, "AE": {"AESEQ": [1]}}}, {}),
    "DEF002": ({"define": {"extra_ref": '<ItemRef ItemOID="IT.DM.EXTRA" Mandatory="No"/>'}}, {}),
    "DEF003": ({"define": {"age_type": "text"}}, {}),
    "DEF004": ({"define": {"usubjid_len": "1"}}, {}),
    "DEF005": ({"datasets": {"DM": {"SEX": ["U"]}}}, {}),
}


def _define_run(tmp_path, rule_id, case):
    rule = next(r for r in load_rules() if r.id == rule_id)
    parts = {**GOOD, **case.get("define", {})}
    path = tmp_path / "define.xml"
    path.write_text(DEFINE.format(**parts))
    specs = case.get("datasets", {"DM": {}})
    data = {n: ds(n, {"AGE": [50], "SEX": ["M"], **s} if n == "DM" else s) for n, s in specs.items()}
    return validate_datasets(data, "sdtmig-3.4", path, rules=[rule], ct=None, meta=None).findings


@pytest.mark.parametrize("rule_id", sorted(DEF_CASES))
def test_define_rules_fail_and_pass(tmp_path, rule_id):
    fail, ok = DEF_CASES[rule_id]
    assert (_define_run(tmp_path, rule_id, fail)["rule_id"] == rule_id).any()
    assert _define_run(tmp_path, rule_id, ok).empty


def test_every_define_rule_has_a_case():
    # DEF006-DEF008 have their cases in test_rules_define_values; DEF009/DEF010 are tested there too
    from test_rules_define_values import CASES as VALUE_CASES

    schema = {r.id for r in load_rules() if r.check["op"] == "define_schema"}
    assert schema == {"DEF009", "DEF010"}
    elsewhere = schema | {"DEF011"}  # DEF011 (roles) also in test_rules_define_values
    assert {r.id for r in load_rules() if r.check["op"].startswith("define_")} == set(DEF_CASES) | set(VALUE_CASES) | elsewhere


# ------------------------------------------------------------------------------ reports


@pytest.fixture
def small_report():
    data = study({"DM": {"SEX": ["X"], "USUBJID": ["01"]}, "AE": {"AESEQ": [1, 1], "AETERM": ["A", "B"], "AEDECOD": ["A", "B"]}})
    return validate_datasets(data, "sdtmig-3.4", ct=stub_ct(), meta=stub_meta())


def test_reports_json_html_xlsx(tmp_path, small_report):
    paths = write_reports(small_report, tmp_path)
    assert [p.name for p in paths] == ["report.json", "report.html", "report.xlsx"]
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["standard"] == "sdtmig-3.4"
    # two AE records share AESEQ 1 -> GEN010 reports both, with USUBJID, --SEQ and row
    dup = [f for f in doc["findings"] if f["rule_id"] == "GEN010"]
    assert sorted((f["usubjid"], f["seq"], f["row"]) for f in dup) == [("01", "1", 1), ("01", "1", 2)]
    assert all(isinstance(f["row"], int) for f in dup)
    assert dup[0]["cdisc_id"] == "CORE-000544/CG0028" and dup[0]["severity"] == "error"
    ct = [f for f in doc["findings"] if f["rule_id"] == "CT001"]
    assert [(f["dataset"], f["variable"], f["value"]) for f in ct] == [("DM", "SEX", "X")]
    assert {d["dataset"]: d["records"] for d in doc["datasets"]}["AE"] == 2
    assert doc["summary"]["error"] == small_report.count("error") > 0
    html = (tmp_path / "report.html").read_text()
    assert "<script>" in html and "<style>" in html
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), "external resource in HTML"
    wb = load_workbook(tmp_path / "report.xlsx", read_only=True)
    assert wb.sheetnames == ["Dataset Summary", "Issue Summary", "Details", "Rules"]
    details = list(wb["Details"].iter_rows(values_only=True))
    assert details[0][:5] == ("Dataset", "Rule ID", "CDISC ID", "Message", "Severity")
    assert len(details) - 1 == len(small_report.findings)


# --------------------------------------------------------------------------------- CLI


def test_detect_standard():
    assert detect_standard(study({})) == "sdtmig-3.4"
    assert detect_standard(study({}, adam=True)) == "adamig-1.3"
    bds = {"XYZ": ds("XYZ", {"PARAMCD": ["A"], "AVAL": [1]}, adam=True)}
    assert detect_standard(bds) == "adamig-1.3"


def _write_xpt(folder: Path, data) -> Path:
    from cdisc_als.io import write_datasets

    folder.mkdir()
    write_datasets(data, folder, ["xpt"])
    return folder


def test_cli_exit_codes(tmp_path):
    clean = {"DM": ds("DM", {"SUBJID": ["001"], "SITEID": ["1"], "SEX": ["M"], "COUNTRY": ["ESP"], "_label": "Demographics"})}
    ok = _write_xpt(tmp_path / "ok", clean)
    res = runner.invoke(app, ["validate", str(ok), "--report", str(tmp_path / "r1")])
    errors = json.loads((tmp_path / "r1" / "report.json").read_text())["summary"]["error"]
    assert res.exit_code == (1 if errors else 0), res.output
    assert errors == 0, res.output
    bad = {"DM": ds("DM", {"USUBJID": ["01", "01"], "SUBJID": ["1", "2"], "SITEID": ["1", "1"], "SEX": ["M", "F"], "COUNTRY": ["ESP"] * 2, "_label": "Demographics"})}
    bad_dir = _write_xpt(tmp_path / "bad", bad)
    res = runner.invoke(app, ["validate", str(bad_dir), "--standard", "sdtmig-3.4"])
    assert res.exit_code == 1, res.output
    assert "DM001" in res.output
    res = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "not found" in res.output
    res = runner.invoke(app, ["validate", str(ok), "--standard", "sdtmig-9"])
    assert res.exit_code == 2


def test_cli_fail_on_warning(tmp_path):
    # DM without the Expected AGE: warning GEN003 only (metadata marks AGE Exp) -> 0, or 1 with --fail-on warning
    data = {"DM": ds("DM", {"SUBJID": ["001"], "SITEID": ["1"], "SEX": ["M"], "COUNTRY": ["ESP"], "_label": "Demographics"})}
    folder = _write_xpt(tmp_path / "w", data)
    res = runner.invoke(app, ["validate", str(folder), "--report", str(tmp_path / "r")])
    summary = json.loads((tmp_path / "r" / "report.json").read_text())["summary"]
    assert summary["error"] == 0 and summary["warning"] > 0
    assert res.exit_code == 0
    res = runner.invoke(app, ["validate", str(folder), "--fail-on", "warning"])
    assert res.exit_code == 1


def test_cli_list_rules():
    res = runner.invoke(app, ["validate", "--list-rules"])
    assert res.exit_code == 0
    assert "CORE-000544" in res.output and "GEN010" in res.output and "CDISC CORE rules implemented" in res.output


# ------------------------------------------------------------------------ pilot (public)


@pytest.mark.slow
def test_cdisc_pilot_sdtm_validates(reference_dir, tmp_path):
    import pyreadstat

    folder = reference_dir / "cdiscpilot01" / "sdtm"
    res = runner.invoke(app, ["validate", str(folder), "--report", str(tmp_path)])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["rules_not_run"] == []
    f = pd.DataFrame(doc["findings"])
    # oracle 1: DM rows whose ARM is "Screen Failure" (CG0570 forbids it), counted from the XPT
    dm, _ = pyreadstat.read_xport(str(folder / "dm.xpt"))
    n_sf = int((dm["ARM"].str.upper() == "SCREEN FAILURE").sum())
    assert n_sf > 0
    assert int(((f["rule_id"] == "DM019") & (f["dataset"] == "DM")).sum()) == n_sf
    # oracle 2: the reference README says 3 TS strings carry a cp1252 byte (not ASCII)
    assert int(((f["rule_id"] == "XPT006") & (f["dataset"] == "TS")).sum()) == 3
    # oracle 3: every AE USUBJID is in DM and AESEQ is unique per subject in the pilot
    ae, _ = pyreadstat.read_xport(str(folder / "ae.xpt"))
    assert set(ae["USUBJID"]) <= set(dm["USUBJID"]) and not ae.duplicated(["USUBJID", "AESEQ"]).any()
    assert not f["rule_id"].isin(["GEN010", "GEN011"]).any()


def test_core_coverage_numbers(reference_dir):
    from cdisc_als.rules.coverage import coverage_numbers, load_catalog

    total, scope, done = coverage_numbers(load_catalog(reference_dir))
    assert total == 430  # the reference README: 430 CORE rules for SDTMIG 3.4
    assert done <= scope <= total and done / scope > 0.8


def test_local_reader_fallback(tmp_path):
    """The validator's own reader (used when cdisc_als.io has no read_folder) keeps labels."""
    import pyreadstat

    from cdisc_als.rules.reader import read_dataset

    frame = pd.DataFrame({"USUBJID": ["01", "02"], "AGE": [50.0, 61.0]})
    pyreadstat.write_xport(frame, str(tmp_path / "dm.xpt"), file_label="Demographics", table_name="DM",
                           column_labels=["Unique Subject Identifier", "Age"])
    ds = read_dataset(tmp_path / "dm.xpt")
    assert ds.name == "DM" and ds.label == "Demographics"
    assert [(v.name, v.label, v.type) for v in ds.variables] == [("USUBJID", "Unique Subject Identifier", "Char"), ("AGE", "Age", "Num")]
    frame.to_parquet(tmp_path / "ae.parquet")
    (tmp_path / "ae.labels.json").write_text(json.dumps({"USUBJID": "Unique Subject Identifier"}))
    ae = read_dataset(tmp_path / "ae.parquet")
    assert ae.var("USUBJID").label == "Unique Subject Identifier" and ae.var("AGE").type == "Num"


def test_cli_with_define(tmp_path):
    data = {"DM": ds("DM", {"AGE": [50], "SEX": ["U"], "_label": "Demographics"})}
    folder = _write_xpt(tmp_path / "d", data)
    (tmp_path / "define.xml").write_text(DEFINE.format(**GOOD))
    res = runner.invoke(app, ["validate", str(folder), "--define", str(tmp_path / "define.xml"), "--report", str(tmp_path / "r")])
    doc = json.loads((tmp_path / "r" / "report.json").read_text())
    sex = [f for f in doc["findings"] if f["rule_id"] == "DEF005"]
    assert [(f["variable"], f["value"]) for f in sex] == [("SEX", "U")]  # CL.SEX has F and M only
    assert res.exit_code == 1
    res = runner.invoke(app, ["validate", str(folder), "--define", str(tmp_path / "missing.xml")])
    assert res.exit_code == 2


def test_html_script_is_valid_javascript(tmp_path, small_report):
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    write_reports(small_report, tmp_path)
    script = re.search(r"<script>(.*?)</script>", (tmp_path / "report.html").read_text(), re.S).group(1)
    (tmp_path / "r.js").write_text(script)
    assert subprocess.run([node, "--check", str(tmp_path / "r.js")], capture_output=True).returncode == 0
