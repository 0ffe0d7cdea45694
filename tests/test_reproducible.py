"""SOURCE_DATE_EPOCH handling and zip time normalization (byte-identical builds)."""

import datetime as dt
import time
import zipfile

import pytest

from cdisc_als.errors import CdiscAlsError
from cdisc_als.reproducible import normalize_zip_times, now_or_source_date, source_date


def test_source_date_epoch_is_utc_seconds(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1356998400")  # 2013-01-01T00:00:00Z
    assert source_date() == dt.datetime(2013, 1, 1, tzinfo=dt.UTC)
    assert now_or_source_date() == dt.datetime(2013, 1, 1, tzinfo=dt.UTC)


def test_unset_means_clock(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert source_date() is None
    assert abs((now_or_source_date() - dt.datetime.now(dt.UTC)).total_seconds()) < 5


def test_malformed_epoch_is_an_error(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(CdiscAlsError, match="SOURCE_DATE_EPOCH"):
        source_date()


def _zip(path, content: bytes) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", content)
        z.writestr("b/core.xml", b"<modified>now</modified>")


def test_zip_entries_get_one_date_and_rewrites_apply(tmp_path):
    stamp = dt.datetime(2013, 3, 12, 8, 30, tzinfo=dt.UTC)
    one, two = tmp_path / "1.zip", tmp_path / "2.zip"
    _zip(one, b"same")
    time.sleep(2.1)  # zip times have 2-second resolution: make the raw files differ
    _zip(two, b"same")
    fix = {"b/core.xml": lambda data: data.replace(b"now", b"2013-03-12")}
    for path in (one, two):
        normalize_zip_times(path, stamp, rewrite=fix)
    assert one.read_bytes() == two.read_bytes()
    with zipfile.ZipFile(one) as z:
        assert [i.date_time for i in z.infolist()] == [(2013, 3, 12, 8, 30, 0)] * 2
        assert [i.filename for i in z.infolist()] == ["a.txt", "b/core.xml"]
        assert z.read("b/core.xml") == b"<modified>2013-03-12</modified>"
        assert z.getinfo("a.txt").compress_type == zipfile.ZIP_DEFLATED


class _Study:
    def __init__(self, created):
        self.config = {"created": created} if created else {}


def test_study_date_prefers_source_date_epoch(monkeypatch):
    from cdisc_als.reproducible import study_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1356998400")
    assert study_date(_Study("2026-01-01T00:00:00")) == dt.datetime(2013, 1, 1, tzinfo=dt.UTC)


def test_study_date_from_created_in_utc(monkeypatch):
    from cdisc_als.reproducible import study_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert study_date(_Study("2026-01-01T00:00:00")) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # 01:00 at +01:00 is midnight UTC
    assert study_date(_Study("2026-01-01T01:00:00+01:00")) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert study_date(_Study(None)) is None
    with pytest.raises(CdiscAlsError, match="created"):
        study_date(_Study("New Year 2026"))
