"""Bad input through the CLI, end to end: exit code and a message naming file, row/key and field.

Every case starts from copies of the bundled AdMSC-ALS specs (mappings/admsc-als/) and the
hand-made 4-subject raw set (tests/data/admsc_tiny_raw/, rows described in its README) and
breaks one thing. Expected row numbers are read off the raw file by hand: demog.csv data row 1 is
01-001, row 2 is 01-002, row 3 is 01-003.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cdisc_als.cli import app

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "admsc-als"
RAW = ROOT / "tests" / "data" / "admsc_tiny_raw"
SEX_LINE = "  SEX: {ct: {from: SEX, codelist: SEX}}"

runner = CliRunner()


@pytest.fixture
def study(tmp_path: Path) -> Path:
    dest = tmp_path / "study"
    shutil.copytree(STUDY, dest)
    return dest


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    dest = tmp_path / "raw"
    shutil.copytree(RAW, dest)
    return dest


def _sdtm(study: Path, raw: Path, out: Path, *extra: str):
    return runner.invoke(app, ["sdtm", "--study", str(study), "--raw", str(raw), "--out", str(out), *extra])


def _edit_dm_spec(study: Path, new_line: str) -> tuple[Path, int]:
    """Replace the SEX line of dm.yaml; return the spec path and the 1-based line number."""
    spec = study / "sdtm" / "dm.yaml"
    lines = spec.read_text("utf-8").split("\n")
    index = lines.index(SEX_LINE)
    lines[index] = new_line
    spec.write_text("\n".join(lines), "utf-8")
    return spec, index + 1


def _rewrite_csv(path: Path, change) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows = change(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


# (a) malformed spec -> 2, naming the spec file and the key / line


def test_yaml_syntax_error_names_spec_file_and_line(study, raw, tmp_path):
    spec, line = _edit_dm_spec(study, "\t" + SEX_LINE.strip())  # a tab cannot start a YAML token
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(spec) in result.output
    assert f"line {line}" in result.output


def test_unknown_operation_names_spec_file_key_and_line(study, raw, tmp_path):
    spec, line = _edit_dm_spec(study, "  SEX: {ctt: {from: SEX, codelist: SEX}}")
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(spec) in result.output
    assert "variables.SEX.ctt" in result.output and f"line {line}" in result.output
    assert "unknown operation 'ctt'" in result.output


def test_misspelt_target_variable_names_key_and_suggests(study, raw, tmp_path):
    spec, line = _edit_dm_spec(study, "  SEXX: {ct: {from: SEX, codelist: SEX}}")
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(spec) in result.output
    assert "variables.SEXX" in result.output and f"line {line}" in result.output
    assert "SEX?" in result.output  # did you mean SEX?
    assert not (tmp_path / "out" / "dm.xpt").exists()


# (b) raw file without a column the spec reads -> 2, naming raw file, column and spec key


def test_missing_raw_column_names_raw_file_column_and_spec_key(study, raw, tmp_path):
    def drop_sex(rows):
        i = rows[0].index("SEX")
        return [r[:i] + r[i + 1 :] for r in rows]

    _rewrite_csv(raw / "demog.csv", drop_sex)
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "demog.csv" in result.output
    assert "column(s) SEX not in raw file" in result.output
    assert "dm.yaml" in result.output and "variables.SEX" in result.output


# (c) unknown code and impossible date -> datasets written, exit 1, records counted, log lines


def test_bad_values_are_logged_written_and_counted(study, raw, tmp_path):
    def spoil(rows):
        header = rows[0]
        rows[2][header.index("BRTHDAT")] = "31 FEB 2013"  # data row 2 = 01-002: no 31 February
        rows[3][header.index("SEX")] = "X"  # data row 3 = 01-003: not in CDISC codelist SEX
        return rows

    _rewrite_csv(raw / "demog.csv", spoil)
    out = tmp_path / "out"
    result = _sdtm(study, raw, out)
    assert result.exit_code == 1, result.output
    # two source records (demog.csv rows 2 and 3) carry the errors
    assert "affecting 2 record(s)" in result.output
    log = pd.read_csv(out / "logs" / "sdtm_conversion_log.csv", dtype=str)
    errors = log[log["severity"] == "error"]
    date = errors[errors["field"] == "BRTHDAT"]
    assert date[["source", "row", "value"]].values.tolist() == [["demog.csv", "2", "31 FEB 2013"]]
    assert "impossible date" in date["reason"].iloc[0]
    sex = errors[(errors["field"] == "SEX") & (errors["value"] == "X")]
    assert sex[["source", "row"]].values.tolist() == [["demog.csv", "3"]]
    assert "SEX" in sex["reason"].iloc[0]
    # nothing dropped: DM still has the four screened subjects, the bad values left null
    from cdisc_als.io import read_dataset

    dm = read_dataset(out / "dm.xpt").data.set_index("SUBJID")
    assert sorted(dm.index) == ["01-001", "01-002", "01-003", "01-004"]
    assert dm.loc["01-003", "SEX"] in ("", None) or pd.isna(dm.loc["01-003", "SEX"])
    assert dm.loc["01-002", "BRTHDTC"] in ("", None) or pd.isna(dm.loc["01-002", "BRTHDTC"])
    assert dm.loc["01-001", "SEX"] == "M"


# (d) missing raw folder, missing or unreadable raw file -> 2


def test_missing_raw_folder_exits_2(study, tmp_path):
    result = _sdtm(study, tmp_path / "no-such-raw", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "no-such-raw" in result.output and "not found" in result.output


def test_missing_raw_file_names_the_table(study, raw, tmp_path):
    (raw / "demog.csv").unlink()
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(raw) in result.output and "no file for table 'demog'" in result.output
    # and which spec needed it (DM is mapped from the demographics form)
    assert "dm.yaml" in result.output and "cannot map DM" in result.output


def test_garbled_raw_file_names_the_file(study, raw, tmp_path):
    (raw / "ae.csv").write_text('SITEID,SUBJID,AETERM\n01,"01-001,never closed\n', "utf-8")
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(raw / "ae.csv") in result.output and "cannot read" in result.output


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_raw_file_exits_2(study, raw, tmp_path):
    (raw / "demog.csv").chmod(0)
    try:
        result = _sdtm(study, raw, tmp_path / "out")
    finally:
        (raw / "demog.csv").chmod(0o644)
    assert result.exit_code == 2, result.output
    assert "demog.csv" in result.output


def test_raw_file_that_is_a_folder_exits_2(study, raw, tmp_path):
    (raw / "ae.csv").unlink()
    (raw / "ae.csv").mkdir()
    result = _sdtm(study, raw, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert str(raw) in result.output and "no file for table 'ae'" in result.output
    assert "cannot map" in result.output


# (e) validate on a missing folder; compare exit codes


def test_validate_missing_folder_exits_2(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2, result.output
    assert "nowhere" in result.output


def _csv(path: Path, ages: list[int]) -> Path:
    pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "AGE": ages}).to_csv(path, index=False)
    return path


def test_compare_exit_codes(tmp_path):
    base = _csv(tmp_path / "base.csv", [50, 61, 72])
    same = _csv(tmp_path / "same.csv", [50, 61, 72])
    other = _csv(tmp_path / "other.csv", [50, 62, 72])
    equal = runner.invoke(app, ["compare", str(base), str(same), "--keys", "USUBJID"])
    assert equal.exit_code == 0, equal.output
    differ = runner.invoke(app, ["compare", str(base), str(other), "--keys", "USUBJID"])
    assert differ.exit_code == 1, differ.output
    missing = runner.invoke(app, ["compare", str(base), str(tmp_path / "nope.csv"), "--keys", "USUBJID"])
    assert missing.exit_code == 2, missing.output
    assert "nope.csv" in missing.output


def test_unexpected_exception_is_exit_2_not_1(tmp_path, monkeypatch):
    """A bug must not look like "differences found" (1) to a calling script."""
    import cdisc_als.pipeline

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(cdisc_als.pipeline, "run_compare", broken)
    monkeypatch.delenv("CDISC_ALS_DEBUG", raising=False)
    base = _csv(tmp_path / "base.csv", [50, 61, 72])
    result = runner.invoke(app, ["compare", str(base), str(base), "--keys", "USUBJID"])
    assert result.exit_code == 2, result.output
    assert "internal error" in result.output and "ValueError: boom" in result.output


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_adam_without_sdtm_datasets_exits_2(study, tmp_path, make):
    sdtm = tmp_path / "sdtm"
    if make:
        sdtm.mkdir()
    result = runner.invoke(app, ["adam", "--study", str(study), "--sdtm", str(sdtm), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert str(sdtm) in result.output
    assert not list((tmp_path / "o").glob("*.xpt"))
