"""The installed wheel carries specs/, mappings/ and define/ and works outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = dist.glob("cdisc_als-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def _run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run(
        [sys.executable, "-m", "cdisc_als", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
def test_wheel_contains_data_folders(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("specs", "mappings", "define"):
        assert any(n.startswith(f"cdisc_als/_data/{folder}/") for n in names), folder
    # every file the repository tracks under these folders is in the wheel
    tracked = subprocess.run(
        ["git", "ls-files", "specs", "mappings", "define"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    if tracked:
        missing = [t for t in tracked if f"cdisc_als/_data/{t}" not in names]
        assert not missing, missing


@pytest.mark.slow
def test_installed_cli_runs_outside_repo(installed, tmp_path):
    result = _run(installed, tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "build" in result.stdout
    # the package imported is the installed copy, not the checkout
    probe = subprocess.run(
        [sys.executable, "-c", "import cdisc_als.resources as r; print(r.data_dir('specs'))"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(installed)),
        capture_output=True,
        text=True,
    )
    assert str(installed) in probe.stdout, probe.stdout + probe.stderr


@pytest.mark.slow
def test_installed_build_of_bundled_study_outside_repo(installed, tmp_path):
    """`cdisc-als build --study admsc-als` from an empty folder, with only the installed wheel."""
    result = _run(installed, tmp_path, "build", "--study", "admsc-als", "--out", "out")
    assert result.returncode == 0, result.stdout + result.stderr
    sdtm = tmp_path / "out" / "m5" / "datasets" / "admsc-als" / "tabulations" / "sdtm"
    assert (sdtm / "dm.xpt").is_file() and (sdtm / "define.xml").is_file()
