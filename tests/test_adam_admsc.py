"""AdMSC-ALS ADaM from SDTM: hand-checked values on the tiny raw set, invariants on the 40-subject study.

The tiny raw set (tests/data/admsc_tiny_raw, its README tells each subject's story) goes through
the SDTM specs and then mappings/admsc-als/adam. Expected values are worked out by hand from the
raw CSV files and the rules written in the ADaM specs:
  01-001 D4 at day 1 (02 APR 2012), completes the blinded period 29 SEP 2012 and period 2
         28 MAR 2013 -> period 2 from 30 SEP 2012 on the same dose; alive, censored 28 MAR 2013.
  01-002 placebo at day 1 (10 APR 2012), AdMSC 2x10^6 at month 6 (07 OCT 2012), withdraws
         04 JUL 2013; fever on 07 OCT 2012 (the second infusion day) -> period 2, new dose;
         cramps "UN MAR 2013" -> ASTDT 2013-03-01, ASTDTF D.
  01-003 screen failure -> not in ADSL.
  01-004 D1 at day 1 (30 APR 2012), NIV (not PAV) 01 AUG 2012, dies 15 AUG 2012 in period 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cdisc_als.adam import derive_study
from cdisc_als.errors import ConversionLog
from cdisc_als.study import load_study

S1, S2, S4 = (f"ADMSC-ALS-01-00{i}" for i in (1, 2, 4))
D1, D2, D4 = ("AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg")


def T(text):
    return pd.Timestamp(text)


def val(v):
    return None if pd.isna(v) else v


@pytest.fixture(scope="module")
def tiny(repo_root):
    sdtm_mod = pytest.importorskip("cdisc_als.sdtm")
    study = load_study(repo_root / "mappings" / "admsc-als")
    sdtm = sdtm_mod.map_study(study, repo_root / "tests" / "data" / "admsc_tiny_raw", ConversionLog())
    log = ConversionLog()
    return derive_study(study, sdtm, log), sdtm, log


def by_subject(ds):
    return ds.data.set_index("USUBJID")


def test_adsl_periods_and_treatments(tiny):
    out, _, log = tiny
    adsl = by_subject(out["ADSL"])
    assert list(adsl.index) == [S1, S2, S4]  # the screen failure is left out ...
    assert "DM record not in ADSL" in " ".join(log.frame()["reason"])  # ... and listed in the log
    s1, s2, s4 = adsl.loc[S1], adsl.loc[S2], adsl.loc[S4]
    assert (s1["TRT01A"], s1["TRT02A"], s1["TRT02AN"]) == (D4, D4, 4.0)
    assert (s1["AP01SDT"], s1["AP01EDT"], s1["AP02SDT"], s1["AP02EDT"]) == (T("2012-04-02"), T("2012-09-29"), T("2012-09-30"), T("2013-03-28"))
    assert pd.isna(s1["TR02SDT"])  # no infusion in period 2
    assert (s2["TRT01A"], s2["TRT01AN"], s2["TRT02A"], s2["TRT02AN"]) == ("Placebo", 0.0, D2, 2.0)
    assert (s2["TR02SDT"], s2["AP02SDT"], s2["AP01EDT"]) == (T("2012-10-07"), T("2012-10-07"), T("2012-10-06"))
    assert (s4["TRT01A"], val(s4["TRT02A"]), val(s4["AP02SDT"])) == (D1, None, None)  # died in period 1


def test_adsl_disposition_death_and_baseline(tiny):
    adsl = by_subject(tiny[0]["ADSL"])
    s1, s2, s4 = adsl.loc[S1], adsl.loc[S2], adsl.loc[S4]
    assert (s1["EOSSTT"], val(s1["DCSREAS"]), s1["EOSDT"], s1["LSTALVDT"]) == ("COMPLETED", None, T("2013-03-28"), T("2013-03-28"))
    assert (s2["EOSSTT"], s2["DCSREAS"], s2["LSTALVDT"]) == ("DISCONTINUED", "WITHDRAWAL BY SUBJECT", T("2013-07-04"))
    assert (s4["DTHFL"], s4["DTHDT"], s4["DCSREAS"], s4["DTHCAUS"]) == ("Y", T("2012-08-15"), "DEATH", "Respiratory failure")
    assert val(s1["DTHFL"]) is None
    assert [adsl.loc[s, "BALSFRS"] for s in (S1, S2, S4)] == [40.0, 43.0, 32.0]  # screening totals
    assert [adsl.loc[s, f] for s in (S1, S2, S4) for f in ("SAFFL", "ITTFL", "EFFFL")] == ["Y"] * 9
    assert (s1["ALSONSIT"], s4["ALSONSIT"]) == ("SPINAL", "BULBAR")
    assert s1["ONSETDT"] == T("2010-10-15")  # "2010-10" imputed to mid-month
    assert s1["DURDIS"] == round(((dt.date(2012, 4, 2) - dt.date(2010, 10, 15)).days + 1) / 30.4375, 1)


def test_adae_periods_flags_and_imputation(tiny):
    out, sdtm, _ = tiny
    adae = out["ADAE"].data
    assert len(adae) == len(sdtm["AE"].data) == 5  # every AE record, once
    assert not adae.duplicated(["USUBJID", "AESEQ"]).any()
    rows = adae.set_index("AETERM")
    pain, head = rows.loc["pain at liposuction site"], rows.loc["Headache after infusion"]
    fever, cramps = rows.loc["low grade fever post infusion"], rows.loc["cramps in legs"]
    resp = rows.loc["acute respiratory failure"]
    assert (pain["ASTDT"], pain["ASTDY"], val(pain["TRTEMFL"]), val(pain["APERIOD"]), pain["PROCFL"]) == (T("2012-03-20"), -13.0, None, None, "Y")
    assert (head["ASTDY"], head["TRTEMFL"], head["APERIOD"], head["TRTA"], head["PROCFL"], head["AOCCFL"]) == (1.0, "Y", 1.0, D4, "N", "Y")
    assert (fever["ASTDT"], fever["APERIOD"], fever["TRTA"], fever["TRTEMFL"], fever["AOCCFL"]) == (T("2012-10-07"), 2.0, D2, "Y", "Y")
    assert (cramps["ASTDT"], cramps["ASTDTF"], cramps["APERIOD"], cramps["TRTA"], val(cramps["AOCCFL"])) == (T("2013-03-01"), "D", 2.0, D2, None)
    assert (resp["APERIOD"], resp["TRTA"], resp["ASEV"], resp["ASEVN"]) == (1.0, D1, "SEVERE", 3.0)


def test_adtte_event_and_censored(tiny):
    tte = tiny[0]["ADTTE"].data.set_index(["USUBJID", "PARAMCD"])
    # day counts: 02 APR 2012 -> 28 MAR 2013 is study day 361; 10 APR 2012 -> 04 JUL 2013 day 451;
    # 30 APR 2012 -> 15 AUG 2012: 1 + 31 + 30 + 31 + 15 = 108
    assert [tte.loc[(s, "OS"), "CNSR"] for s in (S1, S2, S4)] == [1.0, 1.0, 0.0]
    assert [tte.loc[(s, "OS"), "AVAL"] for s in (S1, S2, S4)] == [361.0, 451.0, 108.0]
    assert tte.loc[(S4, "OS"), "ADT"] == T("2012-08-15") and tte.loc[(S4, "OS"), "EVNTDESC"] == "DEATH"
    assert tte.loc[(S1, "OS"), "CNSDTDSC"] == "LAST KNOWN ALIVE DATE"
    assert tte.loc[(S1, "OSM"), "AVAL"] == pytest.approx(361 / 30.4375)
    # NIV is not permanent assisted ventilation: the composite event of 01-004 is the death
    assert (tte.loc[(S4, "TTDTRACH"), "CNSR"], tte.loc[(S4, "TTDTRACH"), "EVNTDESC"]) == (0.0, "DEATH")


def test_adqsals_total_change_and_slope(tiny):
    q = tiny[0]["ADQSALS"].data
    observed = q[q["DTYPE"].isna()]
    tot = observed[(observed["USUBJID"] == S1) & (observed["PARAMCD"] == "ALSFRTOT")].sort_values("ADT")
    assert tot["AVAL"].tolist() == [40.0, 39.0, 38.0, 35.0]  # the CRF's own totals (ALSFRSTO)
    assert tot["ADY"].tolist() == [-28.0, 92.0, 181.0, 361.0]
    # windows: target day 1 + round(30.4375 m): M3 92 (78-107), M6 184 (154-199), M12 366 (321-412)
    assert tot["AVISIT"].tolist() == ["BASELINE", "MONTH 3", "MONTH 6", "MONTH 12"]
    assert tot["AWTDIFF"].tolist() == [29.0, 0.0, 3.0, 5.0]
    assert tot["ANL01FL"].tolist() == ["Y"] * 4
    assert [val(v) for v in tot["ABLFL"]] == ["Y", None, None, None]
    assert tot["CHG"].tolist() == [0.0, -1.0, -2.0, -5.0]
    assert tot["PCHG"].iloc[-1] == -12.5
    bulb = q[(q["USUBJID"] == S1) & (q["PARAMCD"] == "ALSFBULB")].sort_values("ADT")["AVAL"].tolist()
    assert bulb == [11.0, 11.0, 10.0, 10.0]  # speech + salivation + swallowing
    gastro = observed[(observed["USUBJID"] == S4) & (observed["PARAMCD"] == "ALSFRTOT")].sort_values("ADT")["AVAL"].tolist()
    assert gastro == [32.0, 31.0, 28.0, 23.0]  # item 5b at month 3 counts as item 5
    slope = q[(q["USUBJID"] == S1) & (q["PARAMCD"] == "ALSFSLP")]["AVAL"]
    expected = np.polyfit(np.array([-28, 92, 181, 361]) / 30.4375, [40, 39, 38, 35], 1)[0]
    assert slope.tolist() == [pytest.approx(expected)]


def test_adqsals_locf_records_of_the_total(tiny):
    """LOCF over the scheduled visits MONTH 1-12 (the spec's rule), worked out from the tiny set:
    01-001 has totals at baseline (40), month 3 (39), month 6 (38), month 12 (35) and completes on
    28 MAR 2013: months 1, 2 carry 40, month 4 carries 39, months 7, 8, 9 carry 38. 01-004 has
    totals at baseline, months 1-3 and dies on 15 AUG 2012; month 4's target date is day 123 =
    30 APR 2012 + 122 days = 30 AUG 2012, after the death: no LOCF record at all."""
    q = tiny[0]["ADQSALS"].data
    locf = q[q["DTYPE"] == "LOCF"]
    assert set(locf["PARAMCD"]) == {"ALSFRTOT"}
    s1 = locf[locf["USUBJID"] == S1].sort_values("AVISITN")
    assert s1["AVISIT"].tolist() == ["MONTH 1", "MONTH 2", "MONTH 4", "MONTH 7", "MONTH 8", "MONTH 9"]
    assert s1["AVAL"].tolist() == [40.0, 40.0, 39.0, 38.0, 38.0, 38.0]
    assert s1["CHG"].tolist() == [0.0, 0.0, -1.0, -2.0, -2.0, -2.0]  # BASE 40, derived after LOCF
    assert s1["ANL01FL"].tolist() == ["Y"] * 6 and s1["ABLFL"].isna().all()
    # the period of a LOCF record is that of its visit's target date: month 7 (2 APR 2012 + 213
    # days = 1 NOV 2012) is in period 2 (from 30 SEP 2012), though the carried month-6 value is not
    assert s1["APERIOD"].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    assert S4 not in set(locf["USUBJID"])
    tot = q[q["PARAMCD"] == "ALSFRTOT"]
    assert not tot[tot["ANL01FL"] == "Y"].duplicated(["USUBJID", "AVISITN"]).any()
    # the slope uses observed totals only (the hand-checked value above is unchanged)
    assert q.loc[q["PARAMCD"] == "ALSFSLP", "DTYPE"].isna().all()


def test_define_metadata_of_every_admsc_adam_variable(tiny):
    """What Define-XML reads: a label of at most 40 characters, a source for a copy, a method for a
    derivation; a copy from a helper (work) dataset of a spec is Derived, since that dataset is not
    submitted; TRT02P/TRT02A say what subjects without crossover get."""
    out = tiny[0]
    for ds in out.values():
        for v in ds.variables:
            assert v.label and len(v.label) <= 40, (ds.name, v.name)
            assert (v.origin == "Predecessor" and v.source) or (v.origin == "Derived" and v.method), (ds.name, v.name)
            if v.origin == "Predecessor":
                assert v.source.split(".")[0] in {"DM", "DS", "AE", "QS", "EX", "MH", "PR", "SUPPAE", "SUPPMH", "ADSL"}, (ds.name, v.name)
    adsl = {v.name: v for v in out["ADSL"].variables}
    assert adsl["AGE"].source == "DM.AGE"
    assert adsl["TRTSDTM"].origin == "Derived" and "EX.EXSTDTC" in adsl["TRTSDTM"].method  # merged from work EX_EXT
    for name in ("TRT02P", "TRT02A"):
        assert "same dose as in period 1" in adsl[name].method and "re-randomized" in adsl[name].method
    dtype = next(v for v in out["ADQSALS"].variables if v.name == "DTYPE")
    assert dtype.label == "Derivation Type" and "LOCF" in dtype.method


@pytest.mark.slow
def test_forty_subject_study_invariants(repo_root, tmp_path):
    synth = pytest.importorskip("cdisc_als.synth")
    sdtm_mod = pytest.importorskip("cdisc_als.sdtm")
    lifelines = pytest.importorskip("lifelines")
    study = load_study(repo_root / "mappings" / "admsc-als")
    synth.generate_raw(study, tmp_path / "raw")
    sdtm = sdtm_mod.map_study(study, tmp_path / "raw", ConversionLog())
    log = ConversionLog()
    out = derive_study(study, sdtm, log)
    assert not log.has_errors
    dm, ds, ae = sdtm["DM"].data, sdtm["DS"].data, sdtm["AE"].data
    adsl, adae, adtte = out["ADSL"].data, out["ADAE"].data, out["ADTTE"].data
    randomized = set(ds.loc[ds["DSDECOD"] == "RANDOMIZED", "USUBJID"])
    assert len(adsl) == len(randomized) == 40 and set(adsl["USUBJID"]) == randomized
    # every ADAE record traces to exactly one AE record
    assert len(adae) == len(ae)
    assert set(zip(adae["USUBJID"], adae["AESEQ"], strict=True)) == set(zip(ae["USUBJID"], ae["AESEQ"], strict=True))
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    treated = set(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"])
    deaths = set(dm.loc[(dm["DTHFL"] == "Y") & dm["USUBJID"].isin(treated), "USUBJID"])
    assert set(os_.loc[os_["CNSR"] == 0, "USUBJID"]) == deaths
    # Kaplan-Meier median OS from ADTTE = the median from durations computed directly from SDTM
    kmf = lifelines.KaplanMeierFitter()
    kmf.fit(os_["AVAL"], event_observed=(os_["CNSR"] == 0))
    start = pd.to_datetime(dm.set_index("USUBJID")["RFXSTDTC"].str.slice(0, 10), errors="coerce")
    death = pd.to_datetime(dm.set_index("USUBJID")["DTHDTC"].str.slice(0, 10), errors="coerce")
    dates = pd.concat([
        pd.DataFrame({"USUBJID": ds["USUBJID"], "D": ds["DSSTDTC"]}),
        pd.DataFrame({"USUBJID": ae["USUBJID"], "D": ae["AEENDTC"]}),
        pd.DataFrame({"USUBJID": ae["USUBJID"], "D": ae["AESTDTC"]}),
        pd.DataFrame({"USUBJID": sdtm["QS"].data["USUBJID"], "D": sdtm["QS"].data["QSDTC"]}),
    ])
    dates["D"] = pd.to_datetime(dates["D"].astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    last = dates.groupby("USUBJID")["D"].max()
    subj = sorted(treated)
    end = death.reindex(subj).fillna(last.reindex(subj))
    days = (end - start.reindex(subj)).dt.days + 1
    direct = lifelines.KaplanMeierFitter().fit(days, event_observed=death.reindex(subj).notna())
    assert kmf.median_survival_time_ == direct.median_survival_time_
    # LOCF records of the ALSFRS-R total: each carries the value of an observed total of the same
    # subject on its ADT, at a scheduled visit of months 1-12 without an observed total, with a
    # target date on/before death and end of study; one analysis record per visit
    q = out["ADQSALS"].data
    tot = q[q["PARAMCD"] == "ALSFRTOT"]
    obs, locf = tot[tot["DTYPE"].isna()], tot[tot["DTYPE"] == "LOCF"]
    assert len(locf) > 0 and set(locf["AVISITN"]) <= {1, 2, 3, 4, 6, 7, 8, 9, 12}
    src = locf.merge(obs[["USUBJID", "ADT", "AVAL"]], on=["USUBJID", "ADT"], how="left", suffixes=("", "_OBS"))
    assert (src["AVAL"] == src["AVAL_OBS"]).all()
    assert locf.merge(obs[["USUBJID", "AVISITN"]], on=["USUBJID", "AVISITN"]).empty
    stop = adsl.set_index("USUBJID")[["DTHDT", "EOSDT"]].min(axis=1)
    target = locf["TRTSDT"] + pd.to_timedelta(locf["AWTARGET"] - 1, unit="D")
    assert (target.to_numpy() <= stop.reindex(locf["USUBJID"]).to_numpy()).all()
    assert not tot[tot["ANL01FL"] == "Y"].duplicated(["USUBJID", "AVISITN"]).any()


def test_adqsmas_sum_of_grades(tiny):
    m = tiny[0]["ADQSMAS"].data
    tot = m[m["PARAMCD"] == "MASSUM"].set_index(["USUBJID", "AVISIT"])
    # 01-001 screening: knee flexors R 1, knee extensors R 1+ (1.5) and L 1 -> 3.5; month 6:
    # elbow extensors L 1, knee flexors 1+ and 1, knee extensors 2 and 1+, ankle R 1 -> 8.0
    assert tot.loc[(S1, "BASELINE"), "AVAL"] == 3.5
    assert (tot.loc[(S1, "MONTH 6"), "AVAL"], tot.loc[(S1, "MONTH 6"), "CHG"]) == (8.0, 4.5)
    assert tot.loc[(S4, "BASELINE"), "AVAL"] == 20.5  # 1+1 + 1+1.5 + 2+2 + 3+2 + 4+3
    grade = m[(m["USUBJID"] == S1) & (m["AVISIT"] == "BASELINE") & (m["AVALC"] == "1+")]
    assert grade["AVAL"].tolist() == [1.5]


def test_missing_and_contradictory_sdtm_follow_the_documented_rules(tiny, repo_root):
    """Death without DTHDTC, a randomized subject with no infusion, an AE without a start date:
    no crash, the documented rule applies, and each record is listed in the log."""
    _, sdtm, _ = tiny
    changed = {name: ds for name, ds in sdtm.items()}
    dm = sdtm["DM"].data.copy()
    dm.loc[dm["USUBJID"] == S4, "DTHDTC"] = None  # DM still says DTHFL = Y
    ex = sdtm["EX"].data
    ae = sdtm["AE"].data.copy()
    ae.loc[ae["AETERM"] == "cramps in legs", "AESTDTC"] = None
    changed["DM"] = dm
    changed["EX"] = ex[ex["USUBJID"] != S1]
    changed["AE"] = ae
    log = ConversionLog()
    out = derive_study(load_study(repo_root / "mappings" / "admsc-als"), changed, log)
    adsl = by_subject(out["ADSL"])
    assert (adsl.loc[S4, "DTHFL"], val(adsl.loc[S4, "DTHDT"])) == ("Y", None)
    assert (adsl.loc[S1, "SAFFL"], adsl.loc[S1, "EFFFL"], val(adsl.loc[S1, "TRTSDT"]), val(adsl.loc[S1, "AP01SDT"])) == ("N", "N", None, None)
    tte = out["ADTTE"].data.set_index(["USUBJID", "PARAMCD"])
    assert S1 not in set(out["ADTTE"].data["USUBJID"])  # not in the safety population
    # no death date: censored at the last date known alive (the fatal AE ended 15 AUG 2012)
    assert (tte.loc[(S4, "OS"), "CNSR"], tte.loc[(S4, "OS"), "ADT"]) == (1.0, T("2012-08-15"))
    cramps = out["ADAE"].data.set_index("AETERM").loc["cramps in legs"]
    assert (val(cramps["ASTDT"]), cramps["TRTEMFL"], val(cramps["APERIOD"])) == (None, "Y", None)
    head = out["ADAE"].data.set_index("AETERM").loc["Headache after infusion"]
    assert val(head["TRTEMFL"]) is None  # 01-001 was never treated
    reasons = " | ".join(log.frame()["reason"])
    for text in ("death without a complete death date", "randomized but never infused", "AE without a usable start date",
                 "ADSL record not in ADTTE"):
        assert text in reasons, text
