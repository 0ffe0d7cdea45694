"""``--format`` on the commands that write datasets reaches the writer layer.

The SDTM mapping is replaced by a stub returning a fixed dataset, so the test checks only what
the writers own: the formats parsed by the CLI produce exactly those files, and a dataset that
breaks a v5 limit makes the command exit with code 2 and write no dataset file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cdisc_als.sdtm
import cdisc_als.study
from cdisc_als.cli import app
from cdisc_als.dataset import Dataset

runner = CliRunner()


@pytest.fixture
def stub_mapping(monkeypatch: pytest.MonkeyPatch):
    datasets: dict[str, Dataset] = {}
    monkeypatch.setattr(cdisc_als.study, "load_study", lambda arg: object())
    monkeypatch.setattr(cdisc_als.sdtm, "map_study", lambda study, raw, log, on_dataset=None: datasets)
    return datasets


def _dm(term: str = "M") -> Dataset:
    return Dataset("DM", pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ["S1-01"], "SEX": [term]}), label="Demographics")


@pytest.mark.parametrize(
    ("option", "files"),
    [
        ([], ["dm.xpt"]),
        (["--format", "json"], ["dm.json"]),
        (["--format", "xpt,json,ndjson"], ["dm.json", "dm.ndjson", "dm.xpt"]),
    ],
)
def test_format_option_selects_files(tmp_path: Path, stub_mapping, option, files) -> None:
    stub_mapping["DM"] = _dm()
    out = tmp_path / "sdtm"
    result = runner.invoke(app, ["sdtm", "--study", "x", "--raw", str(tmp_path), "--out", str(out), *option])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == files
    if "dm.json" in files:
        assert json.loads((out / "dm.json").read_text("utf-8"))["itemGroupOID"] == "IG.DM"


def test_bad_dataset_exits_2_and_writes_nothing(tmp_path: Path, stub_mapping) -> None:
    stub_mapping["DM"] = _dm("X" * 201)
    out = tmp_path / "sdtm"
    result = runner.invoke(app, ["sdtm", "--study", "x", "--raw", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 2
    assert "201 bytes" in result.output and "SEX" in result.output
    assert not any(p.is_file() for p in out.iterdir())
