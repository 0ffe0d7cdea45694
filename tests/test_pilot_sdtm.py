"""Parity of the CDISC pilot SDTM built from pharmaverse raw data with the published pharmaverse SDTM.

The reference (pharmaversesdtm DM, AE, DS, EX) is the expected output; the raw extract
(pharmaverseraw) was generated from it, so record and cell agreement measure the engine and the
specs in mappings/cdiscpilot01/sdtm. Records are matched on natural keys (plus an occurrence
number for repeats), not on --SEQ, so a --SEQ difference shows as a cell difference only.

Known differences, each explained (and excluded from the 99% threshold only where listed):
- DM.RFICDTC: the raw IC_DT (informed consent) is collected; the reference DM leaves RFICDTC
  empty (pharmaverseraw made IC_DT = RFSTDTC - 7 days). We map what was collected.
- DM.RFPENDTC: the pilot took the last date of participation from all contacts including visits
  (SV) and other domains, which the raw extract does not carry; we take the latest disposition
  record (~74% equal; where we differ the reference date is always later).
- AE.AELLTCD, AE.AESOCCD: MedDRA codes were added to the raw extract by pharmaverseraw's
  dictionary; the reference AE has none. We map what was collected.
- AE.AESTDTC/AESTDY: 15 onset dates that were partial (YYYY-MM) in the reference were lost when
  pharmaverseraw formatted them (R as.Date on "YYYY-MM" gives NA): the raw has no value.
- AE.AESEQ: the pilot numbered AEs by its sponsor ID (AESPID, not in the raw extract); we number
  by collection then onset date (about 80% the same).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog
from cdisc_als.sdtm import map_study
from cdisc_als.study import load_study

KEYS = {
    "DM": ["USUBJID"],
    "AE": ["USUBJID", "AETERM", "AEDTC", "AEENDTC", "AESEV"],
    "DS": ["USUBJID", "DSTERM", "DSDTC"],
    "EX": ["USUBJID", "EXSTDTC"],
}
EXPLAINED = {
    "DM": {"RFICDTC", "RFPENDTC"},
    "AE": {"AELLTCD", "AESOCCD", "AESTDTC", "AESTDY", "AESEQ"},
    "DS": set(),
    "EX": set(),
}


def _norm(s: pd.Series) -> pd.Series:
    """Comparable cells: numbers as float, text stripped, blank and null the same."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    t = s.astype("object").where(s.notna(), None)
    t = t.map(lambda v: v.strip() if isinstance(v, str) else v)
    return t.where(t.ne("") & t.notna(), None)


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        out[c] = _norm(out[c])
    k = out[keys].fillna("")
    out["_occ"] = k.groupby(keys, sort=False).cumcount()
    return out


def agreement(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> tuple[float, dict[str, float]]:
    """(share of reference records matched by key, {variable: share of equal cells})."""
    a, b = _keyed(ours, keys), _keyed(ref, keys)
    k = [*keys, "_occ"]
    a[k] = a[k].fillna("")
    b[k] = b[k].fillna("")
    m = b.merge(a, on=k, how="left", suffixes=("_ref", "_our"), indicator=True)
    matched = m[m["_merge"] == "both"]
    share = len(matched) / max(len(ref), len(ours))
    common = [c for c in ref.columns if c in ours.columns and c not in keys]
    cells = {}
    for c in common:
        x, y = matched[f"{c}_ref"], matched[f"{c}_our"]
        if pd.api.types.is_numeric_dtype(x) or pd.api.types.is_numeric_dtype(y):
            xf, yf = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
            eq = (np.isclose(xf, yf, equal_nan=False) & xf.notna() & yf.notna()) | (xf.isna() & yf.isna())
        else:
            eq = (x == y) | (x.isna() & y.isna())
        cells[c] = float(eq.mean()) if len(eq) else 0.0
    for c in keys:
        cells[c] = 1.0 if len(matched) else 0.0
    return share, cells


@pytest.fixture(scope="module")
def pilot(reference_dir: Path, repo_root: Path):
    log = ConversionLog()
    study = load_study(repo_root / "mappings" / "cdiscpilot01")
    built = map_study(study, reference_dir / "pharmaverse" / "raw", log)
    return built, log


@pytest.mark.parametrize("domain", ["DM", "AE", "DS", "EX"])
def test_pilot_domain_matches_reference(pilot, reference_dir: Path, domain: str):
    built, _ = pilot
    ref = pd.read_parquet(reference_dir / "pharmaverse" / "sdtm" / f"{domain.lower()}.parquet")
    ours = built[domain].data
    assert len(ours) == len(ref)
    share, cells = agreement(ours, ref, KEYS[domain])
    assert share >= 0.99, f"{domain}: {share:.3%} of records matched"
    low = {c: round(v, 4) for c, v in cells.items() if v < 0.99 and c not in EXPLAINED[domain]}
    assert not low, f"{domain}: variables below 99% equal cells: {low}"
    # the explained differences stay what the docstring says they are
    for c in EXPLAINED[domain]:
        assert c in cells, f"{domain}.{c} is no longer compared; update the explanation"


def test_pilot_log_is_clean_and_every_record_lands(pilot):
    built, log = pilot
    assert log.count("error") == 0, log.frame().head(20).to_string()
    assert {k: len(v) for k, v in built.items() if k in KEYS} == {"DM": 306, "AE": 1191, "DS": 850, "EX": 591}


def test_pilot_known_differences_are_as_documented(pilot, reference_dir: Path):
    """Each explained difference is checked for its stated cause, so the explanation cannot rot."""
    built, _ = pilot
    raw = pd.read_parquet(reference_dir / "pharmaverse" / "raw" / "ae_raw.parquet")
    ref_ae = pd.read_parquet(reference_dir / "pharmaverse" / "sdtm" / "ae.parquet")
    lost = ref_ae["AESTDTC"].notna() & raw["IT.AESTDAT"].isna()
    assert lost.sum() == 15 and (ref_ae.loc[lost, "AESTDTC"].str.len() == 7).all()
    assert ref_ae["AELLTCD"].isna().all() and raw["AELLTCD"].notna().sum() > 1000
    ref_dm = pd.read_parquet(reference_dir / "pharmaverse" / "sdtm" / "dm.parquet")
    assert ref_dm["RFICDTC"].isna().all() and built["DM"].data["RFICDTC"].notna().sum() > 250
    sv = pd.read_parquet(reference_dir / "pharmaverse" / "sdtm" / "sv.parquet")
    last_visit = sv.groupby("USUBJID")["SVSTDTC"].max()
    ours = built["DM"].data.set_index("USUBJID")["RFPENDTC"]
    ref = ref_dm.set_index("USUBJID")["RFPENDTC"]
    differ = ours.reindex(ref.index).ne(ref)
    # where we differ, the reference date is always later than our last DS date (other contacts);
    # for about half of those subjects it is exactly the last visit date in SV
    assert (ref[differ].str[:10] == last_visit.reindex(ref.index)[differ]).mean() > 0.5
    assert (ref[differ].str[:10] > ours.reindex(ref.index)[differ].str[:10]).all()


def test_cli_writes_the_pilot_sdtm(reference_dir: Path, repo_root: Path, tmp_path: Path):
    pytest.importorskip("cdisc_als.io.datasets")
    from typer.testing import CliRunner

    from cdisc_als.cli import app

    out = tmp_path / "sdtm"
    result = CliRunner().invoke(
        app,
        ["sdtm", "--study", str(repo_root / "mappings" / "cdiscpilot01"), "--raw",
         str(reference_dir / "pharmaverse" / "raw"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob("*.xpt")} == {"dm.xpt", "ae.xpt", "ds.xpt", "ex.xpt"}
    assert list(out.rglob("sdtm*log*.csv")), "the conversion log is written beside the outputs"
