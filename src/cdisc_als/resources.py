"""Locate the project's data folders (specs/, mappings/, define/) in a checkout or an installed wheel.

The wheel carries them under ``cdisc_als/_data/`` (see pyproject.toml); an editable install or a
plain checkout finds them at the repository root. One function resolves both, so no other module
ever builds such paths itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_FOLDERS = ("specs", "mappings", "define")


@cache
def data_dir(folder: str) -> Path:
    """Return the directory of a bundled data folder: ``specs``, ``mappings`` or ``define``."""
    if folder not in _FOLDERS:
        raise ValueError(f"unknown data folder {folder!r}; expected one of {_FOLDERS}")
    installed = _PACKAGE_DIR / "_data" / folder
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / folder
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"cannot find the bundled {folder!r} folder (looked in {installed} and {checkout})"
    )


def specs_path(*parts: str) -> Path:
    """Path inside the bundled ``specs/`` folder."""
    return data_dir("specs").joinpath(*parts)


def define_path(*parts: str) -> Path:
    """Path inside the bundled ``define/`` folder."""
    return data_dir("define").joinpath(*parts)


def bundled_studies() -> list[str]:
    """Names of the studies shipped in ``mappings/`` (folders holding a study.yaml)."""
    root = data_dir("mappings")
    return sorted(p.parent.name for p in root.glob("*/study.yaml"))
