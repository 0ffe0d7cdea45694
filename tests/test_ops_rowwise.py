"""Row-wise operations (max_of, min_of, round) and the ``compute`` step, with values worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog
from cdisc_als.ops import REGISTRY
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context


def run(name: str, frame: pd.DataFrame, arg, ctx: Context | None = None):
    return REGISTRY[name].func(ctx or Context(), frame, arg)


def test_max_of_takes_the_latest_iso_date_and_prefers_a_time_on_the_same_day():
    f = pd.DataFrame({
        "A": ["2014-07-02T11:45", None, "2013-01-05", None],
        "B": ["2014-07-02", "2013-02-01", "2013-01-31", None],
        "C": ["2014-06-30", "2013-01-15", None, None],
    })
    assert run("max_of", f, ["A", "B", "C"]).tolist() == ["2014-07-02T11:45", "2013-02-01", "2013-01-31", None]
    assert run("min_of", f, ["A", "B", "C"]).tolist() == ["2014-06-30", "2013-01-15", "2013-01-05", None]


def test_max_of_compares_numbers_as_numbers():
    f = pd.DataFrame({"A": [9.0, None, 2.0], "B": [10.0, 3.0, None]})
    out = run("max_of", f, ["A", "B"])
    assert out.tolist()[0] == 10.0 and out.tolist()[1] == 3.0 and out.tolist()[2] == 2.0


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(2.675, 2, 2.68), (-2.675, 2, -2.68), (36.0555, 2, 36.06), (0.125, 2, 0.13), (1.5, 0, 2.0), (-0.5, 0, -1.0)],
)
def test_round_halves_away_from_zero(value, digits, expected):
    f = pd.DataFrame({"X": [value]})
    assert run("round", f, {"value": "X", "digits": digits}).iloc[0] == pytest.approx(expected)


def test_round_takes_a_nested_operation_and_logs_text_that_is_not_a_number():
    f = pd.DataFrame({"F": ["98.6", "abc", None], ROW_COLUMN: [1, 2, 3], SOURCE_COLUMN: "vs.csv"})
    ctx = Context(log=ConversionLog())
    out = run("round", f, {"value": {"expr": "(num(F) - 32) * 5 / 9"}, "digits": 1}, ctx)
    assert out.iloc[0] == pytest.approx(37.0) and out.iloc[1:].isna().all()
    g = pd.DataFrame({"F": ["1.25", "abc"], ROW_COLUMN: [1, 2], SOURCE_COLUMN: "vs.csv"})
    run("round", g, {"value": "F", "digits": 1}, ctx)
    logged = ctx.log.frame()
    assert logged["row"].tolist() == [2] and logged["value"].tolist() == ["abc"]


def test_compute_adds_a_helper_column_that_a_later_step_can_read():
    f = pd.DataFrame({"SYS": ["120", None], "DIA": ["80", None], ROW_COLUMN: [1, 2], SOURCE_COLUMN: "vs.csv"})
    out = run("compute", f, {"_BLANK": {"expr": "if_else(isnull(SYS) and isnull(DIA), 'Y', None)"}})
    assert out["_BLANK"].tolist() == [None, "Y"] and list(f.columns) == ["SYS", "DIA", ROW_COLUMN, SOURCE_COLUMN]


def test_compute_refuses_to_overwrite_an_internal_column():
    f = pd.DataFrame({"A": [1], ROW_COLUMN: [1], SOURCE_COLUMN: "x.csv"})
    with pytest.raises(Exception, match="internal column"):
        run("compute", f, {ROW_COLUMN: {"constant": 5}})
