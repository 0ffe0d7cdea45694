"""SAS transport (XPORT) version 5 writer and reader.

Why our own writer: pyreadstat (the reference implementation the tests compare against) writes
correct files but checks none of the FDA v5 limits, leaves an empty file when it fails and writes
about 22 MB/s. This writer checks every limit first (``xpt_checks``), then builds the file with
numpy: all IEEE -> IBM conversions of a chunk at once and each chunk of observations as one
``(rows, record length)`` byte matrix, written to a temporary file in the target folder and renamed
into place (``os.replace``), so a failure never leaves a partial file. See docs/io.md for the
layout, the measured speed and the SAS date convention.

Layout (SAS TS-140): 80-byte header records (library, member, descriptor, namestr, obs headers),
one 140-byte namestr per variable, then the observations back to back, padded with blanks to a
multiple of 80 bytes. Numerics are 8-byte IBM doubles, character values blank padded.
"""

from __future__ import annotations

import datetime as dt
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.atomic import Staged, commit, staging
from cdisc_als.io.ibm import ieee_to_ibm
from cdisc_als.io.sasformats import format_kind, from_sas_number, parse_format
from cdisc_als.io.xpt_checks import Column, check_dataset
from cdisc_als.io.xpt_read import MultipleMembers, Unsupported, XptContent, read_simple_xpt
from cdisc_als.reproducible import now_or_source_date

#: FDA Study Data Technical Conformance Guide: datasets over 5 GB are split.
FDA_SPLIT_BYTES = 5 * 10**9
#: Observations are assembled and written in chunks of about this many bytes (bounded memory).
CHUNK_BYTES = 4 * 2**20  # small enough to stay in cache while each column is filled in

SAS_VERSION = "9.4"
SAS_OS = "CDISCALS"
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_HEADER = "HEADER RECORD*******{:<8}HEADER RECORD!!!!!!!{}  "
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")


class XptSplitWarning(UserWarning):
    """A dataset was larger than the split threshold and was written as numbered parts."""


def write_xpt(
    dataset: Dataset,
    path: str | Path,
    *,
    transliterate: bool = False,
    underflow: str = "error",
    split_bytes: int = FDA_SPLIT_BYTES,
    created: dt.datetime | None = None,
) -> Path:
    """Write ``dataset`` as an FDA-conformant SAS transport v5 file and return its path.

    Raises ``DataError`` (nothing written) when a v5 limit is broken. ``transliterate`` maps
    non-ASCII text to ASCII look-alikes instead of failing. ``underflow="zero"`` writes non-zero
    numbers smaller than the IBM minimum (5.4e-79) as 0, as SAS does, instead of failing. A
    file larger than ``split_bytes`` is written as ``name1.xpt``, ``name2.xpt``, ... (see
    :func:`write_xpt_parts`); the first part is returned. ``created`` (default: the
    ``SOURCE_DATE_EPOCH`` environment variable, else now) is stamped in the headers.
    """
    return write_xpt_parts(
        dataset, path, transliterate=transliterate, underflow=underflow,
        split_bytes=split_bytes, created=created,
    )[0]  # fmt: skip


def write_xpt_parts(
    dataset: Dataset,
    path: str | Path,
    *,
    transliterate: bool = False,
    underflow: str = "error",
    split_bytes: int = FDA_SPLIT_BYTES,
    created: dt.datetime | None = None,
) -> list[Path]:
    """Like :func:`write_xpt`, returning every file written (several when the data was split).

    Splitting follows the FDA Technical Conformance Guide: when the file would exceed
    ``split_bytes``, the rows are written, in order, to numbered files (``qs.xpt`` ->
    ``qs1.xpt``, ``qs2.xpt``, ...) each below the threshold and each a complete transport file
    of the same dataset (same name, label and variable lengths); an ``XptSplitWarning`` says so.
    ``read_folder`` puts the parts back together.
    """
    path = Path(path)
    staged = stage_xpt(
        dataset, path, transliterate=transliterate, underflow=underflow,
        split_bytes=split_bytes, created=created,
    )  # fmt: skip
    written = commit(staged)
    remove_stale_parts(path, written, dataset.name)
    return written


def stage_xpt(
    dataset: Dataset,
    path: Path,
    *,
    transliterate: bool = False,
    underflow: str = "error",
    split_bytes: int = FDA_SPLIT_BYTES,
    created: dt.datetime | None = None,
) -> Staged:
    """Check ``dataset`` and write it to temporary files; returns (temporary, final) pairs.

    Nothing is renamed: the caller commits, so several datasets can be written all-or-nothing.
    """
    path = Path(path)
    label, columns = check_dataset(dataset, path, transliterate, underflow)
    for col in columns:
        if col.is_char and col.chars.codes is not None:
            _plan_gather(col)
    stamp = _timestamp(created)
    header = _header(dataset.name, label, columns, stamp)
    reclen = sum(c.length for c in columns)
    nrows = len(dataset.data)
    total = len(header) + _padded(nrows * reclen)
    if total <= split_bytes:
        parts = [(path, 0, nrows)]
    else:
        per_part = ((split_bytes - len(header)) // 80 * 80) // reclen
        if per_part < 1:
            raise DataError(path, f"split threshold {split_bytes} bytes is too small for one record")
        starts = range(0, nrows, per_part)
        parts = [
            (path.with_name(f"{path.stem}{i}{path.suffix}"), s, min(s + per_part, nrows))
            for i, s in enumerate(starts, start=1)
        ]
        warnings.warn(
            XptSplitWarning(
                f"{dataset.name}: {total / 1e9:.2f} GB exceeds {split_bytes / 1e9:.2f} GB; "
                f"written as {len(parts)} files {parts[0][0].name} .. {parts[-1][0].name} "
                "(FDA Technical Conformance Guide: datasets over 5 GB are split)"
            ),
            stacklevel=3,
        )
    with staging([p for p, _, _ in parts]) as staged:
        for (_, start, stop), (tmp, _) in zip(parts, staged, strict=True):
            with open(tmp, "wb") as handle:
                handle.write(header)
                _write_rows(handle, columns, reclen, start, stop)
    return staged


# --- headers ----------------------------------------------------------------------------------
def _timestamp(created: dt.datetime | None) -> bytes:
    """``ddMMMyy:hh:mm:ss`` as SAS writes it (English month, independent of the locale)."""
    if created is None:
        created = now_or_source_date()
    text = f"{created.day:02d}{_MONTHS[created.month - 1]}{created.year % 100:02d}:{created:%H:%M:%S}"
    return text.encode("ascii")


def _rec(text: str | bytes) -> bytes:
    raw = text.encode("ascii") if isinstance(text, str) else text
    assert len(raw) == 80, len(raw)
    return raw


def _header(name: str, label: str, columns: list[Column], stamp: bytes) -> bytes:
    """Every header record up to and including the OBS header."""
    zeros = "0" * 30
    ident = f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{SAS_VERSION:<8}{SAS_OS:<8}{'':<24}".encode()
    member = f"{'SAS':<8}{name:<8}{'SASDATA':<8}{SAS_VERSION:<8}{SAS_OS:<8}{'':<24}".encode()
    parts = [
        _rec(_HEADER.format("LIBRARY", zeros)),
        _rec(ident + stamp),
        _rec(stamp + b" " * 64),
        _rec(_HEADER.format("MEMBER", "000000000000000001600000000140")),
        _rec(_HEADER.format("DSCRPTR", zeros)),
        _rec(member + stamp),
        _rec(stamp + b" " * 16 + f"{label:<40}{'':<8}".encode("ascii")),
        _rec(_HEADER.format("NAMESTR", f"000000{len(columns):04d}{'0' * 20}")),
    ]
    namestrs = b"".join(_namestr(c, i, pos) for i, (c, pos) in enumerate(_positions(columns), 1))
    parts.append(namestrs + b" " * ((-len(namestrs)) % 80))
    parts.append(_rec(_HEADER.format("OBS", zeros)))
    return b"".join(parts)


def _positions(columns: list[Column]) -> Iterator[tuple[Column, int]]:
    pos = 0
    for col in columns:
        yield col, pos
        pos += col.length


def _namestr(col: Column, number: int, position: int) -> bytes:
    fmt = col.fmt
    return _NAMESTR.pack(
        2 if col.is_char else 1,  # ntype
        0,  # nhfun
        col.length,
        number,
        f"{col.name:<8}".encode("ascii"),
        f"{col.label:<40}".encode("ascii"),
        f"{fmt.name if fmt else '':<8}".encode("ascii"),
        fmt.width if fmt else 0,
        fmt.decimals if fmt else 0,
        0,  # nfj justification: SAS writes 0
        b"\0\0",
        b" " * 8,  # informat
        0,
        0,
        position,
        b"\0" * 52,
    )


def _padded(nbytes: int) -> int:
    return nbytes + (-nbytes) % 80


# --- observations -----------------------------------------------------------------------------
def _write_rows(handle, columns: list[Column], reclen: int, start: int, stop: int) -> None:
    """Rows ``start:stop`` as fixed-width records, a chunk at a time, then blank padding."""
    step = max(1, min(CHUNK_BYTES // reclen, stop - start))
    buffer = np.empty((step, reclen), dtype=np.uint8)  # reused: no page faults per chunk
    for lo in range(start, stop, step):
        hi = min(lo + step, stop)
        handle.write(_chunk(buffer[: hi - lo], columns, lo, hi))
    handle.write(b" " * ((-(stop - start) * reclen) % 80))


def _chunk(out: np.ndarray, columns: list[Column], lo: int, hi: int) -> np.ndarray:
    """Fill ``out`` (``(hi - lo, reclen)`` uint8) with rows ``lo:hi`` as transport records."""
    rows = hi - lo
    for col, pos in _positions(columns):
        if col.is_char and col.constant is not None:
            out[:, pos : pos + col.length] = col.constant  # broadcast: no per-row index
        elif col.is_char and col.chars.codes is not None:
            out[:, pos : pos + col.length] = col.matrix[col.codes[lo:hi]]
        elif col.is_char:
            out[:, pos : pos + col.length] = _fixed_width(col.chars.values.slice(lo, rows), col.length)
        else:
            ibm = ieee_to_ibm(col.nums[lo:hi])
            out[:, pos : pos + 8] = ibm.view(np.uint8).reshape(rows, 8)
    return out


def _plan_gather(col: Column) -> None:
    """Padded byte rows of a factorized column: gathered per chunk, or broadcast if constant.

    Row ``k`` (after the ``k`` distinct values) is blank: code -1 (missing) selects it. Codes
    are kept as int32 (half the memory traffic of the gather) when they fit.
    """
    blank = np.full((1, col.length), ord(" "), dtype=np.uint8)
    col.matrix = np.vstack([_fixed_width(col.chars.values, col.length), blank])
    codes = col.chars.codes
    if codes.size and (codes == codes[0]).all():
        col.constant = col.matrix[codes[0]]
    else:
        col.codes = codes.astype(np.int32) if len(col.matrix) < 2**31 else codes


def _fixed_width(values: pa.Array, width: int) -> np.ndarray:
    """``(len(values), width)`` uint8 matrix of blank-padded ASCII values (no Python loop)."""
    padded = pc.utf8_rpad(values, width=width, padding=" ")
    offsets = np.frombuffer(padded.buffers()[1], dtype=np.int64)[padded.offset :]
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)
    return data[offsets[0] : offsets[len(values)]].reshape(len(values), width)


# --- stale files ------------------------------------------------------------------------------
def remove_stale_parts(path: Path, written: list[Path], name: str) -> None:
    """Delete the unsplit file or old parts of the same dataset left by an earlier run."""
    candidates = [path, *path.parent.glob(f"{path.stem}[0-9]*{path.suffix}")]
    for old in candidates:
        if old in written or not old.is_file():
            continue
        if old != path and not old.stem[len(path.stem) :].isdigit():
            continue
        if xpt_member_name(old) == name:
            old.unlink()


def xpt_member_name(path: str | Path) -> str | None:
    """The dataset name stored in a transport file's first member header (``None`` if not XPT)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(480)
    except OSError:
        return None
    if not head.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD") or len(head) < 480:
        return None
    return head[408:416].decode("ascii", "replace").strip() or None


# --- reading ----------------------------------------------------------------------------------
def read_xpt(
    path: str | Path,
    *,
    convert_dates: bool = True,
    encoding: str | None = None,
    engine: str = "auto",
) -> Dataset:
    """Read a transport file (v5) into a ``Dataset`` with its metadata.

    Name, label, variable labels, types, lengths and formats come from the file. Numeric
    variables with a date, datetime or time format become ``datetime64`` / ``timedelta64``
    (``convert_dates=False`` keeps the SAS numbers). Text is decoded as UTF-8 (ASCII), falling
    back to cp1252 for SAS files written on Windows, unless ``encoding`` is given.
    ``engine="auto"`` reads the common single-member layout with the fast numpy reader
    (``xpt_read``) and anything else with pyreadstat; ``"pyreadstat"`` forces the latter.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        content = _read_fast(path, encoding) if engine == "auto" else None
    except MultipleMembers as exc:
        raise DataError(path, f"cannot read: {exc}; write one dataset per file") from exc
    if content is None:
        content = _read_pyreadstat(path, encoding)
    frame = content.frame
    variables = []
    for col in content.columns:
        fmt = col["format"]
        variables.append(
            Variable(
                name=col["name"],
                label=col["label"] or "",
                type="Char" if col["is_char"] else "Num",
                length=col["length"],
                format=fmt.text if fmt else None,
            )
        )
        if col["is_char"]:
            frame[col["name"]] = frame[col["name"]].fillna("").astype(object)
        elif convert_dates and (kind := format_kind(fmt)) is not None:
            frame[col["name"]] = from_sas_number(frame[col["name"]].to_numpy(dtype=np.float64), kind).to_numpy()
    return Dataset(
        name=content.name or path.stem.upper(), data=frame, label=content.label, variables=variables
    )


def _read_fast(path: Path, encoding: str | None) -> XptContent | None:
    """The numpy reader's result, or ``None`` when the layout is left to pyreadstat."""
    try:
        try:
            return read_simple_xpt(path, encoding)
        except UnicodeDecodeError:
            if encoding is not None:
                raise
            return read_simple_xpt(path, "cp1252")
    except (Unsupported, UnicodeDecodeError, ValueError):
        return None


def _read_pyreadstat(path: Path, encoding: str | None) -> XptContent:
    import pyreadstat

    try:
        try:
            frame, meta = pyreadstat.read_xport(str(path), encoding=encoding, disable_datetime_conversion=True)
        except UnicodeDecodeError:
            if encoding is not None:
                raise
            frame, meta = pyreadstat.read_xport(str(path), encoding="cp1252", disable_datetime_conversion=True)
    except (pyreadstat.ReadstatError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataError(path, f"cannot read as SAS transport: {exc}") from exc
    columns = []
    for name, label in zip(meta.column_names, meta.column_labels, strict=True):
        try:
            fmt = parse_format(meta.original_variable_types.get(name))
        except ValueError:
            fmt = None
        columns.append({
            "name": name, "label": label or "", "format": fmt,
            "is_char": meta.readstat_variable_types[name] == "string",
            "length": int(meta.variable_storage_width[name]),
        })  # fmt: skip
    return XptContent(meta.table_name or "", meta.file_label or "", columns, frame)
