"""Pre-write checks of the XPT v5 writer: turn a ``Dataset`` into validated, typed columns.

Every FDA / SAS transport v5 limit is checked *before* a file is opened, and every problem is
reported in one ``DataError`` naming the dataset, the variable, the first offending row (1-based
data row) and the value, so that a failed write never leaves a file and a user fixes all problems
in one go. The checks are column operations (pyarrow compute / numpy), never a loop over rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError
from cdisc_als.io.ibm import IBM_MAX, IBM_MIN, out_of_range
from cdisc_als.io.sasformats import (
    DEFAULT_FORMAT,
    SasFormat,
    format_kind,
    parse_format,
    temporal_kind,
    to_sas_number,
)
from cdisc_als.io.text import transliterate, transliterate_text

NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
MAX_LABEL = 40
MAX_CHAR = 200
MAX_FORMAT_NAME = 8


@dataclass
class Text:
    """A character column as distinct values plus codes, or as plain values (``codes=None``).

    Clinical character columns repeat a few values millions of times (STUDYID, QSTESTCD,
    VISIT, ...). Factorizing first means the checks look at each distinct value once and the
    writer gathers pre-padded byte rows with one numpy take; a column of mostly distinct values
    is kept as one pyarrow array instead (factorizing it would only cost time).
    ``values`` is a pyarrow large_string array without nulls and without trailing blanks;
    code -1 (missing) is written as blanks.
    """

    values: pa.Array
    codes: np.ndarray | None = None

    @classmethod
    def blank(cls, nrows: int) -> Text:
        return cls(pa.array([""], type=pa.large_string()), np.zeros(nrows, dtype=np.int64))

    @classmethod
    def encode(cls, series: pd.Series) -> Text:
        """Raises ``ArrowInvalid``/``ArrowTypeError`` when a value is not text."""
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy().astype(np.int64)
            uniques = pd.Series(series.cat.categories, dtype=object)
        elif series.dtype == object and _repetitive(series):
            codes, uniques = pd.factorize(series)
        else:
            arr = pa.array(series, type=pa.large_string(), from_pandas=True)
            return cls(pc.utf8_rtrim(pc.fill_null(arr, ""), characters=" "))
        arr = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string(), from_pandas=True)
        return cls(pc.utf8_rtrim(pc.fill_null(arr, ""), characters=" "), np.asarray(codes, np.int64))

    def rows(self, bad_values: np.ndarray) -> np.ndarray:
        """0-based data rows holding one of the values flagged by ``bad_values``."""
        if self.codes is None:
            return np.flatnonzero(bad_values)
        return np.flatnonzero(np.isin(self.codes, np.flatnonzero(bad_values)))


def _repetitive(series: pd.Series, sample: int = 20000) -> bool:
    """Whether a column is worth factorizing (few distinct values in a leading sample)."""
    head = series.iloc[:sample]
    return len(head) > 0 and head.nunique(dropna=False) <= len(head) // 4


@dataclass
class Column:
    """One checked variable, ready to be written."""

    name: str
    label: str
    is_char: bool
    length: int  # bytes in the record (8 for numerics)
    fmt: SasFormat | None
    chars: Text | None = None
    nums: np.ndarray | None = None  # float64, NaN = missing, all in IBM range
    matrix: np.ndarray | None = None  # padded distinct values (filled by the writer)
    codes: np.ndarray | None = None  # row of ``matrix`` for each data row (writer)
    constant: np.ndarray | None = None  # the one padded value of a constant column (writer)


@dataclass
class Problem:
    variable: str | None
    message: str
    row: int | None = None


class Checker:
    """Collects the problems of one dataset and raises them together."""

    def __init__(self, dataset: Dataset, path: str | Path, transliterate: bool, underflow: str):
        self.dataset = dataset
        self.path = path
        self.transliterate = transliterate
        self.underflow = underflow
        self.problems: list[Problem] = []

    def add(self, variable: str | None, message: str, row: int | None = None) -> None:
        self.problems.append(Problem(variable, message, row))

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        name = self.dataset.name
        lines = [
            f"dataset {name}" + (f", variable {p.variable}" if p.variable else "")
            + (f", row {p.row}" if p.row is not None else "") + f": {p.message}"
            for p in self.problems
        ]
        first = self.problems[0]
        head = f"cannot write {name} as SAS transport v5 ({len(lines)} problem(s)):\n  "
        raise DataError(self.path, head + "\n  ".join(lines), row=first.row, field=first.variable)

    # --- metadata -----------------------------------------------------------------------------
    def text(self, variable: str | None, what: str, value: str) -> str:
        """A label checked for ASCII (optionally transliterated) and the 40-character limit."""
        value = value or ""
        if self.transliterate and not value.isascii():
            value = transliterate_text(value)
        if not value.isascii():
            self.add(variable, f"{what} {value!r} is not ASCII")
        if len(value) > MAX_LABEL:
            self.add(variable, f"{what} is {len(value)} characters (limit {MAX_LABEL}): {value!r}")
        return value

    def name(self, variable: str | None, what: str, value: str) -> None:
        if not NAME_RE.match(value or ""):
            self.add(variable, f"{what} {value!r} is not a SAS v5 name (^[A-Z][A-Z0-9_]{{0,7}}$)")

    def format(self, var: Variable) -> SasFormat | None:
        try:
            fmt = parse_format(var.format)
        except ValueError as exc:
            self.add(var.name, str(exc))
            return None
        if fmt is not None and len(fmt.name) > MAX_FORMAT_NAME:
            self.add(var.name, f"format name {fmt.name!r} is longer than {MAX_FORMAT_NAME}")
        return fmt

    # --- data ---------------------------------------------------------------------------------
    def char_values(self, var: Variable, series: pd.Series) -> Text:
        """The column as ASCII text without trailing blanks (missing values become blank)."""
        if pd.api.types.is_datetime64_any_dtype(series):
            # A Char variable holding datetimes: SDTM wants ISO 8601 text.
            kind = temporal_kind(series)
            fmt = "%Y-%m-%dT%H:%M:%S" if kind == "datetime" else "%Y-%m-%d"
            series = series.dt.strftime(fmt).astype(object).where(series.notna(), "")
        elif pd.api.types.is_numeric_dtype(series) and not series.isna().all():
            row = int(np.flatnonzero(series.notna().to_numpy())[0]) + 1
            self.add(var.name, f"Char variable holds numbers ({series.dtype}), e.g. {series.iloc[row - 1]!r}", row)
            return Text.blank(len(series))
        try:
            text = Text.encode(series)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            bad = ~series.map(type).isin([str, type(None)]) & series.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            self.add(var.name, f"Char variable holds a non-text value {series.iloc[row - 1]!r}", row)
            return Text.blank(len(series))
        ascii_ok = pc.string_is_ascii(text.values).to_numpy(zero_copy_only=False)
        if not ascii_ok.all() and self.transliterate:
            idx = np.flatnonzero(~ascii_ok)
            fixed = transliterate(pd.Series(text.values.take(pa.array(idx)).to_pylist(), dtype=object))
            values = text.values.to_numpy(zero_copy_only=False).astype(object)
            values[idx] = fixed.to_numpy()
            text.values = pc.utf8_rtrim(pa.array(values, type=pa.large_string()), characters=" ")
            ascii_ok = pc.string_is_ascii(text.values).to_numpy(zero_copy_only=False)
        if not ascii_ok.all():
            rows = text.rows(~ascii_ok)
            self.add(
                var.name,
                f"non-ASCII value {series.iloc[rows[0]]!r} in {rows.size} row(s) "
                "(write with transliterate=True to map it to ASCII)",
                int(rows[0]) + 1,
            )
        return text

    def char_length(self, var: Variable, text: Text) -> int:
        """Record length: metadata length if given (never narrower than the data), else longest."""
        lengths = pc.binary_length(text.values).to_numpy(zero_copy_only=False)
        longest = int(lengths.max()) if lengths.size else 0
        if longest > MAX_CHAR:
            rows = text.rows(lengths > MAX_CHAR)
            self.add(
                var.name,
                f"value of {longest} bytes exceeds the v5 limit of {MAX_CHAR} bytes "
                f"({rows.size} row(s) over the limit)",
                int(rows[0]) + 1,
            )
        if var.length is None:
            return max(1, min(longest, MAX_CHAR))
        if not 1 <= var.length <= MAX_CHAR:
            self.add(var.name, f"metadata length {var.length} is outside 1..{MAX_CHAR}")
        elif var.length < longest:
            rows = text.rows(lengths > var.length)
            self.add(
                var.name,
                f"metadata length {var.length} is narrower than the longest value ({longest} bytes)",
                int(rows[0]) + 1,
            )
        return var.length

    def num_values(self, var: Variable, series: pd.Series, fmt: SasFormat | None) -> tuple[np.ndarray, SasFormat | None]:
        """float64 values (NaN = missing) in IBM range; date-like columns become SAS numbers."""
        kind = temporal_kind(series)
        if kind is not None:
            target = format_kind(fmt)
            if fmt is None:
                fmt = parse_format(DEFAULT_FORMAT[kind])
                target = kind
            elif target is None or (kind == "time") != (target == "time"):
                self.add(var.name, f"holds {kind} values but its format {fmt.text} is not a {kind} format")
                return np.full(len(series), np.nan), fmt
            try:
                values = to_sas_number(series, target)
            except (ValueError, TypeError) as exc:
                self.add(var.name, f"cannot convert to a SAS {target}: {exc}")
                return np.full(len(series), np.nan), fmt
        elif pd.api.types.is_bool_dtype(series):
            values = series.astype("float64").to_numpy()
        elif pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            coerced = pd.to_numeric(series, errors="coerce")
            bad = (coerced.isna() & series.notna()).to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0]) + 1
                self.add(var.name, f"Num variable holds a non-numeric value {series.iloc[row - 1]!r}", row)
            values = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.ascontiguousarray(values, dtype=np.float64)
        bad = out_of_range(values)
        if bad.any() and self.underflow == "zero":
            tiny = bad & (np.abs(values) < IBM_MIN)
            values = np.where(tiny, 0.0, values)
            bad &= ~tiny
        if bad.any():
            idx = np.flatnonzero(bad)
            self.add(
                var.name,
                f"value {values[idx[0]]!r} is outside the IBM double range "
                f"({IBM_MIN:.4g} <= |x| < {IBM_MAX:.4g}) in {idx.size} row(s)",
                int(idx[0]) + 1,
            )
        return values, fmt


def check_dataset(
    dataset: Dataset, path: str | Path, transliterate: bool = False, underflow: str = "error"
) -> tuple[str, list[Column]]:
    """The dataset label and the checked columns, or ``DataError`` listing every problem."""
    if underflow not in ("error", "zero"):
        raise ValueError("underflow must be 'error' or 'zero'")
    chk = Checker(dataset, path, transliterate, underflow)
    chk.name(None, "dataset name", dataset.name)
    label = chk.text(None, "dataset label", dataset.label)
    frame = dataset.data  # not dataset.ordered(): that copies every column (memory)
    if frame.columns.duplicated().any():
        chk.add(None, f"duplicate columns {sorted(set(frame.columns[frame.columns.duplicated()]))}")
        chk.raise_if_any()
    variables = [v for v in dataset.variables if v.name in frame.columns]
    if not variables:
        chk.add(None, "no variables to write")
    seen: set[str] = set()
    columns: list[Column] = []
    for var in variables:
        if var.name in seen:
            chk.add(var.name, "variable defined twice in the metadata")
            continue
        seen.add(var.name)
        chk.name(var.name, "variable name", var.name)
        var_label = chk.text(var.name, "label", var.label)
        fmt = chk.format(var)
        series = frame[var.name]
        if var.type == "Char":
            chars = chk.char_values(var, series)
            length = chk.char_length(var, chars)
            columns.append(Column(var.name, var_label, True, length, fmt, chars=chars))
        elif var.type == "Num":
            nums, fmt = chk.num_values(var, series, fmt)
            columns.append(Column(var.name, var_label, False, 8, fmt, nums=nums))
        else:
            chk.add(var.name, f"type {var.type!r} is neither Char nor Num")
    if not chk.problems:  # a refused column is replaced by blanks: do not judge those
        _check_trailing_blank(chk, columns, len(frame))
    chk.raise_if_any()
    return label, columns


def _check_trailing_blank(chk: Checker, columns: list[Column], nrows: int) -> None:
    """Refuse a last row that is entirely blank in a dataset without numerics.

    Transport v5 pads the observations with blanks to a multiple of 80 bytes, so readers
    (SAS, ReadStat) drop trailing all-blank records: such rows would silently disappear.
    """
    if nrows == 0 or any(not c.is_char for c in columns) or not columns:
        return
    for col in columns:
        text = col.chars
        index = nrows - 1 if text.codes is None else int(text.codes[nrows - 1])
        if index >= 0 and len(text.values[index].as_py()) > 0:
            return
    chk.add(
        None,
        "the last row is blank in every variable and the dataset has no numeric variable: "
        "SAS transport readers cannot tell it from the record padding and would drop it",
        nrows,
    )
