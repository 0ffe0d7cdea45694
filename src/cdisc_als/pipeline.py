"""Glue between the CLI and the stages: each function runs one stage end to end.

Kept apart from ``cli.py`` so that the same code serves the CLI, ``build`` and the tests.
Each stage module exposes one entry point:

- ``cdisc_als.synth.generate_raw(study, out, subjects=None, seed=None) -> {form: rows}``
- ``cdisc_als.sdtm.map_study(study, raw_dir, log) -> {name: Dataset}``
- ``cdisc_als.adam.derive_study(study, sdtm, log) -> {name: Dataset}``
- ``cdisc_als.rules.validate_datasets(datasets, standard, define=None) -> Report``
- ``cdisc_als.define.build_define(study, datasets, standard) -> bytes``
- ``cdisc_als.io.read_folder(dir) -> {name: Dataset}``, ``write_datasets(datasets, out, formats)``
- ``cdisc_als.compare.compare_datasets(base, compare, keys, vars, tolerance) -> CompareResult``
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cdisc_als.errors import ConversionLog


def _report_log(log: ConversionLog, out: Path, console: Console, stage: str) -> bool:
    """Write the conversion log to OUT/logs/ and summarise it; True when no errors."""
    # Not beside the datasets: a folder of datasets must hold datasets only (readers take every file).
    path = log.write(out / "logs" / f"{stage}_conversion_log.csv")
    n_err, n_warn = log.count("error"), log.count("warning")
    if n_err or n_warn:
        frame = log.frame()
        console.print(
            f"[yellow]{stage}: {n_err} error(s), {n_warn} warning(s) affecting "
            f"{frame['row'].notna().sum()} record(s); see {path}[/]"
        )
        for (sev, reason), grp in frame.groupby(["severity", "reason"], sort=False):
            console.print(f"  {sev}: {reason} ({len(grp)})", highlight=False)
    return n_err == 0


def run_sdtm_stage(study_arg: str, raw_dir: Path, out: Path, formats: list[str], console: Console) -> bool:
    """raw -> SDTM datasets in ``out``; returns False when the log has errors."""
    from cdisc_als.io import write_datasets
    from cdisc_als.sdtm import map_study
    from cdisc_als.study import load_study

    study = load_study(study_arg)
    log = ConversionLog()
    datasets = map_study(study, Path(raw_dir), log)
    out.mkdir(parents=True, exist_ok=True)
    write_datasets(datasets, out, formats)
    for name, ds in datasets.items():
        console.print(f"  {name}: {len(ds)} records")
    return _report_log(log, out, console, "sdtm")


def run_adam_stage(study_arg: str, sdtm_dir: Path, out: Path, formats: list[str], console: Console) -> bool:
    """SDTM folder -> ADaM datasets in ``out``; returns False when the log has errors."""
    from cdisc_als.adam import derive_study
    from cdisc_als.io import read_folder, write_datasets
    from cdisc_als.study import load_study

    study = load_study(study_arg)
    log = ConversionLog()
    sdtm = read_folder(Path(sdtm_dir))
    datasets = derive_study(study, sdtm, log)
    out.mkdir(parents=True, exist_ok=True)
    write_datasets(datasets, out, formats)
    for name, ds in datasets.items():
        console.print(f"  {name}: {len(ds)} records")
    return _report_log(log, out, console, "adam")


def run_validate_stage(data, standard, define, report, fail_on, list_rules, console) -> int:
    """Validate a folder of datasets; returns the exit code (0, 1)."""
    from cdisc_als.rules import run_validate_cli

    return run_validate_cli(data, standard, define, report, fail_on, list_rules, console)


def run_define_stage(study_arg: str, data: Path, out: Path, console: Console) -> None:
    """Write define.xml for a folder of datasets."""
    from cdisc_als.define import write_define_for_folder
    from cdisc_als.study import load_study

    write_define_for_folder(load_study(study_arg), Path(data), Path(out))
    console.print(f"define written to {out}")


def run_build(study_arg, out, raw, allow_errors, formats, console) -> int:
    """Whole chain into the eCTD m5 tree; returns the exit code."""
    from cdisc_als.package import build_package

    return build_package(study_arg, Path(out), raw, allow_errors, formats, console)


def run_compare(base, other, keys, vars, tolerance, report, console, strict_missing=False) -> int:
    """Compare two datasets; returns 0 (equal) or 1 (different)."""
    from cdisc_als.compare import run_compare_cli

    return run_compare_cli(base, other, keys, vars, tolerance, report, console, strict_missing=strict_missing)
