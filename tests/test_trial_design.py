"""Trial-design builders (TA, TE, TV, TI, TS) and subject-level operations (SE, SV, EPOCH, arms).

Expected values are written by hand from study.yaml, the CDISC CT 2025-03-28 file and the SDTMIG
3.4 rules (element k starts at its start date and ends where the next element starts), never
copied from the code's output.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.registry import REGISTRY, Context
from cdisc_als.ops.subject_level import build_se, build_sv, epoch_of
from cdisc_als.ops.trial_design import (
    build_ta,
    build_te,
    build_ti,
    build_ts,
    build_tv,
    split_text,
)
from cdisc_als.study import load_study


@pytest.fixture(scope="module")
def study(repo_root):
    return load_study(repo_root / "mappings" / "admsc-als")


@pytest.fixture(scope="module")
def config(study):
    return study.config


def _records(frame: pd.DataFrame, cols: list[str]) -> list[tuple]:
    out = frame[cols].astype(object).where(frame[cols].notna(), None)
    return [tuple(r) for r in out.itertuples(index=False)]


# --------------------------------------------------------------------------- TA / TE / TV / TI
def test_ta_crossover_arm_by_hand(config):
    ta = build_ta(config)
    assert len(ta) == 24  # 6 arms x 4 epochs
    assert set(ta["STUDYID"]) == {"ADMSC-ALS"} and set(ta["DOMAIN"]) == {"TA"}
    rows = _records(ta[ta["ARMCD"] == "PBO-D2"], ["TAETORD", "ETCD", "EPOCH", "TABRANCH", "ARM"])
    arm = "Placebo then AdMSC 2x10^6 cells/kg"
    assert rows == [
        (1, "SCRN", "SCREENING", "Randomized to Placebo", arm),
        (2, "PBO", "BLINDED TREATMENT", "Re-randomized to AdMSC 2x10^6 cells/kg at month 6", arm),
        (3, "D2", "CONTINUATION TREATMENT", None, arm),
        (4, "EXT", "LONG-TERM FOLLOW-UP", None, arm),
    ]
    d4 = _records(ta[ta["ARMCD"] == "D4"], ["ETCD", "EPOCH"])
    assert d4 == [("SCRN", "SCREENING"), ("D4", "BLINDED TREATMENT"),
                  ("FUP", "CONTINUATION TREATMENT"), ("EXT", "LONG-TERM FOLLOW-UP")]
    # the partial (truncated) arm PBO is valid in DM but is not a row of TA
    assert "PBO" not in set(ta["ARMCD"])


def test_te_ti_tv(config):
    te = build_te(config)
    assert sorted(te["ETCD"]) == ["D1", "D2", "D4", "EXT", "FUP", "PBO", "SCRN"]
    assert te.set_index("ETCD").loc["EXT", "TEDUR"] == "P36M"
    ti = build_ti(config)
    assert len(ti) == 15
    assert (ti["IECAT"] == "INCLUSION").sum() == 7 and (ti["IECAT"] == "EXCLUSION").sum() == 8
    assert ti.set_index("IETESTCD").loc["INCL03", "IETEST"] == "Forced vital capacity >= 50% of predicted"
    tv = build_tv(config)
    # 24 planned visits; MONTH 6 is planned differently per arm: 6 rows instead of 1
    assert len(tv) == 24 - 1 + 6
    m6 = tv[tv["VISIT"] == "MONTH 6"]
    assert sorted(m6["ARMCD"]) == ["D1", "D2", "D4", "PBO-D1", "PBO-D2", "PBO-D4"]
    assert set(m6["VISITNUM"]) == {8.0} and set(m6["VISITDY"]) == {181}
    assert m6.set_index("ARMCD").loc["PBO-D4", "TVSTRL"].endswith("start of the second infusion (AdMSC)")
    m12 = tv[tv["VISIT"] == "MONTH 12"].iloc[0]
    assert (m12["VISITNUM"], m12["VISITDY"], m12["ARMCD"]) == (12.0, 361, None)


def test_unknown_element_in_ta_names_file_and_key(config):
    bad = copy.deepcopy(config)
    bad["design"]["trial_arms"]["D1"][1]["etcd"] = "DX"
    with pytest.raises(SpecError) as err:
        build_ta(bad, "mappings/admsc-als/study.yaml")
    assert "study.yaml" in str(err.value)
    assert "design.trial_arms.D1[1].etcd" in str(err.value)
    assert "'DX'" in str(err.value)


def test_visit_without_visitnum_is_a_spec_error(config):
    bad = copy.deepcopy(config)
    del bad["design"]["visits"][3]["visitnum"]
    with pytest.raises(SpecError) as err:
        build_tv(bad, "study.yaml")
    assert "design.visits[3].visitnum" in str(err.value)
    assert "required" in str(err.value)


def test_unknown_arm_of_a_visit_variant(config):
    bad = copy.deepcopy(config)
    bad["design"]["visits"][7]["arms"][0]["armcd"] = ["D3"]
    with pytest.raises(SpecError, match=r"design\.visits\[7\]\.arms\[0\]\.armcd"):
        build_tv(bad)


# --------------------------------------------------------------------------- TS
@pytest.fixture(scope="module")
def ct():
    from cdisc_als.ct import load_ct

    return load_ct("2025-03-28")


def test_ts_parameter_not_in_tsparmcd(config, ct):
    bad = copy.deepcopy(config)
    bad["design"]["trial_summary"][0]["parmcd"] = "PHASE"
    with pytest.raises(SpecError) as err:
        build_ts(bad, "study.yaml", ct=ct)
    assert "design.trial_summary[0].parmcd" in str(err.value) and "TSPARMCD" in str(err.value)


def test_ts_value_not_in_its_codelist(config, ct):
    bad = copy.deepcopy(config)
    entry = next(e for e in bad["design"]["trial_summary"] if e["parmcd"] == "TBLIND")
    entry["value"] = "TRIPLE BLIND"
    with pytest.raises(SpecError, match="TRIPLE BLIND.*TBLIND"):
        build_ts(bad, "study.yaml", ct=ct)


def test_ts_coded_values_from_ct(config, ct):
    ts = build_ts(config, ct=ct, derived={"ACTSUB": "40", "SSTDTC": "2012-03-05", "SENDTC": None})
    by = ts.set_index("TSPARMCD")
    # C-codes read by hand in SDTM_Terminology_2025-03-28.txt
    expected = {
        "TPHASE": ("PHASE I/II TRIAL", "C15693"),
        "TBLIND": ("DOUBLE BLIND", "C15228"),
        "TCNTRL": ("PLACEBO", "C49648"),
        "INTMODEL": ("PARALLEL", "C82639"),
        "STYPE": ("INTERVENTIONAL", "C98388"),
        "ADDON": ("Y", "C49488"),
        "ROUTE": ("INTRAVENOUS", "C38276"),
        "SEXPOP": ("BOTH", "C49636"),
    }
    for parm, (val, code) in expected.items():
        row = by.loc[parm]
        assert (row["TSVAL"], row["TSVALCD"], row["TSVCDREF"], row["TSVCDVER"]) == (val, code, "CDISC CT", "2025-03-28")
    assert by.loc["TPHASE", "TSPARM"] == "Trial Phase Classification"
    assert by.loc["ADDON", "TSPARM"] == "Added on to Existing Treatments"
    assert (by.loc["SSTDTC", "TSVAL"], by.loc["SSTDTC", "TSVCDREF"]) == ("2012-03-05", "ISO 8601")
    assert by.loc["ACTSUB", "TSVAL"] == "40"
    # a derived value the data cannot give: null flavor, no reference dictionary
    assert pd.isna(by.loc["SENDTC", "TSVAL"]) and by.loc["SENDTC", "TSVALNF"] == "NI"
    assert pd.isna(by.loc["SENDTC", "TSVCDREF"])
    assert (by.loc["REGID", "TSVAL"], by.loc["REGID", "TSVCDREF"]) == ("2011-006254-85", "EudraCT")
    # every TSVCDREF is a DICTNAM term: CDISC CT, SNOMED, ISO 3166 are CDISC terms; ISO 8601 and
    # EudraCT are the declared sponsor extension (specs/ct/sponsor/dictnam-extension.yaml)
    dictnam = ct.codelist("DICTNAM")
    assert set(ts["TSVCDREF"].dropna()) == {"CDISC CT", "SNOMED", "ISO 3166", "ISO 8601", "EudraCT"}
    assert set(ts["TSVCDREF"].dropna()) <= set(dictnam.values)
    assert set(dictnam.extended_values) == {"ISO 8601", "EudraCT"}
    # the FDA TCG parameters of the intervention: model, type, pharmacologic class
    assert (by.loc["INTTYPE", "TSVAL"], by.loc["INTTYPE", "TSVALCD"]) == ("BIOLOGIC", "C307")
    assert pd.isna(by.loc["PCLAS", "TSVAL"]) and by.loc["PCLAS", "TSVALNF"] == "NA"
    assert pd.isna(by.loc["PCLAS", "TSVCDREF"])
    assert by.loc["TITLE", "TSVAL"].endswith("(EudraCT 2011-006254-85)")
    dose = ts[ts["TSPARMCD"] == "DOSE"]
    assert _records(dose, ["TSSEQ", "TSGRPID", "TSVAL"]) == [(1, "PBO", "0"), (2, "D1", "1"), (3, "D2", "2"), (4, "D4", "4")]
    assert all(len(v) <= 200 for v in ts["TSVAL"].dropna())


def test_split_text_keeps_200_characters():
    text = " ".join(["word"] * 120)  # 599 characters
    parts = split_text(text)
    assert len(parts) == 3 and all(len(p) <= 200 for p in parts)
    assert " ".join(parts) == text
    assert split_text("short") == ["short"]


# --------------------------------------------------------------------------- SE
def _ctx(study, **frames) -> Context:
    return Context(study=study, log=ConversionLog(), datasets=dict(frames))


SE_ARG = {
    "subjects": "DM",
    "arm": "ACTARMCD",
    "starts": {
        1: [{"dataset": "DM", "column": "RFICDTC"}],
        2: [{"dataset": "EX", "column": "EXSTDTC", "occurrence": 1}],
        3: [{"dataset": "EX", "column": "EXSTDTC", "occurrence": 2},
            {"dataset": "SV", "column": "SVSTDTC", "where": "VISITNUM == 8"}],
        4: [{"dataset": "SV", "column": "SVSTDTC", "where": "VISITNUM == 12"}],
    },
    "end": [{"dataset": "DM", "column": "RFPENDTC"}],
}


@pytest.fixture()
def se_inputs():
    dm = pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S4"],
        "ACTARMCD": ["PBO-D2", "D4", None, "PBO"],
        "RFICDTC": ["2012-03-01", "2012-03-02", "2012-03-03", "2012-03-04"],
        "RFPENDTC": ["2013-06-01", "2012-12-01", "2012-03-03", "2012-07-01"],
    })
    ex = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S4"],
        # second infusion listed first: occurrence follows the dates, not the record order
        "EXSTDTC": ["2012-10-01T11:00", "2012-04-01T10:00", "2012-04-02T09:00", "2012-04-04T09:30"],
    })
    sv = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S2"],
        "VISITNUM": [8.0, 12.0, 8.0, 3.0],
        "SVSTDTC": ["2012-10-01", "2013-04-01", "2012-10-02", "2012-04-02"],
    })
    return {"DM": dm, "EX": ex, "SV": sv}


def test_se_elements_by_hand(study, se_inputs):
    se = build_se(_ctx(study, **se_inputs), SE_ARG)
    cols = ["USUBJID", "SESEQ", "ETCD", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]
    assert _records(se, cols) == [
        # crossover: placebo, then D2 at the second infusion, extension from month 12
        ("S1", 1, "SCRN", 1, "SCREENING", "2012-03-01", "2012-04-01T10:00"),
        ("S1", 2, "PBO", 2, "BLINDED TREATMENT", "2012-04-01T10:00", "2012-10-01T11:00"),
        ("S1", 3, "D2", 3, "CONTINUATION TREATMENT", "2012-10-01T11:00", "2013-04-01"),
        ("S1", 4, "EXT", 4, "LONG-TERM FOLLOW-UP", "2013-04-01", "2013-06-01"),
        # active dose: follow-up element from the month-6 visit, no month-12 visit
        ("S2", 1, "SCRN", 1, "SCREENING", "2012-03-02", "2012-04-02T09:00"),
        ("S2", 2, "D4", 2, "BLINDED TREATMENT", "2012-04-02T09:00", "2012-10-02"),
        ("S2", 3, "FUP", 3, "CONTINUATION TREATMENT", "2012-10-02", "2012-12-01"),
        # screen failure: the screening element only
        ("S3", 1, "SCRN", 1, "SCREENING", "2012-03-03", "2012-03-03"),
        # truncated arm PBO (left before re-randomization): elements up to the branch
        ("S4", 1, "SCRN", 1, "SCREENING", "2012-03-04", "2012-04-04T09:30"),
        ("S4", 2, "PBO", 2, "BLINDED TREATMENT", "2012-04-04T09:30", "2012-07-01"),
    ]


# --------------------------------------------------------------------------- EPOCH from SE
def test_epoch_of_transition_days():
    se = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1"],
        "EPOCH": ["SCREENING", "BLINDED TREATMENT", "CONTINUATION TREATMENT"],
        "SESTDTC": ["2012-03-01", "2012-04-01T10:00", "2012-10-01"],
        "SEENDTC": ["2012-04-01T10:00", "2012-10-01", "2013-04-01"],
    })
    keys = pd.Series(["S1"] * 7 + ["S9"])
    dates = pd.Series([
        "2012-03-15",        # inside screening
        "2012-04-01T08:00",  # infusion day, before the infusion: screening
        "2012-04-01T14:00",  # infusion day, after it
        "2012-04-01",        # infusion day without time: the element starting that day
        "2012-04",           # partial date: cannot be placed
        "2013-04-01",        # last day of the last element
        "2013-04-02",        # after the end of participation
        "2012-05-01",        # subject without elements
    ])
    assert epoch_of(se, keys, dates).tolist() == [
        "SCREENING", "SCREENING", "BLINDED TREATMENT", "BLINDED TREATMENT", None,
        "CONTINUATION TREATMENT", None, None,
    ]
    # same_day="previous": a date-only record on a transition day stays in the element before
    prev = epoch_of(se, keys[:4], dates[:4], same_day="previous").tolist()
    assert prev == ["SCREENING", "SCREENING", "BLINDED TREATMENT", "SCREENING"]
    # ... but on the first day of the first element there is no element before: that one
    first_day = epoch_of(se, pd.Series(["S1"]), pd.Series(["2012-03-01"]), same_day="previous")
    assert first_day.tolist() == ["SCREENING"]


# --------------------------------------------------------------------------- SV from records
def test_sv_from_visit_dated_records(study):
    qs = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S1"],
        "VISITNUM": [1.0, 1.0, 4.01, 8.0],
        "VISIT": ["SCREENING", "SCREENING", "UNSCHEDULED 4.01", "MONTH 6"],
        "QSDTC": ["2012-03-05", "2012-03-06", "2012-05-15", "2012-09"],
    })
    ex = pd.DataFrame({"USUBJID": ["S1"], "VISITNUM": [8.0], "VISIT": ["MONTH 6"], "EXSTDTC": ["2012-09-29T10:00"]})
    sv = build_sv(_ctx(study, QS=qs, EX=ex), {"from": [{"dataset": "QS", "date": "QSDTC"},
                                                        {"dataset": "EX", "date": "EXSTDTC"}]})
    cols = ["VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "VISITDY", "SVSTDTC", "SVENDTC", "SVUPDES"]
    assert _records(sv, cols) == [
        (1.0, "SCREENING", "Y", "Y", -28, "2012-03-05", "2012-03-06", None),
        (4.01, "UNSCHEDULED 4.01", None, None, None, "2012-05-15", "2012-05-15", "Unscheduled visit"),
        # the partial QS date does not count; EX gives the visit date
        (8.0, "MONTH 6", "Y", "Y", 181, "2012-09-29T10:00", "2012-09-29T10:00", None),
    ]


def test_two_unscheduled_visits_on_one_day_get_two_visitnums(study):
    """Regression (10,000-subject study, ADMSC-ALS-01-1680): the EDC export had two UNS forms
    (UNSNUM 2 and 3) dated the same day after MONTH 9 (VISITNUM 11); both were numbered 11.01,
    a duplicate VISITNUM in SV. With `instance: UNSNUM` they are two visits, 11.01 and 11.02
    (date order, then instance order); without it, one date is still one visit (QS-style)."""
    raw = pd.DataFrame({
        "USUBJID": ["S1"] * 6 + ["S2"],
        "FOLDER": ["M9", "UNS", "UNS", "UNS", "M12", "UNS", "UNS"],
        "UNSNUM": [None, "3", "2", "1", None, "4", "1"],
        "DTC": ["2013-11-15", "2014-01-06", "2014-01-06", "2013-12-01", "2014-02-11", "2014-03-01", "2014-01-06"],
        "__row__": range(1, 8),
    })
    arg = {"from": "FOLDER", "date": "DTC", "instance": "UNSNUM"}
    num = REGISTRY["visit"].func(Context(study=study, log=ConversionLog(), target="VISITNUM"), raw, arg)
    # S1 after MONTH 9 (11): 01 DEC (UNSNUM 1) 11.01, 06 JAN UNSNUM 2 11.02, 06 JAN UNSNUM 3 11.03;
    # after MONTH 12 (12): 12.01. S2 has no planned visit: 0.01.
    assert num.tolist() == [11, 11.03, 11.02, 11.01, 12, 12.01, 0.01]
    names = REGISTRY["visit"].func(Context(study=study, log=ConversionLog(), target="VISIT"), raw, arg)
    assert names.tolist()[1:4] == ["UNSCHEDULED 11.03", "UNSCHEDULED 11.02", "UNSCHEDULED 11.01"]
    same_day = REGISTRY["visit"].func(Context(study=study, log=ConversionLog(), target="VISITNUM"), raw,
                                      {"from": "FOLDER", "date": "DTC"})
    assert same_day.tolist() == [11, 11.02, 11.02, 11.01, 12, 12.01, 0.01]


# --------------------------------------------------------------------------- arms
def test_arm_code_and_actual_arm(study):
    frame = pd.DataFrame({"SUBJID": ["A", "B", "C", "D", "E"],
                          "R1": ["PBO", "D4", "PBO", None, "D3"],
                          "R2": ["D2", None, None, None, None]})
    ctx = _ctx(study)
    armcd = REGISTRY["arm_code"].func(ctx, frame, {"columns": ["R1", "R2"]})
    # E: D3 is not an arm of the study -> logged and left null
    assert armcd.tolist() == ["PBO-D2", "D4", "PBO", None, None]
    assert ctx.log.count("error") == 1
    assert REGISTRY["arm_decode"].func(ctx, frame.assign(ARMCD=armcd), "ARMCD").tolist() == [
        "Placebo then AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg", "Placebo", None, None]
    infusions = pd.DataFrame({
        "SUBJID": ["A", "A", "B", "C"],
        "DOSE": ["2000000", "0", "4000000", "0"],
        "DATE": ["2012-10-01", "2012-04-01", "2012-04-02", "2012-04-03"],
    })
    ctx = _ctx(study, INFUSION=infusions)
    act = REGISTRY["actual_arm"].func(ctx, frame, {
        "dataset": "infusion", "key": "SUBJID", "column": "DOSE", "order_by": "DATE",
        "map": {"0": "PBO", "1000000": "D1", "2000000": "D2", "4000000": "D4"}})
    assert act.tolist() == ["PBO-D2", "D4", "PBO", None, None]
    assert ctx.log.count() == 0


def test_element_epoch_places_partial_dates_inside_one_element(study):
    se = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1"],
        "EPOCH": ["SCREENING", "BLINDED TREATMENT", "CONTINUATION TREATMENT"],
        "SESTDTC": ["2012-03-01", "2012-04-10T10:00", "2012-10-07T11:00"],
        "SEENDTC": ["2012-04-10T10:00", "2012-10-07T11:00", "2013-04-05"],
    })
    frame = pd.DataFrame({"USUBJID": ["S1"] * 6, "AESTDTC": [
        "2012-06",           # all of June 2012 in the blinded element
        "2012-10",           # October straddles the month-6 transition: unknown
        "2013-03",           # inside the continuation element
        "2012",              # the year straddles three elements
        "2012-04-10T08:00",  # before the 10:00 infusion (times compared)
        "2012-04-10",        # the infusion day without time: the element starting that day
    ]})
    ctx = _ctx(study, SE=se)
    got = REGISTRY["element_epoch"].func(ctx, frame, {"date": "AESTDTC", "se": "SE"})
    assert got.tolist() == ["BLINDED TREATMENT", None, "CONTINUATION TREATMENT", None, "SCREENING",
                            "BLINDED TREATMENT"]
    strict = REGISTRY["element_epoch"].func(ctx, frame, {"date": "AESTDTC", "se": "SE", "partial": False})
    assert strict.tolist() == [None, None, None, None, "SCREENING", "BLINDED TREATMENT"]


def test_element_epoch_partial_start_bounded_by_the_end_date(study):
    """A partial AE start cannot be later than the AE's own end (logic, not imputation)."""
    se = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1"],
        "EPOCH": ["SCREENING", "BLINDED TREATMENT", "CONTINUATION TREATMENT"],
        "SESTDTC": ["2012-03-01", "2012-04-10T10:00", "2012-10-07T11:00"],
        "SEENDTC": ["2012-04-10T10:00", "2012-10-07T11:00", "2013-04-05"],
    })
    frame = pd.DataFrame({"USUBJID": ["S1"] * 6,
                          "AESTDTC": ["2012-10", "2012-10", "2012-10", "2012-10", "2013", "2013-04"],
                          "AEENDTC": ["2012-10-05", "2012-10-20", "2012-09-20", "2012-10", "2013-03-10",
                                      "2013-04-05T09:00"]})
    got = REGISTRY["element_epoch"].func(_ctx(study, SE=se), frame,
                                         {"date": "AESTDTC", "se": "SE", "not_after": "AEENDTC"})
    assert got.tolist() == [
        "BLINDED TREATMENT",       # 1-5 Oct 2012: before the 7 Oct transition
        None,                      # 1-20 Oct still straddles it
        None,                      # end before the start month (inconsistent): no narrowing
        None,                      # partial end: no bound
        "CONTINUATION TREATMENT",  # 1 Jan - 10 Mar 2013
        "CONTINUATION TREATMENT",  # 1-5 Apr 2013: the last element includes its end day
    ]


def test_actual_arm_logs_an_unmapped_dose_with_its_row(study):
    frame = pd.DataFrame({"SUBJID": ["A"]})
    infusions = pd.DataFrame({"SUBJID": ["A", "A"], "DOSE": ["0", "3000000"], "DATE": ["2012-04-01", "2012-10-01"],
                              "__row__": [1, 2], "__source__": ["infusion.csv", "infusion.csv"]})
    ctx = _ctx(study, INFUSION=infusions)
    act = REGISTRY["actual_arm"].func(ctx, frame, {
        "dataset": "infusion", "key": "SUBJID", "column": "DOSE", "order_by": "DATE",
        "map": {"0": "PBO", "1000000": "D1", "2000000": "D2", "4000000": "D4"}})
    # the unmapped second infusion is left out: the subject reads as the truncated arm PBO
    assert act.tolist() == ["PBO"]
    log = ctx.log.frame()
    assert log[["source", "row", "field", "value"]].values.tolist() == [["infusion.csv", 2, "DOSE", "3000000"]]
