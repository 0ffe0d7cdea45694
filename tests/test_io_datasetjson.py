"""Dataset-JSON 1.1 writer/reader: official schema validity, exact content, round trip.

The official CDISC Dataset-JSON 1.1 schemas are read from the reference folder
(``$CDISC_REFERENCE_DIR/schemas/dataset-json-1.1/``), never copied into the project.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.datasetjson import read_datasetjson, write_datasetjson
from cdisc_als.io.xpt import read_xpt


def _schema(reference_dir: Path, name: str) -> dict:
    raw = (reference_dir / "schemas" / "dataset-json-1.1" / name).read_bytes()
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return json.loads(raw.decode(encoding))


@pytest.fixture(scope="module")
def dataset_schema(reference_dir: Path) -> jsonschema.Draft201909Validator:
    schema = _schema(reference_dir, "dataset.schema.json")
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="module")
def ndjson_metadata_schema(reference_dir: Path) -> jsonschema.Draft201909Validator:
    schema = _schema(reference_dir, "dataset-ndjson-schema.json")
    # The metadata line is the schema's DatasetMetadata definition. (The schema's root refers
    # to $defs/Column and $defs/SourceSystem, which that file does not define, so the root
    # itself cannot be used; the rows are checked with dataset.schema.json instead.)
    return jsonschema.Draft201909Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/DatasetMetadata"}
    )


def _adsl() -> Dataset:
    data = pd.DataFrame(
        {
            "STUDYID": ["ADMSC-ALS"] * 3,
            "USUBJID": ["ADMSC-ALS-001", "ADMSC-ALS-002", "ADMSC-ALS-003"],
            "AGE": [54.0, np.nan, 61.0],
            "BMIBL": [22.5, 0.1, np.nan],
            "TRTSDT": pd.to_datetime(["2020-01-01", None, "2019-12-31"]),
            "RFSTDTC": ["2020-01-01", "", "2019-12-31T10:00"],
            "TRTSTM": [36000.0, np.nan, 0.0],  # SAS seconds since midnight with TIME8.
        }
    )
    variables = [
        Variable("STUDYID", "Study Identifier"),
        Variable("USUBJID", "Unique Subject Identifier", length=20),
        Variable("AGE", "Age", "Num", datatype="integer"),
        Variable("BMIBL", "Baseline BMI (kg/m2)", "Num", format="8.1", datatype="float"),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "Num", format="DATE9."),
        Variable("RFSTDTC", "Subject Reference Start Date/Time", datatype="datetime"),
        Variable("TRTSTM", "Time of First Exposure to Treatment", "Num", format="TIME8."),
    ]
    return Dataset("ADSL", data, label="Subject-Level Analysis Dataset", variables=variables,
                   keys=["STUDYID", "USUBJID"], standard="ADaMIG 1.3")  # fmt: skip


def test_content_is_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1577836800")
    doc = json.loads(write_datasetjson(_adsl(), tmp_path / "adsl.json").read_text("utf-8"))
    assert doc["datasetJSONVersion"] == "1.1.0"
    assert doc["datasetJSONCreationDateTime"] == "2020-01-01T00:00:00"
    assert doc["itemGroupOID"] == "IG.ADSL"
    assert doc["studyOID"] == "STDY.ADMSC-ALS"
    assert doc["metaDataVersionOID"] == "MDV.ADMSC-ALS.ADaMIG.1.3"
    assert (doc["name"], doc["label"], doc["records"]) == ("ADSL", "Subject-Level Analysis Dataset", 3)
    cols = {c["name"]: c for c in doc["columns"]}
    assert [c["itemOID"] for c in doc["columns"]][:2] == ["IT.ADSL.STUDYID", "IT.ADSL.USUBJID"]
    assert cols["STUDYID"] == {"itemOID": "IT.ADSL.STUDYID", "name": "STUDYID", "label": "Study Identifier",
                               "dataType": "string", "length": 9, "keySequence": 1}  # fmt: skip
    assert cols["USUBJID"]["length"] == 20 and cols["USUBJID"]["keySequence"] == 2
    assert cols["AGE"]["dataType"] == "integer"
    assert (cols["BMIBL"]["dataType"], cols["BMIBL"]["displayFormat"]) == ("double", "8.1")
    assert (cols["TRTSDT"]["dataType"], cols["TRTSDT"]["targetDataType"]) == ("date", "integer")
    assert cols["TRTSDT"]["displayFormat"] == "DATE9."
    assert cols["RFSTDTC"]["dataType"] == "datetime" and "targetDataType" not in cols["RFSTDTC"]
    assert (cols["TRTSTM"]["dataType"], cols["TRTSTM"]["targetDataType"]) == ("time", "integer")
    assert doc["rows"] == [
        ["ADMSC-ALS", "ADMSC-ALS-001", 54, 22.5, "2020-01-01", "2020-01-01", "10:00:00"],
        ["ADMSC-ALS", "ADMSC-ALS-002", None, 0.1, None, "", None],
        ["ADMSC-ALS", "ADMSC-ALS-003", 61, None, "2019-12-31", "2019-12-31T10:00", "00:00:00"],
    ]
    assert isinstance(doc["rows"][0][2], int)


def test_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = write_datasetjson(_adsl(), tmp_path / "a.json").read_bytes()
    assert write_datasetjson(_adsl(), tmp_path / "b.json").read_bytes() == first


def test_valid_against_official_schema(tmp_path: Path, dataset_schema) -> None:
    doc = json.loads(write_datasetjson(_adsl(), tmp_path / "adsl.json").read_text("utf-8"))
    dataset_schema.validate(doc)
    broken = {k: v for k, v in doc.items() if k != "columns"}
    with pytest.raises(jsonschema.ValidationError):
        dataset_schema.validate(broken)  # the schema check can fail
    with pytest.raises(jsonschema.ValidationError):
        dataset_schema.validate({**doc, "datasetJSONVersion": "1.0.0"})


def test_ndjson_valid_and_line_per_row(tmp_path: Path, dataset_schema, ndjson_metadata_schema) -> None:
    path = write_datasetjson(_adsl(), tmp_path / "adsl.ndjson", ndjson=True)
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 1 + 3
    meta = json.loads(lines[0])
    assert "rows" not in meta
    ndjson_metadata_schema.validate(meta)
    with pytest.raises(jsonschema.ValidationError):
        ndjson_metadata_schema.validate({**meta, "rows": []})  # rows never on the metadata line
    rows = [json.loads(line) for line in lines[1:]]
    assert rows[1] == ["ADMSC-ALS", "ADMSC-ALS-002", None, 0.1, None, "", None]
    dataset_schema.validate({**meta, "rows": rows})


@pytest.mark.parametrize("suffix", ["json", "ndjson"])
def test_round_trip_restores_metadata(tmp_path: Path, suffix: str) -> None:
    original = _adsl()
    back = read_datasetjson(write_datasetjson(original, tmp_path / f"adsl.{suffix}", ndjson=suffix == "ndjson"))
    assert (back.name, back.label, back.keys) == ("ADSL", original.label, ["STUDYID", "USUBJID"])
    assert [(v.name, v.label, v.type) for v in back.variables] == [
        (v.name, v.label, v.type) for v in original.variables
    ]
    assert back.var("USUBJID").length == 20 and back.var("STUDYID").length == 9
    assert back.var("TRTSDT").format == "DATE9." and back.var("BMIBL").format == "8.1"
    assert back.data["TRTSDT"].tolist()[0] == pd.Timestamp("2020-01-01")
    assert pd.isna(back.data["TRTSDT"].iloc[1])
    assert back.data["TRTSTM"].tolist()[0] == pd.Timedelta(hours=10)
    assert back.data["AGE"].tolist()[0] == 54.0 and np.isnan(back.data["AGE"].iloc[1])
    assert back.data["BMIBL"].tolist()[:2] == [22.5, 0.1]
    assert back.data["RFSTDTC"].tolist() == ["2020-01-01", "", "2019-12-31T10:00"]


def test_infinite_number_refused_and_nothing_written(tmp_path: Path) -> None:
    ds = _adsl()
    ds.data.loc[1, "BMIBL"] = np.inf
    with pytest.raises(DataError, match="infinite") as info:
        write_datasetjson(ds, tmp_path / "adsl.json")
    assert info.value.row == 2 and info.value.field == "BMIBL"
    assert list(tmp_path.iterdir()) == []


def test_pilot_adsl_as_dataset_json(reference_dir: Path, tmp_path: Path, dataset_schema) -> None:
    adsl = read_xpt(reference_dir / "cdiscpilot01" / "adam" / "adsl.xpt")
    path = write_datasetjson(adsl, tmp_path / "adsl.json")
    doc = json.loads(path.read_text("utf-8"))
    dataset_schema.validate(doc)
    assert doc["records"] == 254 and doc["studyOID"] == "STDY.CDISCPILOT01"
    back = read_datasetjson(path)
    pd.testing.assert_frame_equal(back.data, adsl.data, check_dtype=False)
    assert [v.label for v in back.variables] == [v.label for v in adsl.variables]
    assert [v.format for v in back.variables] == [v.format for v in adsl.variables]


def test_integer_dtype_without_datatype_is_integer(tmp_path: Path) -> None:
    data = pd.DataFrame({"AESEQ": pd.Series([1, None, 3], dtype="Int64"), "X": [1.0, 2.0, 3.0]})
    doc = json.loads(write_datasetjson(Dataset("AE", data), tmp_path / "ae.json").read_text("utf-8"))
    assert [c["dataType"] for c in doc["columns"]] == ["integer", "double"]
    assert doc["rows"] == [[1, 1.0], [None, 2.0], [3, 3.0]]


def test_ndjson_reader_tolerates_blank_lines(tmp_path: Path) -> None:
    path = write_datasetjson(_adsl(), tmp_path / "adsl.ndjson", ndjson=True)
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([lines[0], "", *lines[1:], "", ""]), "utf-8")
    assert len(read_datasetjson(path)) == 3
