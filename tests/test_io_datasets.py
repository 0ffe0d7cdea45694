"""Folder-level reading and writing: formats, preference, split parts, all-or-nothing writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io import read_dataset, read_folder, write_datasets
from cdisc_als.io.xpt import XptSplitWarning, write_xpt, write_xpt_parts


def _dm(label: str = "Demographics") -> Dataset:
    data = pd.DataFrame({"STUDYID": ["S1", "S1"], "USUBJID": ["S1-01", "S1-02"], "AGE": [50.0, 61.0]})
    variables = [Variable("STUDYID", "Study Identifier"), Variable("USUBJID", "Unique Subject Identifier"),
                 Variable("AGE", "Age", "Num")]  # fmt: skip
    return Dataset("DM", data, label=label, variables=variables)


def _ae() -> Dataset:
    data = pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ["S1-01"], "AETERM": ["HEADACHE"], "AESEQ": [1.0]})
    return Dataset("AE", data, label="Adverse Events")


def test_write_every_format_with_lower_case_names(tmp_path: Path) -> None:
    paths = write_datasets({"DM": _dm(), "AE": _ae()}, tmp_path, ["xpt", "json", "ndjson"])
    names = sorted(p.name for p in paths)
    assert names == ["ae.json", "ae.ndjson", "ae.xpt", "dm.json", "dm.ndjson", "dm.xpt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary file left
    frame, meta = pyreadstat.read_xport(str(tmp_path / "dm.xpt"))
    assert meta.table_name == "DM" and frame["USUBJID"].tolist() == ["S1-01", "S1-02"]
    doc = json.loads((tmp_path / "ae.json").read_text("utf-8"))
    assert doc["itemGroupOID"] == "IG.AE" and doc["rows"] == [["S1", "S1-01", "HEADACHE", 1.0]]
    assert len((tmp_path / "dm.ndjson").read_text("utf-8").splitlines()) == 3


def test_default_format_is_xpt(tmp_path: Path) -> None:
    assert [p.name for p in write_datasets({"DM": _dm()}, tmp_path)] == ["dm.xpt"]


def test_one_bad_dataset_means_nothing_written(tmp_path: Path) -> None:
    bad = _ae()
    bad.data.loc[0, "AETERM"] = "X" * 201
    with pytest.raises(DataError) as info:
        write_datasets({"DM": _dm(), "AE": bad}, tmp_path, ["xpt", "json"])
    message = str(info.value)
    assert "nothing written" in message and "dataset AE" in message and "AETERM" in message
    assert info.value.row == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown output format"):
        write_datasets({"DM": _dm()}, tmp_path, ["sas7bdat"])


def test_read_folder_prefers_xpt_and_skips_other_files(tmp_path: Path) -> None:
    write_xpt(_dm("From XPT"), tmp_path / "dm.xpt")
    write_datasets({"DM": _dm("From JSON"), "AE": _ae()}, tmp_path, ["json"])
    (tmp_path / "report.json").write_text('{"findings": []}', "utf-8")
    (tmp_path / "define.xml").write_text("<ODM/>", "utf-8")
    found = read_folder(tmp_path)
    assert sorted(found) == ["AE", "DM"]
    assert found["DM"].label == "From XPT"
    assert found["AE"].label == "Adverse Events" and found["AE"].var("AESEQ").type == "Num"


def test_read_folder_joins_split_parts(tmp_path: Path) -> None:
    n = 300
    data = pd.DataFrame({"USUBJID": [f"S-{i:03d}" for i in range(n)], "QSSEQ": np.arange(1, n + 1, dtype=float)})
    with pytest.warns(XptSplitWarning):
        parts = write_xpt_parts(Dataset("QS", data, label="Questionnaires"), tmp_path / "qs.xpt", split_bytes=3000)
    assert len(parts) >= 3
    write_xpt(Dataset("QS2X", pd.DataFrame({"A": ["x"]})), tmp_path / "qs2x.xpt")  # not a part
    found = read_folder(tmp_path)
    assert sorted(found) == ["QS", "QS2X"]
    assert found["QS"].label == "Questionnaires"
    assert found["QS"].data["QSSEQ"].tolist() == list(range(1, n + 1))
    assert found["QS"].data["USUBJID"].tolist() == data["USUBJID"].tolist()


def test_read_parquet_with_sidecar_labels_and_csv(tmp_path: Path) -> None:
    table = pa.table({"USUBJID": ["A", "B"], "AVAL": [1.5, None], "ADT": pa.array([0, 366], pa.date32())})
    pq.write_table(table, tmp_path / "adxx.parquet")
    (tmp_path / "adxx.labels.json").write_text(json.dumps({"USUBJID": "Unique Subject Identifier", "AVAL": None}))
    (tmp_path / "raw.csv").write_text("A,B\n01,x\n", "utf-8")
    ds = read_dataset(tmp_path / "adxx.parquet")
    assert ds.name == "ADXX"
    assert [(v.name, v.label, v.type, v.format) for v in ds.variables] == [
        ("USUBJID", "Unique Subject Identifier", "Char", None),
        ("AVAL", "", "Num", None),
        ("ADT", "", "Num", "DATE9."),
    ]
    out = write_xpt(ds, tmp_path / "out" / "adxx.xpt")
    frame, _ = pyreadstat.read_xport(str(out), disable_datetime_conversion=True)
    # 1970-01-01 is SAS day 3653 (10 years after 1960; leap days in 1960, 1964, 1968); 1971-01-02 is 366 days later
    assert frame["ADT"].tolist() == [3653.0, 3653.0 + 366]
    csv = read_dataset(tmp_path / "raw.csv")
    assert csv.data["A"].tolist() == ["01"] and csv.var("A").type == "Char"


def test_read_folder_of_sas_submission(reference_dir: Path) -> None:
    found = read_folder(reference_dir / "sdtm-msg-v2" / "sdtm")
    assert len(found) == 27 and "QSPH" in found and "DM" in found
    assert len(found["LB"]) == 3488
    assert found["DM"].var("USUBJID").label == "Unique Subject Identifier"
