"""``cdisc-als validate``: read a folder, detect the standard, run the rules, write reports.

Exit code: 0 when there is no finding at the ``--fail-on`` level (error, or error+warning),
1 when there is; problems that stop the run raise ``CdiscAlsError`` (the CLI maps it to 2).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console

from cdisc_als.dataset import Dataset
from cdisc_als.errors import CdiscAlsError, DataError
from cdisc_als.rules.loader import load_rules
from cdisc_als.rules.model import Rule

BDS_VARS = {"PARAMCD", "AVAL"}
FAIL_LEVELS = {"error": {"error"}, "warning": {"error", "warning"}}


def detect_standard(datasets: dict[str, Dataset]) -> str:
    """ADaM when a dataset is ADSL/AD* or has the BDS PARAMCD+AVAL pair; SDTM otherwise."""
    for name, ds in datasets.items():
        if name.upper() == "ADSL" or name.upper().startswith("AD") and name.upper() not in ("AD",):
            return "adamig-1.3"
        if set(ds.data.columns) >= BDS_VARS:
            return "adamig-1.3"
    return "sdtmig-3.4"


def list_rules(console: Console, standard: str | None = None) -> None:
    """Print every rule (id, CDISC ids, severity, standards, domains) and a coverage summary."""
    rules = [r for r in load_rules() if standard is None or standard in r.standards]
    print(f"{'id':<14} {'cdisc id':<28} {'severity':<8} {'standard':<22} domains / message")
    for r in rules:
        doms = ",".join(r.domains) + (f" (not {','.join(r.exclude_domains)})" if r.exclude_domains else "")
        print(f"{r.id:<14} {r.cdisc_id or '-':<28} {r.severity:<8} {','.join(r.standards):<22} {doms}: {r.message}")
    print(coverage_summary(rules))


def coverage_summary(rules: list[Rule]) -> str:
    by_std = Counter(s for r in rules for s in r.standards)
    by_sev = Counter(r.severity for r in rules)
    core = sorted({c for r in rules for c in r.core_ids})
    cg = sorted({c for r in rules for c in r.cdisc_ids if c.startswith("CG")})
    lines = [
        f"\n{len(rules)} rules: " + ", ".join(f"{k} {v}" for k, v in sorted(by_std.items())),
        "by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(by_sev.items())),
        f"CDISC CORE rules implemented: {len(core)}; SDTMIG conformance rules (CG): {len(cg)}",
    ]
    from cdisc_als.rules.coverage import coverage_numbers, load_catalog

    catalog = load_catalog()
    if catalog is None:
        lines.append("coverage of the SDTMIG 3.4 CORE catalog: docs/validation-coverage.md (set CDISC_REFERENCE_DIR to compute it)")
    else:
        total, scope, done = coverage_numbers(catalog)
        lines.append(
            f"coverage: {done} of the {scope} SDTMIG 3.4 CORE rules for DM, AE, EX, QS, DS, SV, SE, SUPP--, TA, TE, "
            f"TV, TS and ALL ({100 * done / max(scope, 1):.1f} %; {total} SDTMIG 3.4 rules in the catalog)"
        )
    return "\n".join(lines)


def run_validate_cli(data, standard, define, report, fail_on, list_rules_flag, console: Console) -> int:
    """Entry point behind ``cdisc-als validate`` (see module docstring for the exit codes)."""
    from cdisc_als.rules.engine import validate_datasets
    from cdisc_als.rules.reader import read_folder
    from cdisc_als.rules.report_writers import write_reports

    if standard is not None and standard not in ("sdtmig-3.4", "adamig-1.3"):
        raise CdiscAlsError(f"unknown standard {standard!r}; use sdtmig-3.4 or adamig-1.3")
    if list_rules_flag:
        list_rules(console, standard)
        return 0
    if fail_on not in FAIL_LEVELS:
        raise CdiscAlsError(f"--fail-on must be error or warning, not {fail_on!r}")
    if data is None:
        raise CdiscAlsError("give the folder of datasets to validate (or --list-rules)")
    data = Path(data)
    if not data.exists():
        raise DataError(data, "folder not found")
    if define is not None and not Path(define).is_file():
        raise DataError(define, "define.xml not found")
    datasets = read_folder(data)
    std = standard or detect_standard(datasets)
    console.print(f"validating {len(datasets)} datasets in {data} against {std}")
    rep = validate_datasets(datasets, std, Path(define) if define else None)
    n_err, n_warn, n_note = rep.count("error"), rep.count("warning"), rep.count("notice")
    console.print(
        f"{sum(rep.datasets.values())} records, {len(rep.rules_run)} rules applied in {rep.seconds:.1f} s: "
        f"{n_err} error(s), {n_warn} warning(s), {n_note} notice(s)"
    )
    summary = rep.rule_summary()
    for rec in summary.sort_values(["severity", "count"], ascending=[True, False]).head(25).itertuples():
        console.print(f"  {rec.severity:<7} {rec.rule_id:<12} {rec.dataset:<8} {rec.count:>6}  {rec.message}", highlight=False)
    for s in rep.skipped:
        console.print(f"[yellow]  rule {s['rule_id']} not run on {s['dataset']}: {s['reason']}[/]", highlight=False)
    if report is not None:
        paths = write_reports(rep, Path(report))
        console.print("reports: " + ", ".join(str(p) for p in paths))
    levels = FAIL_LEVELS[fail_on]
    return 1 if int(rep.findings["severity"].isin(levels).sum()) else 0
