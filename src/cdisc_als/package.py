"""``cdisc-als build``: the whole chain into the eCTD module 5 tree, with a manifest.

Layout written (FDA eCTD / Study Data Technical Conformance Guide):

    OUT/m5/datasets/<studyid>/tabulations/sdtm/   *.xpt, define.xml, define2-1.xsl, validation/
    OUT/m5/datasets/<studyid>/analysis/adam/datasets/   (same)
    OUT/manifest.json   SHA-256 of every file under m5/, tool and standards versions
    OUT/work/           raw data and conversion logs (not part of the submission)

Reproducible: every timestamp written comes from ``SOURCE_DATE_EPOCH`` or the study's
``created`` value, so two builds of the same inputs are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from cdisc_als import __version__
from cdisc_als.errors import CdiscAlsError, ConversionLog
from cdisc_als.reproducible import study_date
from cdisc_als.study import Study, load_study

EXIT_OK, EXIT_FINDINGS = 0, 1


def build_timestamp(study: Study) -> datetime:
    """The one timestamp of a build: SOURCE_DATE_EPOCH, else study.yaml ``created``, else 2000-01-01."""
    return study_date(study) or datetime(2000, 1, 1, tzinfo=UTC)


def submission_dirs(out: Path, studyid: str) -> tuple[Path, Path]:
    """The SDTM and ADaM folders of the eCTD m5 tree (study folder in lower case)."""
    base = out / "m5" / "datasets" / studyid.lower()
    return base / "tabulations" / "sdtm", base / "analysis" / "adam" / "datasets"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(out: Path, study: Study, stamp: datetime) -> Path:
    """manifest.json: every file under m5/ with its size and SHA-256, plus versions."""
    import lxml
    import pandas
    import pyarrow

    files = sorted(p for p in (out / "m5").rglob("*") if p.is_file())
    manifest = {
        "study": study.studyid,
        "built": stamp.strftime("%Y-%m-%dT%H:%M:%S"),
        "tool": {"name": "cdisc-als", "version": __version__},
        "python": platform.python_version(),
        "libraries": {"pandas": pandas.__version__, "pyarrow": pyarrow.__version__, "lxml": lxml.__version__},
        "standards": study.config["standards"],
        "files": [
            {"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in files
        ],
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def build_package(
    study_arg: str, out: Path, raw: Path | None, allow_errors: bool, formats: list[str], console: Console,
    *, quiet: bool = False, transliterate: bool = False,
) -> int:  # fmt: skip
    """Run raw -> SDTM -> ADaM -> validate -> define and write the eCTD tree; return the exit code.

    ``quiet`` silences the progress display (errors are still printed); ``transliterate`` lets the
    XPT writer map non-ASCII text to ASCII look-alikes instead of refusing it.
    """
    study = load_study(study_arg)
    stamp = build_timestamp(study)
    # Every writer stamps SOURCE_DATE_EPOCH; set it for this build only, then restore.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        return _build(study, stamp, Path(out), raw, allow_errors, formats, console, quiet, transliterate)
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _build(
    study: Study, stamp: datetime, out: Path, raw: Path | None, allow_errors: bool, formats: list[str],
    console: Console, quiet: bool = False, transliterate: bool = False,
) -> int:  # fmt: skip
    """The stages of ``build_package`` (SOURCE_DATE_EPOCH already fixed)."""
    from cdisc_als.adam import derive_study
    from cdisc_als.define import write_define_for_folder
    from cdisc_als.io import write_datasets
    from cdisc_als.pipeline import (
        dataset_counter,
        progress_display,
        quiet_console,
        summarize_log,
        write_log,
    )
    from cdisc_als.rules import validate_datasets, write_reports
    from cdisc_als.sdtm import map_study
    from cdisc_als.synth import generate_raw

    sdtm_dir, adam_dir = submission_dirs(out, study.studyid)
    for d in (out / "m5", out / "work"):
        if d.exists():
            shutil.rmtree(d)
    sdtm_dir.mkdir(parents=True)
    adam_dir.mkdir(parents=True)
    work = out / "work"
    log = ConversionLog()
    code = EXIT_OK

    shown = quiet_console(console, quiet)
    with progress_display(shown) as progress:
        task = progress.add_task("raw data", total=None)
        if raw is None:
            if not (study.config.get("raw") or {}).get("generator"):
                raise CdiscAlsError(
                    f"study {study.studyid} has no raw data generator (study.yaml raw.generator): "
                    "pass its raw files with --raw DIR"
                )
            raw = work / "raw"
            counts = generate_raw(study, raw)
            progress.update(task, description=f"raw data: generated {sum(counts.values())} rows in {len(counts)} forms")
        else:
            progress.update(task, description=f"raw data: {raw}")
        progress.stop_task(task)
        shown.print(progress.tasks[task].description, highlight=False)

        task = progress.add_task("SDTM", total=None)
        sdtm = map_study(study, Path(raw), log, on_dataset=dataset_counter(progress, task, "SDTM", shown))
        write_datasets(sdtm, sdtm_dir, formats, transliterate=transliterate)
        progress.update(task, description=f"SDTM: {len(sdtm)} datasets, {sum(len(d) for d in sdtm.values())} records")
        progress.stop_task(task)
        shown.print(progress.tasks[task].description, highlight=False)

        task = progress.add_task("ADaM", total=None)
        adam = derive_study(study, sdtm, log, on_dataset=dataset_counter(progress, task, "ADaM", shown))
        write_datasets(adam, adam_dir, formats, transliterate=transliterate)
        progress.update(task, description=f"ADaM: {len(adam)} datasets, {sum(len(d) for d in adam.values())} records")
        progress.stop_task(task)
        shown.print(progress.tasks[task].description, highlight=False)

        log_summary = summarize_log(log, write_log(log, work / "conversion_log.csv"))
        if log_summary.errors:
            console.print(
                f"[yellow]conversion: {log_summary.errors} error(s) affecting {log_summary.records} record(s); "
                f"see {log_summary.path}[/]"
            )
            code = EXIT_FINDINGS

        n_errors = 0
        for label, datasets, folder, standard in (
            ("SDTM", sdtm, sdtm_dir, study.config["standards"]["sdtm"]),
            ("ADaM", adam, adam_dir, study.config["standards"].get("adam", "adamig-1.3")),
        ):
            task = progress.add_task(f"validate {label}", total=None)
            report = validate_datasets(datasets, standard)
            write_reports(report, folder / "validation")
            errors = report.count("error")
            n_errors += errors
            progress.update(task, description=f"validate {label}: {report.count()} finding(s), {errors} error(s)")
            progress.stop_task(task)
            shown.print(progress.tasks[task].description, highlight=False)

        if n_errors and not allow_errors:
            console.print(
                f"[bold red]validation found {n_errors} error-level issue(s); no define.xml written "
                "(use --allow-errors to go on)[/]"
            )
            shown.print(_summary(sdtm, adam, log_summary), highlight=False)
            return EXIT_FINDINGS
        if n_errors:
            code = EXIT_FINDINGS

        for label, folder, datasets in (("SDTM", sdtm_dir, sdtm), ("ADaM", adam_dir, adam)):
            task = progress.add_task(f"define {label}", total=None)
            # metadata=: origins, methods and codelists the XPT files cannot carry
            write_define_for_folder(study, folder, folder / "define.xml", metadata=datasets)
            progress.stop_task(task)

    manifest = write_manifest(out, study, stamp)
    shown.print(f"submission package written to {out / 'm5'}; manifest {manifest}", highlight=False)
    shown.print(_summary(sdtm, adam, log_summary), highlight=False)
    return code


def _summary(sdtm: dict, adam: dict, log) -> str:
    """The one line ``build`` ends with: datasets, records, conversion-log findings and its path."""
    records = sum(len(d) for d in sdtm.values()) + sum(len(d) for d in adam.values())
    return (
        f"build: {len(sdtm) + len(adam)} dataset(s) ({len(sdtm)} SDTM, {len(adam)} ADaM), {records} record(s); "
        f"conversion log: {log.errors} error(s), {log.warnings} warning(s) in {log.path}"
    )
