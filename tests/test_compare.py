"""compare_datasets on hand-made datasets; every expected difference worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisc_als.compare import compare_datasets
from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError


def _base() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "C"],
            "AESEQ": [1.0, 2.0, 1.0, 1.0],
            "AETERM": ["NAUSEA", "HEADACHE", "RASH", "FEVER"],
            "AESEV": ["MILD ", "SEVERE", None, "MILD"],
            "AVAL": [1.0, 2.0, np.nan, 4.0],
            "AEOUT": ["RECOVERED"] * 4,
        }
    )


def _compare() -> pd.DataFrame:
    # rows in another order; (C,1) missing, (D,1) extra
    return pd.DataFrame(
        {
            "usubjid": ["B", "A", "A", "D"],  # case of names must not matter
            "AESEQ": [1.0, 2.0, 1.0, 1.0],
            "AETERM": ["RASH", "Headache", "NAUSEA", "COUGH"],
            "AESEV": ["", "SEVERE", "MILD", "MILD"],
            "AVAL": [np.nan, 2.5, 1.0 + 1e-12, 3.0],
            "AEREL": ["NONE"] * 4,
        }
    )


def test_keyed_comparison_counts_and_examples():
    r = compare_datasets(_base(), _compare(), keys=["USUBJID", "AESEQ"])
    assert not r.equal
    assert (r.n_base, r.n_compare, r.n_matched) == (4, 4, 3)
    assert (r.n_base_only, r.n_compare_only) == (1, 1)
    assert r.base_only[["USUBJID", "AESEQ"]].values.tolist() == [["C", 1.0]]
    assert r.base_only["ROW"].tolist() == [4]
    assert r.compare_only[["USUBJID", "AESEQ"]].values.tolist() == [["D", 1.0]]
    assert r.vars_only_base == ["AEOUT"]
    assert r.vars_only_compare == ["AEREL"]
    by = {v.name: v for v in r.variables}
    assert set(by) == {"AETERM", "AESEV", "AVAL"}  # keys are not value-compared
    # AETERM: HEADACHE vs Headache at (A,2); AESEV: trailing blank and null vs "" are equal
    assert by["AETERM"].n_diff == 1
    assert by["AETERM"].examples.to_dict("records") == [
        {"USUBJID": "A", "AESEQ": 2.0, "BASE": "HEADACHE", "COMPARE": "Headache"}
    ]
    assert by["AESEV"].n_diff == 0
    # AVAL: 1 vs 1+1e-12 within tolerance, NaN vs NaN equal, 2.0 vs 2.5 differs
    assert by["AVAL"].n_diff == 1
    assert by["AVAL"].examples[["BASE", "COMPARE"]].values.tolist() == [[2.0, 2.5]]
    assert r.cells_compared == 9 and r.cells_equal == 7
    assert r.equal_cell_share == pytest.approx(7 / 9)
    assert r.matched_record_share == pytest.approx(3 / 5)


def test_strict_missing_and_tolerance():
    strict = compare_datasets(_base(), _compare(), keys=["USUBJID", "AESEQ"], strict_missing=True)
    assert {v.name: v.n_diff for v in strict.variables}["AESEV"] == 1  # None vs "" at (B,1)
    loose = compare_datasets(_base(), _compare(), keys=["USUBJID", "AESEQ"], tolerance=0.5)
    assert {v.name: v.n_diff for v in loose.variables}["AVAL"] == 0


def test_identical_is_equal():
    r = compare_datasets(_base(), _base().copy(), keys=["USUBJID", "AESEQ"])
    assert r.equal
    assert r.equal_cell_share == 1.0 and r.matched_record_share == 1.0
    assert r.cells_compared == 4 * 4  # 4 non-key variables x 4 records


def test_without_keys_matches_by_position():
    b = pd.DataFrame({"X": [1, 2, 3]})
    c = pd.DataFrame({"X": [1, 5]})
    r = compare_datasets(b, c)
    assert r.n_matched == 2 and r.n_base_only == 1 and r.n_compare_only == 0
    assert r.base_only["ROW"].tolist() == [3]
    (x,) = r.variables
    assert x.n_diff == 1 and x.examples.to_dict("records") == [{"ROW": 2, "BASE": 2, "COMPARE": 5}]


def test_duplicate_keys_reported_and_matched_in_order():
    b = pd.DataFrame({"K": ["a", "a", "b"], "V": [1, 2, 3]})
    c = pd.DataFrame({"K": ["a", "b", "a"], "V": [1, 3, 9]})
    r = compare_datasets(b, c, keys=["K"])
    assert r.dup_base.to_dict("records") == [{"K": "a", "N": 2}]
    assert r.n_dup_base == 2 and r.n_dup_compare == 2
    assert r.n_matched == 3
    # first "a" with first "a" (1 == 1), second with second (2 vs 9)
    (v,) = r.variables
    assert v.n_diff == 1 and v.examples[["BASE", "COMPARE"]].values.tolist() == [[2, 9]]


def test_metadata_differences():
    data = pd.DataFrame({"USUBJID": ["A"], "AGE": [50.0], "SEX": ["F"]})
    b = Dataset(
        "DM",
        data,
        variables=[
            Variable("USUBJID", "Unique Subject Identifier", "Char", 8),
            Variable("AGE", "Age", "Num", 8),
            Variable("SEX", "Sex", "Char", 1),
        ],
    )
    c = Dataset(
        "DM",
        data.assign(AGE=["50"]),
        variables=[
            Variable("USUBJID", "Unique Subject Identifier", "Char", 11),
            Variable("AGE", "Age in Years", "Char", 2),
            Variable("SEX", "Sex", "Char", 1),
        ],
    )
    r = compare_datasets(b, c, keys=["USUBJID"])
    diffs = {(d["variable"], d["attribute"]): (d["base"], d["compare"]) for d in r.meta_diffs}
    assert diffs == {
        ("USUBJID", "length"): (8, 11),
        ("AGE", "type"): ("Num", "Char"),
        ("AGE", "label"): ("Age", "Age in Years"),
    }
    # the value 50 vs "50" is the same number
    assert {v.name: v.n_diff for v in r.variables} == {"AGE": 0, "SEX": 0}
    assert not r.equal


def test_mixed_types_are_reconciled():
    b = pd.DataFrame(
        {
            "N": [1.0, 2.0, np.nan, 4.0],
            "D": [dt.date(2020, 1, 31), dt.date(2020, 2, 1), None, dt.date(1960, 1, 2)],
            "S": [dt.date(1960, 1, 2), dt.date(1960, 1, 1), None, dt.date(1960, 1, 3)],
        }
    )
    c = pd.DataFrame(
        {
            "N": ["1", "2.0", "", "x"],  # "x" is not a number -> differs
            "D": ["2020-01-31", "2020-02-02", "", "1960-01-02"],  # one day off in row 2
            "S": [1.0, 0.0, np.nan, 3.0],  # SAS days since 1960-01-01: 1960-01-03 is 2, not 3
        }
    )
    r = compare_datasets(b, c)
    got = {v.name: (v.n_diff, v.examples["ROW"].tolist()) for v in r.variables}
    assert got == {"N": (1, [4]), "D": (1, [2]), "S": (1, [4])}


def test_mixed_key_types_match():
    b = pd.DataFrame({"ID": [1.0, 2.0], "V": ["a", "b"]})
    c = pd.DataFrame({"ID": ["2", "1"], "V": ["b", "a"]})
    r = compare_datasets(b, c, keys=["ID"])
    assert r.n_matched == 2 and r.equal_cell_share == 1.0


def test_datetime_timezone_and_dates():
    b = pd.DataFrame({"T": pd.to_datetime(["2020-01-01T10:00:00"]).tz_localize("UTC")})
    c = pd.DataFrame({"T": [dt.datetime(2020, 1, 1, 10, 0, 0)]})
    assert compare_datasets(b, c).equal


def test_vars_restricts_comparison():
    r = compare_datasets(_base(), _compare(), keys=["USUBJID", "AESEQ"], vars=["AESEV", "AEOUT"])
    assert [v.name for v in r.variables] == ["AESEV"]
    assert r.vars_only_base == ["AEOUT"] and r.vars_only_compare == []


def test_bad_keys_and_vars_raise_data_error():
    with pytest.raises(DataError, match="key variable"):
        compare_datasets(_base(), _compare(), keys=["NOPE"])
    with pytest.raises(DataError, match="neither"):
        compare_datasets(_base(), _compare(), vars=["NOPE"])


def test_many_differences_keep_first_examples_only():
    b = pd.DataFrame({"K": np.arange(100), "V": np.zeros(100)})
    c = pd.DataFrame({"K": np.arange(100)[::-1], "V": np.ones(100)})
    r = compare_datasets(b, c, keys=["K"], max_examples=5)
    (v,) = r.variables
    assert v.n_diff == 100 and v.examples["K"].tolist() == [0, 1, 2, 3, 4]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=False, width=32), min_size=1, max_size=30),
    seed=st.integers(0, 2**16),
    changed=st.sets(st.integers(0, 29), max_size=10),
)
def test_shuffled_copy_with_known_changes(values, seed, changed):
    """A shuffled copy is equal cell for cell; each changed cell is exactly one difference."""
    n = len(values)
    base = pd.DataFrame({"K": np.arange(n), "X": values, "T": [f"t{i}" for i in range(n)]})
    comp = base.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    hits = [i for i in changed if i < n]
    rows = comp["K"].isin(hits).to_numpy()
    comp.loc[rows, "T"] = comp.loc[rows, "T"] + "x"
    r = compare_datasets(base, comp, keys=["K"])
    assert r.n_matched == n and r.n_base_only == r.n_compare_only == 0
    assert {v.name: v.n_diff for v in r.variables} == {"X": 0, "T": len(hits)}
    assert sorted(r.variables[1].examples["K"].tolist()) == sorted(hits)
