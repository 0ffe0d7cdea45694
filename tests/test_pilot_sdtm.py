"""Parity of the CDISC pilot SDTM built from pharmaverse raw data with the published pharmaverse SDTM.

The reference (pharmaversesdtm DM, AE, DS, EX, VS) is the expected output; the raw extract
(pharmaverseraw) was generated from it, so record and cell agreement measure the engine and the
specs in mappings/cdiscpilot01/sdtm. Records are matched on natural keys (plus an occurrence
number for repeats), not on --SEQ, so a --SEQ difference shows as a cell difference only.

Every variable both sides have must reach 99% equal cells, except the variables named in
``EXPLAINED``; each of those has a stated reason and a test below that checks the reason against
the data (so an explanation cannot rot), plus a floor so that it cannot get worse unnoticed.
The figures are written up in docs/parity.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog
from cdisc_als.sdtm import map_study
from cdisc_als.study import load_study

THRESHOLD = 0.99
KEYS = {
    "DM": ["USUBJID"],
    "AE": ["USUBJID", "AETERM", "AEDTC", "AEENDTC", "AESEV"],
    "DS": ["USUBJID", "DSTERM", "DSDTC"],
    "EX": ["USUBJID", "EXSTDTC"],
    "VS": ["USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"],
}
# reference record counts (pharmaversesdtm); VS: one extra NOT DONE record, see test below
RECORDS = {"DM": 306, "AE": 1191, "DS": 850, "EX": 591, "VS": 29643}
BUILT = {**RECORDS, "VS": 29644}
# variables below the threshold: name -> (floor it must keep, reason). Reasons are checked below.
EXPLAINED: dict[str, dict[str, tuple[float, str]]] = {
    "DM": {
        "RFICDTC": (0.16, "reference leaves RFICDTC empty; the raw IC_DT is collected and mapped"),
        "RFPENDTC": (0.78, "open gap: the reference date comes from contacts the raw extract lacks (SV)"),
    },
    "AE": {
        "AELLTCD": (0.0, "reference has no MedDRA codes; pharmaverseraw added them to the raw"),
        "AESOCCD": (0.0, "reference has no MedDRA codes; pharmaverseraw added them to the raw"),
        "AESTDTC": (0.98, "15 partial onset dates were lost by pharmaverseraw (raw value empty)"),
        "AESEQ": (0.79, "the reference breaks ties by AESPID, which the raw extract does not carry"),
    },
    "DS": {},
    "EX": {},
    "VS": {
        "VSORRESU": (0.71, "CT 2025-03-28 spells BEATS/MIN and IN in lower case; the 2013 pilot did not"),
        "VSSTRESU": (0.72, "CT 2025-03-28 spells BEATS/MIN in lower case; the 2013 pilot did not"),
    },
}
# the variables compared (both sides have them); reference-only variables are listed with a reason
COMPARED_COUNT = {"DM": 27, "AE": 34, "DS": 12, "EX": 17, "VS": 24}
REFERENCE_ONLY = {
    "DM": {"BRTHDTC"},  # not collected on the CRF
    "AE": {"AESPID"},  # not in the raw extract
    "DS": {"DSSPID"},  # not in the raw extract
    "EX": set(),
    "VS": set(),
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


def matched_records(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Reference records joined with ours on the keys (+ occurrence), ``_merge`` telling which matched."""
    a, b = _keyed(ours, keys), _keyed(ref, keys)
    k = [*keys, "_occ"]
    a[k] = a[k].fillna("")
    b[k] = b[k].fillna("")
    return b.merge(a, on=k, how="left", suffixes=("_ref", "_our"), indicator=True)


def _equal(x: pd.Series, y: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(x) or pd.api.types.is_numeric_dtype(y):
        xf, yf = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
        return pd.Series((np.isclose(xf, yf) & xf.notna() & yf.notna()) | (xf.isna() & yf.isna()), index=x.index)
    return (x == y) | (x.isna() & y.isna())


def agreement(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> tuple[float, dict[str, float]]:
    """(share of records matched by key, {variable: share of equal cells among matched records})."""
    m = matched_records(ours, ref, keys)
    matched = m[m["_merge"] == "both"]
    share = len(matched) / max(len(ref), len(ours))
    common = [c for c in ref.columns if c in ours.columns and c not in keys]
    cells = {c: float(_equal(matched[f"{c}_ref"], matched[f"{c}_our"]).mean()) if len(matched) else 0.0 for c in common}
    for c in keys:
        cells[c] = 1.0 if len(matched) else 0.0
    return share, cells


def _ref(reference_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(reference_dir / "pharmaverse" / "sdtm" / f"{name}.parquet")


@pytest.fixture(scope="module")
def pilot(reference_dir: Path, repo_root: Path):
    log = ConversionLog()
    study = load_study(repo_root / "mappings" / "cdiscpilot01")
    built = map_study(study, reference_dir / "pharmaverse" / "raw", log)
    return built, log


@pytest.mark.parametrize("domain", list(KEYS))
def test_pilot_domain_matches_reference_per_variable(pilot, reference_dir: Path, domain: str):
    built, _ = pilot
    ref = _ref(reference_dir, domain.lower())
    ours = built[domain].data
    share, cells = agreement(ours, ref, KEYS[domain])
    assert share >= THRESHOLD, f"{domain}: {share:.3%} of records matched"
    assert len(cells) == COMPARED_COUNT[domain], f"{domain}: compared {sorted(cells)}"
    assert set(ref.columns) - set(ours.columns) == REFERENCE_ONLY[domain]
    low = {c: round(v, 4) for c, v in cells.items() if v < THRESHOLD and c not in EXPLAINED[domain]}
    assert not low, f"{domain}: variables below 99% equal cells: {low}"
    for c, (floor, reason) in EXPLAINED[domain].items():
        assert c in cells, f"{domain}.{c} is no longer compared; update the explanation"
        assert cells[c] >= floor, f"{domain}.{c} fell to {cells[c]:.3%} ({reason})"


def test_pilot_log_is_clean_and_every_record_lands(pilot):
    built, log = pilot
    assert log.count("error") == 0, log.frame().head(20).to_string()
    assert {k: len(v) for k, v in built.items() if k in KEYS} == BUILT


def test_dm_rficdtc_and_meddra_codes_are_absent_from_the_reference(pilot, reference_dir: Path):
    built, _ = pilot
    raw = pd.read_parquet(reference_dir / "pharmaverse" / "raw" / "ae_raw.parquet")
    ref_ae = _ref(reference_dir, "ae")
    assert ref_ae["AELLTCD"].isna().all() and ref_ae["AESOCCD"].isna().all()
    assert raw["AELLTCD"].notna().sum() > 1000 and raw["AESOCCD"].notna().sum() > 1000
    assert _ref(reference_dir, "dm")["RFICDTC"].isna().all()
    assert built["DM"].data["RFICDTC"].notna().sum() > 250


def test_ae_onset_dates_lost_by_the_raw_extract(pilot, reference_dir: Path):
    """The raw rows are in reference order; 15 partial (YYYY-MM) onsets have no raw value, and
    they are the only AESTDTC differences."""
    built, _ = pilot
    raw = pd.read_parquet(reference_dir / "pharmaverse" / "raw" / "ae_raw.parquet")
    ref_ae = _ref(reference_dir, "ae")
    lost = ref_ae["AESTDTC"].notna() & raw["IT.AESTDAT"].isna()
    assert lost.sum() == 15 and (ref_ae.loc[lost, "AESTDTC"].str.len() == 7).all()
    m = matched_records(built["AE"].data, ref_ae, KEYS["AE"])
    differ = ~_equal(m["AESTDTC_ref"], m["AESTDTC_our"])
    assert differ.sum() == 15 and m.loc[differ, "AESTDTC_our"].isna().all()


def test_dm_rfpendtc_gap_is_contacts_missing_from_the_raw(pilot, reference_dir: Path):
    """Where our last contact differs, the reference date is later, appears in no raw table, and
    for every treated subject is the last visit in SV (mostly AE FOLLOW-UP, no vital signs)."""
    built, _ = pilot
    ref_dm = _ref(reference_dir, "dm").set_index("USUBJID")
    ours = built["DM"].data.set_index("USUBJID")["RFPENDTC"].reindex(ref_dm.index)
    ref = ref_dm["RFPENDTC"]
    differ = ours.ne(ref)
    assert differ.sum() <= 67
    assert (ref[differ].str[:10] > ours[differ].str[:10]).all()
    raw_days: set[tuple[str, str]] = set()
    for name in ("dm_raw", "ds_raw", "ae_raw", "ec_raw", "vs_raw"):
        t = pd.read_parquet(reference_dir / "pharmaverse" / "raw" / f"{name}.parquet")
        for col in t.columns[t.dtypes.eq(object)]:
            for fmt in ("%m-%d-%Y", "%m/%d/%Y", "%d-%b-%Y"):
                d = pd.to_datetime(t[col], format=fmt, errors="coerce")
                ok = d.notna()
                raw_days |= set(zip("01-" + t.loc[ok, "PATNUM"], d[ok].dt.strftime("%Y-%m-%d"), strict=True))
    wanted = set(zip(ref[differ].index, ref[differ].str[:10], strict=True))
    assert not wanted & raw_days, "a reference RFPENDTC the spec could reach is in the raw data"
    sv = _ref(reference_dir, "sv")
    last_visit = sv.dropna(subset=["SVSTDTC"]).groupby("USUBJID")["SVSTDTC"].max()
    treated = differ & ref_dm["ARMCD"].ne("Scrnfail")
    assert (ref[treated].str[:10] == last_visit.reindex(ref.index)[treated]).all()


def test_ae_seq_follows_the_sponsor_id_not_in_the_raw(pilot, reference_dir: Path):
    """Sorting the reference by collection date, onset date and AESPID reproduces AESEQ exactly;
    AESPID is not in the raw extract, so ties of (AEDTC, AESTDTC) cannot be broken the same way.
    Off those ties (and the 15 lost onsets) our AESEQ is the reference's."""
    built, _ = pilot
    ref_ae = _ref(reference_dir, "ae")
    s = ref_ae.sort_values(["USUBJID", "AEDTC", "AESTDTC", "AESPID"], kind="mergesort")
    assert (s.groupby("USUBJID").cumcount().add(1) == s["AESEQ"]).all()
    m = matched_records(built["AE"].data, ref_ae, KEYS["AE"])
    tied = m.groupby(["USUBJID", "AEDTC", "AESTDTC_ref"], dropna=False)["AESEQ_ref"].transform("size") > 1
    subj_lost = m.groupby("USUBJID")["AESTDTC_our"].transform(lambda x: x.isna().any())
    clear = ~tied & ~subj_lost
    assert clear.sum() > 600
    assert _equal(m.loc[clear, "AESEQ_ref"], m.loc[clear, "AESEQ_our"]).mean() >= THRESHOLD


def test_vs_units_differ_only_by_the_ct_version(pilot, reference_dir: Path):
    """VSORRESU/VSSTRESU differ only in the case CT 2025 gives BEATS/MIN and IN, plus one weight
    recorded in kg on the lb form (55.5, a plausible weight in either unit)."""
    built, _ = pilot
    m = matched_records(built["VS"].data, _ref(reference_dir, "vs"), KEYS["VS"])
    for var in ("VSORRESU", "VSSTRESU"):
        x, y = m[f"{var}_ref"], m[f"{var}_our"]
        differ = ~_equal(x, y)
        case_only = differ & (x.str.upper() == y.str.upper())
        assert set(x[case_only]) <= {"BEATS/MIN", "IN"}
        assert (differ & ~case_only).sum() <= 1
        assert _equal(x.str.upper(), y.str.upper()).mean() >= 0.9999


def test_vs_not_done_rows_and_the_extra_record(pilot, reference_dir: Path):
    """A blood-pressure row without any value gives NOT DONE for SYSBP, DIABP and PULSE: 8 of the
    9 are in the reference; the ninth (01-713-1141 DIABP supine, week 6) was dropped by the
    pilot, which had no DIABP record at all for that timepoint."""
    built, _ = pilot
    ours = built["VS"].data
    ref = _ref(reference_dir, "vs")
    nd = ours[ours["VSSTAT"].eq("NOT DONE")]
    assert len(nd) == 9 and nd["VSORRES"].isna().all()
    assert ref["VSSTAT"].eq("NOT DONE").sum() == 8
    key = ["USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM"]
    extra = nd.merge(ref[key], on=key, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    assert extra[key].values.tolist() == [["01-713-1141", "DIABP", 7.0, 815.0]]


def test_vs_standard_units_by_hand(pilot):
    """Conversions checked by hand: 96.9 F -> 36.06 C, 119 lb -> 53.98 kg, 58 in -> 147.32 cm."""
    built, _ = pilot
    vs = built["VS"].data
    first = vs[vs["USUBJID"].eq("01-701-1015")]
    row = {t: first[first["VSTESTCD"].eq(t)].iloc[0] for t in ("TEMP", "WEIGHT", "HEIGHT")}
    orres = {t: float(r["VSORRES"]) for t, r in row.items()}
    assert row["TEMP"]["VSSTRESN"] == pytest.approx(round((orres["TEMP"] - 32) * 5 / 9 + 1e-9, 2))
    assert row["HEIGHT"]["VSSTRESU"] == "cm" and row["WEIGHT"]["VSSTRESU"] == "kg"
    assert (vs["VSSTRESC"].isna() == vs["VSSTRESN"].isna()).all()


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
    assert {p.name for p in out.glob("*.xpt")} == {"dm.xpt", "ae.xpt", "ds.xpt", "ex.xpt", "vs.xpt"}
    assert list(out.rglob("sdtm*log*.csv")), "the conversion log is written beside the outputs"
