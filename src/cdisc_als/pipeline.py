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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cdisc_als.errors import ConversionLog, DataError


@dataclass(frozen=True)
class LogSummary:
    """What a conversion log says, in the numbers the end-of-run summary prints."""

    path: Path
    errors: int
    warnings: int
    records: int  # distinct source records (file, row) with an error or a warning


def quiet_console(console: Console, quiet: bool) -> Console:
    """The console progress goes to: ``console`` itself, or a silent one under ``--quiet``."""
    return Console(stderr=True, quiet=True) if quiet else console


@contextmanager
def progress_display(console: Console) -> Iterator[Progress]:
    """A spinner with elapsed time; off (no drawing, no refresh thread) when quiet or not a terminal."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True, disable=console.quiet or not console.is_terminal,
    ) as progress:  # fmt: skip
        yield progress


def dataset_counter(progress: Progress, task, label: str, console: Console) -> Callable:
    """Callback printing ``NAME: n records`` as each dataset is produced and updating the spinner."""
    seen = {"datasets": 0, "records": 0}

    def produced(ds) -> None:
        seen["datasets"] += 1
        seen["records"] += len(ds)
        console.print(f"  {ds.name}: {len(ds)} records", highlight=False)
        progress.update(task, description=f"{label}: {seen['datasets']} datasets, {seen['records']} records")

    return produced


def write_log(log: ConversionLog, path: Path) -> Path:
    """Write the log as CSV, row numbers as integers (``12``, not ``12.0``) so a user can find them."""
    frame = log.frame()
    rows = pd.to_numeric(frame["row"], errors="coerce")
    whole = rows.notna() & (rows % 1 == 0)
    frame["row"] = frame["row"].astype("object")
    frame.loc[whole, "row"] = rows[whole].astype("int64").astype(str)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def summarize_log(log: ConversionLog, path: Path) -> LogSummary:
    """Count errors, warnings and the distinct source records they affect."""
    frame = log.frame()
    bad = frame[frame["severity"].isin(["error", "warning"]) & frame["row"].notna()]
    records = len(bad[["source", "row"]].astype(str).drop_duplicates())
    return LogSummary(path, log.count("error"), log.count("warning"), records)


def _report_log(log: ConversionLog, path: Path, console: Console, stage: str, quiet: bool = False) -> LogSummary:
    """Write the conversion log to ``path`` and print its findings by reason.

    Under ``--quiet`` only the error lines are printed: errors are never silenced.
    """
    write_log(log, path)
    summary = summarize_log(log, path)
    if summary.errors or (summary.warnings and not quiet):
        console.print(
            f"[yellow]{stage}: {summary.errors} error(s), {summary.warnings} warning(s) affecting "
            f"{summary.records} record(s); see {path}[/]"
        )
        frame = log.frame()
        shown = frame[frame["severity"] == "error"] if quiet else frame
        for (sev, reason, source), grp in shown.groupby(["severity", "reason", "source"], sort=False):
            console.print(f"  {sev}: {source}: {reason} ({len(grp)})", highlight=False)
    return summary


def summary_line(stage: str, datasets: dict, out: Path, log: LogSummary) -> str:
    """One line at the end of a run: datasets, records, log findings, where the log is."""
    records = sum(len(d) for d in datasets.values())
    return (
        f"{stage}: {len(datasets)} dataset(s), {records} record(s) written to {out}; "
        f"conversion log: {log.errors} error(s), {log.warnings} warning(s) in {log.path}"
    )


def _write(progress, task, label: str, datasets: dict, out: Path, formats: list[str], transliterate: bool) -> None:
    """Write a stage's datasets into ``out`` (shown in the progress display)."""
    from cdisc_als.io import write_datasets

    progress.update(task, description=f"{label}: writing {len(datasets)} datasets ({', '.join(formats)})")
    out.mkdir(parents=True, exist_ok=True)
    write_datasets(datasets, out, formats, transliterate=transliterate)


def _finish(stage: str, datasets: dict, out: Path, log: ConversionLog, console: Console, shown: Console, quiet: bool) -> bool:
    """Write the stage's conversion log, print the summary line; True when the log has no errors."""
    summary = _report_log(log, out / "logs" / f"{stage}_conversion_log.csv", console, stage, quiet)
    shown.print(summary_line(stage, datasets, out, summary), highlight=False)
    return summary.errors == 0


def run_sdtm_stage(
    study_arg: str, raw_dir: Path, out: Path, formats: list[str], console: Console,
    *, quiet: bool = False, transliterate: bool = False,
) -> bool:  # fmt: skip
    """raw -> SDTM datasets in ``out``; returns False when the log has errors."""
    from cdisc_als.sdtm import map_study
    from cdisc_als.study import load_study

    shown = quiet_console(console, quiet)
    study = load_study(study_arg)
    log = ConversionLog()
    with progress_display(shown) as progress:
        task = progress.add_task("SDTM: mapping", total=None)
        produced = dataset_counter(progress, task, "SDTM", shown)
        datasets = map_study(study, Path(raw_dir), log, on_dataset=produced)
        _write(progress, task, "SDTM", datasets, out, formats, transliterate)
    return _finish("sdtm", datasets, out, log, console, shown, quiet)


def run_adam_stage(
    study_arg: str, sdtm_dir: Path, out: Path, formats: list[str], console: Console,
    *, quiet: bool = False, transliterate: bool = False,
) -> bool:  # fmt: skip
    """SDTM folder -> ADaM datasets in ``out``; returns False when the log has errors."""
    from cdisc_als.adam import derive_study
    from cdisc_als.io import read_folder
    from cdisc_als.study import load_study

    shown = quiet_console(console, quiet)
    study = load_study(study_arg)
    log = ConversionLog()
    with progress_display(shown) as progress:
        task = progress.add_task(f"ADaM: reading SDTM from {sdtm_dir}", total=None)
        sdtm = read_folder(Path(sdtm_dir))
        if not sdtm:
            raise DataError(sdtm_dir, "no SDTM datasets found (looked for .xpt, .parquet, .json, .ndjson)")
        progress.update(task, description=f"ADaM: deriving from {len(sdtm)} SDTM datasets")
        produced = dataset_counter(progress, task, "ADaM", shown)
        datasets = derive_study(study, sdtm, log, on_dataset=produced)
        _write(progress, task, "ADaM", datasets, out, formats, transliterate)
    return _finish("adam", datasets, out, log, console, shown, quiet)


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


def run_build(study_arg, out, raw, allow_errors, formats, console, *, quiet=False, transliterate=False) -> int:
    """Whole chain into the eCTD m5 tree; returns the exit code."""
    from cdisc_als.package import build_package

    return build_package(
        study_arg, Path(out), raw, allow_errors, formats, console, quiet=quiet, transliterate=transliterate
    )


def run_compare(base, other, keys, vars, tolerance, report, console, strict_missing=False) -> int:
    """Compare two datasets; returns 0 (equal) or 1 (different)."""
    from cdisc_als.compare import run_compare_cli

    return run_compare_cli(base, other, keys, vars, tolerance, report, console, strict_missing=strict_missing)
