"""One source of truth for timestamps written into outputs, so builds can be byte-identical.

Follows the reproducible-builds convention: when ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC)
is set, every timestamp a writer stamps into a file (XPT headers, Dataset-JSON, define.xml,
validation reports, XLSX zip entries) is that instant instead of the clock.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cdisc_als.errors import CdiscAlsError


def source_date() -> dt.datetime | None:
    """The ``SOURCE_DATE_EPOCH`` instant (UTC), or None when it is unset."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise CdiscAlsError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {value!r}")
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def study_date(study: Any) -> dt.datetime | None:
    """A study's fixed timestamp (UTC): ``SOURCE_DATE_EPOCH``, else study.yaml ``created``, else None.

    A ``created`` value without a UTC offset is taken as UTC.
    """
    fixed = source_date()
    if fixed is not None:
        return fixed
    created = (getattr(study, "config", None) or {}).get("created")
    if not created:
        return None
    try:
        value = dt.datetime.fromisoformat(str(created))
    except ValueError as exc:
        raise CdiscAlsError(f"study.yaml created: {created!r} is not an ISO 8601 date/time") from exc
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def now_or_source_date() -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` when set, else the current time (UTC)."""
    return source_date() or dt.datetime.now(dt.UTC)


def normalize_zip_times(
    path: Path, stamp: dt.datetime, rewrite: dict[str, Callable[[bytes], bytes]] | None = None
) -> None:
    """Rewrite a zip file (e.g. XLSX) with every entry dated ``stamp``, entries in the same order.

    Zip entries carry the time they were written; without this two otherwise identical
    workbooks differ in bytes. ``rewrite`` maps an entry name to a function that fixes its
    content (e.g. a save time a library writes inside the file).
    """
    rewrite = rewrite or {}
    when = max(stamp.astimezone(dt.UTC).replace(tzinfo=None), dt.datetime(1980, 1, 1))
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            fix = rewrite.get(info.filename)
            dst.writestr(fixed, fix(data) if fix else data)
    os.replace(tmp, path)
