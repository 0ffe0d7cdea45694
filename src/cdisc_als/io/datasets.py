"""Datasets with metadata in and out of folders: the one entry point the pipeline uses.

- ``read_dataset(path)``: xpt, json / ndjson (Dataset-JSON), parquet (labels from a sidecar
  ``NAME.labels.json`` or the Arrow field metadata), csv (all text).
- ``read_folder(dir)``: every dataset of a folder keyed by upper-case name. When a dataset
  exists in several formats the first of ``FORMAT_PREFERENCE`` wins (xpt first: it is what gets
  submitted). Split transport files (``qs1.xpt``, ``qs2.xpt``, ... holding dataset ``QS``) are
  put back together in number order.
- ``write_datasets(datasets, out, formats)``: every dataset in every format, lower-case file
  names, all-or-nothing (everything is staged to temporary files; one bad dataset means no file
  of the set is written, and the error lists the problems of every dataset).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.atomic import Staged, commit, discard
from cdisc_als.io.sasformats import DEFAULT_FORMAT, temporal_kind

FORMATS = ("xpt", "json", "ndjson")
FORMAT_PREFERENCE = (".xpt", ".json", ".ndjson", ".parquet", ".csv")
_PART_RE = re.compile(r"^(?P<stem>.*?[A-Za-z_])(?P<number>\d+)$")


def read_dataset(path: str | Path) -> Dataset:
    """Read one dataset file (format from the suffix) with whatever metadata it carries."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix == ".xpt":
        from cdisc_als.io.xpt import read_xpt

        return read_xpt(path)
    if suffix in (".json", ".ndjson"):
        from cdisc_als.io.datasetjson import read_datasetjson

        return read_datasetjson(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        from cdisc_als.io.tables import read_table

        return Dataset(path.stem.upper(), read_table(path))
    raise DataError(path, f"unsupported dataset file type {suffix!r}; expected one of {FORMAT_PREFERENCE}")


def _read_parquet(path: Path) -> Dataset:
    """A parquet dataset; labels from ``NAME.labels.json`` (else Arrow field metadata)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise DataError(path, f"cannot read parquet: {exc}") from exc
    labels: dict[str, str | None] = {}
    for field in table.schema:
        meta = field.metadata or {}
        if b"label" in meta:
            labels[field.name] = meta[b"label"].decode("utf-8", "replace")
    sidecar = path.with_name(f"{path.stem}.labels.json")
    if sidecar.is_file():
        try:
            labels.update(json.loads(sidecar.read_text("utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(sidecar, f"not a JSON object of labels: {exc}") from exc
    frame = table.to_pandas()
    variables = []
    for name in frame.columns:
        series = frame[name]
        kind = temporal_kind(series)
        if kind is not None:
            var = Variable(name, type="Num", length=8, format=DEFAULT_FORMAT[kind])
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            var = Variable(name, type="Num", length=8)
        else:
            var = Variable(name, type="Char")
        var.label = labels.get(name) or ""
        variables.append(var)
    return Dataset(path.stem.upper(), frame, variables=variables)


def _dataset_files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.iterdir()):
        name = path.name
        if not path.is_file() or name.startswith((".", "_")) or name.endswith(".labels.json"):
            continue
        if path.suffix.lower() in FORMAT_PREFERENCE:
            if path.suffix.lower() == ".json" and not _looks_like_dataset_json(path):
                continue
            yield path


def _looks_like_dataset_json(path: Path) -> bool:
    """Other JSON files (reports, specs) may share a folder with datasets: skip them."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    return b'"datasetJSONVersion"' in head or b'"itemGroupOID"' in head


def read_folder(folder: str | Path) -> dict[str, Dataset]:
    """Every dataset of ``folder`` keyed by upper-case name (xpt preferred; split parts joined)."""
    from cdisc_als.io.xpt import xpt_member_name

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "not a folder")
    candidates: dict[str, list[Path]] = {}
    parts: dict[str, list[tuple[int, Path]]] = {}
    for path in _dataset_files(folder):
        stem = path.stem.upper()
        match = _PART_RE.match(stem)
        if path.suffix.lower() == ".xpt" and match and xpt_member_name(path) == match["stem"]:
            parts.setdefault(match["stem"], []).append((int(match["number"]), path))
            continue
        candidates.setdefault(stem, []).append(path)
    for name, numbered in parts.items():
        numbers = sorted(n for n, _ in numbered)
        if numbers != list(range(1, len(numbers) + 1)):
            raise DataError(folder, f"split dataset {name}: parts {numbers} are not numbered 1..{len(numbers)}")
        if any(p.suffix.lower() == ".xpt" for p in candidates.get(name, [])):
            raise DataError(folder, f"dataset {name} exists both whole ({name.lower()}.xpt) and split")
    result: dict[str, Dataset] = {}
    for name in sorted(set(candidates) | set(parts)):
        if name in parts:
            result[name] = _join_parts([p for _, p in sorted(parts[name])])
            continue
        paths = sorted(candidates[name], key=lambda p: FORMAT_PREFERENCE.index(p.suffix.lower()))
        dataset = read_dataset(paths[0])
        dataset.name = name
        result[name] = dataset
    return result


def _join_parts(paths: list[Path]) -> Dataset:
    """One dataset from its split transport files (metadata of the first part)."""
    from cdisc_als.io.xpt import read_xpt

    pieces = [read_xpt(p) for p in paths]
    first = pieces[0]
    for piece, path in zip(pieces[1:], paths[1:], strict=True):
        if piece.var_names != first.var_names:
            raise DataError(path, f"split part has variables {piece.var_names}, part 1 has {first.var_names}")
    first.data = pd.concat([p.data for p in pieces], ignore_index=True)
    return first


def write_datasets(
    datasets: dict[str, Dataset],
    out: str | Path,
    formats: Iterable[str] = ("xpt",),
    *,
    transliterate: bool = False,
) -> list[Path]:
    """Write every dataset in every format to ``out`` (``dm.xpt``, ``dm.json``, ``dm.ndjson``).

    All-or-nothing: each file is written to a temporary file first; when any dataset breaks a
    limit, a ``DataError`` lists the problems of every dataset and no file is written. Returns
    the paths written (split transport files give several paths for one dataset).
    """
    from cdisc_als.io.datasetjson import stage_datasetjson
    from cdisc_als.io.xpt import remove_stale_parts, stage_xpt

    out = Path(out)
    formats = [f.strip().lower().lstrip(".") for f in formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise DataError(out, f"unknown output format(s) {unknown}; use {', '.join(FORMATS)}")
    staged: Staged = []
    problems: list[DataError] = []
    xpt_targets: list[tuple[Path, str]] = []
    try:
        for ds in datasets.values():
            base = out / ds.name.lower()
            for fmt in dict.fromkeys(formats):
                target = base.with_suffix(f".{fmt}")
                try:
                    if fmt == "xpt":
                        pairs = stage_xpt(ds, target, transliterate=transliterate)
                        xpt_targets.append((target, ds.name))
                    else:
                        pairs = stage_datasetjson(ds, target, ndjson=fmt == "ndjson")
                except DataError as exc:
                    problems.append(exc)
                    continue
                staged.extend(pairs)
        if problems:
            raise DataError(out, "nothing written:\n" + "\n".join(str(p) for p in problems),
                            row=problems[0].row, field=problems[0].field)  # fmt: skip
        written = commit(staged)
    except BaseException:
        discard(staged)
        raise
    for target, name in xpt_targets:
        remove_stale_parts(target, written, name)
    return written
