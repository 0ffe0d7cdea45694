"""The AdMSC-ALS specs' expressions behave as intended when a collected value is missing.

The expression language uses three-valued logic (a comparison with a null is null, a filter keeps
only true rows), so a spec must say what a missing value means. These cases are worked out by
hand from the ALSFRS-R rules (item 5a without gastrostomy, 5b with it) and SDTMIG DM rules.
"""

from pathlib import Path

import pandas as pd
import yaml

from cdisc_als.ops.expr import condition, evaluate

SPECS = Path(__file__).resolve().parent.parent / "mappings" / "admsc-als" / "sdtm"


def _spec(name: str) -> dict:
    return yaml.safe_load((SPECS / name).read_text())


def test_item5_filter_keeps_answers_with_unknown_gastrostomy():
    (step,) = [s["filter"] for s in _spec("qs.yaml")["steps"] if "filter" in s]
    rows = pd.DataFrame(
        {
            "_ITEM": ["ALSF105A", "ALSF105A", "ALSF105B", "ALSF105B", "ALSF105A", "ALSF0101"],
            "GASTRO": ["N", "Y", "Y", "N", None, None],
        }
    )
    # 5a+no tube ok, 5a+tube contradicts, 5b+tube ok, 5b+no tube contradicts, unknown tube kept
    assert condition(step["where"], rows).tolist() == [True, False, True, False, True, True]


def test_armnrs_for_unassigned_subjects_with_unknown_eligibility():
    expr = _spec("dm.yaml")["variables"]["ARMNRS"]["expr"]
    rows = pd.DataFrame(
        {"ARMCD": [None, None, None, "D1", "D2"], "ELIGYN": ["N", "Y", None, "Y", "Y"],
         "ACTARMCD": [None, None, None, "D1", None]}
    )
    got = evaluate(expr, rows).tolist()
    assert got[:3] == ["SCREEN FAILURE", "NOT ASSIGNED", "NOT ASSIGNED"]
    assert pd.isna(got[3]) and got[4] == "ASSIGNED, NOT TREATED"
