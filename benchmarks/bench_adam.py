"""Time SDTM -> ADaM for synthetic studies of 1,000 and 10,000 subjects (goal: 10,000 < 60 s).

Two sources:

- ``--source pilot`` (default): the public pharmaverse SDTM of the CDISC pilot (DM, DS, EX, AE,
  LB from ``CDISC_REFERENCE_DIR``) scaled up by replicating its 306 subjects under new USUBJIDs,
  derived with ``mappings/cdiscpilot01/adam`` (ADSL, ADAE, ADTTE).
- ``--source als``: the AdMSC-ALS chain: seeded raw data (``cdisc_als.synth``), SDTM
  (``cdisc_als.sdtm``), then ``mappings/admsc-als/adam`` (ADSL, ADAE, ADTTE, ADQSALS); only the
  SDTM -> ADaM step is timed.

Usage: ``.venv/bin/python benchmarks/bench_adam.py [--source pilot|als] [--subjects 1000 10000]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cdisc_als.adam import derive_specs, load_specs  # noqa: E402
from cdisc_als.errors import ConversionLog  # noqa: E402


def scaled_pilot(reference: Path, subjects: int) -> dict[str, pd.DataFrame]:
    """Pilot SDTM with ``subjects`` subjects: copy k of subject s is ``<USUBJID>-R<k>``."""
    base = {n.upper(): pd.read_parquet(reference / "pharmaverse" / "sdtm" / f"{n}.parquet") for n in ("dm", "ds", "ex", "ae", "lb")}
    n_base = len(base["DM"])
    copies = -(-subjects // n_base)
    keep = set(np.concatenate([base["DM"]["USUBJID"].to_numpy() + f"-R{k}" for k in range(copies)])[:subjects])
    out = {}
    for name, frame in base.items():
        parts = []
        for k in range(copies):  # loop over copies (a handful), not over records
            part = frame.copy()
            part["USUBJID"] = part["USUBJID"] + f"-R{k}"
            parts.append(part)
        big = pd.concat(parts, ignore_index=True)
        out[name] = big[big["USUBJID"].isin(keep)].reset_index(drop=True)
    return out


def als_sdtm(subjects: int, workdir: Path) -> dict:
    from cdisc_als.sdtm import map_study
    from cdisc_als.study import load_study
    from cdisc_als.synth import generate_raw

    study = load_study(ROOT / "mappings" / "admsc-als")
    raw = workdir / f"raw{subjects}"
    generate_raw(study, raw, subjects=subjects, seed=1)
    return map_study(study, raw, ConversionLog())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["pilot", "als"], default="pilot")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    if args.source == "pilot":
        reference = Path(os.environ.get("CDISC_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))
        specs = load_specs(ROOT / "mappings" / "cdiscpilot01" / "adam")
    else:
        specs = load_specs(ROOT / "mappings" / "admsc-als" / "adam")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.subjects:
            t0 = time.perf_counter()
            sdtm = scaled_pilot(reference, n) if args.source == "pilot" else als_sdtm(n, Path(tmp))
            t1 = time.perf_counter()
            log = ConversionLog()
            out = derive_specs(specs, sdtm, log)
            t2 = time.perf_counter()
            rows_in = sum(len(getattr(v, "data", v)) for v in sdtm.values())
            rows = ", ".join(f"{k} {len(v)}" for k, v in out.items())
            print(f"{args.source} {n:>6} subjects: SDTM {rows_in} rows prepared in {t1 - t0:.1f} s; "
                  f"SDTM->ADaM {t2 - t1:.1f} s ({rows}); log entries {log.count()}")


if __name__ == "__main__":
    main()
