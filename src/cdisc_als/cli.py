"""The ``cdisc-als`` command line. Thin: parse options, call the pipeline, print progress.

Exit codes (the contract scripts rely on): 0 ok, 1 findings or differences, 2 could not run.
Stage modules are imported inside each command so that ``cdisc-als --help`` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from typer.exceptions import TyperException

from cdisc_als import __version__
from cdisc_als.errors import CdiscAlsError

app = typer.Typer(
    help="Raw trial data to CDISC SDTM and ADaM, validated, as SAS XPORT v5 and Define-XML 2.1.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2

StudyOpt = Annotated[
    str, typer.Option("--study", help="Study folder (with study.yaml) or the name of a bundled study.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder to write into (created if missing).")]
FormatOpt = Annotated[
    str, typer.Option("--format", help="Output formats, comma separated: xpt, json, ndjson.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display or per-dataset lines (errors are still printed).")
]
TransliterateOpt = Annotated[
    bool,
    typer.Option(
        "--transliterate",
        help="Write non-ASCII text as ASCII look-alikes (accents dropped, curly quotes made straight) "
        "instead of refusing; without it a non-ASCII value stops the run, naming dataset, variable and row.",
    ),
]


def guarded(func):
    """Turn the package's own errors into a message and exit code 2 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CdiscAlsError as exc:
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            if "non-ASCII" in str(exc) and "transliterate" in kwargs:
                console.print("hint: --transliterate writes ASCII look-alikes instead", highlight=False)
            raise typer.Exit(EXIT_CANNOT_RUN) from None
        except OSError as exc:  # missing, unreadable or unwritable file or folder
            where = f"{exc.filename}: " if getattr(exc, "filename", None) and str(exc.filename) not in str(exc) else ""
            console.print(f"[bold red]error:[/] {escape(where + str(exc))}", highlight=False)
            raise typer.Exit(EXIT_CANNOT_RUN) from None
        except (typer.Exit, typer.Abort, TyperException):  # exits and usage errors (BadParameter)
            raise
        except Exception as exc:  # a bug: still "could not run" (2), never "findings" (1)
            if os.environ.get("CDISC_ALS_DEBUG"):
                raise
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            console.print(
                f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
                f"(at {escape(Path(frame.filename).name)}:{frame.lineno}; "
                "set CDISC_ALS_DEBUG=1 for the traceback)",
                highlight=False,
            )
            raise typer.Exit(EXIT_CANNOT_RUN) from None

    return wrapper


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in {"xpt", "json", "ndjson"}]
    if bad or not formats:
        raise typer.BadParameter(f"unknown format(s) {bad}; use xpt, json or ndjson")
    return formats


def _version(value: bool) -> None:
    if value:
        print(f"cdisc-als {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """cdisc-als command line."""


@app.command()
@guarded
def raw(
    study: StudyOpt,
    out: OutOpt,
    subjects: Annotated[int | None, typer.Option(help="Randomized subjects (default: study.yaml).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: study.yaml).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Generate the study's seeded synthetic raw EDC export (one CSV per CRF form)."""
    from cdisc_als.study import load_study

    st = load_study(study)
    from cdisc_als.synth import generate_raw

    counts = generate_raw(st, out, subjects=subjects, seed=seed)
    if not quiet:
        for form, n in counts.items():
            console.print(f"  {form}: {n} rows", highlight=False)
        console.print(f"raw: {len(counts)} form(s), {sum(counts.values())} row(s) written to {out}", highlight=False)


@app.command()
@guarded
def sdtm(
    study: StudyOpt,
    out: OutOpt,
    raw: Annotated[Path, typer.Option("--raw", help="Folder of raw files (csv, parquet, xpt, sas7bdat).")],
    format: FormatOpt = "xpt",
    transliterate: TransliterateOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Map raw data to SDTM datasets with the study's mapping specs; log in OUT/logs/.

    Exit codes: 0 no errors in the conversion log; 1 errors in the log (datasets still written);
    2 could not run (bad spec, missing raw file or column, value the writer refuses).
    """
    from cdisc_als.pipeline import run_sdtm_stage

    ok = run_sdtm_stage(
        study, raw, out, parse_formats(format), console, quiet=quiet, transliterate=transliterate
    )
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)


@app.command()
@guarded
def adam(
    study: StudyOpt,
    out: OutOpt,
    sdtm: Annotated[Path, typer.Option("--sdtm", help="Folder of SDTM datasets (xpt, json, parquet).")],
    format: FormatOpt = "xpt",
    transliterate: TransliterateOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Derive ADaM datasets from SDTM with the study's ADaM specs; log in OUT/logs/.

    Exit codes: 0 no errors in the conversion log; 1 errors in the log; 2 could not run.
    """
    from cdisc_als.pipeline import run_adam_stage

    ok = run_adam_stage(
        study, sdtm, out, parse_formats(format), console, quiet=quiet, transliterate=transliterate
    )
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)


@app.command()
@guarded
def validate(
    data: Annotated[Path | None, typer.Argument(help="Folder of SDTM or ADaM datasets.")] = None,
    standard: Annotated[
        str | None, typer.Option(help="sdtmig-3.4 or adamig-1.3 (detected when omitted).")
    ] = None,
    define: Annotated[Path | None, typer.Option(help="Check the datasets against this define.xml.")] = None,
    report: Annotated[Path | None, typer.Option(help="Folder for report.json/.html/.xlsx.")] = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 on findings of this level: error or warning.")] = "error",
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and coverage.")] = False,
) -> None:
    """Check datasets against the conformance rules and write reports."""
    from cdisc_als.pipeline import run_validate_stage

    code = run_validate_stage(data, standard, define, report, fail_on, list_rules, console)
    raise typer.Exit(code)


@app.command()
@guarded
def define(
    study: StudyOpt,
    data: Annotated[Path, typer.Option("--data", help="Folder of the datasets the define describes.")],
    out: Annotated[Path, typer.Option("--out", help="define.xml path to write.")],
) -> None:
    """Write a Define-XML 2.1 document for a folder of SDTM or ADaM datasets."""
    from cdisc_als.pipeline import run_define_stage

    run_define_stage(study, data, out, console)


@app.command()
@guarded
def build(
    study: StudyOpt,
    out: OutOpt,
    raw: Annotated[Path | None, typer.Option("--raw", help="Raw folder. Default: generate it with the study's raw generator (study.yaml raw:), which only studies with a generator have.")] = None,
    allow_errors: Annotated[bool, typer.Option(help="Go on when validation finds errors.")] = False,
    format: FormatOpt = "xpt",
    transliterate: TransliterateOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the whole chain (raw, SDTM, ADaM, validation, define) into the eCTD m5 tree with a manifest.

    Exit codes: 0 clean; 1 conversion-log or validation errors; 2 could not run.
    """
    from cdisc_als.pipeline import run_build

    code = run_build(
        study, out, raw, allow_errors, parse_formats(format), console, quiet=quiet, transliterate=transliterate
    )
    raise typer.Exit(code)


@app.command()
@guarded
def compare(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="Base dataset (xpt, json, ndjson, parquet, csv).")],
    other: Annotated[Path, typer.Argument(metavar="COMPARE", help="Dataset compared with the base.")],
    keys: Annotated[str | None, typer.Option(help="Key variables, comma separated.")] = None,
    vars: Annotated[str | None, typer.Option("--vars", help="Only these variables.")] = None,
    tolerance: Annotated[float, typer.Option(help="Absolute tolerance for numbers.")] = 1e-9,
    report: Annotated[Path | None, typer.Option(help="Folder for compare.html/.json.")] = None,
    strict_missing: Annotated[
        bool, typer.Option("--strict-missing", help='Text null and "" differ (default: equal).')
    ] = False,
) -> None:
    """Compare two datasets (PROC COMPARE style); exit 1 when they differ."""
    from cdisc_als.pipeline import run_compare

    code = run_compare(base, other, keys, vars, tolerance, report, console, strict_missing=strict_missing)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
