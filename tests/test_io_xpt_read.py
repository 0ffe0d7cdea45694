"""The fast numpy XPT reader returns exactly what the pyreadstat path returns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cdisc_als.dataset import Dataset
from cdisc_als.errors import DataError
from cdisc_als.io.xpt import read_xpt, write_xpt
from cdisc_als.io.xpt_read import MultipleMembers, Unsupported, read_simple_xpt


def _same(path: Path) -> None:
    fast = read_xpt(path)
    slow = read_xpt(path, engine="pyreadstat")
    assert (fast.name, fast.label) == (slow.name, slow.label), path
    assert fast.variables == slow.variables, path
    pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True, obj=str(path))


def test_every_reference_file(reference_dir: Path) -> None:
    files = sorted(reference_dir.rglob("*.xpt"))
    assert len(files) >= 50
    for path in files:
        try:
            read_simple_xpt(path)
        except UnicodeDecodeError:
            read_simple_xpt(path, "cp1252")  # the pilot TS; must not be Unsupported either
        _same(path)


def test_trailing_blank_records_dropped_like_readstat(tmp_path: Path) -> None:
    path = tmp_path / "co.xpt"
    pyreadstat.write_xport(pd.DataFrame({"A": ["a", "", "b", "", ""]}), str(path), file_format_version=5)
    assert read_xpt(path).data["A"].tolist() == ["a", "", "b"]
    _same(path)


def test_multi_member_file_is_refused(tmp_path: Path) -> None:
    """pyreadstat 1.3.7 reads the second member's headers as observations: refuse instead."""
    one = write_xpt(Dataset("DM", pd.DataFrame({"X": [1.0, 2.0]})), tmp_path / "dm.xpt").read_bytes()
    two = write_xpt(Dataset("AE", pd.DataFrame({"Y": ["a"]})), tmp_path / "ae.xpt").read_bytes()
    both = tmp_path / "both.xpt"
    both.write_bytes(one + two[240:])  # library header once, then two members
    with pytest.raises(MultipleMembers):
        read_simple_xpt(both)
    with pytest.raises(DataError, match="more than one dataset"):
        read_xpt(both)


def test_other_layouts_use_pyreadstat(tmp_path: Path) -> None:
    path = write_xpt(Dataset("DM", pd.DataFrame({"X": [1.5]})), tmp_path / "dm.xpt")
    raw = bytearray(path.read_bytes())
    raw[240 + 74 : 240 + 78] = b"0136"  # claims VAX/VMS 136-byte namestr records
    odd = tmp_path / "odd.xpt"
    odd.write_bytes(bytes(raw))
    with pytest.raises(Unsupported):
        read_simple_xpt(odd)


def test_empty_dataset(tmp_path: Path) -> None:
    path = write_xpt(Dataset("DM", pd.DataFrame({"A": pd.Series([], dtype=object), "B": pd.Series([], dtype=float)})), tmp_path / "dm.xpt")
    assert len(read_xpt(path)) == 0
    _same(path)
