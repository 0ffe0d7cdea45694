"""compare on files (csv, parquet, xpt, Dataset-JSON), its reports and the CLI exit codes 0/1/2."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from typer.testing import CliRunner

from cdisc_als.cli import app
from cdisc_als.compare import compare_files, load_dataset, write_reports
from cdisc_als.compare.loading import _read_datasetjson

runner = CliRunner()

DM = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "AGE": [60.0, 71.0, 55.0], "SEX": ["M", "F", "<b>F"]})


def _write_xpt(frame, path, labels):
    pyreadstat.write_xport(frame, str(path), table_name="DM", column_labels=labels, file_format_version=5)


def test_cli_exit_codes(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    DM.to_csv(a, index=False)
    DM.to_csv(b, index=False)
    res = runner.invoke(app, ["compare", str(a), str(b), "--keys", "USUBJID"])
    assert res.exit_code == 0, res.output
    DM.assign(AGE=[60.0, 72.0, 55.0]).to_csv(b, index=False)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["compare", str(a), str(b), "--keys", "USUBJID", "--report", str(out)])
    assert res.exit_code == 1, res.output
    assert (out / "compare.json").is_file() and (out / "compare.html").is_file()
    res = runner.invoke(app, ["compare", str(a), str(tmp_path / "missing.xpt")])
    assert res.exit_code == 2 and "file not found" in res.output
    bad = tmp_path / "bad.xpt"
    bad.write_bytes(b"this is not a transport file")
    res = runner.invoke(app, ["compare", str(a), str(bad)])
    assert res.exit_code == 2 and "bad.xpt" in res.output
    res = runner.invoke(app, ["compare", str(a), str(b), "--keys", "NOKEY"])
    assert res.exit_code == 2


def test_cli_strict_missing(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pd.DataFrame({"K": ["1", "2"], "V": ["x", None]}).to_parquet(a, index=False)
    pd.DataFrame({"K": ["1", "2"], "V": ["x", ""]}).to_parquet(b, index=False)
    assert runner.invoke(app, ["compare", str(a), str(b), "--keys", "K"]).exit_code == 0
    res = runner.invoke(app, ["compare", str(a), str(b), "--keys", "K", "--strict-missing"])
    assert res.exit_code == 1, res.output


def test_xpt_vs_parquet_with_labels(tmp_path):
    x = tmp_path / "dm.xpt"
    _write_xpt(DM, x, ["Unique Subject Identifier", "Age", "Sex"])
    ds = load_dataset(x)
    assert ds.var("AGE").label == "Age" and ds.var("AGE").type == "Num"
    assert ds.var("USUBJID").type == "Char"
    p = tmp_path / "dm.parquet"
    table = pa.Table.from_pandas(DM, preserve_index=False)
    fields = [
        f.with_metadata({"label": lbl})
        for f, lbl in zip(table.schema, ["Unique Subject Identifier", "Age in Years", "Sex"], strict=True)
    ]
    pq.write_table(table.cast(pa.schema(fields)), p)
    r = compare_files(x, p, keys="USUBJID")
    assert [(d["variable"], d["attribute"]) for d in r.meta_diffs] == [("AGE", "label")]
    assert r.cells_equal == r.cells_compared == 6


def test_parquet_sidecar_labels(tmp_path):
    p = tmp_path / "dm.parquet"
    DM.to_parquet(p, index=False)
    (tmp_path / "dm.labels.json").write_text(json.dumps({"AGE": "Age", "SEX": None}))
    ds = load_dataset(p)
    assert ds.var("AGE").label == "Age" and ds.var("SEX").label == ""


def test_datasetjson_11_and_ndjson(tmp_path):
    meta = {
        "datasetJSONVersion": "1.1.0",
        "name": "DM",
        "label": "Demographics",
        "columns": [
            {"itemOID": "IT.DM.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier",
             "dataType": "string", "length": 2, "keySequence": 1},
            {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "integer"},
            {"itemOID": "IT.DM.SEX", "name": "SEX", "label": "Sex", "dataType": "string", "length": 4},
        ],
    }
    rows = [["S1", 60, "M"], ["S2", 71, "F"], ["S3", 55, "<b>F"]]
    j = tmp_path / "dm.json"
    j.write_text(json.dumps({**meta, "records": 3, "rows": rows}))
    nd = tmp_path / "dm.ndjson"
    nd.write_text("\n".join(json.dumps(x) for x in [{**meta, "records": 3}, *rows]) + "\n")
    for path in (j, nd):
        ds = _read_datasetjson(path)
        assert ds.name == "DM" and ds.var("SEX").length == 4 and ds.var("AGE").type == "Num"
        r = compare_files(path, j, keys="USUBJID")
        assert r.equal and r.n_matched == 3
    csv = tmp_path / "dm.csv"
    DM.to_csv(csv, index=False)
    r = compare_files(j, csv, keys="USUBJID")
    # CSV is text: AGE "60.0" vs 60 compares as a number; the only finding is the type of AGE
    assert r.equal_cell_share == 1.0
    assert [(d["variable"], d["attribute"]) for d in r.meta_diffs] == [("AGE", "type")]


def test_reports_are_self_contained_and_escaped(tmp_path):
    other = DM.assign(SEX=["M", "F", "F"])
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    DM.to_parquet(a, index=False)
    other.to_parquet(b, index=False)
    r = compare_files(a, b, keys="USUBJID")
    jpath, hpath = write_reports(r, tmp_path / "rep")
    d = json.loads(jpath.read_text())
    assert d["equal"] is False
    assert d["summary"]["cells_compared"] == 6 and d["summary"]["cells_equal"] == 5
    assert d["summary"]["equal_cell_share"] == pytest.approx(round(5 / 6, 6))
    (sex,) = [v for v in d["variables"] if v["name"] == "SEX"]
    assert sex["examples"] == [{"USUBJID": "S3", "BASE": "<b>F", "COMPARE": "F"}]
    html = hpath.read_text()
    assert "&lt;b&gt;F" in html and "<b>F" not in html
    assert "<script" not in html and "http" not in html.lower().replace("http-equiv", "")


def test_reference_adae_tdf_vs_pilot3(reference_dir):
    """The reference README documents: ADAE differs only in ADURU (718) and ADURN (4)."""
    base = reference_dir / "cdiscpilot01/adam_tdf/adae.xpt"
    comp = reference_dir / "cdiscpilot01/adam_pilot3_r/adae.xpt"
    r = compare_files(base, comp, keys=["USUBJID", "AESEQ"])
    assert r.n_matched == 1191 and r.n_base_only == r.n_compare_only == 0
    assert {v.name: v.n_diff for v in r.differing_variables} == {"ADURU": 718, "ADURN": 4}


def test_reference_adsl_xpt_vs_r_parquet(reference_dir):
    """The reference README: safetyData's ADSL equals the original XPT except for types (R Dates)."""
    base = reference_dir / "cdiscpilot01/adam/adsl.xpt"
    comp = reference_dir / "cdiscpilot01/adam_from_safetydata/adsl.parquet"
    r = compare_files(base, comp, keys="USUBJID")
    assert r.n_matched == 254 and r.equal_cell_share == 1.0 and not r.vars_only_base
