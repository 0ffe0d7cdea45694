"""CDISC Dataset-JSON v1.1 writer and reader (``.json`` and ``.ndjson``).

One JSON object per dataset: file metadata (creation time, version, OIDs, originator, source
system), dataset metadata (``itemGroupOID`` ``IG.{NAME}``, name, label, record count) and one
column description per variable (``itemOID`` ``IT.{NAME}.{VAR}``, the Define-XML ItemDef OID of
the project conventions), then the rows as arrays. NDJSON puts the metadata object on the first
line and one row array on each following line.

Types: Char -> ``string`` (or ``date``/``datetime``/``time``/``URI`` when the metadata datatype
says so: the ISO 8601 text passes through). Num -> ``integer`` when the metadata datatype is
integer and every value is whole, else ``double``. Num variables with a SAS date, datetime or
time format (or holding ``datetime64``/``timedelta64``) are written as ISO 8601 text with
``dataType`` date/datetime/time and ``targetDataType`` ``integer``, as v1.1 specifies for SAS
numeric dates; the reader turns them back into ``datetime64``/``timedelta64`` with the format.
Missing numbers are ``null``; character values are never null (SAS has no null text: blank is
``""``). Output is reproducible: the creation time comes from ``created``, else
``SOURCE_DATE_EPOCH``, else the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc_als import __version__
from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.atomic import Staged, commit, staging
from cdisc_als.io.sasformats import (
    DEFAULT_FORMAT,
    format_kind,
    from_sas_number,
    iso_problems,
    parse_format,
    temporal_kind,
    to_sas_number,
)
from cdisc_als.reproducible import now_or_source_date

DATASET_JSON_VERSION = "1.1.0"
#: Rows encoded and written at a time (bounded memory whatever the dataset size).
CHUNK_ROWS = 50_000
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_CHAR_TYPES = {"date": "date", "datetime": "datetime", "time": "time", "uri": "URI"}
_STANDARD_RE = re.compile(r"^\s*(sdtmig|adamig)[\s_-]*v?(\d+(?:\.\d+)*)\s*$", re.IGNORECASE)
_ISO = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S"}


def write_datasetjson(
    dataset: Dataset,
    path: str | Path,
    ndjson: bool = False,
    *,
    created: dt.datetime | None = None,
    db_last_modified: dt.datetime | None = None,
    originator: str = "cdisc-als",
    study_oid: str | None = None,
    metadata_version_oid: str | None = None,
) -> Path:
    """Write ``dataset`` as Dataset-JSON 1.1 (``ndjson=True``: newline-delimited) atomically.

    ``studyOID`` and ``metaDataVersionOID`` default to the Define-XML OIDs the project uses
    (``STDY.{STUDYID}``, ``MDV.{STUDYID}.{SDTMIG|ADaMIG}.{version}``), taking STUDYID from the
    data and the standard from ``dataset.standard`` when present.
    """
    path = Path(path)
    staged = stage_datasetjson(
        dataset, path, ndjson, created=created, db_last_modified=db_last_modified,
        originator=originator, study_oid=study_oid, metadata_version_oid=metadata_version_oid,
    )  # fmt: skip
    return commit(staged)[0]


def stage_datasetjson(
    dataset: Dataset,
    path: Path,
    ndjson: bool = False,
    *,
    created: dt.datetime | None = None,
    db_last_modified: dt.datetime | None = None,
    originator: str = "cdisc-als",
    study_oid: str | None = None,
    metadata_version_oid: str | None = None,
) -> Staged:
    """Write to a temporary file; returns the (temporary, final) pair for the caller to commit."""
    path = Path(path)
    meta, columns, values = _prepare(dataset, path, created, db_last_modified, originator,
                                     study_oid, metadata_version_oid)  # fmt: skip
    nrows = len(dataset.data)
    head = _ENCODER.encode(meta)
    with staging([path]) as staged, open(staged[0][0], "w", encoding="utf-8", newline="\n") as handle:
        handle.write(head + "\n" if ndjson else head[:-1] + ',"rows":[')
        for lo in range(0, nrows, CHUNK_ROWS):
            lines = _row_lines(values, lo, min(lo + CHUNK_ROWS, nrows))
            if ndjson:
                handle.write("\n".join(lines) + "\n")
            else:
                handle.write(("," if lo else "") + ",".join(lines))
        if not ndjson:
            handle.write("]}")
    return staged


def _timestamp(value: dt.datetime | None) -> str:
    if value is None:
        value = now_or_source_date()
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds")


def _study_id(dataset: Dataset) -> str:
    if "STUDYID" in dataset.data.columns and len(dataset.data):
        first = dataset.data["STUDYID"].dropna()
        if len(first):
            return str(first.iloc[0])
    return "STUDY"


def _prepare(dataset, path, created, db_last_modified, originator, study_oid, mdv_oid):
    """Top-level metadata, column descriptions and per-column JSON-ready values."""
    studyid = _study_id(dataset)
    if mdv_oid is None:
        match = _STANDARD_RE.match(dataset.standard or "")
        if match:
            name = "SDTMIG" if match.group(1).lower() == "sdtmig" else "ADaMIG"
            mdv_oid = f"MDV.{studyid}.{name}.{match.group(2)}"
        else:
            mdv_oid = f"MDV.{studyid}"
    stamp = _timestamp(created)
    columns: list[dict[str, Any]] = []
    values: list[JsonValues] = []
    keys = {k: i for i, k in enumerate(dataset.keys, start=1)}
    for var in dataset.variables:
        if var.name not in dataset.data.columns:
            continue
        column, vals = _column(dataset, var, path)
        if var.name in keys:
            column["keySequence"] = keys[var.name]
        columns.append(column)
        values.append(vals)
    meta = {
        "datasetJSONCreationDateTime": stamp,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{studyid}.{dataset.name}",
        "dbLastModifiedDateTime": _timestamp(db_last_modified) if db_last_modified else stamp,
        "originator": originator,
        "sourceSystem": {"name": "cdisc-als", "version": __version__},
        "studyOID": study_oid or f"STDY.{studyid}",
        "metaDataVersionOID": mdv_oid,
        "itemGroupOID": f"IG.{dataset.name}",
        "records": len(dataset.data),
        "name": dataset.name,
        "label": dataset.label or "",
        "columns": columns,
    }
    return meta, columns, values


def _column(dataset: Dataset, var: Variable, path: Path) -> tuple[dict[str, Any], JsonValues]:
    """The column description and the column's values, ready to be encoded as JSON."""
    series = dataset.data[var.name]
    column: dict[str, Any] = {
        "itemOID": f"IT.{dataset.name}.{var.name}",
        "name": var.name,
        "label": var.label or "",
    }
    fmt_text = var.format
    if var.type == "Char":
        text = _char_values(series)
        vals = JsonValues("text", text, np.zeros(len(text), dtype=bool))
        column["dataType"] = _CHAR_TYPES.get((var.datatype or "").lower(), "string")
        try:
            lengths = pc.binary_length(pa.array(text, type=pa.large_string())).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise DataError(path, f"dataset {dataset.name}: Char variable holds non-text: {exc}", field=var.name) from exc
        column["length"] = max(var.length or 0, int(lengths.max()) if lengths.size else 0, 1)
    else:
        kind = temporal_kind(series)
        fmt_kind = format_kind(parse_format(var.format)) if var.format else None
        if kind is not None and fmt_kind is None:
            fmt_text, fmt_kind = DEFAULT_FORMAT[kind], kind
        if fmt_kind is not None:
            iso = _iso_values(dataset, var, series, fmt_kind, path)
            vals = JsonValues("text", iso, pd.isna(iso))
            column["dataType"] = fmt_kind
            column["targetDataType"] = "integer"
        else:
            try:
                numbers = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
            except (ValueError, TypeError) as exc:
                raise DataError(path, f"dataset {dataset.name}: Num variable holds non-numbers: {exc}", field=var.name) from exc
            if np.isinf(numbers).any():
                row = int(np.flatnonzero(np.isinf(numbers))[0]) + 1
                raise DataError(path, f"dataset {dataset.name}: infinite value", row=row, field=var.name)
            missing = np.isnan(numbers)
            whole = bool(np.all(missing | (numbers == np.round(numbers)))) and bool(np.all(missing | (np.abs(numbers) < 2**53)))
            integer = (var.datatype or "").lower() == "integer" or (
                var.datatype is None and pd.api.types.is_integer_dtype(series)
            )
            if integer and whole:
                column["dataType"] = "integer"
                vals = JsonValues("integer", np.where(missing, 0, numbers).astype(np.int64), missing)
            else:
                column["dataType"] = "double"
                vals = JsonValues("double", numbers, missing)
    if fmt_text:
        column["displayFormat"] = fmt_text
    return column, vals


def _char_values(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        fmt = _ISO["datetime"] if temporal_kind(series) == "datetime" else _ISO["date"]
        series = series.dt.strftime(fmt)
    vals = series.astype(object).to_numpy(copy=True)
    vals[pd.isna(vals)] = ""
    return vals


def _iso_values(dataset: Dataset, var: Variable, series: pd.Series, kind: str, path: Path) -> np.ndarray:
    """ISO 8601 text (``None`` where missing) of a date-like Num variable.

    Every value goes through its SAS number (days or seconds), so date-like objects and SAS
    numbers follow one path; a value without an ISO form in whole units is an error.
    """
    try:
        if temporal_kind(series) is not None:
            numbers = to_sas_number(series, kind)
        else:
            numbers = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise DataError(path, f"dataset {dataset.name}: not a {kind}: {exc}", field=var.name) from exc
    bad = iso_problems(numbers, kind)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            path,
            f"dataset {dataset.name}: {kind} value {numbers[row]!r} (SAS number) has no ISO 8601 form "
            f"in whole {'days' if kind == 'date' else 'seconds'} ({int(bad.sum())} row(s))",
            row=row + 1,
            field=var.name,
        )
    stamps = from_sas_number(numbers, kind)
    if kind == "time":
        stamps = pd.Series(np.datetime64("2000-01-01T00:00:00", "us") + stamps.to_numpy())
    text = stamps.dt.strftime({"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S", "time": "%H:%M:%S"}[kind])
    vals = text.astype(object).to_numpy(copy=True)
    vals[pd.isna(vals)] = None
    return vals


_TO_TEXT = {"text": encode_basestring, "integer": str, "double": float.__repr__}


@dataclass
class JsonValues:
    """One column's values: ``text`` (str objects), ``integer`` (int64) or ``double`` (float64),
    with the mask of missing values (written ``null``)."""

    kind: str
    data: np.ndarray
    missing: np.ndarray

    def texts(self, lo: int, hi: int) -> list[str]:
        """JSON texts of rows ``lo:hi``.

        Each distinct value is encoded once (clinical columns repeat a few values) and the texts
        are gathered with its codes; ``float.__repr__`` is the shortest text that reads back as
        the same double, which is what ``json`` writes too. No Python code runs per row.
        """
        codes, uniques = pd.factorize(self.data[lo:hi])
        codes[self.missing[lo:hi]] = -1
        encoded = list(map(_TO_TEXT[self.kind], uniques.tolist()))
        return np.array([*encoded, "null"], dtype=object)[codes].tolist()  # code -1 -> null


def _row_lines(values: list[JsonValues], lo: int, hi: int) -> Iterator[str]:
    """``[v1,v2,...]`` for rows ``lo:hi``: column texts zipped and joined in C."""
    if not values:
        return iter(["[]"] * (hi - lo))
    columns = [column.texts(lo, hi) for column in values]
    columns[0] = list(map("[".__add__, columns[0]))
    columns[-1] = list(map("{}]".format, columns[-1]))
    return map(",".join, zip(*columns, strict=True))


# --- reading ----------------------------------------------------------------------------------
_NUMERIC = {"integer", "decimal", "float", "double"}
_DEFINE_TYPE = {"string": None, "integer": "integer", "decimal": "float", "float": "float",
                "double": "float", "date": "date", "datetime": "datetime", "time": "time",
                "URI": "URI", "boolean": None}  # fmt: skip


def read_datasetjson(path: str | Path) -> Dataset:
    """Read a Dataset-JSON 1.x file (``.json`` or ``.ndjson``) into a ``Dataset`` with metadata."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            if path.suffix.lower() == ".ndjson":
                meta = json.loads(handle.readline())
                # one parse of all row lines as one array (JSON text never holds a raw newline)
                lines = filter(None, map(str.strip, handle.read().splitlines()))
                rows = json.loads("[" + ",".join(lines) + "]")
            else:
                meta = json.load(handle)
                rows = meta.pop("rows", [])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not valid JSON: {exc}") from exc
    columns = meta.get("columns")
    if not isinstance(columns, list) or "name" not in meta:
        raise DataError(path, "not a Dataset-JSON file (no name/columns)")
    names = [c["name"] for c in columns]
    frame = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame({n: [] for n in names})
    if len(frame.columns) != len(names):
        raise DataError(path, f"rows have {len(frame.columns)} values, columns list {len(names)}")
    if meta.get("records") is not None and meta["records"] != len(frame):
        raise DataError(path, f"records says {meta['records']} but the file holds {len(frame)} rows")
    variables, keys = [], []
    for col in columns:
        var, frame[col["name"]] = _read_column(col, frame[col["name"]], path)
        variables.append(var)
        if col.get("keySequence"):
            keys.append((col["keySequence"], col["name"]))
    return Dataset(
        name=meta["name"],
        data=frame,
        label=meta.get("label") or "",
        variables=variables,
        keys=[name for _, name in sorted(keys)],
    )


def _read_column(col: dict[str, Any], series: pd.Series, path: Path) -> tuple[Variable, pd.Series]:
    dtype = col.get("dataType", "string")
    target = col.get("targetDataType")
    fmt = col.get("displayFormat")
    name = col["name"]
    var = Variable(name=name, label=col.get("label") or "", format=fmt, datatype=_DEFINE_TYPE.get(dtype))
    if dtype in ("date", "datetime", "time") and target == "integer":
        var.type, var.length = "Num", 8
        text = series.astype(object).where(series.notna(), None).to_numpy()
        try:  # same units as read_xpt: dates in seconds, datetimes and times in microseconds
            if dtype == "time":
                values = pd.to_timedelta(text).to_numpy().astype("timedelta64[us]")
            else:
                values = np.array(text, dtype="datetime64[s]" if dtype == "date" else "datetime64[us]")
        except (ValueError, TypeError) as exc:
            raise DataError(path, f"bad {dtype} value: {exc}", field=name) from exc
        var.format = fmt or DEFAULT_FORMAT[dtype]
        return var, pd.Series(values, index=series.index)
    if dtype in _NUMERIC or dtype == "boolean":
        var.type, var.length = "Num", 8
        try:
            values = pd.to_numeric(series, errors="raise").astype("float64")
        except (ValueError, TypeError) as exc:
            raise DataError(path, f"non-numeric value in a {dtype} column: {exc}", field=name) from exc
        return var, values
    var.type = "Char"
    var.length = col.get("length")
    return var, series.astype(object).where(series.notna(), "")
