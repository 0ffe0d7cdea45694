"""Time the synthetic raw generator for 40, 1,000 and 10,000 randomized subjects.

Usage: ``.venv/bin/python benchmarks/bench_raw.py [--sizes 40,1000,10000] [--out DIR]``.
Prints, per size, the simulation time and for each form the rows, seconds (build + CSV write)
and rows/s, then the total. The issue's goal: 10,000 subjects must run (seconds, not minutes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cdisc_als.study import load_study
from cdisc_als.synth import FORMS, build_forms, write_forms
from cdisc_als.synth.config import load_generator_config

ROOT = Path(__file__).resolve().parent.parent


def run(size: int, out: Path, seed: int) -> None:
    study = load_study(ROOT / "mappings" / "admsc-als")
    t0 = time.perf_counter()
    cfg = load_generator_config(study)
    timings: dict[str, float] = {}
    forms = build_forms(cfg, size, seed, timings)
    counts = write_forms(forms, out / str(size), timings)
    total = time.perf_counter() - t0
    rows = sum(counts.values())
    print(f"\n== {size} randomized subjects: {total:.2f} s total, {rows} rows, {rows / total:,.0f} rows/s")
    print(f"   simulate (population, course, AEs): {timings['simulate']:.3f} s")
    print(f"   {'form':<14}{'rows':>10}{'seconds':>10}{'rows/s':>14}")
    for name in FORMS:
        sec = timings[name]
        print(f"   {name:<14}{counts[name]:>10}{sec:>10.3f}{counts[name] / max(sec, 1e-9):>14,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40,1000,10000")
    parser.add_argument("--seed", type=int, default=20110625)
    parser.add_argument("--out", type=Path, default=None, help="keep the files here (default: temp)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.out:
        for size in sizes:
            run(size, args.out, args.seed)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for size in sizes:
                run(size, Path(tmp), args.seed)


if __name__ == "__main__":
    main()
