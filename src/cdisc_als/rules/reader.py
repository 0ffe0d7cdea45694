"""Read a folder of datasets for validation.

Uses the writers' reader ``cdisc_als.io.read_folder`` when it exists. Until then a small local
reader handles .xpt (pyreadstat, cp1252 fallback), .parquet (with an optional ``NAME.labels.json``
sidecar) and Dataset-JSON .json, keeping labels, types and lengths as ``Variable`` metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError

SUFFIXES = (".xpt", ".parquet", ".json", ".ndjson")


def read_folder(folder: Path) -> dict[str, Dataset]:
    """All datasets of ``folder`` keyed by upper-case name; DataError when none or unreadable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "not a folder of datasets")
    try:
        from cdisc_als.io import read_folder as io_read_folder  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        io_read_folder = None
    if io_read_folder is not None:
        out = io_read_folder(folder)
        if out:
            return out
    out: dict[str, Dataset] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in SUFFIXES or p.name.endswith(".labels.json") or p.name.startswith("define"):
            continue
        ds = read_dataset(p)
        if ds is not None and ds.name not in out:
            out[ds.name] = ds
    if not out:
        raise DataError(folder, f"no datasets found (looked for {', '.join(SUFFIXES)})")
    return out


def read_dataset(path: Path) -> Dataset | None:
    suffix = path.suffix.lower()
    try:
        ds = None
        if suffix == ".xpt":
            ds = _read_xpt(path)
        elif suffix == ".parquet":
            ds = _read_parquet(path)
        elif suffix in (".json", ".ndjson"):
            ds = _read_json(path)
        if ds is not None:
            ds.file_bytes = path.stat().st_size  # the submitted file's size (FDA 5 GB rule)
        return ds
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is "could not run"
        raise DataError(path, f"cannot read dataset: {exc}") from exc
    return None


def _read_xpt(path: Path) -> Dataset:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_xport(str(path))
    except UnicodeDecodeError:
        frame, meta = pyreadstat.read_xport(str(path), encoding="cp1252")
    labels = meta.column_names_to_labels or {}
    widths = getattr(meta, "variable_storage_width", {}) or {}
    types = getattr(meta, "readstat_variable_types", {}) or {}
    variables = [
        Variable(
            name=c,
            label=labels.get(c) or "",
            type="Char" if types.get(c) == "string" else "Num",
            length=widths.get(c),
        )
        for c in frame.columns
    ]
    return Dataset(
        name=(meta.table_name or path.stem).upper(),
        data=frame,
        label=meta.file_label or "",
        variables=variables,
    )


def _read_parquet(path: Path) -> Dataset:
    frame = pd.read_parquet(path)
    side = path.with_name(path.stem + ".labels.json")
    labels = json.loads(side.read_text()) if side.is_file() else {}
    variables = [
        Variable(
            name=c,
            label=labels.get(c) or "",
            type="Num" if pd.api.types.is_numeric_dtype(frame[c]) else "Char",
        )
        for c in frame.columns
    ]
    return Dataset(name=path.stem.upper(), data=frame, variables=variables)


def _read_json(path: Path) -> Dataset | None:
    """Dataset-JSON 1.1 (``columns`` + ``rows``; NDJSON: metadata line then one row a line)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".ndjson":
        lines = [json.loads(x) for x in text.splitlines() if x.strip()]
        head, rows = lines[0], lines[1:]
    else:
        head = json.loads(text)
        rows = head.get("rows", [])
    cols = head.get("columns")
    if not cols:
        return None
    names = [c["name"] for c in cols]
    frame = pd.DataFrame(rows, columns=names)
    variables = []
    for c in cols:
        num = c.get("dataType") in ("integer", "float", "double", "decimal")
        if num:
            frame[c["name"]] = pd.to_numeric(frame[c["name"]], errors="coerce")
        variables.append(Variable(name=c["name"], label=c.get("label", ""), type="Num" if num else "Char", length=c.get("length")))
    return Dataset(name=(head.get("name") or path.stem).upper(), data=frame, label=head.get("label", ""), variables=variables)
