"""Readers and writers.

- ``read_table(path)``: any raw/tabular file (csv, parquet, xpt, sas7bdat) as a DataFrame
- ``read_dataset(path)`` / ``read_folder(dir)``: datasets with metadata (xpt, json, ndjson, parquet)
- ``write_datasets(datasets, out, formats)``: the strict writer layer (XPT v5, Dataset-JSON 1.1)
- ``write_xpt`` / ``write_xpt_parts`` / ``read_xpt``, ``write_datasetjson`` / ``read_datasetjson``:
  one dataset, one format (see docs/io.md)

Names are resolved lazily so that importing one reader does not import every writer.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "read_table": "cdisc_als.io.tables",
    "TABLE_SUFFIXES": "cdisc_als.io.tables",
    "read_dataset": "cdisc_als.io.datasets",
    "read_folder": "cdisc_als.io.datasets",
    "write_datasets": "cdisc_als.io.datasets",
    "write_xpt": "cdisc_als.io.xpt",
    "write_xpt_parts": "cdisc_als.io.xpt",
    "read_xpt": "cdisc_als.io.xpt",
    "write_datasetjson": "cdisc_als.io.datasetjson",
    "read_datasetjson": "cdisc_als.io.datasetjson",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
