"""Dataset comparison engine (PROC COMPARE / diffdf style) for double programming and QC.

Why vectorized and key-merged: QC compares whole production datasets (up to millions of rows)
after every change, so the comparison must take seconds. Records are matched once (an outer merge
on the key variables, or by position without keys) and then every variable is compared as a
whole column with numpy; only the cells that differ are ever touched individually (for the
report's examples).

Comparison rules (documented in the report too):

- Variable names are matched case-insensitively (SAS names are case-insensitive).
- Numbers are equal when both are missing or ``|base - compare| <= tolerance`` (absolute).
- Text is compared after removing trailing blanks (SAS pads character values with blanks, so
  ``"AB "`` and ``"AB"`` are the same value). By default a missing text value (null/NaN) equals
  ``""`` (a SAS character missing *is* blank, but parquet/R/JSON distinguish null from ""); with
  ``strict_missing=True`` null and ``""`` differ.
- Mixed types are reconciled instead of refused, because the same variable legitimately arrives
  as text from a CSV and as a number from an XPT: a number against text compares the text parsed
  as a number (text that is not a number differs); a date/datetime against text compares the ISO
  8601 rendering; a date/datetime against a number compares SAS day (or second) counts from
  1960-01-01. The type difference is still reported as a metadata difference.
- Duplicate keys are reported; duplicates are matched by their order of appearance within the key
  (first with first, second with second), so no record is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import DataError

MAX_EXAMPLES = 10
MAX_RECORDS = 50
SAS_EPOCH = np.datetime64("1960-01-01T00:00:00", "ns")


@dataclass
class VariableDiff:
    """Value comparison of one variable over the matched records."""

    name: str
    base_kind: str
    compare_kind: str
    n_compared: int
    n_diff: int
    examples: pd.DataFrame  # keys (or ROW) + BASE + COMPARE, first MAX_EXAMPLES differences

    @property
    def n_equal(self) -> int:
        return self.n_compared - self.n_diff

    @property
    def equal_share(self) -> float | None:
        return self.n_equal / self.n_compared if self.n_compared else None


@dataclass
class CompareResult:
    """Everything a QC reviewer needs: structure, record matching and value differences."""

    base_name: str
    compare_name: str
    keys: list[str]
    tolerance: float
    strict_missing: bool
    n_base: int
    n_compare: int
    n_matched: int
    vars_only_base: list[str]
    vars_only_compare: list[str]
    meta_diffs: list[dict[str, Any]]  # variable, attribute, base, compare
    base_only: pd.DataFrame  # keys (or ROW) of records only in the base, first MAX_RECORDS
    compare_only: pd.DataFrame
    n_base_only: int
    n_compare_only: int
    dup_base: pd.DataFrame  # duplicate key values with their count (column N)
    dup_compare: pd.DataFrame
    variables: list[VariableDiff] = field(default_factory=list)

    @property
    def n_dup_base(self) -> int:
        return int(self.dup_base["N"].sum()) if len(self.dup_base) else 0

    @property
    def n_dup_compare(self) -> int:
        return int(self.dup_compare["N"].sum()) if len(self.dup_compare) else 0

    @property
    def cells_compared(self) -> int:
        return sum(v.n_compared for v in self.variables)

    @property
    def cells_equal(self) -> int:
        return sum(v.n_equal for v in self.variables)

    @property
    def equal_cell_share(self) -> float | None:
        """Equal cells / compared cells over matched records and variables in both sides."""
        return self.cells_equal / self.cells_compared if self.cells_compared else None

    @property
    def matched_record_share(self) -> float | None:
        """Matched records / all distinct records of both sides (matched + base-only + compare-only)."""
        total = self.n_matched + self.n_base_only + self.n_compare_only
        return self.n_matched / total if total else None

    @property
    def differing_variables(self) -> list[VariableDiff]:
        return [v for v in self.variables if v.n_diff]

    @property
    def equal(self) -> bool:
        """True when structure, metadata, records and values all agree."""
        return not (
            self.vars_only_base
            or self.vars_only_compare
            or self.meta_diffs
            or self.n_base_only
            or self.n_compare_only
            or self.differing_variables
        )


@dataclass
class _Side:
    name: str
    frame: pd.DataFrame
    meta: dict[str, Variable]  # by upper-case name, only when the source gave metadata
    columns: dict[str, str]  # upper-case name -> column name in the frame


def _side(obj: Dataset | pd.DataFrame, default: str) -> _Side:
    if isinstance(obj, Dataset):
        frame, name = obj.data, obj.name
        meta = {v.name.upper(): v for v in obj.variables}
    elif isinstance(obj, pd.DataFrame):
        frame, name, meta = obj, default, {}
    else:
        raise TypeError(f"expected a Dataset or a DataFrame, got {type(obj).__name__}")
    columns: dict[str, str] = {}
    for col in frame.columns:
        up = str(col).upper()
        if up in columns:
            raise DataError(name, f"columns {columns[up]!r} and {col!r} differ only in case")
        columns[up] = str(col)
    return _Side(name=name, frame=frame, meta=meta, columns=columns)


def column_kind(series: pd.Series) -> tuple[str, np.ndarray]:
    """Classify a column as ``num``, ``dt`` or ``str`` and return its values as a numpy array.

    ``num`` -> float64 with NaN; ``dt`` -> datetime64[ns] (naive, UTC for aware) with NaT;
    ``str`` -> object array. Python ``date``/``datetime`` objects (pyreadstat, pyarrow date32)
    become ``dt`` so that both readers' dates compare equal.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "num", series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return "dt", series.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(dtype):
        return "num", series.to_numpy(dtype=float, na_value=np.nan)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in ("date", "datetime", "datetime64"):
        converted = pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None)
        return "dt", converted.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_object_dtype(dtype):
        return "str", series.to_numpy()
    return "str", series.to_numpy(dtype=object, na_value=None)


def _text(values: np.ndarray, strict_missing: bool) -> np.ndarray:
    """Text normalised for comparison: trailing blanks removed; null -> "" unless strict."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    out = s.astype(str).str.rstrip().to_numpy(dtype=object)
    if missing.any():
        out[missing] = None if strict_missing else ""
    return out


def _numbers_from_text(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(floats, bad): text parsed as numbers; ``bad`` marks non-blank text that is not a number."""
    s = pd.Series(values, dtype=object)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    nums = pd.to_numeric(s.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = (~blank).to_numpy() & np.isnan(nums)
    return nums, bad


def _iso(values: np.ndarray) -> np.ndarray:
    """ISO 8601 text of datetimes: a date when every time is midnight, else date and time."""
    s = pd.Series(values)
    present = s.dropna()
    midnight = bool((present == present.dt.normalize()).all()) if len(present) else True
    out = s.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
    out[s.isna().to_numpy()] = None
    return out


def _sas_number(values: np.ndarray) -> np.ndarray:
    """SAS day count (all midnight) or second count from 1960-01-01 of datetimes."""
    nat = np.isnat(values)
    delta = (values - SAS_EPOCH).astype("timedelta64[ns]").astype(np.int64).astype(float)
    delta[nat] = np.nan
    secs = delta / 1e9
    midnight = np.all(np.mod(secs[~nat], 86400) == 0) if (~nat).any() else True
    return secs / 86400 if midnight else secs


def _num_equal(b: np.ndarray, c: np.ndarray, tol: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (b == c) | (np.isnan(b) & np.isnan(c)) | (np.abs(b - c) <= tol)


def _str_equal(b: np.ndarray, c: np.ndarray, strict_missing: bool) -> np.ndarray:
    eq = np.asarray(b == c, dtype=bool)
    rest = np.flatnonzero(~eq)
    if len(rest):
        nb, nc = _text(b[rest], strict_missing), _text(c[rest], strict_missing)
        eq[rest] = np.asarray(nb == nc, dtype=bool)
    return eq


def values_equal(
    kb: str, b: np.ndarray, kc: str, c: np.ndarray, tol: float, strict_missing: bool
) -> np.ndarray:
    """Element-wise equality of two aligned columns under the rules in the module docstring."""
    if kb == kc == "num":
        return _num_equal(b, c, tol)
    if kb == kc == "dt":
        return (b == c) | (np.isnat(b) & np.isnat(c))
    if kb == kc == "str":
        return _str_equal(b, c, strict_missing)
    if {kb, kc} == {"num", "str"}:
        if kb == "str":
            return values_equal(kc, c, kb, b, tol, strict_missing)
        nums, bad = _numbers_from_text(c)
        return _num_equal(b, nums, tol) & ~bad
    if {kb, kc} == {"dt", "str"}:
        if kb == "str":
            return values_equal(kc, c, kb, b, tol, strict_missing)
        return _str_equal(_iso(b), c, strict_missing)
    # dt against num
    if kb == "num":
        return values_equal(kc, c, kb, b, tol, strict_missing)
    return _num_equal(_sas_number(b), c, tol)


def _key_frame(side: _Side, keys: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """Key columns normalised for matching (text trimmed, nulls as ""; mixed types as text)."""
    out = {}
    for i, key in enumerate(keys):
        kind, values = column_kind(side.frame[side.columns[key]])
        if kinds[key] == "str":
            if kind == "num":
                s = pd.Series(values)
                whole = s.notna() & (s == np.floor(s))
                txt = s.astype(str)
                txt[whole] = s[whole].astype(np.int64).astype(str)
                values = txt.where(s.notna(), None).to_numpy(dtype=object)
            elif kind == "dt":
                values = _iso(values)
            values = _text(values, strict_missing=False)
        out[f"_k{i}"] = values
    return pd.DataFrame(out)


def _duplicates(side: _Side, keys: list[str], keyframe: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Duplicate key values with counts, and the occurrence number of every row within its key."""
    cols = list(keyframe.columns)
    dup = keyframe.duplicated(cols, keep=False).to_numpy()
    if not dup.any():
        return pd.DataFrame(columns=[*keys, "N"]), np.zeros(len(keyframe), dtype=np.int64)
    occ = keyframe.groupby(cols, sort=False, dropna=False).cumcount().to_numpy()
    dups = side.frame.loc[dup, [side.columns[k] for k in keys]]
    dups.columns = keys
    counts = dups.astype(str).value_counts(sort=False).reset_index(name="N")
    return counts.head(MAX_RECORDS), occ


def _type_of(side: _Side, up: str, kind: str) -> str:
    var = side.meta.get(up)
    if var is not None and var.type:
        return var.type
    return "Char" if kind == "str" else "Num"


def _meta_diffs(base: _Side, comp: _Side, names: list[str], kinds: dict[str, tuple[str, str]]) -> list[dict]:
    diffs: list[dict[str, Any]] = []
    for up in names:
        kb, kc = kinds[up]
        tb, tc = _type_of(base, up, kb), _type_of(comp, up, kc)
        if tb != tc:
            diffs.append({"variable": up, "attribute": "type", "base": tb, "compare": tc})
        vb, vc = base.meta.get(up), comp.meta.get(up)
        if vb is None or vc is None:
            continue
        for attr in ("label", "length", "format"):
            ab, ac = getattr(vb, attr), getattr(vc, attr)
            if ab in (None, "") or ac in (None, ""):
                continue
            if attr == "length" and tb != tc:
                continue
            if (str(ab).strip() if attr != "length" else ab) != (str(ac).strip() if attr != "length" else ac):
                diffs.append({"variable": up, "attribute": attr, "base": ab, "compare": ac})
    return diffs


def _record_list(side: _Side, rows: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """Keys (or the 1-based row number without keys) of the given rows, first MAX_RECORDS."""
    rows = rows[:MAX_RECORDS]
    out = pd.DataFrame({"ROW": rows + 1})
    for key in keys:
        out[key] = side.frame[side.columns[key]].iloc[rows].to_numpy(dtype=object)
    return out


def _match(base: _Side, comp: _Side, keys: list[str]) -> tuple:
    """Row index pairs of matched records, rows only in one side, duplicate reports."""
    nb, nc = len(base.frame), len(comp.frame)
    empty = pd.DataFrame(columns=[*keys, "N"])
    if not keys:
        n = min(nb, nc)
        idx = np.arange(n)
        return idx, idx, np.arange(n, nb), np.arange(n, nc), empty, empty
    kinds = {}
    for key in keys:
        kb = column_kind(base.frame[base.columns[key]])[0]
        kc = column_kind(comp.frame[comp.columns[key]])[0]
        kinds[key] = kb if kb == kc else "str"
    kfb, kfc = _key_frame(base, keys, kinds), _key_frame(comp, keys, kinds)
    dup_b, occ_b = _duplicates(base, keys, kfb)
    dup_c, occ_c = _duplicates(comp, keys, kfc)
    kfb["_occ"], kfc["_occ"] = occ_b, occ_c
    kfb["_rb"], kfc["_rc"] = np.arange(nb), np.arange(nc)
    on = [c for c in kfb.columns if c.startswith("_k")] + ["_occ"]
    merged = kfb.merge(kfc, on=on, how="outer", sort=True)
    rb = merged["_rb"].to_numpy(dtype=float)
    rc = merged["_rc"].to_numpy(dtype=float)
    both = ~np.isnan(rb) & ~np.isnan(rc)
    return (
        rb[both].astype(np.int64),
        rc[both].astype(np.int64),
        rb[np.isnan(rc)].astype(np.int64),
        rc[np.isnan(rb)].astype(np.int64),
        dup_b,
        dup_c,
    )


def compare_datasets(
    base: Dataset | pd.DataFrame,
    compare: Dataset | pd.DataFrame,
    keys: list[str] | None = None,
    vars: list[str] | None = None,
    tolerance: float = 1e-9,
    strict_missing: bool = False,
    max_examples: int = MAX_EXAMPLES,
) -> CompareResult:
    """Compare two datasets; see the module docstring for the rules.

    ``keys`` match records (without keys: by row position); ``vars`` restricts the compared
    variables (keys are always used for matching). Raises ``DataError`` when a key is missing
    from a side or a requested variable is in neither.
    """
    b, c = _side(base, "BASE"), _side(compare, "COMPARE")
    keys = [k.upper() for k in (keys or [])]
    for side in (b, c):
        missing = [k for k in keys if k not in side.columns]
        if missing:
            raise DataError(side.name, f"key variable(s) {missing} not in the dataset")
    if vars:
        wanted = [v.upper() for v in vars]
        unknown = [v for v in wanted if v not in b.columns and v not in c.columns]
        if unknown:
            raise DataError(f"{b.name} / {c.name}", f"variable(s) {unknown} in neither dataset")
    else:
        wanted = list(b.columns) + [v for v in c.columns if v not in b.columns]
    only_b = [v for v in wanted if v in b.columns and v not in c.columns]
    only_c = [v for v in wanted if v in c.columns and v not in b.columns]
    common = [v for v in wanted if v in b.columns and v in c.columns]

    ib, ic, rows_b, rows_c, dup_b, dup_c = _match(b, c, keys)

    kinds: dict[str, tuple[str, str]] = {}
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for up in common:
        kb, ab = column_kind(b.frame[b.columns[up]])
        kc, ac = column_kind(c.frame[c.columns[up]])
        kinds[up] = (kb, kc)
        arrays[up] = (ab, ac)
    meta = _meta_diffs(b, c, common, kinds)

    def cells(side: _Side, name: str, rows: np.ndarray) -> np.ndarray:
        return side.frame[side.columns[name]].iloc[rows].to_numpy(dtype=object)

    results: list[VariableDiff] = []
    for up in common:
        if up in keys:
            continue
        (kb, kc), (ab, ac) = kinds[up], arrays[up]
        eq = values_equal(kb, ab[ib], kc, ac[ic], tolerance, strict_missing)
        diff = np.flatnonzero(~eq)
        first = diff[:max_examples]
        ex = {k: cells(b, k, ib[first]) for k in keys} if keys else {"ROW": ib[first] + 1}
        ex["BASE"] = cells(b, up, ib[first])
        ex["COMPARE"] = cells(c, up, ic[first])
        results.append(VariableDiff(up, kb, kc, len(eq), len(diff), pd.DataFrame(ex)))

    return CompareResult(
        base_name=b.name,
        compare_name=c.name,
        keys=keys,
        tolerance=tolerance,
        strict_missing=strict_missing,
        n_base=len(b.frame),
        n_compare=len(c.frame),
        n_matched=len(ib),
        vars_only_base=only_b,
        vars_only_compare=only_c,
        meta_diffs=meta,
        base_only=_record_list(b, rows_b, keys),
        compare_only=_record_list(c, rows_c, keys),
        n_base_only=len(rows_b),
        n_compare_only=len(rows_c),
        dup_base=dup_b,
        dup_compare=dup_c,
        variables=results,
    )
