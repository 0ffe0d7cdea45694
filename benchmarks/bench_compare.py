"""Benchmark: compare two 1,000,000-row datasets keyed by USUBJID + SEQ.

Goal (issue 7): seconds, not minutes. Run: ``.venv/bin/python benchmarks/bench_compare.py [rows]``.
The compare side is shuffled (so matching really goes through the key merge), has 1% changed
text values, 1% changed numbers, 0.1% numbers within tolerance, and 100 rows dropped/added.
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np
import pandas as pd

from cdisc_als.compare import compare_datasets, write_reports


def make(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    subj = rng.integers(0, rows // 20 + 1, rows)
    frame = pd.DataFrame(
        {
            "STUDYID": "BENCH",
            "USUBJID": pd.Series(subj).map("BENCH-{:06d}".format).to_numpy(dtype=object),
            "SEQ": np.zeros(rows),
            "TESTCD": rng.choice(np.array(["ALB", "ALT", "AST", "BILI", "CREAT"], dtype=object), rows),
            "ORRES": rng.normal(50, 10, rows).round(1).astype(str).astype(object),
            "STRESN": rng.normal(50, 10, rows),
            "STRESU": rng.choice(np.array(["g/L", "U/L", "umol/L"], dtype=object), rows),
            "NRIND": rng.choice(np.array(["NORMAL", "HIGH", "LOW", None], dtype=object), rows),
            "VISITNUM": rng.integers(1, 20, rows).astype(float),
            "DY": rng.integers(-10, 400, rows).astype(float),
            "DT": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), unit="D"),
            "FLAG": rng.choice(np.array(["Y", ""], dtype=object), rows),
        }
    )
    frame["SEQ"] = frame.groupby("USUBJID").cumcount().astype(float) + 1
    return frame


def perturb(base: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    comp = base.copy()
    n = len(comp)
    idx = rng.choice(n, n // 100, replace=False)
    comp.loc[idx, "NRIND"] = "ABNORMAL"
    idx = rng.choice(n, n // 100, replace=False)
    comp.loc[idx, "STRESN"] = comp.loc[idx, "STRESN"] + 1
    idx = rng.choice(n, n // 1000, replace=False)
    comp.loc[idx, "DY"] = comp.loc[idx, "DY"] + 1e-12
    comp = comp.drop(index=comp.index[:100])
    extra = comp.tail(100).assign(USUBJID="EXTRA-SUBJECT")
    comp = pd.concat([comp, extra], ignore_index=True)
    return comp.sample(frac=1.0, random_state=3).reset_index(drop=True)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t0 = time.perf_counter()
    base = make(rows)
    comp = perturb(base)
    t1 = time.perf_counter()
    result = compare_datasets(base, comp, keys=["USUBJID", "SEQ"])
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_reports(result, tmp)
    t3 = time.perf_counter()
    print(f"rows {rows:,} x {base.shape[1]} columns (data generation {t1 - t0:.1f} s)")
    print(f"compare_datasets: {t2 - t1:.2f} s; reports: {t3 - t2:.2f} s")
    print(
        f"matched {result.n_matched:,}, only base {result.n_base_only}, only compare "
        f"{result.n_compare_only}, equal cells {result.equal_cell_share:.4%}"
    )
    print({v.name: v.n_diff for v in result.differing_variables})


if __name__ == "__main__":
    main()
