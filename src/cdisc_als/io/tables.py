"""Read one raw or tabular file into a DataFrame, detecting the format from the file name.

Raw EDC exports are read *as text* (CSV: every column a string, empty cells as ""), because a
collected value such as ``"01"`` or ``"1+"`` must not be turned into a number before the mapping
spec says so. Binary formats keep their own types.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc_als.errors import DataError

TABLE_SUFFIXES = (".csv", ".parquet", ".xpt", ".sas7bdat")


def find_table(folder: Path, name: str) -> Path:
    """The file holding table ``name`` in ``folder`` (any supported format, any case)."""
    folder = Path(folder)
    for suffix in TABLE_SUFFIXES:
        for candidate in (folder / f"{name}{suffix}", folder / f"{name.lower()}{suffix}", folder / f"{name.upper()}{suffix}"):
            if candidate.is_file():
                return candidate
    raise DataError(folder, f"no file for table {name!r} (looked for {name}{{{','.join(TABLE_SUFFIXES)}}})")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a csv, parquet, xpt or sas7bdat file; CSV is read with every column as text."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".xpt", ".sas7bdat"):
            import pyreadstat

            reader = pyreadstat.read_xport if suffix == ".xpt" else pyreadstat.read_sas7bdat
            try:
                frame, _ = reader(str(path))
            except UnicodeDecodeError:
                frame, _ = reader(str(path), encoding="cp1252")
            return frame
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot read: {exc}") from exc
    raise DataError(path, f"unsupported file type {suffix!r}; expected one of {TABLE_SUFFIXES}")
