"""Benchmark of the terminology API: load time and vectorised normalize/decode throughput.

Run: ``.venv/bin/python benchmarks/bench_ct.py [--rows 1000000]``. Prints seconds and rows/s.
Goal: loading the curated CT + sponsor codelists well under 1 s; normalize/decode of 1M values
in well under 1 s (they work on distinct values, so cost grows with the number of unique values).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args().rows
    t0 = time.perf_counter()
    from cdisc_als.ct import load_ct

    ct = load_ct()
    t1 = time.perf_counter()
    print(f"load_ct: {t1 - t0:.3f} s ({len(ct.ids)} codelists)")
    rng = np.random.default_rng(1)
    sex = pd.Series(rng.choice(["F", "female", "M", "Male", "unk", "x"], n))
    t = time.perf_counter()
    out = ct.codelist("SEX").normalize(sex)
    dt = time.perf_counter() - t
    print(f"normalize SEX: {n} rows {dt:.3f} s, {n / dt:,.0f} rows/s, unmatched {out.isna().sum()}")
    unit = pd.Series(rng.choice(ct.codelist("UNIT").values, n))
    t = time.perf_counter()
    ct.codelist("UNIT").normalize(unit.str.lower())
    dt = time.perf_counter() - t
    print(f"normalize UNIT (lower-cased, {unit.nunique()} distinct): {dt:.3f} s, {n / dt:,.0f} rows/s")
    codes = pd.Series(rng.choice(ct.codelist("ALSF01TC").values, n))
    t = time.perf_counter()
    ct.decode("ALSF01TC", "ALSF01TN", codes)
    dt = time.perf_counter() - t
    print(f"decode ALSF01TC->TN: {dt:.3f} s, {n / dt:,.0f} rows/s")


if __name__ == "__main__":
    main()
