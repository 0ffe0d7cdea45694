"""Hand-checked unit tests of the ADaM derivation operations on tiny frames.

Every expected value below was worked out by hand from the rule the operation documents
(admiral / ADaMIG conventions), not taken from the code's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdisc_als.adam.ops  # noqa: F401  (registers the operations)
from cdisc_als.adam.expr import condition, evaluate_series
from cdisc_als.errors import ConversionLog
from cdisc_als.ops.registry import Context, get_operation


def run(op: str, frame: pd.DataFrame, arg, datasets=None, log=None) -> pd.DataFrame:
    """Apply one registered operation with its schema defaults, as the runner does."""
    from cerberus import Validator

    o = get_operation(op)
    v = Validator({"arg": o.schema})
    assert v.validate({"arg": arg}), v.errors
    ctx = Context(log=log or ConversionLog(), datasets=datasets or {}, domain="TEST", spec_file="test.yaml")
    return o.func(ctx, frame, v.document["arg"])


def L(series) -> list:
    """Values as a list with every kind of missing (None, NaN, NaT) as None."""
    s = pd.Series(series)
    return [None if pd.isna(v) else v for v in s.astype("object")]


def D(text: str | None):
    return pd.Timestamp(text) if text else pd.NaT


# ---- dates ---------------------------------------------------------------------------------

def test_derive_vars_dt_imputes_partial_dates_with_flags():
    frame = pd.DataFrame({"AESTDTC": ["2013-03", "2013", "2013-03-15", None, "2013-03-15T10:00"]})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST",
                                        "highest_imputation": "M", "date_imputation": "first"})
    assert list(out["ASTDT"]) == [D("2013-03-01"), D("2013-01-01"), D("2013-03-15"), pd.NaT, D("2013-03-15")]
    assert L(out["ASTDTF"]) == ["D", "M", None, None, None]


def test_derive_vars_dt_last_mid_and_no_imputation():
    frame = pd.DataFrame({"X": ["2013-02", "2012-02", "2013", "2013-03-15"]})
    last = run("derive_vars_dt", frame, {"dtc": "X", "new_vars_prefix": "L", "highest_imputation": "M", "date_imputation": "last"})
    assert list(last["LDT"]) == [D("2013-02-28"), D("2012-02-29"), D("2013-12-31"), D("2013-03-15")]
    mid = run("derive_vars_dt", frame, {"dtc": "X", "new_vars_prefix": "M", "highest_imputation": "M", "date_imputation": "mid"})
    assert list(mid["MDT"]) == [D("2013-02-15"), D("2012-02-15"), D("2013-06-30"), D("2013-03-15")]
    none = run("derive_vars_dt", frame, {"dtc": "X", "new_vars_prefix": "N"})
    assert list(none["NDT"]) == [pd.NaT, pd.NaT, pd.NaT, D("2013-03-15")]
    assert "NDTF" not in none.columns  # no imputation allowed -> no flag variable (admiral "auto")
    day_only = run("derive_vars_dt", frame, {"dtc": "X", "new_vars_prefix": "Y", "highest_imputation": "D"})
    assert list(day_only["YDT"]) == [D("2013-02-01"), D("2012-02-01"), pd.NaT, D("2013-03-15")]


def test_invalid_iso_date_is_logged_not_dropped():
    log = ConversionLog()
    frame = pd.DataFrame({"X": ["2013-02-30", "15/03/2013", "2013-03-15"]})
    out = run("derive_vars_dt", frame, {"dtc": "X", "new_vars_prefix": "A"}, log=log)
    assert len(out) == 3
    assert list(out["ADT"]) == [pd.NaT, pd.NaT, D("2013-03-15")]
    entries = log.frame()
    assert list(entries["value"]) == ["2013-02-30", "15/03/2013"]
    assert list(entries["row"]) == [1, 2]


def test_derive_vars_dtm_time_flags_and_min_dates():
    frame = pd.DataFrame({
        "AESTDTC": ["2013-03-15T10:30", "2013-03-15", "2013-03", "2013-03", "2013-04"],
        "TRTSDT": [D("2013-03-01")] * 2 + [D("2013-03-12"), D("2013-02-20"), D("2013-03-12")],
    })
    out = run("derive_vars_dtm", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST",
                                         "highest_imputation": "M", "min_dates": ["TRTSDT"]})
    assert list(out["ASTDTM"]) == [
        D("2013-03-15 10:30:00"),  # seconds imputed
        D("2013-03-15 00:00:00"),  # time imputed
        D("2013-03-12 00:00:00"),  # first dose inside March 2013 -> not before it
        D("2013-03-01 00:00:00"),  # first dose before March: plain first-of-month
        D("2013-04-01 00:00:00"),  # first dose outside April: plain first-of-month
    ]
    assert list(out["ASTTMF"]) == ["S", "H", "H", "H", "H"]
    assert L(out["ASTDTF"]) == [None, None, "D", "D", "D"]


def test_dy_and_duration():
    frame = pd.DataFrame({"ASTDT": [D("2013-03-01"), D("2013-03-10"), D("2013-02-28")],
                          "AENDT": [D("2013-03-01"), D("2013-03-19"), pd.NaT],
                          "TRTSDT": [D("2013-03-01")] * 3})
    out = run("derive_vars_dy", frame, {"reference_date": "TRTSDT", "source_vars": ["ASTDT"]})
    assert list(out["ASTDY"]) == [1.0, 10.0, -1.0]  # no day 0
    dur = run("derive_vars_duration", frame, {"new_var": "ADURN", "new_var_unit": "ADURU",
                                              "start_date": "ASTDT", "end_date": "AENDT"})
    assert dur["ADURN"].tolist()[:2] == [1.0, 10.0] and np.isnan(dur["ADURN"].iloc[2])
    assert dur["ADURU"].tolist() == ["days", "days", None]


# ---- flags -------------------------------------------------------------------------------

def test_trtemfl_rules():
    frame = pd.DataFrame({
        "ASTDT": [D("2013-03-05"), D("2013-02-01"), pd.NaT, pd.NaT, D("2013-05-10"), D("2013-04-10"), D("2013-03-05")],
        "AENDT": [pd.NaT, D("2013-02-10"), pd.NaT, D("2013-02-01"), pd.NaT, pd.NaT, pd.NaT],
        "TRTSDT": [D("2013-03-01")] * 6 + [pd.NaT],
        "TRTEDT": [D("2013-04-01")] * 7,
    })
    out = run("derive_var_trtemfl", frame, {"trt_end_date": "TRTEDT", "end_window": 30})
    # on treatment; before treatment; no start date; no start date but ended before treatment;
    # 39 days after last dose (outside 30-day window); 9 days after last dose; not treated
    assert L(out["TRTEMFL"]) == ["Y", None, "Y", None, None, "Y", None]


def test_extreme_flag_first_most_severe_within_filter():
    frame = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B", "B"],
        "ASEVN": [1, 3, 3, 2, 2],
        "ASTDT": [D("2013-01-01"), D("2013-01-05"), D("2013-01-03"), D("2013-01-01"), D("2013-01-01")],
        "AESEQ": [1, 2, 3, 2, 1],
        "TRTEMFL": ["Y", "Y", None, "Y", "Y"],
    })
    out = run("derive_var_extreme_flag", frame, {"by": ["USUBJID"], "order": ["desc(ASEVN)", "ASTDT", "AESEQ"],
                                                 "new_var": "AOCCIFL", "filter": 'TRTEMFL == "Y"'})
    # A: severe records are rows 2 (TE) and 3 (not TE) -> row 2; B: tie on date -> lower AESEQ (row 5)
    assert L(out["AOCCIFL"]) == [None, "Y", None, None, "Y"]


def test_cat_and_flag_if_and_map():
    frame = pd.DataFrame({"AGE": [17.0, 18.0, 64.0, 65.0, np.nan], "SEV": ["MILD", "SEVERE", None, "MILD", "HUGE"]})
    out = run("derive_var_cat", frame, {"source": "AGE", "new_var": "AGEGR1", "new_var_n": "AGEGR1N",
                                        "breaks": [18, 65], "labels": ["<18", "18-64", ">=65"]})
    assert L(out["AGEGR1"]) == ["<18", "18-64", "18-64", ">=65", None]
    assert out["AGEGR1N"].tolist()[:4] == [1.0, 2.0, 2.0, 3.0]
    fl = run("derive_var_flag_if", frame, {"new_var": "OLDFL", "condition": "AGE >= 65", "false_value": "N"})
    assert list(fl["OLDFL"]) == ["N", "N", "N", "Y", "N"]  # missing age -> condition false
    log = ConversionLog()
    mp = run("derive_var_map", frame, {"source": "SEV", "new_var": "SEVN", "values": {"MILD": 1, "SEVERE": 3}}, log=log)
    assert mp["SEVN"].tolist()[:2] == [1.0, 3.0] and np.isnan(mp["SEVN"].iloc[2]) and np.isnan(mp["SEVN"].iloc[4])
    assert log.frame()["value"].tolist() == ["HUGE"]


def test_expression_missing_values_follow_r_semantics():
    frame = pd.DataFrame({"X": ["A", None, "B"], "N": [1.0, np.nan, 3.0]})
    # R: NA != "A" is NA, and a filter keeps only TRUE
    assert condition(frame, 'X != "A"').tolist() == [False, False, True]
    assert condition(frame, '!(X == "A")').tolist() == [False, False, True]
    # %in% is never NA
    assert condition(frame, 'X not in ["A"]').tolist() == [False, True, True]
    # R precedence: comparison binds tighter than &
    assert condition(frame, 'N > 0 & X == "B"').tolist() == [False, False, True]
    assert L(evaluate_series(frame, 'if_else(N > 2, "big", "small")')) == ["small", None, "big"]


# ---- merges -------------------------------------------------------------------------------

def test_merged_with_order_mode_and_missing_values():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"]})
    ds = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1", "2"], "DSDECOD": ["RANDOMIZED", "COMPLETED", "ADVERSE EVENT"],
                       "DSSEQ": [1, 2, 1]})
    out = run("derive_vars_merged", adsl, {"dataset": "DS", "filter": 'DSDECOD != "RANDOMIZED"',
                                           "new_vars": {"EOSSTT": 'if_else(DSDECOD == "COMPLETED", "COMPLETED", "DISCONTINUED")'},
                                           "missing_values": {"EOSSTT": '"ONGOING"'}}, datasets={"DS": ds})
    assert list(out["EOSSTT"]) == ["COMPLETED", "DISCONTINUED", "ONGOING"]
    last = run("derive_vars_merged", adsl, {"dataset": "DS", "new_vars": {"LASTDS": "DSDECOD"},
                                            "order": ["DSSEQ"], "mode": "last"}, datasets={"DS": ds})
    assert L(last["LASTDS"]) == ["COMPLETED", "ADVERSE EVENT", None]


def test_exist_flag_true_false_missing():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"]})
    ex = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2"], "EXDOSE": [5.0, 0.0], "EXTRT": ["DRUG", "DRUG"]})
    out = run("derive_var_merged_exist_flag", adsl, {"dataset": "EX", "new_var": "SAFFL",
                                                     "condition": 'EXDOSE > 0 | (EXDOSE == 0 & contains(EXTRT, "PLACEBO"))',
                                                     "false_value": "N", "missing_value": "M"}, datasets={"EX": ex})
    assert list(out["SAFFL"]) == ["Y", "N", "M"]


def test_extreme_event_last_known_alive_skips_missing_source():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2"], "TRTEDT": [D("2013-05-01"), D("2013-05-01")]})
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "AEENDTC": ["2013-06", "2013-04-02"], "AESEQ": [1, 2]})
    log = ConversionLog()
    out = run("derive_vars_extreme_event", adsl, {
        "events": [
            {"dataset": "AE", "set_values_to": {"LSTALVDT": 'dtc_to_dt(AEENDTC, "M")', "seq": "AESEQ"}},
            {"dataset": "LB", "set_values_to": {"LSTALVDT": 'dtc_to_dt(LBDTC, "M")', "seq": "LBSEQ"}},
            {"dataset": ".", "set_values_to": {"LSTALVDT": "TRTEDT", "seq": 0}},
        ],
        "order": ["LSTALVDT", "seq", "event_nr"], "mode": "last", "new_vars": ["LSTALVDT"],
    }, datasets={"AE": ae}, log=log)
    assert list(out["LSTALVDT"]) == [D("2013-06-01"), D("2013-05-01")]
    assert "LB not available" in log.frame()["reason"].iloc[0]


def test_joined_last_dose_before_event_and_single_dose_expansion():
    ex = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "EXDOSFRQ": ["QD", "QD"], "EXDOSE": [54.0, 81.0],
                       "EXSTDT": [D("2013-01-01"), D("2013-01-04")], "EXENDT": [D("2013-01-03"), D("2013-01-05")]})
    single = run("create_single_dose_dataset", ex, {"dose_freq": "EXDOSFRQ", "start_date": "EXSTDT", "end_date": "EXENDT"})
    assert list(single["EXSTDT"]) == [D(f"2013-01-0{i}") for i in range(1, 6)]
    assert list(single["EXDOSE"]) == [54.0, 54.0, 54.0, 81.0, 81.0]
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1", "1"], "ASTDT": [D("2013-01-02"), D("2013-01-09"), D("2012-12-30")]})
    out = run("derive_vars_joined", ae, {"dataset": "EXS", "new_vars": {"LDOSEDT": "EXSTDT", "LDOSE": "EXDOSE"},
                                         "filter_join": "EXSTDT <= ASTDT", "order": ["EXSTDT"], "mode": "last"},
              datasets={"EXS": single})
    assert list(out["LDOSEDT"]) == [D("2013-01-02"), D("2013-01-05"), pd.NaT]
    assert out["LDOSE"].tolist()[:2] == [54.0, 81.0]


# ---- periods -------------------------------------------------------------------------------

def test_period_of_an_ae_after_the_second_infusion():
    adsl = pd.DataFrame({
        "STUDYID": "S", "USUBJID": ["P1", "D1"],
        "AP01SDT": [D("2013-01-10"), D("2013-01-12")], "AP01EDT": [D("2013-07-09"), D("2013-07-11")],
        "AP02SDT": [D("2013-07-10"), D("2013-07-12")], "AP02EDT": [pd.NaT, pd.NaT],
        "TRT01A": ["Placebo", "AdMSC 1x10^6 cells/kg"], "TRT02A": ["AdMSC 4x10^6 cells/kg", "AdMSC 1x10^6 cells/kg"],
    })
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["P1", "P1", "P1", "D1"],
                       "ASTDT": [D("2013-02-01"), D("2013-07-10"), D("2013-01-01"), D("2014-01-01")]})
    out = run("derive_vars_period", ae, {"date": "ASTDT", "new_vars": {"TRTA": "TRT{xx}A"}}, datasets={"ADSL": adsl})
    # before the first infusion -> no period; the day of the second infusion belongs to period 2
    assert out["APERIOD"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["APERIOD"].iloc[2])
    assert L(out["TRTA"]) == [
        "Placebo", "AdMSC 4x10^6 cells/kg", None, "AdMSC 1x10^6 cells/kg"]


# ---- time to event -------------------------------------------------------------------------

def test_param_tte_event_vs_censored():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"],
                         "TRTSDT": [D("2013-01-01")] * 3,
                         "DTHDT": [D("2013-03-01"), pd.NaT, pd.NaT],
                         "LSTALVDT": [D("2013-02-27"), D("2013-06-30"), pd.NaT]})
    log = ConversionLog()
    out = run("derive_param_tte", adsl, {
        "start_date": "TRTSDT",
        "events": [{"dataset": "ADSL", "date": "DTHDT", "set_values_to": {"EVNTDESC": '"DEATH"'}}],
        "censors": [{"dataset": "ADSL", "date": "LSTALVDT", "censor": 1, "set_values_to": {"CNSDTDSC": '"LAST KNOWN ALIVE"'}}],
        "set_values_to": {"PARAMCD": '"OS"'},
    }, datasets={"ADSL": adsl}, log=log)
    out = run("derive_vars_duration", out, {"new_var": "AVAL", "start_date": "STARTDT", "end_date": "ADT"})
    assert list(out["USUBJID"]) == ["1", "2"]  # subject 3 has no date at all: logged, no record
    assert list(out["CNSR"]) == [0.0, 1.0]
    assert list(out["ADT"]) == [D("2013-03-01"), D("2013-06-30")]
    assert list(out["AVAL"]) == [60.0, 181.0]  # Jan 31 + Feb 28 + 1; Jan..Jun = 181 days
    assert L(out["EVNTDESC"]) == ["DEATH", None]
    assert L(out["CNSDTDSC"]) == [None, "LAST KNOWN ALIVE"]
    assert list(out["PARAMCD"]) == ["OS", "OS"]
    assert log.frame()["row"].tolist() == ["3"]


# ---- BDS -----------------------------------------------------------------------------------

def test_base_chg_pchg():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "1", "2", "2"], "PARAMCD": "T",
                          "AVAL": [40.0, 38.0, 35.0, 0.0, 2.0], "ABLFL": ["Y", None, None, "Y", None]})
    out = run("derive_var_base", frame, {"by": ["USUBJID", "PARAMCD"]})
    out = run("derive_var_chg", out, {})
    out = run("derive_var_pchg", out, {})
    assert list(out["BASE"]) == [40.0, 40.0, 40.0, 0.0, 0.0]
    assert list(out["CHG"]) == [0.0, -2.0, -5.0, 0.0, 2.0]
    assert out["PCHG"].tolist()[:3] == [0.0, -5.0, -12.5] and out["PCHG"].iloc[3:].isna().all()


def test_total_only_when_all_items_present():
    items = [f"I{i}" for i in range(1, 4)]
    frame = pd.DataFrame({"USUBJID": ["1"] * 3 + ["1"] * 3, "AVISITN": [0] * 3 + [1] * 3,
                          "PARAMCD": items * 2, "AVAL": [4.0, 3.0, 2.0, 4.0, np.nan, 1.0]})
    out = run("derive_summary_records", frame, {"by": ["USUBJID", "AVISITN"], "filter": f"PARAMCD in {items}",
                                                "require_count": 3, "set_values_to": {"PARAMCD": '"TOT"'}})
    tot = out[out["PARAMCD"] == "TOT"]
    assert tot["AVISITN"].tolist() == [0] and tot["AVAL"].tolist() == [9.0]


def test_slope_of_a_known_line_is_its_coefficient():
    days = np.array([0.0, 30.4375, 91.3125, 182.625])  # 0, 1, 3, 6 months
    frame = pd.DataFrame({"USUBJID": ["1"] * 4 + ["2"], "PARAMCD": "TOT",
                          "ADY": list(days) + [0.0], "AVAL": list(40.0 - 0.9 * days / 30.4375) + [30.0]})
    out = run("derive_param_slope", frame, {"by": ["USUBJID"], "filter": 'PARAMCD == "TOT"', "x": "ADY",
                                            "x_scale": 30.4375, "set_values_to": {"PARAMCD": '"SLOPE"'}})
    slope = out[out["PARAMCD"] == "SLOPE"]
    assert slope["USUBJID"].tolist() == ["1"]  # subject 2 has a single value: no slope
    assert slope["AVAL"].iloc[0] == pytest.approx(-0.9)


def test_analysis_windows_from_target_days():
    frame = pd.DataFrame({"ADY": [-5.0, 1.0, 2.0, 46.0, 47.0, 77.0, 78.0, 107.0, 108.0, np.nan]})
    out = run("derive_vars_analysis_window", frame, {
        "baseline": {"AVISIT": "BASELINE", "AVISITN": 0, "upper": 1},
        "visits": [{"AVISIT": "M1", "AVISITN": 1, "target": 31}, {"AVISIT": "M2", "AVISITN": 2, "target": 62},
                   {"AVISIT": "M3", "AVISITN": 3, "target": 92}],
    })
    # M1 2..46 (midpoint of 31 and 62 is 46.5 -> 46), M2 47..77, M3 78..107 (92 + half of 30)
    assert L(out["AVISIT"]) == ["BASELINE", "BASELINE", "M1", "M1", "M2", "M2", "M3", "M3", None, None]
    assert L(out["AWLO"]) == [None, None, 2.0, 2.0, 47.0, 47.0, 78.0, 78.0, None, None]
    assert L(out["AWHI"]) == [1.0, 1.0, 46.0, 46.0, 77.0, 77.0, 107.0, 107.0, None, None]
    assert L(out["AWTDIFF"]) == [6.0, 0.0, 29.0, 15.0, 15.0, 15.0, 14.0, 15.0, None, None]
