"""AdMSC-ALS raw -> SDTM on the default generated study (40 randomized subjects + screen failures).

Checks the acceptance properties of issue 2 on the whole study, each recomputed here from the raw
files or from the SDTM rule (never read back from the code under test): one DM row per screened
subject, every subject of the other domains in DM, --SEQ unique, ISO 8601 dates, --DY without day
0 and equal to the day count from RFSTDTC, 12 ALSFRS-R items per assessed visit, crossover
subjects with two EX records and both treatments in ACTARM.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog
from cdisc_als.sdtm import map_study
from cdisc_als.study import load_study

pytestmark = pytest.mark.slow

ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?)?)?)?$|^\d{4}---\d{2}$")


@pytest.fixture(scope="module")
def generated(repo_root, tmp_path_factory):
    synth = pytest.importorskip("cdisc_als.synth")
    study = load_study(repo_root / "mappings" / "admsc-als")
    raw = tmp_path_factory.mktemp("admsc_raw")
    synth.generate_raw(study, raw)
    log = ConversionLog()
    sdtm = map_study(study, raw, log)
    return raw, sdtm, log


def _raw(raw, name):
    return pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)


def test_no_errors_and_dm_one_row_per_screened_subject(generated):
    raw, sdtm, log = generated
    frame = log.frame()
    assert (frame["severity"] == "error").sum() == 0, frame[frame["severity"] == "error"].head().to_string()
    demog = _raw(raw, "demog")
    dm = sdtm["DM"].data
    assert len(dm) == len(demog) and dm["USUBJID"].is_unique
    assert set(dm["USUBJID"]) == set("ADMSC-ALS-" + demog["SUBJID"])
    # screen failures are the subjects with ELIGYN = N; they have no arm and ARMNRS
    consent = _raw(raw, "consent")
    sf = set("ADMSC-ALS-" + consent.loc[consent["ELIGYN"] == "N", "SUBJID"])
    assert sf == set(dm.loc[dm["ARMNRS"] == "SCREEN FAILURE", "USUBJID"])
    assert dm.loc[dm["USUBJID"].isin(sf), "ARMCD"].isna().all()
    assert (dm["ARMCD"].notna().sum()) == 40


def test_subjects_in_dm_and_seq_unique(generated):
    _, sdtm, _ = generated
    subjects = set(sdtm["DM"].data["USUBJID"])
    for name, ds in sdtm.items():
        data = ds.data
        if "USUBJID" not in data or name == "DM":
            continue
        assert set(data["USUBJID"].dropna()) <= subjects, name
        seq = f"{name}SEQ"
        if seq in data:
            assert data[seq].notna().all() and not data.duplicated(["USUBJID", seq]).any(), name


def test_dates_are_iso8601(generated):
    _, sdtm, _ = generated
    checked = 0
    for name, ds in sdtm.items():
        for col in [c for c in ds.data.columns if c.endswith("DTC")]:
            values = ds.data[col].dropna().astype(str)
            bad = values[~values.str.match(ISO)]
            assert bad.empty, f"{name}.{col}: {bad.head().tolist()}"
            checked += len(values)
    assert checked > 10000


def test_study_days_agree_with_rfstdtc(generated):
    _, sdtm, _ = generated
    ref = sdtm["DM"].data.set_index("USUBJID")["RFSTDTC"].str.slice(0, 10)
    ref = pd.to_datetime(ref, format="%Y-%m-%d", errors="coerce")
    pairs = [("AE", "AESTDTC", "AESTDY"), ("AE", "AEENDTC", "AEENDY"), ("EX", "EXSTDTC", "EXSTDY"),
             ("QS", "QSDTC", "QSDY"), ("DS", "DSSTDTC", "DSSTDY"), ("SV", "SVSTDTC", "SVSTDY"),
             ("SE", "SESTDTC", "SESTDY"), ("PR", "PRSTDTC", "PRSTDY"), ("DM", "DMDTC", "DMDY")]
    for name, dtc, dy in pairs:
        data = sdtm[name].data
        full = data[dtc].astype("string").str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        d = pd.to_datetime(data[dtc].astype("string").str.slice(0, 10).where(full), format="%Y-%m-%d", errors="coerce")
        r = data["USUBJID"].map(ref)
        delta = (d - r).dt.days
        want = delta.where(delta < 0, delta + 1)
        got = data[dy].astype(float)
        assert (got != 0).all() or got.isna().all(), name
        both = want.notna()
        assert (got[both] == want[both]).all(), name
        assert got[~both].isna().all(), name  # partial dates and subjects without RFSTDTC: no day


def test_alsfrs_12_items_per_assessed_visit(generated):
    raw, sdtm, _ = generated
    qs = sdtm["QS"].data
    als = qs[qs["QSCAT"] == "ALSFRS-R"]
    per_visit = als.groupby(["USUBJID", "VISITNUM"])["QSTESTCD"].agg(list)
    assert len(per_visit) == len(_raw(raw, "alsfrs"))
    assert (per_visit.map(len) == 12).all()
    assert per_visit.map(lambda v: len({"ALSF105A", "ALSF105B"} & set(v)) == 1).all()
    mas = qs[qs["QSCAT"] == "MODIFIED ASHWORTH SCALE"]
    assert len(mas) == 2 * len(_raw(raw, "ashworth"))
    assert set(mas["QSSTRESN"].dropna()) <= {0, 1, 1.5, 2, 3, 4}


def test_crossover_subjects(generated):
    raw, sdtm, _ = generated
    rand = _raw(raw, "randomization")
    second = set("ADMSC-ALS-" + rand.loc[rand["RANDPER"] == "2", "SUBJID"])
    assert second, "the default study has re-randomized placebo subjects"
    dm = sdtm["DM"].data.set_index("USUBJID")
    ex = sdtm["EX"].data
    for subj in second:
        recs = ex[ex["USUBJID"] == subj].sort_values("EXSTDTC")
        assert recs["EXTRT"].tolist() == ["PLACEBO", "ADMSC"]
        assert recs["EPOCH"].tolist() == ["BLINDED TREATMENT", "CONTINUATION TREATMENT"]
        assert dm.loc[subj, "ACTARM"].startswith("Placebo then AdMSC")
        assert dm.loc[subj, "ARMCD"].startswith("PBO-") and dm.loc[subj, "ARMCD"] == dm.loc[subj, "ACTARMCD"]
    # planned arm = period-1 code, "-" and period-2 code (recomputed from the raw table)
    p1 = rand[rand["RANDPER"] == "1"].set_index("SUBJID")["TRTCD"]
    p2 = rand[rand["RANDPER"] == "2"].set_index("SUBJID")["TRTCD"]
    want = p1.where(~p1.index.isin(p2.index), p1 + "-" + p2.reindex(p1.index))
    got = dm["ARMCD"].dropna()
    assert got.to_dict() == {f"ADMSC-ALS-{k}": v for k, v in want.items()}


def test_subject_elements_are_contiguous(generated):
    _, sdtm, _ = generated
    se = sdtm["SE"].data.sort_values(["USUBJID", "SESEQ"])
    nxt = se.groupby("USUBJID")["SESTDTC"].shift(-1)
    has_next = nxt.notna()
    assert (se.loc[has_next, "SEENDTC"] == nxt[has_next]).all()
    dm = sdtm["DM"].data.set_index("USUBJID")
    last = se.groupby("USUBJID").tail(1).set_index("USUBJID")
    assert (last["SEENDTC"] == dm.loc[last.index, "RFPENDTC"]).all()
    # every randomized subject starts with screening then a treatment element on day 1
    first_two = se[se["SESEQ"] <= 2].pivot(index="USUBJID", columns="SESEQ", values="ETCD")
    treated = dm["ACTARMCD"].dropna().index
    assert (first_two.loc[treated, 1] == "SCRN").all()
    assert first_two.loc[treated, 2].isin(["PBO", "D1", "D2", "D4"]).all()


def test_visitnum_unique_per_subject_in_sv(generated):
    """SV has one record per subject and visit (SDTMIG 3.4 SV keys), unscheduled visits included."""
    _, sdtm, _ = generated
    sv = sdtm["SV"].data
    assert not sv.duplicated(["USUBJID", "VISITNUM"]).any()
    uns = sv[sv["SVUPDES"].notna()]
    assert ((uns["VISITNUM"] * 100).round() % 100 != 0).all()  # x.01, x.02 ...


def test_deaths_consistent_across_dm_ds_ae(generated):
    """Every death of death.csv is DTHFL/DTHDTC in DM and a DEATH disposition on the same date;
    every fatal AE belongs to a dead subject and ends on the death date. Deaths from ALS
    progression without a fatal AE are kept as collected (docs/trial-design.md)."""
    raw, sdtm, _ = generated
    death = _raw(raw, "death")
    dead = set("ADMSC-ALS-" + death["SUBJID"])
    dm = sdtm["DM"].data.set_index("USUBJID")
    assert set(dm.index[dm["DTHFL"] == "Y"]) == dead
    assert dm.loc[list(dead), "DTHDTC"].notna().all()
    ds = sdtm["DS"].data
    ds_death = ds[ds["DSDECOD"] == "DEATH"].set_index("USUBJID")
    assert set(ds_death.index) == dead and ds_death.index.is_unique
    assert (ds_death["DSSTDTC"] == dm.loc[ds_death.index, "DTHDTC"]).all()
    ae = sdtm["AE"].data
    fatal = ae[ae["AEOUT"] == "FATAL"]
    assert set(fatal["USUBJID"]) <= dead
    assert (fatal["AESDTH"] == "Y").all() and (fatal["AESER"] == "Y").all()
    assert (fatal["AEENDTC"].to_numpy() == dm.loc[fatal["USUBJID"], "DTHDTC"].to_numpy()).all()
    assert ((ae["AESDTH"] == "Y") == (ae["AEOUT"] == "FATAL")).all()


def test_every_generated_defect_is_logged_with_file_and_row(repo_root, tmp_path):
    synth = pytest.importorskip("cdisc_als.synth")
    study = load_study(repo_root / "mappings" / "admsc-als")
    synth.generate_raw(study, tmp_path, defects=True)
    defects = pd.read_csv(tmp_path / "_defects.csv", dtype=str)
    assert len(defects) >= 5
    log = ConversionLog()
    map_study(study, tmp_path, log)
    errors = log.frame()
    errors = errors[errors["severity"] == "error"]
    found = set(zip(errors["source"], errors["row"].astype(float).astype(int), strict=True))
    for d in defects.itertuples(index=False):
        assert (d.file, int(d.row)) in found, f"defect not logged: {d}"
