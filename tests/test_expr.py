"""The one expression language of SDTM and ADaM specs (cdisc_als.ops.expr).

Expected values are worked out by hand from Kleene three-valued logic (SQL / R): a comparison with
a null is null, ``not null`` is null, ``False and null`` is False, ``True or null`` is True, a
condition keeps only True rows; ``in`` is never null (R ``%in%``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cdisc_als.adam import expr as adam_expr
from cdisc_als.ops import expr


def L(s):
    """Values as plain Python, nulls as None (for comparing with hand-written lists)."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else v
            for v in (s.tolist() if isinstance(s, pd.Series) else list(s))]


F = pd.DataFrame({
    "X": ["A", None, "B", "A"],
    "N": [1.0, np.nan, 3.0, 5.0],
    "T": ["MAS01", "ALS02", None, "MAS03"],
    "IT.B": ["5", "x", None, "12"],
})


@pytest.mark.parametrize(("python", "r"), [
    ("X == 'A' and N > 2", 'X == "A" & N > 2'),
    ("X == 'A' or N > 2", 'X == "A" | N > 2'),
    ("not X == 'A'", '!(X == "A")'),
    ("not (X == 'B' or N < 2)", "!(X == 'B' || N < 2)"),
    ("X == 'A' and N > 2 or X == 'B'", "X == 'A' && N > 2 || X == 'B'"),
    ("isnull(X) or notnull(N)", "is_null(X) | not_null(N)"),
    ("len(T) == 5", "length(T) == 5"),
])
def test_both_spellings_give_the_same_result(python, r):
    assert L(expr.evaluate(python, F)) == L(expr.evaluate(r, F))
    assert expr.condition(python, F).tolist() == expr.condition(r, F).tolist()


def test_r_precedence_comparison_binds_tighter_than_and_or():
    # R: N > 0 & X == "B" is (N > 0) & (X == "B"); in Python '&' would bind tighter than '>'
    assert expr.condition('N > 0 & X == "B"', F).tolist() == [False, False, True, False]
    # & before |: (X == 'A' & N > 2) | X == 'B'
    assert expr.condition("X == 'A' & N > 2 | X == 'B'", F).tolist() == [False, False, True, True]


def test_operators_inside_quotes_and_backticks_are_not_rewritten():
    f = pd.DataFrame({"A|B": ["x", "y"], "S": ["a&b", "!"]})
    assert expr.condition("`A|B` == 'x'", f).tolist() == [True, False]
    assert expr.condition("S == 'a&b' | S == '!'", f).tolist() == [True, True]
    assert expr.condition("S != 'a&b'", f).tolist() == [False, True]


def test_kleene_logic_by_hand():
    # X: A, null, B, A  ->  X == 'A': T, null, F, T
    assert L(expr.evaluate("X == 'A'", F)) == [True, None, False, True]
    assert L(expr.evaluate("not X == 'A'", F)) == [False, None, True, False]
    # N > 2: F, null, T, T
    assert L(expr.evaluate("X == 'A' and N > 2", F)) == [False, None, False, True]
    # null or True is True; null or False is null
    assert L(expr.evaluate("X == 'A' or N > 2", F)) == [True, None, True, True]
    assert L(expr.evaluate("X == 'B' or N > 9", F)) == [False, None, True, False]
    # False and null is False
    f = pd.DataFrame({"A": [None, None], "B": [1.0, 5.0]})
    assert L(expr.evaluate("A == 'x' and B > 2", f)) == [False, None]
    assert L(expr.evaluate("A == 'x' or B > 2", f)) == [None, True]
    # a condition keeps only True rows
    assert expr.condition("not X == 'A'", F).tolist() == [False, False, True, False]
    assert expr.condition("X != 'A'", F).tolist() == [False, False, True, False]


def test_in_is_never_null():
    assert L(expr.evaluate("X in ['A']", F)) == [True, False, False, True]
    assert L(expr.evaluate("X not in ['A']", F)) == [False, True, True, False]


def test_comparison_with_null_literal_is_null():
    assert L(expr.evaluate("X == None", F)) == [None] * 4
    assert L(expr.evaluate("X != NA", F)) == [None] * 4
    assert expr.condition("X == null", F).tolist() == [False] * 4


def test_text_numbers_compare_as_numbers_and_dotted_names():
    # IT.B: '5', 'x', null, '12' -> as numbers 5, null, null, 12
    assert L(expr.evaluate("IT.B >= 6", F)) == [False, None, None, True]
    assert L(expr.evaluate("0 < IT.B <= 10", F)) == [True, None, None, False]
    assert sorted(expr.columns("isnull(IT.B) and `X` in ['A'] or N > null")) == ["IT.B", "N", "X"]
    assert adam_expr.names_in("is_null(IT.B) & X == 'A'") == {"IT.B", "X"}


def test_if_else_null_condition_gives_missing_argument():
    assert L(expr.evaluate("if_else(N > 2, 'HIGH', 'LOW')", F)) == ["LOW", None, "HIGH", "HIGH"]
    assert L(expr.evaluate("if_else(N > 2, 'HIGH', 'LOW', 'LOW')", F)) == ["LOW", "LOW", "HIGH", "HIGH"]
    assert L(expr.evaluate("if_else(isnull(N) or N <= 2, 'LOW', 'HIGH')", F)) == ["LOW", "LOW", "HIGH", "HIGH"]


def test_text_functions():
    assert L(expr.evaluate("is_null(X)", F)) == [False, True, False, False]
    assert L(expr.evaluate("isnull(X)", F)) == L(expr.evaluate("is_na(X)", F)) == [False, True, False, False]
    assert L(expr.evaluate("not_null(X)", F)) == L(expr.evaluate("notnull(X)", F)) == [True, False, True, True]
    f = pd.DataFrame({"S": [" ab ", "  ", None, "Cd"], "K": [3, 4.5, None, 10]})
    assert L(expr.evaluate("blank(S)", f)) == [False, True, True, False]
    assert L(expr.evaluate("upper(S)", f)) == [" AB ", "  ", None, "CD"]
    assert L(expr.evaluate("lower(S)", f)) == [" ab ", "  ", None, "cd"]
    assert L(expr.evaluate("strip(S)", f)) == ["ab", "", None, "Cd"]
    assert L(expr.evaluate("length(S)", f)) == L(expr.evaluate("len(S)", f)) == [4.0, 2.0, None, 2.0]
    assert L(expr.evaluate("str(K)", f)) == ["3", "4.5", None, "10"]
    assert L(expr.evaluate("num(IT.B)", F)) == [5, None, None, 12]
    assert L(expr.evaluate("substr(T, 2, 3)", F)) == ["AS0", "LS0", None, "AS0"]
    assert L(expr.evaluate("startswith(T, 'MAS')", F)) == [True, False, None, True]
    assert L(expr.evaluate("endswith(T, '3')", F)) == [False, False, None, True]
    # contains takes a regular expression (as admiral's str_detect); matches must match it all
    assert L(expr.evaluate("contains(T, 'S0[12]')", F)) == [True, True, None, False]
    assert L(expr.evaluate("matches(T, 'MAS0[13]')", F)) == [True, False, None, True]
    assert L(expr.evaluate("concat(X, '-', T)", F)) == ["A-MAS01", "-ALS02", "B-", "A-MAS03"]
    # + joins text; a null side gives null
    assert L(expr.evaluate("X + '-' + T", F)) == ["A-MAS01", None, None, "A-MAS03"]
    assert L(expr.evaluate("coalesce(X, T, 'none')", F)) == ["A", "ALS02", "B", "A"]
    assert L(expr.evaluate("coalesce(T, X)", F)) == ["MAS01", "ALS02", "B", "MAS03"]
    assert expr.evaluate("null()", F) is None


def test_number_and_date_functions():
    f = pd.DataFrame({
        "A": [1.25, -2.5, np.nan], "B": [2.0, -3.0, 4.0],
        "D": pd.to_datetime(["2013-01-31", "2012-02-28", None]),
        "DTC": ["2013-01-31T10:00", "2012-02", None],
    })
    assert L(expr.evaluate("pmin(A, B)", f)) == [1.25, -3.0, 4.0]  # missing ignored (na.rm)
    assert L(expr.evaluate("pmax(A, B)", f)) == [2.0, -2.5, 4.0]
    assert L(expr.evaluate("round(A, 1)", f)) == [1.2, -2.5, None]  # half to even, as R
    assert L(expr.evaluate("floor(A)", f)) == [1.0, -3.0, None]
    assert L(expr.evaluate("ceil(A)", f)) == [2.0, -2.0, None]
    assert L(expr.evaluate("abs(A)", f)) == [1.25, 2.5, None]
    assert L(expr.evaluate("(B - 32) * 5 / 9 + 2 ** 2 - 7 // 2 + 7 % 4", f)) == pytest.approx(
        [(2 - 32) * 5 / 9 + 4 - 3 + 3, (-3 - 32) * 5 / 9 + 4 - 3 + 3, (4 - 32) * 5 / 9 + 4 - 3 + 3])
    assert L(expr.evaluate("year(D)", f)) == [2013.0, 2012.0, None]
    d = pd.Timestamp
    # 2012 is a leap year: 2012-02-28 + 2 days = 2012-03-01
    assert L(expr.evaluate("D + 2", f)) == [d("2013-02-02"), d("2012-03-01"), None]
    assert L(expr.evaluate("D - days(31)", f)) == [d("2012-12-31"), d("2012-01-28"), None]
    assert L(expr.evaluate("D - date('2013-01-01') + 1", f)) == [31.0, -307.0, None]
    assert L(expr.evaluate("date(DTC)", f)) == [d("2013-01-31"), None, None]  # partial -> null
    # dtc_to_dt imputes a missing day to the first (default) or the last ("M", "last")
    assert L(expr.evaluate("dtc_to_dt(DTC, 'M')", f)) == [d("2013-01-31"), d("2012-02-01"), None]
    assert L(expr.evaluate("dtc_to_dt(DTC, 'M', 'last')", f)) == [d("2013-01-31"), d("2012-02-29"), None]
    assert L(expr.evaluate("D >= '2013-01-01'", f)) == [True, False, None]


def test_adam_conventions_share_the_engine():
    frame = pd.DataFrame({"X": ["A", None, "B"], "N": [1.0, np.nan, 3.0]})
    mask = adam_expr.condition(frame, 'X != "A" & N > 0')
    assert isinstance(mask, np.ndarray) and mask.tolist() == [False, False, True]
    assert adam_expr.condition(frame, None).tolist() == [True, True, True]
    assert L(adam_expr.evaluate_series(frame, '"k"')) == ["k", "k", "k"]
    assert adam_expr.evaluate(frame, 3) == 3
    assert L(adam_expr.evaluate_series(frame, "V", extra={"V": pd.Series([dt.date(2020, 1, 1)] * 3)})) == [
        dt.date(2020, 1, 1)] * 3


@pytest.mark.parametrize("bad", [
    "__import__('os')", "A.upper()", "[x for x in A]", "lambda: 1", "A[0]", "nofunc(A)",
    "upper(x=A)", "A ==", "A if B else C",
])
def test_unsafe_or_invalid_expressions_are_refused(bad):
    f = pd.DataFrame({"A": ["x"], "B": [True], "C": ["y"]})
    with pytest.raises(expr.ExprError):
        expr.evaluate(bad, f)


def test_unknown_column_is_named():
    with pytest.raises(expr.ExprError, match="'NOPE'"):
        expr.evaluate("NOPE == 1", F)


def test_every_function_is_tested_here():
    """Each function of the language has a case above (keeps the list and the tests in step)."""
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    untested = [name for name in expr.FUNCTIONS if f"{name}(" not in source.replace("def ", "")]
    assert untested == []
