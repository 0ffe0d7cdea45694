"""visit (planned, unscheduled x.01, numbered unscheduled names, VISITDY) and epoch."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from cdisc_als.errors import ConversionLog
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context
from cdisc_als.ops.visits import epoch, visit

DESIGN = {
    "visits": [
        {"visitnum": 1, "visit": "SCREENING", "folders": ["SCR"], "visitdy": -14},
        {"visitnum": 2, "visit": "DAY 1", "folders": ["D1"], "visitdy": 1},
        {"visitnum": 3, "visit": "MONTH 1", "folders": ["M1"], "visitdy": 31},
    ],
    "unscheduled": ["UNS"],
    "unscheduled_pattern": r"^UNSCHEDULED (?P<num>\d+\.\d+)$",
}


def frame(**cols) -> pd.DataFrame:
    f = pd.DataFrame(cols)
    f[ROW_COLUMN] = range(1, len(f) + 1)
    f[SOURCE_COLUMN] = "qs.csv"
    return f


def ctx(target: str) -> Context:
    return Context(study=SimpleNamespace(config={"design": DESIGN}), log=ConversionLog(), target=target, domain="QS")


def test_planned_and_unscheduled_visits():
    f = frame(
        USUBJID=["A", "A", "A", "A", "A", "B", "A"],
        FOLDER=["SCR", "D1", "UNS", "UNS", "M1", "UNS", "XX"],
        DTC=["2013-01-01", "2013-01-15", "2013-01-20", "2013-01-25", "2013-02-14", "2013-01-02", "2013-03-01"],
    )
    c = ctx("VISITNUM")
    num = visit(c, f, {"from": "FOLDER", "date": "DTC"})
    # two unplanned visits after DAY 1 (2) -> 2.01, 2.02; B's before any planned visit -> 0.01
    assert list(num[:6]) == [1, 2, 2.01, 2.02, 3, 0.01]
    assert pd.isna(num.iloc[6])
    assert list(c.log.frame()["value"]) == ["XX"]
    names = visit(ctx("VISIT"), f, {"from": "FOLDER", "date": "DTC"})
    assert list(names[:6]) == ["SCREENING", "DAY 1", "UNSCHEDULED 2.01", "UNSCHEDULED 2.02", "MONTH 1", "UNSCHEDULED 0.01"]
    assert list(visit(ctx("VISITDY"), f, "FOLDER")[:2]) == [-14, 1]


def test_numbered_unscheduled_visit_names_and_case():
    f = frame(USUBJID=["A", "A"], INSTANCE=["Unscheduled 8.2", "day 1"])
    assert list(visit(ctx("VISITNUM"), f, "INSTANCE")) == [8.2, 2]
    assert list(visit(ctx("VISIT"), f, "INSTANCE")) == ["UNSCHEDULED 8.2", "DAY 1"]


def test_epoch_from_cuts_and_from_se():
    c = ctx("EPOCH")
    c.datasets["DM"] = pd.DataFrame({"USUBJID": ["A"], "RFXSTDTC": ["2013-01-15"], "RFXENDTC": ["2013-06-30"]})
    f = frame(USUBJID=["A", "A", "A", "A", "A"], D=["2013-01-14", "2013-01-15", "2013-06-30", "2013-07-01", "2013-02"])
    cuts = [{"before": "RFXSTDTC", "epoch": "SCREENING"}, {"on_or_before": "RFXENDTC", "epoch": "TREATMENT"}]
    out = epoch(c, f, {"date": "D", "cuts": cuts, "otherwise": "FOLLOW-UP"})
    assert list(out) == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP", None]
    c.datasets["SE"] = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A"],
            "SESTDTC": ["2013-01-01", "2013-01-15", "2013-07-01"],
            "SEENDTC": ["2013-01-15", "2013-07-01", "2013-12-31"],
            "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"],
        }
    )
    out = epoch(c, f, {"date": "D", "se": "SE"})
    # an element ends where the next starts: the start day belongs to the next element
    assert list(out) == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP", None]
