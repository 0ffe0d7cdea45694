"""Parity with public ADaM: pharmaverse ADSL/ADAE (admiral templates) and the CDISC pilot ADTTE.

Our specs in mappings/cdiscpilot01/adam/ derive the datasets from public SDTM; the expected side
is the published ADaM. Agreement is measured per variable as the share of equal cells among
records matched by key (missing = missing counts as equal); see docs/parity-adam.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_als.adam import derive_specs, load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "mappings" / "cdiscpilot01" / "adam"


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".xpt":
        try:
            from cdisc_als.io import read_dataset

            return read_dataset(path).data
        except (ImportError, AttributeError, ModuleNotFoundError):
            from cdisc_als.io.xpt import read_xpt

            return read_xpt(path).data
    from cdisc_als.io import read_table

    return read_table(path)


def _norm(s: pd.Series) -> pd.Series:
    """One representation per kind: naive datetimes, floats, text with blanks as missing."""
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    if s.dtype == object:
        nn = s.dropna()
        if len(nn) and isinstance(nn.iloc[0], dt.date):
            return pd.to_datetime(s).astype("datetime64[ns]")
        return s.where(s.notna() & (s.astype(str).str.strip() != ""), None)
    return s.astype("float64")


def agreement(ref: pd.DataFrame, ours: pd.DataFrame, keys: list[str], variables: list[str]) -> tuple[float, dict[str, float], pd.DataFrame]:
    """(share of reference records matched by key, {variable: share of equal cells}, matched frame)."""
    m = ref.merge(ours, on=keys, how="left", suffixes=("_r", "_m"), indicator=True)
    matched = float((m["_merge"] == "both").mean())
    m = m[m["_merge"] == "both"]
    shares, flags = {}, {}
    for v in variables:
        r, x = _norm(m[f"{v}_r"]), _norm(m[f"{v}_m"])
        eq = (r.to_numpy() == x.to_numpy()) | (r.isna().to_numpy() & x.isna().to_numpy())
        shares[v] = float(np.mean(eq))
        flags[f"{v}__eq"] = eq
    return matched, shares, pd.concat([m, pd.DataFrame(flags, index=m.index)], axis=1)


@pytest.fixture(scope="module")
def pharmaverse(reference_dir):
    sdtm = {n.upper(): _read(reference_dir / "pharmaverse" / "sdtm" / f"{n}.parquet") for n in ("dm", "ds", "ex", "ae", "lb")}
    from cdisc_als.errors import ConversionLog

    log = ConversionLog()
    out = derive_specs([load_spec(SPECS / "adsl.yaml"), load_spec(SPECS / "adae.yaml")], sdtm, log)
    return out, log, sdtm


def _common(ref: pd.DataFrame, ours: pd.DataFrame, keys: list[str]) -> list[str]:
    return [c for c in ours.columns if c in ref.columns and c not in keys]


def test_adsl_matches_pharmaverse(pharmaverse, reference_dir):
    out, log, _ = pharmaverse
    ref = _read(reference_dir / "pharmaverse" / "adam" / "adsl.parquet")
    ours = out["ADSL"].data
    assert len(ours) == len(ref) == 306
    variables = _common(ref, ours, ["USUBJID"])
    assert len(variables) >= 53  # every template variable except the key
    matched, shares, _ = agreement(ref, ours, ["USUBJID"], variables)
    assert matched == 1.0
    low = {v: s for v, s in shares.items() if s < 0.99}
    assert not low, low
    assert not log.has_errors


def test_adae_matches_pharmaverse(pharmaverse, reference_dir):
    out, _, sdtm = pharmaverse
    ref = _read(reference_dir / "pharmaverse" / "adam" / "adae.parquet")
    ours = out["ADAE"].data
    keys = ["USUBJID", "AESEQ"]
    variables = _common(ref, ours, keys)
    assert len(variables) >= 100
    matched, shares, m = agreement(ref, ours, keys, variables)
    assert matched == 1.0 and len(ours) == len(ref) == 1191
    dose_vars = {"LDOSEDTM", "DOSEON", "DOSEU"}
    low = {v: s for v, s in shares.items() if s < 0.99 and v not in dose_vars}
    assert not low, low
    # Documented reference quirk (docs/parity-adam.md): the single-dose exposure dataset the
    # pharmaverse ADAE used has no 81 mg dosing days. Every dose-variable difference is an AE
    # whose last dose/dose at onset is an 81 mg day in SDTM EX.
    for v in dose_vars:
        diff = m[~m[f"{v}__eq"]]
        assert (diff["DOSEON_m"] == 81).all() or v == "LDOSEDTM", v
    ex = sdtm["EX"]
    high = set(ex.loc[ex["EXDOSE"] == 81, "USUBJID"])
    assert set(m.loc[~m["LDOSEDTM__eq"], "USUBJID"]) <= high


def test_adtte_matches_cdisc_pilot(reference_dir):
    from cdisc_als.errors import ConversionLog

    base = reference_dir / "cdiscpilot01"
    sdtm = {n.upper(): _read(base / "sdtm" / f"{n}.xpt") for n in ("dm", "ds", "ex", "ae")}
    log = ConversionLog()
    specs = [load_spec(SPECS / f"{n}.yaml") for n in ("adsl", "adae", "adtte")]
    out = derive_specs(specs, sdtm, log)
    ref = _read(base / "adam" / "adtte.xpt")
    ours = out["ADTTE"].data
    variables = _common(ref, ours, ["USUBJID", "PARAMCD"])
    assert {"PARAM", "AVAL", "CNSR", "STARTDT", "ADT", "EVNTDESC", "SRCDOM", "SRCVAR", "SRCSEQ", "AGEGR1", "TRTA", "TRTEDT"} <= set(variables)
    assert [c for c in ref.columns if c not in ours.columns] == ["RACEN"]  # documented gap
    matched, shares, _ = agreement(ref, ours, ["USUBJID", "PARAMCD"], variables)
    assert matched == 1.0 and len(ours) == len(ref) == 254
    assert min(shares.values()) >= 0.99, shares
    assert (ours["CNSR"] == 0).sum() == (ref["CNSR"] == 0).sum() == 152
    # the pilot SDTM has no LB: the last-known-alive source is skipped with a warning, not a crash
    assert log.frame()["reason"].str.contains("LB not available").any()
