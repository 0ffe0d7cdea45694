"""constant, concat, usubjid, value_map, numeric, expr, coalesce, from_dataset, seq, baseline_flag."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.assign import coalesce, concat, constant, expression, numeric, usubjid, value_map
from cdisc_als.ops.derive import baseline_flag, from_dataset, seq
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context


def frame(**cols) -> pd.DataFrame:
    f = pd.DataFrame(cols)
    f[ROW_COLUMN] = range(1, len(f) + 1)
    f[SOURCE_COLUMN] = "raw.csv"
    return f


def ctx() -> Context:
    study = SimpleNamespace(config={"studyid": "ADMSC-ALS", "design": {"phase": "II"}})
    return Context(study=study, log=ConversionLog(), domain="DM", target="X", spec_file="dm.yaml")


def test_constant_reads_study_yaml():
    c = ctx()
    assert constant(c, frame(A=[1]), "$study.studyid") == "ADMSC-ALS"
    assert constant(c, frame(A=[1]), "$study.design.phase") == "II"
    assert constant(c, frame(A=[1]), "DM") == "DM"
    with pytest.raises(SpecError, match="no 'nope'"):
        constant(c, frame(A=[1]), "$study.nope")


def test_concat_and_usubjid():
    f = frame(SITEID=["01", "02", None], SUBJID=["003", "010", "011"])
    assert list(usubjid(ctx(), f, ["SITEID", "SUBJID"])) == ["ADMSC-ALS-01-003", "ADMSC-ALS-02-010", None]
    out = concat(ctx(), f, {"parts": [{"value": "01"}, "SUBJID"], "sep": "-"})
    assert list(out) == ["01-003", "01-010", "01-011"]
    out = concat(ctx(), f, {"parts": ["SITEID", "SUBJID"], "sep": "/", "skip_missing": True})
    assert list(out) == ["01/003", "02/010", "011"]
    # numbers read from a binary file are joined without a spurious ".0"
    assert list(usubjid(ctx(), frame(N=[7.0, 12.0]), {"columns": ["N"], "prefix": "S"})) == ["S-7", "S-12"]


def test_value_map_logs_unmapped_values():
    c = ctx()
    f = frame(SEX=["Female", "Male", "female", "X", None])
    out = value_map(c, f, {"from": "SEX", "map": {"Female": "F", "Male": "M"}})
    assert list(out) == ["F", "M", None, None, None]
    log = c.log.frame()
    assert list(log["row"]) == [3, 4] and list(log["value"]) == ["female", "X"]
    assert set(log["field"]) == {"SEX"} and set(log["source"]) == {"raw.csv"}
    out = value_map(ctx(), f, {"from": "SEX", "map": {"Female": "F", "Male": "M"}, "ignore_case": True, "unmapped": "keep"})
    assert list(out) == ["F", "M", "F", "X", None]


def test_numeric_logs_text():
    c = ctx()
    out = numeric(c, frame(A=["54", " 61 ", "abc", None, "1.5"]), "A")
    assert out[0] == 54 and out[1] == 61 and math.isnan(out[2]) and math.isnan(out[3]) and out[4] == 1.5
    assert list(c.log.frame()["row"]) == [3]


def test_expr_and_coalesce():
    f = frame(A=["x", None, "z"], B=["1", "2", None], N=[1.0, 5.0, None])
    # Kleene logic (docs/spec-language.md "Expressions"): a null N gives a null condition, so null;
    # the fourth argument says what a null condition gives
    assert list(expression(ctx(), f, "if_else(N > 2, 'HIGH', 'LOW')")) == ["LOW", "HIGH", None]
    assert list(expression(ctx(), f, "if_else(N > 2, 'HIGH', 'LOW', 'LOW')")) == ["LOW", "HIGH", "LOW"]
    assert list(expression(ctx(), f, "upper(A) + '-' + B")) == ["X-1", None, None]
    assert list(coalesce(ctx(), f, ["A", "B"])) == ["x", "2", "z"]


def test_seq_orders_within_subject():
    f = frame(USUBJID=["B", "A", "A", "B", "A"], D=["2013-02", "2013-03-01", "2013-01-05", "2013-01-01", None])
    assert list(seq(ctx(), f, ["USUBJID", "D"])) == [2, 2, 1, 1, 3]
    # numbers stored as text sort as numbers (VISITNUM 10 after 2); ties keep raw order
    f = frame(USUBJID=["A"] * 4, V=["10", "2", "2", "1.5"])
    assert list(seq(ctx(), f, {"by": ["USUBJID"], "order": ["V"]})) == [4, 2, 3, 1]


def test_baseline_flag_is_last_nonmissing_on_or_before_reference():
    c = ctx()
    c.datasets["DM"] = pd.DataFrame({"USUBJID": ["A", "B"], "RFXSTDTC": ["2013-03-12T09:00", "2013-05-01"]})
    f = frame(
        USUBJID=["A", "A", "A", "A", "A", "B", "B"],
        TEST=["T1", "T1", "T1", "T1", "T2", "T1", "T1"],
        DTC=["2013-03-01", "2013-03-12", "2013-03-12", "2013-04-01", "2013-03-05", "2013-05-02", "2013-04"],
        VAL=["3", "4", None, "2", "1", "3", "3"],
    )
    out = baseline_flag(c, f, {"by": ["USUBJID", "TEST"], "date": "DTC", "value": "VAL"})
    # A/T1: the 2013-03-12 record with a value (the null one is not a candidate); A/T2: its only
    # record before; B: after the reference or partial -> none
    assert list(out) == [None, "Y", None, None, "Y", None, None]
    strict = baseline_flag(c, f, {"by": ["USUBJID", "TEST"], "date": "DTC", "value": "VAL", "strict": True})
    assert list(strict) == ["Y", None, None, None, "Y", None, None]


def test_from_dataset_aggregates_another_table_with_a_nested_operation():
    c = ctx()
    c.datasets["EC"] = pd.DataFrame(
        {"PATNUM": ["1", "1", "2", "2"], "D": ["05-Jan-2014", "02-Jan-2014", "31-Feb-2014", "10-Mar-2014"], "DOSE": [0, 54, 81, 81]}
    )
    f = frame(PATNUM=["1", "2", "3"])
    arg = {"dataset": "EC", "by": "PATNUM", "agg": "min", "value": {"iso8601": {"date": "D", "format": "DD-Mon-YYYY"}}}
    assert list(from_dataset(c, f, arg)) == ["2014-01-02", "2014-03-10", None]
    # the nested operation's findings belong to the other table's own spec: not logged twice
    assert c.log.count() == 0
    arg = {"dataset": "EC", "by": {"PATNUM": "PATNUM"}, "agg": "max", "value": "D", "where": "DOSE > 0"}
    assert list(from_dataset(c, f, arg)) == ["02-Jan-2014", "31-Feb-2014", None]
    assert list(from_dataset(c, f, {"dataset": "EC", "by": "PATNUM", "agg": "count", "value": "D"})) == [2, 2, 0]


def test_from_dataset_table_reads_the_raw_table_even_when_a_domain_has_its_name():
    c = ctx()
    c.datasets["DM"] = pd.DataFrame({"SUBJ": ["1"], "V": ["built"]})
    c.read_source = lambda name: pd.DataFrame({"SUBJ": ["1"], "V": [f"raw {name}"]})
    f = frame(SUBJ=["1"])
    assert from_dataset(c, f, {"dataset": "DM", "by": "SUBJ", "value": "V"}).tolist() == ["built"]
    assert from_dataset(c, f, {"table": "dm", "by": "SUBJ", "value": "V"}).tolist() == ["raw dm"]
