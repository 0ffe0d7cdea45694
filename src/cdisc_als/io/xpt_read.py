"""Fast reader of SAS transport v5 files (numpy + pyarrow), for the common layout.

``read_xpt`` uses it for single-member files with 140-byte namestr records and 8-byte numerics
(what SAS, xportr, pyreadstat and this project write for submissions) and falls back to
pyreadstat for anything else. It returns exactly what the pyreadstat path returns (tests compare
the two on every reference file and on generated files): character values without trailing
blanks, IBM doubles converted exactly, trailing all-blank records dropped (they cannot be told
from the block padding; ReadStat drops them too).

Why: pyreadstat converts a 4-million-row file value by value; here the observations are one
``(rows, record length)`` byte matrix, numerics are converted in bulk and character columns are
dictionary-encoded by pyarrow, so each distinct value is decoded once.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc_als.io.ibm import ibm_to_ieee
from cdisc_als.io.sasformats import SasFormat

_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_MEMBER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_NAMESTR = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
_NAMESTR_DTYPE = np.dtype(
    [("ntype", ">i2"), ("nhfun", ">i2"), ("nlng", ">i2"), ("nvar0", ">i2"), ("nname", "S8"),
     ("nlabel", "S40"), ("nform", "S8"), ("nfl", ">i2"), ("nfd", ">i2"), ("nfj", ">i2"),
     ("nfill", "S2"), ("niform", "S8"), ("nifl", ">i2"), ("nifd", ">i2"), ("npos", ">i4"),
     ("rest", "S52")]
)  # fmt: skip


@dataclass
class XptContent:
    name: str
    label: str
    columns: list[dict]  # name, label, is_char, length, format (SasFormat | None)
    frame: pd.DataFrame


class Unsupported(Exception):
    """The file uses a layout this reader leaves to pyreadstat."""


class MultipleMembers(Exception):
    """The file holds several datasets (FDA submissions hold one per file; ReadStat misreads them)."""


def read_simple_xpt(path: Path, encoding: str | None = None) -> XptContent:
    """Read a single-member v5 file; ``Unsupported`` for other layouts, ``UnicodeDecodeError``
    when the text is not in ``encoding`` (default UTF-8)."""
    raw = np.fromfile(path, dtype=np.uint8)
    head = raw[:720].tobytes()
    if not head.startswith(_LIBRARY) or head[240:288] != _MEMBER or head[560:608] != _NAMESTR:
        raise Unsupported("not a v5 header")
    if head[314:318] != b"0140":
        raise Unsupported("namestr records are not 140 bytes")
    count = int(head[614:618])
    ds_name = _text(head[408:416], encoding)
    ds_label = _text(head[512:552], encoding)
    names_end = 640 + count * 140
    obs_at = names_end + (-names_end) % 80
    if raw[obs_at : obs_at + 48].tobytes() != _OBS:
        raise Unsupported("no OBS header where expected")
    namestrs = np.frombuffer(raw[640:names_end].tobytes(), dtype=_NAMESTR_DTYPE, count=count)
    if (namestrs["ntype"] == 1).any() and (namestrs["nlng"][namestrs["ntype"] == 1] != 8).any():
        raise Unsupported("numerics shorter than 8 bytes")
    body = raw[obs_at + 80 :]
    if _find(path, _MEMBER, obs_at + 80) >= 0:
        raise MultipleMembers("the file holds more than one dataset (member)")
    columns = []
    for ns in namestrs:
        fmt_name = _text(ns["nform"], encoding)
        fmt = SasFormat(fmt_name, int(ns["nfl"]), int(ns["nfd"])) if fmt_name or ns["nfl"] else None
        columns.append({
            "name": _text(ns["nname"], encoding), "label": _text(ns["nlabel"], encoding),
            "is_char": int(ns["ntype"]) == 2, "length": int(ns["nlng"]), "pos": int(ns["npos"]),
            "format": fmt,
        })  # fmt: skip
    reclen = int(sum(c["length"] for c in columns))
    rows = _records(body, reclen)
    frame = pd.DataFrame(
        {c["name"]: _column(rows, c, encoding) for c in columns}, index=pd.RangeIndex(len(rows))
    )
    return XptContent(ds_name, ds_label, columns, frame)


def _find(path: Path, pattern: bytes, start: int) -> int:
    """Offset of ``pattern`` in the file from ``start`` (-1 if absent), searched without a copy."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return mm.find(pattern, start)


def _text(raw: bytes, encoding: str | None) -> str:
    return bytes(raw).decode(encoding or "utf-8").rstrip(" \x00")


def _records(body: np.ndarray, reclen: int) -> np.ndarray:
    """``(rows, reclen)`` view of the observations without the trailing blank records."""
    if reclen == 0:
        return np.empty((0, 0), dtype=np.uint8)
    nrows = body.size // reclen
    rows = body[: nrows * reclen].reshape(nrows, reclen)
    end = nrows
    block = 256
    while end > 0:  # walks back over trailing blank records a block at a time (usually one step)
        start = max(0, end - block)
        blank = (rows[start:end] == 0x20).all(axis=1)
        if not blank.all():
            end = start + int(np.flatnonzero(~blank)[-1]) + 1
            break
        end = start
    return rows[:end]


def _column(rows: np.ndarray, col: dict, encoding: str | None) -> np.ndarray:
    pos, length = col["pos"], col["length"]
    cells = np.ascontiguousarray(rows[:, pos : pos + length])
    if not col["is_char"]:
        return ibm_to_ieee(cells.view(">u8").reshape(-1))
    n = len(cells)
    if n == 0:
        return np.empty(0, dtype=object)
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(length), n, [None, pa.py_buffer(cells)])
    encoded = pc.dictionary_encode(fixed)
    uniques = [v.rstrip(b" \x00").decode(encoding or "utf-8") for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return np.array(uniques, dtype=object)[indices]
