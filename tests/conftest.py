"""Shared fixtures: the reference folder (skips with a reason when unset) and the repo root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public CDISC reference material (``CDISC_REFERENCE_DIR``), or skip."""
    value = os.environ.get("CDISC_REFERENCE_DIR")
    if not value:
        pytest.skip("CDISC_REFERENCE_DIR is not set (public reference data not available)")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"CDISC_REFERENCE_DIR={value} is not a folder")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
