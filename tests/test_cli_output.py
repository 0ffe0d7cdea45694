"""What ``sdtm``/``adam``/``build`` print, ``--quiet``, and ``--transliterate`` end to end.

Input: the hand-made 4-subject raw set (tests/data/admsc_tiny_raw/) with the bundled AdMSC-ALS
specs. The non-ASCII case changes one verbatim AE term, the second AE of subject 01-001 (data
row 2 of ae.csv), to ``Céphalée “after” infusion``; the ASCII look-alike expected from the
writer, worked out by hand, is ``Cephalee "after" infusion`` (accents dropped, curly quotes
straight).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdisc_als.cli import app
from cdisc_als.io import read_dataset

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "admsc-als"
RAW = ROOT / "tests" / "data" / "admsc_tiny_raw"
ASCII_TERM = "Headache after infusion"
NON_ASCII_TERM = "C\u00e9phal\u00e9e \u201cafter\u201d infusion"
LOOK_ALIKE = 'Cephalee "after" infusion'

runner = CliRunner()


def _csv_rows(path: Path) -> int:
    """Data rows of a raw CSV counted from the file itself (no quoted newlines in the tiny set)."""
    return len(path.read_text("utf-8").strip().split("\n")) - 1


@pytest.fixture(scope="module")
def accented_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw") / "raw"
    shutil.copytree(RAW, raw)
    ae = raw / "ae.csv"
    text = ae.read_text("utf-8")
    assert text.count(ASCII_TERM) == 1
    ae.write_text(text.replace(ASCII_TERM, NON_ASCII_TERM), "utf-8")
    return raw


def _sdtm(raw: Path, out: Path, *extra: str):
    return runner.invoke(app, ["sdtm", "--study", str(STUDY), "--raw", str(raw), "--out", str(out), *extra])


def test_sdtm_prints_record_counts_and_a_summary_line(tmp_path):
    out = tmp_path / "sdtm"
    result = _sdtm(RAW, out)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # one DM record per screened subject, one AE record per AE form line
    assert "  DM: 4 records" in lines
    assert f"  AE: {_csv_rows(RAW / 'ae.csv')} records" in lines
    written = sorted(out.glob("*.xpt"))
    records = sum(len(read_dataset(p)) for p in written)
    log = out / "logs" / "sdtm_conversion_log.csv"
    assert log.is_file()
    summary = [line for line in lines if line.startswith("sdtm: ")]
    assert summary == [
        f"sdtm: {len(written)} dataset(s), {records} record(s) written to {out}; "
        f"conversion log: 0 error(s), 0 warning(s) in {log}"
    ]
    # one per-dataset line for every dataset written
    assert sum(1 for line in lines if line.endswith(" records") and line.startswith("  ")) == len(written)


def test_quiet_prints_nothing_when_all_is_well(tmp_path):
    out = tmp_path / "sdtm"
    result = _sdtm(RAW, out, "-q")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ""
    assert (out / "dm.xpt").is_file()


def test_non_ascii_refused_by_default_naming_dataset_variable_row(accented_raw, tmp_path):
    out = tmp_path / "sdtm"
    result = _sdtm(accented_raw, out, "-q")  # quiet: the error is printed all the same
    assert result.exit_code == 2, result.output
    assert "dataset AE, variable AETERM, row 2" in result.output
    assert "--transliterate" in result.output
    assert not list(out.glob("*.xpt"))  # all or nothing


def test_sdtm_transliterate_writes_ascii_look_alikes(accented_raw, tmp_path):
    out = tmp_path / "sdtm"
    result = _sdtm(accented_raw, out, "--transliterate", "-q")
    assert result.exit_code == 0, result.output
    terms = read_dataset(out / "ae.xpt").data["AETERM"].tolist()
    assert LOOK_ALIKE in terms
    assert all(t.isascii() for t in terms)


@pytest.fixture(scope="module")
def accented_sdtm_json(accented_raw, tmp_path_factory) -> Path:
    """SDTM as Dataset-JSON (UTF-8, so the accented term survives) for the ADaM step."""
    out = tmp_path_factory.mktemp("sdtm") / "sdtm"
    result = _sdtm(accented_raw, out, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    return out


def _adam(sdtm: Path, out: Path, *extra: str):
    return runner.invoke(app, ["adam", "--study", str(STUDY), "--sdtm", str(sdtm), "--out", str(out), *extra])


def test_adam_non_ascii_refused_then_transliterated(accented_sdtm_json, tmp_path):
    refused = _adam(accented_sdtm_json, tmp_path / "a1")
    assert refused.exit_code == 2, refused.output
    # ADAE sorted by subject and start: 01-001's headache is its second AE, row 2
    assert "dataset ADAE, variable AETERM, row 2" in refused.output
    assert not list((tmp_path / "a1").glob("*.xpt"))

    out = tmp_path / "a2"
    done = _adam(accented_sdtm_json, out, "--transliterate")
    assert done.exit_code == 0, done.output
    adae = read_dataset(out / "adae.xpt").data
    assert LOOK_ALIKE in adae["AETERM"].tolist()
    lines = done.output.splitlines()
    assert f"  ADAE: {_csv_rows(RAW / 'ae.csv')} records" in lines
    # ADSL: one record per randomized subject (01-003 is a screen failure)
    assert "  ADSL: 3 records" in lines
    assert any(
        line.startswith("adam: ") and f"in {out / 'logs' / 'adam_conversion_log.csv'}" in line for line in lines
    )


def test_build_refuses_non_ascii_without_transliterate(accented_raw, tmp_path):
    result = runner.invoke(
        app, ["build", "--study", str(STUDY), "--raw", str(accented_raw), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 2, result.output
    assert "dataset AE, variable AETERM, row 2" in result.output
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.slow
def test_build_transliterate_and_summary_line(accented_raw, tmp_path):
    args = ["build", "--study", str(STUDY), "--raw", str(accented_raw), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--transliterate", "--allow-errors"])
    assert result.exit_code in (0, 1), result.output  # 1 when the tiny set has validation errors
    base = tmp_path / "m5" / "datasets" / "admsc-als"
    sdtm, adam = base / "tabulations" / "sdtm", base / "analysis" / "adam" / "datasets"
    assert LOOK_ALIKE in read_dataset(sdtm / "ae.xpt").data["AETERM"].tolist()
    assert (tmp_path / "manifest.json").is_file()
    lines = result.output.splitlines()
    assert "  DM: 4 records" in lines
    n_sdtm, n_adam = len(list(sdtm.glob("*.xpt"))), len(list(adam.glob("*.xpt")))
    records = sum(len(read_dataset(p)) for folder in (sdtm, adam) for p in folder.glob("*.xpt"))
    log = tmp_path / "work" / "conversion_log.csv"
    summary = [line for line in lines if line.startswith("build: ")]
    assert summary == [
        f"build: {n_sdtm + n_adam} dataset(s) ({n_sdtm} SDTM, {n_adam} ADaM), {records} record(s); "
        f"conversion log: 0 error(s), 0 warning(s) in {log}"
    ]
    assert log.is_file()
