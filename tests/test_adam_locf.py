"""LOCF records (``derive_locf_records``) on tiny hand-made frames.

Expected values are worked out by hand from the rule (admiral's derive_locf_records, ADaMIG
DTYPE = "LOCF"): for each subject and parameter, an expected visit without a value gets the last
observed value before it; never before the first value; never for a visit whose target date is
after the earliest stop date (death, end of study); observed records keep DTYPE missing.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from cerberus import Validator

import cdisc_als.adam.ops  # noqa: F401  (registers the operations)
from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.registry import Context, get_operation

# month m targets study day 1 + 30 m (a round schedule, easy to check by hand)
VISITS = [{"AVISIT": f"MONTH {m}", "AVISITN": m, "target": 1 + 30 * m} for m in (1, 2, 3, 4, 5, 6)]
EXPECTED = {"visits": VISITS, "set_values_to": {"AVISIT": "AVISIT", "AVISITN": "AVISITN", "AWTARGET": "target"},
            "id_vars": ["AVISITN"]}
BASE_ARG = {"by": ["USUBJID", "PARAMCD"], "order": ["AVISITN", "ADT"], "expected": EXPECTED,
            "keep_vars": ["ADT"], "stop_at": ["DTHDT", "EOSDT"], "visit_date": "TRTSDT + AWTARGET - 1"}


def run(op: str, frame: pd.DataFrame, arg, study=None, log=None) -> pd.DataFrame:
    o = get_operation(op)
    v = Validator({"arg": o.schema})
    assert v.validate({"arg": arg}), v.errors
    ctx = Context(study=study, log=log or ConversionLog(), domain="ADQS", spec_file="test.yaml")
    return o.func(ctx, frame, v.document["arg"])


def L(series) -> list:
    return [None if pd.isna(v) else v for v in pd.Series(series).astype("object")]


def subject(usubjid, visits, avals, trtsdt="2012-01-01", dthdt=None, eosdt=None, paramcd="TOT"):
    """Observed records of one subject: ADT = TRTSDT + target - 1 of each visit (0 = baseline, day -6)."""
    start = pd.Timestamp(trtsdt)
    days = [(-7 if m == 0 else 30 * m) for m in visits]
    return pd.DataFrame({
        "USUBJID": usubjid, "PARAMCD": paramcd, "AVISITN": [float(m) for m in visits],
        "AVISIT": ["BASELINE" if m == 0 else f"MONTH {m}" for m in visits],
        "ADT": [start + pd.Timedelta(days=d) for d in days], "AVAL": avals,
        "TRTSDT": start, "DTHDT": pd.Timestamp(dthdt) if dthdt else pd.NaT, "EOSDT": pd.Timestamp(eosdt) if eosdt else pd.NaT,
    })


def locf(out: pd.DataFrame, usubjid: str) -> pd.DataFrame:
    return out[(out["USUBJID"] == usubjid) & (out["DTYPE"] == "LOCF")].sort_values("AVISITN")


def test_missing_month_3_gets_the_month_2_value_and_observed_records_keep_dtype_missing():
    # completed the study on 2012-07-20 (after the month-6 target day 181 = 2012-06-29)
    frame = subject("A", [0, 1, 2, 4, 5, 6], [40.0, 39.0, 37.0, 33.0, 32.0, 30.0], eosdt="2012-07-20")
    out = run("derive_locf_records", frame, BASE_ARG)
    new = locf(out, "A")
    assert L(new["AVISITN"]) == [3]
    assert L(new["AVISIT"]) == ["MONTH 3"] and L(new["AWTARGET"]) == [91]
    assert L(new["AVAL"]) == [37.0]  # month 2
    assert L(new["ADT"]) == [pd.Timestamp("2012-01-01") + pd.Timedelta(days=60)]  # the carried record's date
    assert L(new["EOSDT"]) == [None]  # not a keep_var: missing on the new record
    assert len(out) == len(frame) + 1
    assert L(out.iloc[: len(frame)]["DTYPE"]) == [None] * len(frame)  # observed records untouched


@pytest.mark.filterwarnings("ignore:The behavior of DataFrame concatenation:FutureWarning")  # all-NaT DTHDT of C
def test_nothing_is_carried_past_death_or_end_of_study():
    # B: month 1 only, dies 2012-04-15: month 2 (day 61 = 2012-03-01) and 3 (day 91 = 2012-03-31)
    # are before the death date, month 4 (day 121 = 2012-04-30) is after it.
    b = subject("B", [0, 1], [35.0, 34.0], dthdt="2012-04-15", eosdt="2012-04-15")
    # C: withdraws 2012-03-31, the target date of month 3 itself (on the stop date: kept), no death
    c = subject("C", [0, 1], [44.0, 44.0], eosdt="2012-03-31")
    # D: death date earlier than a (later) end-of-study date: the earliest wins
    d = subject("D", [0, 1], [20.0, 19.0], dthdt="2012-02-15", eosdt="2012-05-01")
    out = run("derive_locf_records", pd.concat([b, c, d], ignore_index=True), BASE_ARG)
    assert L(locf(out, "B")["AVISITN"]) == [2, 3] and L(locf(out, "B")["AVAL"]) == [34.0, 34.0]
    assert L(locf(out, "C")["AVISITN"]) == [2, 3]
    assert locf(out, "D").empty  # month 2 target 2012-03-01 is after the death on 2012-02-15


def test_no_record_for_a_visit_before_the_first_observed_value():
    # E: first value at month 3 (no baseline): months 1 and 2 get nothing, 4 and 5 the month-3 value
    e = subject("E", [3, 6], [28.0, 25.0], eosdt="2012-12-31")
    log = ConversionLog()
    out = run("derive_locf_records", e, BASE_ARG, log=log)
    assert L(locf(out, "E")["AVISITN"]) == [4, 5]
    assert L(locf(out, "E")["AVAL"]) == [28.0, 28.0]
    entry = log.frame()
    assert entry["value"].tolist() == [2] and "before the first observed value" in entry["reason"].iloc[0]


def test_subject_without_stop_date_only_gaps_are_filled_unless_carry():
    f = subject("F", [0, 1, 3], [40.0, 38.0, 36.0])  # ongoing: no death, no end-of-study date
    out = run("derive_locf_records", f, BASE_ARG)
    assert L(locf(out, "F")["AVISITN"]) == [2]  # month 2 lies between two values; 4-6 would be after the last
    out = run("derive_locf_records", f, {**BASE_ARG, "stop_missing": "carry"})
    assert L(locf(out, "F")["AVISITN"]) == [2, 4, 5, 6] and L(locf(out, "F")["AVAL"]) == [38.0, 36.0, 36.0, 36.0]
    # without stop_at at all there is no limit either (admiral's behaviour)
    no_stop = {k: v for k, v in BASE_ARG.items() if k not in ("stop_at", "visit_date")}
    assert L(locf(run("derive_locf_records", f, no_stop), "F")["AVISITN"]) == [2, 4, 5, 6]


def test_parameters_are_separate_groups_and_filter_selects_them():
    g = pd.concat([subject("G", [0, 2], [40.0, 38.0], eosdt="2012-03-05"),
                   subject("G", [0], [12.0], eosdt="2012-03-05", paramcd="BULB")], ignore_index=True)
    out = run("derive_locf_records", g, BASE_ARG)
    new = out[out["DTYPE"] == "LOCF"].sort_values(["PARAMCD", "AVISITN"])
    # target dates: month 1 2012-01-31, month 2 2012-03-01 (both on/before 2012-03-05), month 3 after
    assert list(zip(new["PARAMCD"], new["AVISITN"], new["AVAL"], strict=True)) == [("BULB", 1, 12.0), ("BULB", 2, 12.0), ("TOT", 1, 40.0)]
    only_tot = run("derive_locf_records", g, {**BASE_ARG, "filter": 'PARAMCD == "TOT"'})
    assert set(only_tot.loc[only_tot["DTYPE"] == "LOCF", "PARAMCD"]) == {"TOT"}


def test_a_record_with_missing_value_gets_a_locf_record_beside_it():
    h = subject("H", [0, 1, 2], [40.0, np.nan, 37.0], eosdt="2012-03-05")
    out = run("derive_locf_records", h, BASE_ARG)
    assert L(out.loc[out["AVISITN"] == 1, "AVAL"]) == [None, 40.0]  # the original kept, LOCF added
    assert L(out.loc[out["AVISITN"] == 1, "DTYPE"]) == [None, "LOCF"]


def test_base_and_chg_after_locf_and_one_analysis_record_per_visit():
    a = subject("A", [0, 1, 2, 4], [40.0, 39.0, 37.0, 33.0], eosdt="2012-05-01")  # month 4 day 121 = 2012-04-30
    out = run("derive_locf_records", a, BASE_ARG)
    out = run("derive_var_extreme_flag", out, {"by": ["USUBJID", "PARAMCD"], "order": ["ADT"], "mode": "last",
                                               "new_var": "ABLFL", "filter": "AVISITN == 0 & is_null(DTYPE)"})
    out = run("derive_var_base", out, {"by": ["USUBJID", "PARAMCD"]})
    out = run("derive_var_chg", out, {})
    out = run("derive_var_extreme_flag", out, {"by": ["USUBJID", "PARAMCD", "AVISITN"], "order": ["ADT"], "mode": "last",
                                               "new_var": "ANL01FL", "filter": "not_null(AVAL)"})
    month3 = out[out["AVISITN"] == 3]
    assert L(month3["DTYPE"]) == ["LOCF"] and L(month3["CHG"]) == [-3.0]  # 37 - 40
    assert out.groupby("AVISITN")["ANL01FL"].apply(lambda s: (s == "Y").sum()).tolist() == [1, 1, 1, 1, 1]


def test_expected_visits_from_study_yaml():
    study = SimpleNamespace(config={"design": {"visits": [
        {"visitnum": 1, "visit": "SCREENING", "visitdy": -28},
        {"visitnum": 4, "visit": "MONTH 1", "visitdy": 31},
        {"visitnum": 5, "visit": "MONTH 2", "visitdy": 61},
        {"visitnum": 6, "visit": "MONTH 3", "visitdy": 91},
    ]}})
    expected = {"study": "design.visits", "filter": "visitdy > 1",
                "set_values_to": {"AVISIT": "visit", "AVISITN": "visitnum - 3", "AWTARGET": "visitdy"}, "id_vars": ["AVISITN"]}
    a = subject("A", [0, 1, 3], [40.0, 39.0, 36.0], eosdt="2012-12-31")
    out = run("derive_locf_records", a, {**BASE_ARG, "expected": expected}, study=study)
    new = locf(out, "A")
    assert (L(new["AVISIT"]), L(new["AVISITN"]), L(new["AVAL"])) == (["MONTH 2"], [2], [39.0])
    with pytest.raises(SpecError, match="design.schedule"):
        run("derive_locf_records", a, {**BASE_ARG, "expected": {**expected, "study": "design.schedule"}}, study=study)


def test_stop_at_needs_a_visit_date_and_columns_must_exist():
    a = subject("A", [0, 1], [40.0, 39.0])
    with pytest.raises(SpecError, match="visit_date"):
        run("derive_locf_records", a, {k: v for k, v in BASE_ARG.items() if k != "visit_date"})
    with pytest.raises(SpecError, match="LSTVISDT"):
        run("derive_locf_records", a, {**BASE_ARG, "stop_at": ["LSTVISDT"]})
