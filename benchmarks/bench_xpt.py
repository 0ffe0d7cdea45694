"""Benchmark: the project's XPT v5 writer vs pyreadstat vs a raw sequential write.

Builds a QS-like dataset (default 4,000,000 rows x 20 variables: 13 character, 7 numeric),
then, in the same run and to the same folder:

1. ``cdisc_als.io.write_xpt`` (checks + vectorized writer),
2. ``pyreadstat.write_xport(..., file_format_version=5)``,
3. ``numpy.ndarray.tofile`` of as many bytes as our file (the disk's sequential write rate),

and prints MB/s for each and the ratios. Peak memory of our writer is the growth of the
process's peak resident set size while it runs (Linux ``/proc/self/clear_refs`` resets the peak;
elsewhere ``tracemalloc`` + the Arrow pool peak are used), compared with the memory the
DataFrame occupies (RSS growth while building it, and pandas' deep ``memory_usage``).
Each write is followed by an ``fsync`` of its file, timed separately: "to disk" rates use
write + fsync (without it a file that fits in the page cache measures memcpy, not the disk);
CPU-time rates are given too, because wall time on a shared machine depends on the load.

Goals (issue 3): >= 5x pyreadstat, >= 35% of the raw rate, peak memory <= 1.5x the data.

    .venv/bin/python benchmarks/bench_xpt.py            # full size, run once on a shared box
    .venv/bin/python benchmarks/bench_xpt.py --rows 200000 --skip-pyreadstat   # quick
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset, Variable

MB = 1e6


def _rss_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def build_qs(rows: int, seed: int = 1) -> Dataset:
    """A QS-like dataset: 100 records per subject, ALSFRS-R items, visits, dates."""
    rng = np.random.default_rng(seed)
    subject = np.arange(rows) // 100
    tests = np.array([f"ALSF01{i:02d}" for i in range(1, 13)], dtype=object)
    names = np.array([f"ALSF01-Item {i:02d} of the revised ALS functional rating" for i in range(1, 13)], dtype=object)
    visits = np.array(["SCREENING", "DAY 1", "MONTH 1", "MONTH 3", "MONTH 6", "MONTH 9", "MONTH 12"], dtype=object)
    epochs = np.array(["SCREENING", "BLINDED TREATMENT", "CONTINUATION TREATMENT", "LONG-TERM FOLLOW-UP"], dtype=object)
    item = np.arange(rows) % 12
    visit = (np.arange(rows) // 12) % 7
    score = rng.integers(0, 5, rows)
    day = (visit * 30 + rng.integers(-3, 4, rows)).astype(float)
    dates = pd.Timestamp("2012-01-01") + pd.to_timedelta(subject % 900 + day, unit="D")
    data = pd.DataFrame(
        {
            "STUDYID": np.full(rows, "ADMSC-ALS", dtype=object),
            "DOMAIN": np.full(rows, "QS", dtype=object),
            # derived strings: one distinct Python object per row, as after a real derivation
            "USUBJID": "ADMSC-ALS-" + pd.Series(subject).astype(str).str.zfill(6),
            "QSSEQ": (np.arange(rows) % 100 + 1).astype(float),
            "QSTESTCD": tests[item],
            "QSTEST": names[item],
            "QSCAT": np.full(rows, "ALSFRS-R", dtype=object),
            "QSORRES": score.astype(str).astype(object),
            "QSORRESU": np.full(rows, "", dtype=object),
            "QSSTRESC": score.astype(str).astype(object),
            "QSSTRESN": score.astype(float),
            "QSBLFL": np.where(visit == 1, "Y", "").astype(object),
            "VISITNUM": visit.astype(float) + 1,
            "VISIT": visits[visit],
            "EPOCH": epochs[np.minimum(visit // 2, 3)],
            "VISITDY": visit * 30.0 + 1,
            "QSDTC": pd.Series(dates).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "QSDY": day + 1,
            "QSTPTNUM": np.ones(rows),
            "QSEVINTX": rng.standard_normal(rows) * 1e3,
        }
    )
    variables = [
        Variable(c, f"{c} label", "Num" if data[c].dtype.kind == "f" else "Char") for c in data.columns
    ]
    return Dataset("QS", data, label="Questionnaires", variables=variables)


class Timing:
    """Wall time of the write, wall time of the fsync that follows, CPU time of the write."""

    def __init__(self, label: str, path: Path, fn) -> None:
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        self.write = time.perf_counter() - start
        self.cpu = time.process_time() - cpu
        start = time.perf_counter()
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # flushes the file's dirty pages, whoever wrote them
        finally:
            os.close(fd)
        self.sync = time.perf_counter() - start
        self.size = path.stat().st_size
        self.label = label

    @property
    def disk_rate(self) -> float:
        """MB/s until the bytes are on disk (write + fsync, wall clock)."""
        return self.size / MB / (self.write + self.sync)

    @property
    def cpu_rate(self) -> float:
        return self.size / MB / self.cpu if self.cpu else float("nan")

    def line(self) -> str:
        return (f"{self.label:<20}: {self.size / MB:8,.0f} MB  write {self.write:7.2f} s + fsync "
                f"{self.sync:5.2f} s = {self.disk_rate:7.1f} MB/s to disk;  "
                f"CPU {self.cpu:7.2f} s = {self.cpu_rate:7.1f} MB/s of CPU")  # fmt: skip


def _raw_writer(size: int, path: Path):
    """A sequential write of ``size`` bytes from memory (allocated before the timing starts)."""
    raw = np.full(size, 0x20, dtype=np.uint8)
    return lambda: raw.tofile(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (default: a temp folder)")
    parser.add_argument("--skip-pyreadstat", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the written files")
    args = parser.parse_args()

    folder = args.out or Path(tempfile.mkdtemp(prefix="bench_xpt_"))
    folder.mkdir(parents=True, exist_ok=True)
    gc.collect()
    rss0 = _rss_kb("VmRSS")
    ds = build_qs(args.rows)
    gc.collect()
    rss1 = _rss_kb("VmRSS")
    deep = ds.data.memory_usage(deep=True).sum()
    data_rss = (rss1 - rss0) * 1024 if rss0 and rss1 else None
    print(f"dataset QS: {args.rows:,} rows x {ds.data.shape[1]} columns; "
          f"DataFrame: {deep / MB:,.0f} MB (pandas deep), "
          f"{data_rss / MB if data_rss else float('nan'):,.0f} MB (RSS growth while building)")  # fmt: skip

    from cdisc_als.io.xpt import write_xpt

    print(f"load average before: {os.getloadavg()[0]:.2f} (2 shared cores: wall times vary, CPU times less)")
    ours = folder / "qs_ours.xpt"
    use_proc = _reset_peak()
    if not use_proc:
        import pyarrow as pa

        tracemalloc.start()
    base = _rss_kb("VmRSS")
    t_ours = Timing("cdisc_als write_xpt", ours, lambda: write_xpt(ds, ours))
    if use_proc:
        peak = (_rss_kb("VmHWM") - base) * 1024
        how = "peak RSS growth"
    else:
        peak = tracemalloc.get_traced_memory()[1] + pa.default_memory_pool().max_memory()
        tracemalloc.stop()
        how = "tracemalloc + Arrow pool peak"
    print(t_ours.line())
    size = t_ours.size

    t_prs = None
    if not args.skip_pyreadstat:
        import pyreadstat

        theirs = folder / "qs_pyreadstat.xpt"
        labels = {v.name: v.label for v in ds.variables}
        t_prs = Timing("pyreadstat", theirs, lambda: pyreadstat.write_xport(
            ds.data, str(theirs), file_label=ds.label, column_labels=labels,
            table_name="QS", file_format_version=5,
        ))  # fmt: skip
        print(t_prs.line())
        theirs.unlink()

    raw_path = folder / "raw.bin"
    t_raw = Timing("numpy tofile (raw)", raw_path, _raw_writer(size, raw_path))
    print(t_raw.line())
    raw_path.unlink()

    print("---")
    if t_prs:
        print(f"ours / pyreadstat   : {t_ours.disk_rate / t_prs.disk_rate:6.1f}x to disk, "
              f"{t_ours.cpu_rate / t_prs.cpu_rate:6.1f}x in CPU time   (goal >= 5x)")  # fmt: skip
    print(f"ours / raw          : {t_ours.disk_rate / t_raw.disk_rate:6.1%} to disk "
          f"(write+fsync wall clock)   (goal >= 35%)")  # fmt: skip
    print(f"peak memory of write: {peak / MB:,.0f} MB ({how}) = {peak / deep:.2f}x pandas deep size"
          + (f", {peak / data_rss:.2f}x RSS of the data" if data_rss else "") + "   (goal <= 1.5x)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if not args.keep and args.out is None:
        shutil.rmtree(folder)
    elif not args.keep:
        ours.unlink()
    else:
        print(f"files kept in {folder}")


if __name__ == "__main__":
    main()
