"""Read a dataset file for comparison: XPT, SAS7BDAT, Dataset-JSON (json/ndjson), parquet, CSV.

The project's reader (``cdisc_als.io.read_dataset``, owned by the writers) is used when it is
available; a small metadata-aware reader here is the fallback, so that ``compare`` works on any
file a QC programmer hands it (e.g. a parquet file from R with its labels in the Arrow field
metadata or a ``NAME.labels.json`` sidecar). CSV is read as text (see ``read_table``).
Every failure becomes ``DataError`` naming the file, so the CLI exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import CdiscAlsError, DataError

SUFFIXES = (".xpt", ".sas7bdat", ".json", ".ndjson", ".parquet", ".csv")


def load_dataset(path: str | Path) -> Dataset:
    """Read one dataset file with whatever metadata it carries."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(path, f"unsupported file type {suffix!r}; expected one of {SUFFIXES}")
    if suffix == ".csv":
        from cdisc_als.io.tables import read_table

        return Dataset(name=path.stem, data=read_table(path))
    published = _published_reader()
    if published is not None and suffix != ".sas7bdat":
        try:
            return published(path)
        except Exception:  # noqa: BLE001 - fall back to the local reader, which names the file
            pass
    try:
        if suffix in (".xpt", ".sas7bdat"):
            return _read_sas(path)
        if suffix == ".parquet":
            return _read_parquet(path)
        return _read_datasetjson(path)
    except CdiscAlsError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is a data problem of this file
        raise DataError(path, f"cannot read: {exc}") from exc


def _published_reader():
    try:
        from cdisc_als.io.datasets import read_dataset
    except ImportError:
        return None
    return read_dataset


def _read_sas(path: Path) -> Dataset:
    import pyreadstat

    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    try:
        frame, meta = reader(str(path))
    except UnicodeDecodeError:
        frame, meta = reader(str(path), encoding="cp1252")
    variables = []
    for col in frame.columns:
        vtype = "Char" if meta.readstat_variable_types.get(col) == "string" else "Num"
        width = (meta.variable_storage_width or {}).get(col)
        variables.append(
            Variable(
                name=col,
                label=(meta.column_names_to_labels or {}).get(col) or "",
                type=vtype,
                length=int(width) if width else None,
                format=(meta.original_variable_types or {}).get(col) or None,
            )
        )
    name = meta.table_name or path.stem
    return Dataset(name=name, data=frame, label=meta.file_label or "", variables=variables)


def _read_parquet(path: Path) -> Dataset:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    sidecar = path.with_name(f"{path.stem}.labels.json")
    side_labels = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    frame = table.to_pandas()
    variables = []
    for fld in table.schema:
        md = fld.metadata or {}
        label = md.get(b"label", b"").decode("utf-8", "replace") or side_labels.get(fld.name) or ""
        kind_num = pd.api.types.is_numeric_dtype(frame[fld.name]) or pd.api.types.is_datetime64_any_dtype(
            frame[fld.name]
        ) or str(fld.type).startswith("date")
        variables.append(Variable(name=fld.name, label=label, type="Num" if kind_num else "Char"))
    return Dataset(name=path.stem, data=frame, variables=variables)


_NUMERIC = {"integer", "float", "double", "decimal"}


def _read_datasetjson(path: Path) -> Dataset:
    """Dataset-JSON 1.1 (json or ndjson); 1.0 (clinicalData/itemGroupData) is accepted too."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".ndjson":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        doc = json.loads(lines[0])
        rows = [json.loads(ln) for ln in lines[1:]]
    else:
        doc = json.loads(text)
        rows = doc.get("rows")
    columns = doc.get("columns")
    name, label = doc.get("name") or path.stem, doc.get("label") or ""
    if columns is None:  # Dataset-JSON 1.0
        data = (doc.get("clinicalData") or doc.get("referenceData") or {}).get("itemGroupData") or {}
        if not data:
            raise DataError(path, "neither Dataset-JSON 1.1 'columns' nor 1.0 'itemGroupData'")
        group = next(iter(data.values()))
        columns, rows = group["items"], group["itemData"]
        name, label = group.get("name") or name, group.get("label") or label
    names = [c["name"] for c in columns]
    frame = pd.DataFrame(rows or [], columns=names)
    variables = []
    for col in columns:
        numeric = col.get("dataType") in _NUMERIC or col.get("targetDataType") == "integer"
        if col.get("dataType") == "decimal":
            frame[col["name"]] = pd.to_numeric(frame[col["name"]], errors="coerce")
        variables.append(
            Variable(
                name=col["name"],
                label=col.get("label") or "",
                type="Num" if numeric else "Char",
                length=col.get("length"),
                format=col.get("displayFormat"),
            )
        )
    if names and names[0] == "ITEMGROUPDATASEQ":
        frame = frame.drop(columns=names[0])
        variables = variables[1:]
    return Dataset(name=name, data=frame, label=label, variables=variables)
