"""Time raw -> SDTM for the example study at several sizes (issue 2: 10,000 subjects < 2 min).

Usage: .venv/bin/python benchmarks/bench_sdtm.py [--subjects 40 1000 10000] [--study mappings/admsc-als]
Generates the seeded raw export once per size (timed separately), then maps it and prints seconds
and rows/s per dataset, plus the total and the process's peak resident memory so far (RSS:
the largest dataset's mapping sets it; QS at 10,000 subjects).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from cdisc_als.errors import ConversionLog
from cdisc_als.ops.registry import Context
from cdisc_als.sdtm.runner import load_specs, order_specs, raw_reader, run_spec
from cdisc_als.standards import load_standard
from cdisc_als.study import load_study


def bench(study_arg: str, subjects: int, workdir: Path) -> None:
    from cdisc_als.synth import generate_raw

    study = load_study(study_arg)
    raw = workdir / f"raw_{subjects}"
    t0 = time.perf_counter()
    generate_raw(study, raw, subjects=subjects)
    t_raw = time.perf_counter() - t0
    standard = load_standard(study.config["standards"]["sdtm"])
    log = ConversionLog()
    t0 = time.perf_counter()
    specs = order_specs(load_specs(study, standard))
    ctx = Context(study=study, log=log, standard=standard, raw_dir=raw, read_source=raw_reader(raw, {}))
    rows = []
    for spec in specs:
        t = time.perf_counter()
        out = run_spec(spec, ctx)
        dt = time.perf_counter() - t
        for ds in out:
            ctx.datasets[ds.name] = ds
        n = sum(len(ds) for ds in out)
        rows.append((spec.domain, n, dt, n / dt if dt else float("inf")))
    total = time.perf_counter() - t0
    table = pd.DataFrame(rows, columns=["dataset", "rows (incl. SUPP)", "seconds", "rows/s"])
    print(f"\n== {subjects} subjects: raw generation {t_raw:.1f} s, raw -> SDTM {total:.1f} s "
          f"({log.count('error')} log errors)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    print(f"peak RSS so far: {peak_mb:,.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--subjects", type=int, nargs="+", default=[40, 1000, 10000])
    p.add_argument("--study", default="mappings/admsc-als")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.subjects:
            bench(args.study, n, Path(tmp))


if __name__ == "__main__":
    main()
