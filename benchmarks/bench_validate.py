"""Benchmark: validate a ~10,000-subject SDTM + ADaM set with every rule; prints seconds and rows/s.

With ``--data DIR`` it validates DIR/sdtm and DIR/adam, e.g. the 10,000-subject AdMSC-ALS example
made by the project's own pipeline::

    cdisc-als raw --study admsc-als --out X/raw --subjects 10000
    cdisc-als sdtm --study admsc-als --raw X/raw --out X/sdtm
    cdisc-als adam --study admsc-als --sdtm X/sdtm --out X/adam
    .venv/bin/python benchmarks/bench_validate.py --data X

Without it, the set is the public CDISC pilot (CDISCPILOT01, 306 subjects; SDTM XPTs plus the safetyData QS,
ADaM ADSL/ADAE/ADTTE XPTs plus ADQSADAS) with its subject-level records replicated under new
USUBJIDs until the requested number of subjects is reached (trial design datasets kept once).
Needs CDISC_REFERENCE_DIR. Run once:

    CDISC_REFERENCE_DIR=../shared/reference .venv/bin/python benchmarks/bench_validate.py [--subjects 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset
from cdisc_als.rules import load_rules, validate_datasets, write_reports
from cdisc_als.rules.reader import read_dataset, read_folder


def replicate(ds: Dataset, copies: int) -> Dataset:
    """``copies`` copies of every record, USUBJID/SUBJID made unique per copy (vectorized)."""
    if "USUBJID" not in ds.data.columns or copies <= 1:
        return ds
    n = len(ds.data)
    frame = ds.data.iloc[np.tile(np.arange(n), copies)].reset_index(drop=True)
    k = np.repeat(np.arange(copies), n)
    suffix = pd.Series(k, dtype="int64").astype(str).radd("-R")
    for col in ("USUBJID", "SUBJID"):
        if col in frame.columns:
            frame[col] = frame[col].astype(str) + np.where(k > 0, suffix, "")
    return Dataset(ds.name, frame, label=ds.label, variables=ds.variables)


def load(ref: Path) -> tuple[dict[str, Dataset], dict[str, Dataset]]:
    sdtm = read_folder(ref / "cdiscpilot01" / "sdtm")
    qs = read_dataset(ref / "cdiscpilot01" / "sdtm_from_safetydata" / "qs.parquet")
    sdtm["QS"] = Dataset("QS", qs.data, label="Questionnaires", variables=qs.variables)
    adam = read_folder(ref / "cdiscpilot01" / "adam")
    adqs = read_dataset(ref / "cdiscpilot01" / "adam_from_safetydata" / "adqsadas.parquet")
    adam["ADQSADAS"] = Dataset("ADQSADAS", adqs.data, label="ADAS-Cog Analysis", variables=adqs.variables)
    return sdtm, adam


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=10_000)
    ap.add_argument("--report", type=Path, default=None, help="also write the reports to this folder")
    ap.add_argument("--data", type=Path, default=None, help="folder with sdtm/ and adam/ to validate")
    args = ap.parse_args()
    load_rules()  # rule files are read and checked once per process; not part of the timing
    if args.data:
        t0 = time.perf_counter()
        sdtm, adam = read_folder(args.data / "sdtm"), read_folder(args.data / "adam")
        print(f"read {args.data}: {time.perf_counter() - t0:.1f} s")
    else:
        ref = os.environ.get("CDISC_REFERENCE_DIR")
        if not ref:
            print("set CDISC_REFERENCE_DIR (or give --data)", file=sys.stderr)
            return 2
        sdtm, adam = load(Path(ref))
        copies = -(-args.subjects // len(sdtm["DM"]))
        sdtm = {k: replicate(v, copies) for k, v in sdtm.items()}
        adam = {k: replicate(v, copies) for k, v in adam.items()}
    total = 0
    for std, data in (("sdtmig-3.4", sdtm), ("adamig-1.3", adam)):
        rows = sum(len(d) for d in data.values())
        t0 = time.perf_counter()
        rep = validate_datasets(data, std)
        secs = time.perf_counter() - t0
        total += secs
        print(f"{std}: {len(data['DM' if 'DM' in data else 'ADSL'])} subjects, {len(data)} datasets, {rows:,} rows, "
              f"{len(rep.rules_run)} rules applied: {secs:.1f} s ({rows / secs:,.0f} rows/s); "
              f"{rep.count('error'):,} errors, {rep.count('warning'):,} warnings; not run: {len(rep.skipped)}")
        slow = sorted(rep.rule_seconds.items(), key=lambda kv: -kv[1])[:8]
        print("  slowest rules: " + ", ".join(f"{k} {v:.1f}s" for k, v in slow))
        if args.report:
            t1 = time.perf_counter()
            write_reports(rep, args.report / std)
            print(f"  reports written in {time.perf_counter() - t1:.1f} s")
    rows = sum(len(d) for d in sdtm.values()) + sum(len(d) for d in adam.values())
    print(f"total: {rows:,} rows in {total:.1f} s ({rows / total:,.0f} rows/s); goal < 60 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
