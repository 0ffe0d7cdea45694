"""Study loading (paths, bundled names, malformed study.yaml) and the conversion log."""

from __future__ import annotations

import pytest

from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.study import load_study, resolve_study


def test_bundled_name_and_path_resolve_to_same_study(repo_root):
    by_name = load_study("admsc-als")
    by_path = load_study(repo_root / "mappings" / "admsc-als")
    assert by_name.studyid == by_path.studyid == "ADMSC-ALS"
    assert by_path.sdtm_specs, "the example study has SDTM specs"


def test_invalid_yaml_names_file_and_line(tmp_path):
    (tmp_path / "study.yaml").write_text("studyid: X\ntitle: [unclosed\n")
    with pytest.raises(SpecError) as err:
        load_study(tmp_path)
    msg = str(err.value)
    assert "study.yaml" in msg and "line" in msg


def test_missing_required_keys_are_all_listed(tmp_path):
    (tmp_path / "study.yaml").write_text("studyid: X\nstandards: {sdtm: sdtmig-3.4, ct: '2025-3-28'}\n")
    with pytest.raises(SpecError) as err:
        load_study(tmp_path)
    msg = str(err.value)
    assert "title: required field" in msg
    assert "standards.ct" in msg  # the CT version must be YYYY-MM-DD


def test_unknown_study_lists_bundled(tmp_path):
    with pytest.raises(SpecError, match="admsc-als"):
        resolve_study(tmp_path / "missing")


def test_log_counts_rows_and_severities(tmp_path):
    log = ConversionLog()
    log.add("warning", "sdtm:AE", "ae.csv", "odd value", row=3, field="AESEV", value="mild?")
    log.add_rows("error", "sdtm:AE", "ae.csv", "impossible date", [4.0, 9.0], field="AESTDAT",
                 values=["31 FEB 2013", "30 FEB 2014"])
    assert log.count() == 3 and log.count("error") == 2 and log.has_errors
    frame = log.frame()
    assert list(frame.loc[frame.severity == "error", "row"]) == [4, 9]
    path = log.write(tmp_path / "log.csv")
    text = path.read_text()
    assert "ae.csv,4,AESTDAT,31 FEB 2013,impossible date" in text
