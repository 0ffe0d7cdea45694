"""iso8601 and study_day on hand-made frames; expected values worked out by hand."""

from __future__ import annotations

import math

import pandas as pd

from cdisc_als.errors import ConversionLog
from cdisc_als.ops.dates import iso8601, study_day
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    f = pd.DataFrame(cols)
    f[ROW_COLUMN] = range(1, n + 1)
    f[SOURCE_COLUMN] = "ae.csv"
    return f


def ctx() -> Context:
    return Context(log=ConversionLog(), domain="AE", target="AESTDTC", spec_file="ae.yaml")


def test_partial_and_impossible_dates():
    c = ctx()
    f = frame(D=["12 MAR 2013", "UN MAR 2013", "UN UNK 2013", "31 FEB 2013", "12 UNK 2013", None, "un mar 2013"])
    out = iso8601(c, f, {"date": "D", "format": "DD MON YYYY"})
    assert list(out) == ["2013-03-12", "2013-03", "2013", None, "2013---12", None, "2013-03"]
    log = c.log.frame()
    assert len(log) == 1
    entry = log.iloc[0]
    assert (entry["row"], entry["field"], entry["value"], entry["source"]) == (4, "D", "31 FEB 2013", "ae.csv")
    assert entry["reason"] == "impossible date" and entry["severity"] == "error"


def test_leap_day_and_other_formats():
    c = ctx()
    f = frame(D=["02/29/2012", "02/29/2013", "13/01/2013"])
    assert list(iso8601(c, f, {"date": "D", "format": "MM/DD/YYYY"})) == ["2012-02-29", None, None]
    assert list(c.log.frame()["row"]) == [2, 3]
    f = frame(D=["02-Jan-2014", "17-jan-2014", "2014"])
    assert list(iso8601(ctx(), f, {"date": "D", "format": ["DD-Mon-YYYY", "YYYY"]})) == ["2014-01-02", "2014-01-17", "2014"]


def test_time_is_appended_to_complete_dates_only():
    f = frame(D=["12 MAR 2013", "UN MAR 2013", "12 MAR 2013", "12 MAR 2013"], T=["14:30", "09:00", None, "25:00"])
    c = ctx()
    out = iso8601(c, f, {"date": "D", "format": "DD MON YYYY", "time": "T"})
    assert list(out) == ["2013-03-12T14:30", "2013-03", "2013-03-12", "2013-03-12"]
    assert list(c.log.frame()["reason"]) == ["impossible time"]


def test_unmatched_format_is_logged():
    c = ctx()
    out = iso8601(c, frame(D=["2013-03-12"]), {"date": "D", "format": "DD MON YYYY"})
    assert out.iloc[0] is None
    assert "does not match format" in c.log.frame().iloc[0]["reason"]


def test_study_day_has_no_day_zero():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2013-03-12", "2013-03"]})
    c = ctx()
    c.datasets["DM"] = dm
    f = frame(
        USUBJID=["S1", "S1", "S1", "S1", "S1", "S2", "S3"],
        X=["2013-03-12", "2013-03-11", "2013-03-13T10:00", "2013-04-11", "2013-03", "2013-03-12", "2013-03-12"],
    )
    out = study_day(c, f, "X")
    assert list(out[:4]) == [1, -1, 2, 31]
    # partial date, partial reference, subject without a reference: no day
    assert all(math.isnan(v) for v in out[4:])


from datetime import date, timedelta  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

MON = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), min_size=1, max_size=20))
def test_iso8601_agrees_with_the_calendar(days):
    """Any real date written as DD MON YYYY or MM/DD/YYYY comes back as the calendar's ISO date."""
    text = [f"{d.day:02d} {MON[d.month - 1]} {d.year}" for d in days]
    us = [f"{d.month:02d}/{d.day:02d}/{d.year}" for d in days]
    c = ctx()
    assert list(iso8601(c, frame(D=text), {"date": "D", "format": "DD MON YYYY"})) == [d.isoformat() for d in days]
    assert list(iso8601(c, frame(D=us), {"date": "D", "format": "MM/DD/YYYY"})) == [d.isoformat() for d in days]
    assert c.log.count() == 0


@settings(max_examples=50, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)), st.integers(-400, 400))
def test_study_day_agrees_with_date_arithmetic(ref, offset):
    day = ref + timedelta(days=offset)
    c = ctx()
    c.datasets["DM"] = pd.DataFrame({"USUBJID": ["S"], "RFSTDTC": [ref.isoformat()]})
    got = study_day(c, frame(USUBJID=["S"], X=[day.isoformat()]), "X").iloc[0]
    assert got == (offset + 1 if offset >= 0 else offset)
