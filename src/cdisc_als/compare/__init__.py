"""``cdisc-als compare``: PROC COMPARE / diffdf style dataset comparison for QC and parity checks.

- ``compare_datasets(base, compare, keys, vars, tolerance) -> CompareResult`` (engine.py)
- ``load_dataset(path) -> Dataset`` for xpt, sas7bdat, Dataset-JSON, parquet, csv (loading.py)
- ``write_reports(result, out_dir)``: compare.json + compare.html (report.py)
- ``run_compare_cli(...) -> int``: exit 0 equal, 1 different (DataError -> the CLI exits 2)
"""

from __future__ import annotations

from pathlib import Path

from cdisc_als.compare.engine import CompareResult, VariableDiff, compare_datasets
from cdisc_als.compare.loading import load_dataset
from cdisc_als.compare.report import print_summary, result_to_dict, write_reports

__all__ = [
    "CompareResult",
    "VariableDiff",
    "compare_datasets",
    "compare_files",
    "load_dataset",
    "result_to_dict",
    "run_compare_cli",
    "write_reports",
]


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    items = [v.strip() for v in value.replace(" ", ",").split(",") if v.strip()]
    return items or None


def compare_files(
    base_path: str | Path,
    compare_path: str | Path,
    keys: str | list[str] | None = None,
    vars: str | list[str] | None = None,
    tolerance: float = 1e-9,
    strict_missing: bool = False,
) -> CompareResult:
    """Read two files and compare them (keys/vars as lists or comma separated text)."""
    keys = _split(keys) if isinstance(keys, str) or keys is None else keys
    vars = _split(vars) if isinstance(vars, str) or vars is None else vars
    return compare_datasets(
        load_dataset(base_path), load_dataset(compare_path), keys, vars, tolerance, strict_missing
    )


def run_compare_cli(
    base_path, compare_path, keys, vars, tolerance, report_dir, console, strict_missing: bool = False
) -> int:
    """The ``compare`` command: compare, print a summary, write reports; 0 equal, 1 different."""
    result = compare_files(base_path, compare_path, keys, vars, tolerance, strict_missing)
    print_summary(result, console)
    if report_dir is not None:
        jpath, hpath = write_reports(result, report_dir)
        console.print(f"  reports: {hpath} and {jpath}", highlight=False)
    return 0 if result.equal else 1
