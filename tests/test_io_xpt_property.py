"""Property-based comparison of our XPT v5 writer with pyreadstat's, on generated datasets.

For random names, labels, formats, text (empty, 200-byte, punctuation) and numbers (NaN, -0.0,
tiny and huge IBM-range values, small integers), a file written by our writer must read back
through pyreadstat exactly as the generated data and metadata, and exactly as pyreadstat's own
``write_xport(file_format_version=5)`` output reads back.
"""

from __future__ import annotations

import datetime as dt
import string
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.ibm import out_of_range
from cdisc_als.io.xpt import read_xpt, write_xpt

NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,7}", fullmatch=True)
PRINTABLE = st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " ")
LABELS = st.text(PRINTABLE, max_size=40).map(lambda s: s.rstrip(" "))  # SAS pads labels with blanks
# values without trailing blanks: SAS (and both writers) drop them
TEXT = st.one_of(
    st.text(PRINTABLE, max_size=30),
    st.just(""),
    st.just("Y" * 200),
    st.text(PRINTABLE, min_size=190, max_size=200),
).map(lambda s: s.rstrip(" "))
EXTREMES = [0.0, -0.0, 1.0, -1.0, 2.0, 3.0, 1e75, -1e75, 7.2e75, 5.4e-79, 1e-78, 0.1, 1 / 3, np.nan]
NUMBERS = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers(-(2**31), 2**31).map(float),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not out_of_range(np.array([x]))[0]),
)
NUM_FORMATS = st.sampled_from([None, "8.", "8.2", "BEST12.", "DATE9.", "DATETIME20.", "TIME8."])
CHAR_FORMATS = st.sampled_from([None, "$CHAR20.", "$20."])


@st.composite
def datasets(draw) -> Dataset:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    nrows = draw(st.integers(0, 12))
    data, variables = {}, []
    for name in names:
        label = draw(LABELS)
        if draw(st.booleans()):
            values = draw(st.lists(TEXT, min_size=nrows, max_size=nrows))
            data[name] = pd.Series(values, dtype=object)
            variables.append(Variable(name, label, "Char", format=draw(CHAR_FORMATS)))
        else:
            values = draw(st.lists(NUMBERS, min_size=nrows, max_size=nrows))
            data[name] = pd.Series(values, dtype="float64")
            variables.append(Variable(name, label, "Num", format=draw(NUM_FORMATS)))
    frame = pd.DataFrame(data, index=range(nrows))
    if nrows and all(v.type == "Char" for v in variables):
        frame.iloc[-1, 0] = "LAST"  # a blank last row is refused (tested elsewhere)
    ds_name = draw(NAMES)
    return Dataset(ds_name, frame, label=draw(LABELS), variables=variables)


def _pyreadstat_write(ds: Dataset, path: Path) -> None:
    pyreadstat.write_xport(
        ds.data, str(path), file_label=ds.label, table_name=ds.name,
        column_labels={v.name: v.label for v in ds.variables},
        variable_format={v.name: v.format for v in ds.variables if v.format},
        file_format_version=5,
    )  # fmt: skip


def _read(path: Path):
    return pyreadstat.read_xport(str(path), disable_datetime_conversion=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_our_writer_reads_back_like_the_data_and_like_pyreadstat(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = Path(folder) / "ours.xpt", Path(folder) / "theirs.xpt"
        write_xpt(ds, ours)
        frame, meta = _read(ours)
        # the fast numpy reader gives exactly what the pyreadstat path gives
        fast, slow = read_xpt(ours, convert_dates=False), read_xpt(ours, convert_dates=False, engine="pyreadstat")
        assert fast.variables == slow.variables and (fast.name, fast.label) == (slow.name, slow.label)
        pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True)
        # against the generated data and metadata
        assert meta.table_name == ds.name
        assert (meta.file_label or "") == ds.label  # blank reads back as None
        assert meta.column_names == ds.var_names
        assert [lab or "" for lab in meta.column_labels] == [v.label for v in ds.variables]
        for var in ds.variables:
            expected = ds.data[var.name]
            got = frame[var.name]
            if var.type == "Char":
                assert got.tolist() == expected.tolist(), var.name
                longest = int(expected.str.len().max()) if len(expected) else 0
                assert meta.variable_storage_width[var.name] == max(1, longest)
            else:
                np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy(), err_msg=var.name)
                assert meta.variable_storage_width[var.name] == 8
            fmt = meta.original_variable_types[var.name]
            assert (fmt + "." if fmt and "." not in fmt else fmt) == var.format, var.name
        # against pyreadstat's own writer
        if len(ds.data) == 0:
            return  # pyreadstat cannot write an empty frame of object columns reliably
        huge = [v.name for v in ds.variables if v.type == "Num" and (ds.data[v.name].abs() >= 2.0**249).any()]
        if huge:
            # pyreadstat 1.3.7 writes |x| >= 2**249 (~9e74, below the IBM maximum 7.2e75) as
            # 0x7FFFFFFFFFFFFFFF, which reads back as inf: compare those columns with the data only
            return
        _pyreadstat_write(ds, theirs)
        other, ometa = _read(theirs)
        pd.testing.assert_frame_equal(frame, other, check_exact=True)
        for key in ("column_names", "column_labels", "table_name", "file_label",
                    "original_variable_types", "variable_storage_width"):  # fmt: skip
            assert getattr(meta, key) == getattr(ometa, key), key


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.inf, -np.inf, 1e76, -7.3e75, 1e-300, -5e-79, 5e-324]), st.integers(0, 4))
def test_out_of_range_numbers_are_refused_with_their_row(value: float, row: int) -> None:
    values = np.arange(5, dtype=float)
    values[row] = value
    ds = Dataset("T", pd.DataFrame({"X": values}))
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(DataError) as info:
            write_xpt(ds, Path(folder) / "t.xpt")
        assert info.value.row == row + 1 and info.value.field == "X"
        assert list(Path(folder).iterdir()) == []


FIRST, LAST = dt.date(1, 1, 1), dt.date(9999, 12, 31)
SAS_ZERO = dt.datetime(1960, 1, 1)


def _iso_able(value: float, kind: str) -> bool:
    """Whether a SAS number has an ISO 8601 form in whole days/seconds (Dataset-JSON 1.1)."""
    if np.isnan(value):
        return True
    if value != np.floor(value):
        return False
    if kind == "time":
        return 0 <= value < 86400
    days = value if kind == "date" else value // 86400
    return (FIRST - SAS_ZERO.date()).days <= days <= (LAST - SAS_ZERO.date()).days


def _expected_temporal(value: float, kind: str):
    if np.isnan(value):
        return None
    if kind == "time":
        return dt.timedelta(seconds=value)
    return SAS_ZERO + (dt.timedelta(days=value) if kind == "date" else dt.timedelta(seconds=value))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), st.booleans())
def test_dataset_json_round_trip(ds: Dataset, ndjson: bool) -> None:
    """write_datasetjson -> read_datasetjson gives back values, labels and lengths; numbers
    under a date/datetime/time format go out as ISO 8601 text and come back as datetimes, and a
    number without an ISO form (fraction, outside years 1-9999, time outside one day) is refused
    with its variable and row."""
    from cdisc_als.io.datasetjson import read_datasetjson, write_datasetjson
    from cdisc_als.io.sasformats import format_kind

    bad = [
        (v.name, i + 1)
        for v in ds.variables
        if v.type == "Num" and format_kind(v.format)
        for i, x in enumerate(ds.data[v.name])
        if not _iso_able(x, format_kind(v.format))
    ]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / ("t.ndjson" if ndjson else "t.json")
        if bad:
            with pytest.raises(DataError) as info:
                write_datasetjson(ds, target, ndjson=ndjson)
            assert (info.value.field, info.value.row) == bad[0]
            assert list(Path(folder).iterdir()) == []
            return
        back = read_datasetjson(write_datasetjson(ds, target, ndjson=ndjson))
    assert (back.name, back.label, back.var_names) == (ds.name, ds.label, ds.var_names)
    for var, got in zip(ds.variables, back.variables, strict=True):
        assert (got.label, got.type, got.format) == (var.label, var.type, var.format)
        expected = ds.data[var.name]
        if var.type == "Char":
            assert got.length == max([1, *(len(x) for x in expected)])
            assert back.data[var.name].tolist() == expected.tolist()
        elif kind := format_kind(var.format):
            want = [_expected_temporal(x, kind) for x in expected]
            have = [None if pd.isna(x) else x for x in back.data[var.name].tolist()]
            assert have == want, var.name
        else:
            np.testing.assert_array_equal(back.data[var.name].to_numpy(dtype=float), expected.to_numpy())
