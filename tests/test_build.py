"""`cdisc-als build` on the example study: the eCTD m5 tree, a manifest, reproducibility."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdisc_als.cli import app

runner = CliRunner()
STUDY_DIR = "m5/datasets/admsc-als"


def _build(out: Path, *extra: str):
    return runner.invoke(app, ["build", "--study", "admsc-als", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    first = tmp_path_factory.mktemp("build1")
    second = tmp_path_factory.mktemp("build2")
    results = (_build(first), _build(second))
    return first, second, results


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_build_writes_the_ectd_tree(builds):
    out, _, (result, _) = builds
    assert result.exit_code == 0, result.output
    sdtm = out / STUDY_DIR / "tabulations" / "sdtm"
    adam = out / STUDY_DIR / "analysis" / "adam" / "datasets"
    for name in ("dm", "ae", "ex", "qs", "ds", "sv", "se", "ta", "te", "tv", "ts"):
        assert (sdtm / f"{name}.xpt").is_file(), name
    for name in ("adsl", "adae", "adtte", "adqsals"):
        assert (adam / f"{name}.xpt").is_file(), name
    for folder in (sdtm, adam):
        assert (folder / "define.xml").is_file()
        assert (folder / "define2-1.xsl").is_file()
        assert (folder / "validation" / "report.json").is_file()
        # only lower-case dataset names, as the eCTD specification requires
        assert all(p.name == p.name.lower() for p in folder.glob("*.xpt"))


@pytest.mark.slow
def test_manifest_lists_every_file_with_its_hash(builds):
    out, _, _ = builds
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["study"] == "ADMSC-ALS"
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    actual = {f"m5/{k}": v for k, v in _tree(out / "m5").items()}
    assert listed == actual
    assert manifest["standards"]["ct"] == "2025-03-28"


@pytest.mark.slow
def test_two_builds_are_byte_identical(builds):
    first, second, _ = builds
    assert _tree(first / "m5") == _tree(second / "m5")
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()


@pytest.mark.slow
def test_define_files_are_schema_valid_and_match_the_data(builds, reference_dir):
    from cdisc_als.define import check_define_consistency, validate_define
    from cdisc_als.io import read_folder

    out, _, _ = builds
    for folder in (
        out / STUDY_DIR / "tabulations" / "sdtm",
        out / STUDY_DIR / "analysis" / "adam" / "datasets",
    ):
        result = validate_define(folder / "define.xml", reference_dir / "schemas" / "define-2.1")
        assert result.valid, result.errors[:5]
        problems = check_define_consistency(folder / "define.xml", read_folder(folder))
        assert not problems, problems[:5]
