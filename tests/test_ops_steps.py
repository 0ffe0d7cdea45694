"""filter, transpose, join, reject_duplicates: shape and the log entries of dropped records."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog, DataError
from cdisc_als.ops import expr
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context
from cdisc_als.ops.steps import filter_rows, join, reject_duplicates, transpose


def frame(src: str = "raw.csv", **cols) -> pd.DataFrame:
    f = pd.DataFrame(cols)
    f[ROW_COLUMN] = range(1, len(f) + 1)
    f[SOURCE_COLUMN] = src
    return f


def ctx() -> Context:
    return Context(log=ConversionLog(), domain="QS")


def test_transpose_wide_to_long_and_logs_empty_forms():
    f = frame(SUBJ=["1", "2", "3"], ITEM1=["4", None, None], ITEM2=["3", "2", None])
    c = ctx()
    long = transpose(c, f, {"columns": {"ITEM1": "T01", "ITEM2": "T02"}, "name": "QSTESTCD", "value": "QSORRES"})
    assert long[["SUBJ", "QSTESTCD", "QSORRES", ROW_COLUMN]].values.tolist() == [
        ["1", "T01", "4", 1], ["1", "T02", "3", 1], ["2", "T02", "2", 2]
    ]
    log = c.log.frame()
    assert list(log["row"]) == [3] and list(log["severity"]) == ["info"]
    assert [list(d[ROW_COLUMN]) for d in c.dropped] == [[3]]


def test_filter_logs_each_dropped_record_with_the_reason():
    c = ctx()
    out = filter_rows(c, frame(T=["a", None, "c"]), {"where": "notnull(T)", "reason": "AE form without a term"})
    assert list(out["T"]) == ["a", "c"]
    e = c.log.frame().iloc[0]
    assert (e["row"], e["reason"], e["source"], e["severity"]) == (2, "AE form without a term", "raw.csv", "info")


def test_join_inner_logs_unmatched_and_refuses_ambiguous_keys():
    c = ctx()
    c.datasets["DM"] = pd.DataFrame({"USUBJID": ["A", "B"], "RFSTDTC": ["2013-01-01", "2013-02-01"]})
    f = frame(USUBJID=["A", "C", "B"])
    out = join(c, f, {"dataset": "DM", "on": "USUBJID", "columns": ["RFSTDTC"], "how": "inner"})
    assert out[["USUBJID", "RFSTDTC"]].values.tolist() == [["A", "2013-01-01"], ["B", "2013-02-01"]]
    assert list(c.log.frame()["row"]) == [2]
    c.datasets["DM"] = pd.DataFrame({"USUBJID": ["A", "A"], "RFSTDTC": ["x", "y"]})
    with pytest.raises(DataError, match="not unique"):
        join(c, f, {"dataset": "DM", "on": "USUBJID", "columns": ["RFSTDTC"]})


def test_reject_duplicates():
    c = ctx()
    out = reject_duplicates(c, frame(P=["1", "2", "1"], F=["DM", "DM", "DM"]), {"keys": ["P", "F"], "reason": "duplicate form"})
    assert list(out[ROW_COLUMN]) == [1, 2]
    e = c.log.frame().iloc[0]
    assert (e["row"], e["reason"], e["severity"]) == (3, "duplicate form", "error")


def test_expression_language_is_safe_and_null_aware():
    f = pd.DataFrame({"A": ["x", None], "IT.B": [1.0, None], "N": ["5", "x"]})
    assert list(expr.condition("A == 'x'", f)) == [True, False]
    assert list(expr.condition("not A == 'x'", f)) == [False, False]  # not (null == 'x') is null: dropped
    assert list(expr.condition("isnull(A) or not A == 'x'", f)) == [False, True]
    assert list(expr.condition("IT.B >= 1", f)) == [True, False]
    assert list(expr.condition("N > 4", f)) == [True, False]
    assert expr.columns("isnull(IT.B) and `A` in ['x']") == ["IT.B", "A"]
    for bad in ["__import__('os')", "A.upper()", "[x for x in A]", "lambda: 1", "A[0]"]:
        with pytest.raises(expr.ExprError):
            expr.evaluate(bad, f)
