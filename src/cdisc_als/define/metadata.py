"""Dataset metadata as Define-XML needs it: filled from the standards and measured on the data.

Why measured: Define-XML must describe the data actually submitted. Text lengths are the longest
value in bytes (FDA guidance), SignificantDigits the most decimals a float really has, and a
``--DTC`` variable's data type follows what its values are (full dates, datetimes or partial).
Metadata missing on a Dataset read back from files (class, structure, keys, role, core,
codelist) is taken from ``cdisc_als.standards`` when the standard knows the dataset.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset, Variable

ODM_DATATYPES = {
    "text", "integer", "float", "date", "datetime", "time", "partialDate", "partialTime",
    "partialDatetime", "incompleteDatetime", "durationDatetime", "intervalDatetime", "string",
    "boolean", "double", "URI",
}  # fmt: skip
TRIAL_DESIGN = {"TA", "TE", "TV", "TI", "TS", "TD", "TM"}


def standard_info(standard: str) -> tuple[str, str, str]:
    """(spec name, Define-XML standard Name, Version) for ``sdtmig-3.4``, ``ADaMIG 1.3``, ..."""
    m = re.match(r"^\s*(sdtmig|adamig)[\s_-]*v?(\d+(?:\.\d+)*)\s*$", standard, re.IGNORECASE)
    if not m:
        raise ValueError(f"unknown standard {standard!r}; expected e.g. sdtmig-3.4 or adamig-1.3")
    kind, version = m.group(1).lower(), m.group(2)
    return f"{kind}-{version}", ("SDTMIG" if kind == "sdtmig" else "ADaMIG"), version


def _standard_meta(spec_name: str, name: str):
    """The standard's DatasetMeta of a dataset, or None (unknown standard or dataset)."""
    from cdisc_als.standards import load_standard

    try:
        std = load_standard(spec_name)
    except (FileNotFoundError, OSError):
        return None
    for candidate in (name, "SUPPQUAL" if name.startswith("SUPP") else None, name[:2]):
        if candidate and candidate in std.dataset_names:
            return std.dataset(candidate)
    return None


def enrich(ds: Dataset, spec_name: str) -> tuple[Dataset, bool]:
    """A copy of ``ds`` with missing metadata filled from the standard; True if the standard knows it.

    For a domain the standard only knows by its two-letter code (a split QS dataset such as QSPH)
    variables are matched after swapping the prefix; generic SUPPQUAL metadata serves SUPP--.
    """
    meta = _standard_meta(spec_name, ds.name)
    if meta is None:
        return ds, False
    variables = []
    for var in ds.variables:
        std = meta.variable(var.name)
        if std is None and meta.name != ds.name and len(meta.name) == 2:
            std = meta.variable(meta.name + var.name[2:]) if var.name.startswith(meta.name) else None
        if std is None:
            variables.append(var)
            continue
        variables.append(
            replace(
                var,
                label=var.label or std.label,
                role=var.role or std.role,
                core=var.core or std.core,
                codelist=var.codelist or std.codelist,
                # the standard's data type/format only when the file's SAS type agrees with it
                datatype=var.datatype or (std.datatype if std.type == var.type else None),
                format=var.format or (std.format if std.type == var.type else None),
            )
        )
    keys = list(ds.keys) or [k for k in meta.keys if k in ds.var_names]
    if not ds.keys and meta.name == "SUPPQUAL":
        keys = [k for k in meta.keys if k in ds.var_names]
    out = replace(
        ds,
        label=ds.label or meta.label,
        cls=ds.cls or meta.cls,
        structure=ds.structure or meta.structure,
        keys=keys,
        variables=variables,
    )
    return out, True


def text_length(series: pd.Series) -> int | None:
    """Longest value in UTF-8 bytes (None when every value is missing or blank)."""
    s = pd.Series(series.dropna().unique())  # distinct values only: cheap on big datasets
    if s.empty:
        return None
    s = s.astype(str).str.rstrip()
    n = int(s.str.encode("utf-8").str.len().max())
    return n or None


def significant_digits(values: np.ndarray, limit: int = 8) -> int:
    """Fewest decimals (<= limit) that represent every value exactly (loop over digits, not rows)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return 0
    for k in range(limit + 1):
        if np.all(np.abs(np.round(v, k) - v) <= 1e-9 * np.maximum(1.0, np.abs(v))):
            return k
    return limit


_FULL_DATE = r"^\d{4}-\d{2}-\d{2}$"
_FULL_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"


def iso_datatype(series: pd.Series, name: str) -> str:
    """Define-XML data type of an ISO 8601 text variable from its values."""
    if name.endswith("DUR") or name.endswith("ELTM") or name.endswith("EVLINT"):
        return "durationDatetime"
    s = pd.Series(series.dropna().unique()).astype(str).str.strip()
    s = s[s != ""]
    if s.empty:
        return "datetime"
    if s.str.match(_FULL_DATE).all():
        return "date"
    if s.str.match(_FULL_DATETIME).all():
        return "datetime"
    has_time = bool(s.str.contains("T", regex=False).any())
    return "partialDatetime" if has_time else "partialDate"


def numeric_values(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def measured(var: Variable, series: pd.Series | None, adam: bool) -> dict:
    """DataType, Length, SignificantDigits and DisplayFormat of a variable (or a value subset)."""
    fmt = (var.format or "").strip() or None
    if fmt and not fmt.endswith("."):
        fmt += "." if not re.search(r"\.\d*$", fmt) else ""
    if var.type == "Char":
        dtype = var.datatype if var.datatype in ODM_DATATYPES else None
        if dtype is None:
            is_iso = var.name.endswith(("DTC", "DUR", "ELTM", "EVLINT"))
            dtype = iso_datatype(series, var.name) if (is_iso and series is not None) else "text"
        # measured on the data (1 when every value is blank); the declared length only without data
        length = (text_length(series) or 1) if series is not None else (var.length or 1)
        return {"datatype": dtype, "length": length, "digits": None,
                "display_format": None}  # fmt: skip
    values = numeric_values(series) if series is not None else np.array([], dtype=float)
    present = values[~np.isnan(values)]
    is_date_fmt = bool(fmt and re.match(r"^(E8601|IS8601|DATE|DATETIME|TIME|YYMMDD|MMDDYY|DDMMYY|B8601)", fmt, re.I))
    integral = present.size == 0 or bool(np.all(present == np.floor(present)))
    if var.datatype in ("integer", "float"):
        dtype = var.datatype
    elif is_date_fmt or integral:
        dtype = "integer"
    else:
        dtype = "float"
    digits = significant_digits(present) if dtype == "float" else None
    if present.size:
        int_width = int(np.max(np.floor(np.log10(np.maximum(np.abs(present), 1)))) + 1)
        sign = 1 if bool(np.any(present < 0)) else 0
        length = int_width + sign + ((digits or 0) + 1 if digits else 0)
    else:
        length = 8
    return {
        "datatype": dtype,
        "length": length,
        "digits": digits if dtype == "float" else None,
        "display_format": fmt if (adam and fmt) else None,
    }


def repeating(ds: Dataset) -> str:
    """ODM Repeating: No for one-record-per-subject and trial-design/reference datasets."""
    structure = (ds.structure or "").lower()
    if ds.name in ("DM", "ADSL") or ds.name in TRIAL_DESIGN or structure == "one record per subject":
        return "No"
    return "Yes"


def is_reference(ds: Dataset) -> bool:
    return ds.name in TRIAL_DESIGN or (ds.cls or "").upper() in ("TRIAL DESIGN", "STUDY REFERENCE")
