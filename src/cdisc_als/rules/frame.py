"""A dataset as one rule sees it: its frame, the ``--`` prefix, and cached typed columns.

Rules read the same column many times (``USUBJID``, ``--DTC``, ...). Converting a column to
"text with blanks as null" or to numbers is done once per dataset and cached here, so a run of
two hundred rules over a million-row QS does the conversion once, not two hundred times.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset


@dataclass
class Target:
    """One dataset under validation."""

    ds: Dataset
    prefix: str  # SDTM domain prefix substituted for ``--`` (empty for SUPP--/RELREC/ADaM)
    classes: frozenset[str]
    domain: str  # DOMAIN value (or dataset name) used for domain matching
    _text: dict[str, pd.Series] = field(default_factory=dict)
    _num: dict[str, pd.Series] = field(default_factory=dict)
    _raw: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ds.name

    @property
    def frame(self) -> pd.DataFrame:
        return self.ds.data

    @property
    def columns(self) -> list[str]:
        return list(self.ds.data.columns)

    def __len__(self) -> int:
        return len(self.ds.data)

    def resolve(self, var: str) -> str:
        """``--SEQ`` -> ``AESEQ`` in AE; other names unchanged."""
        if var.startswith("--"):
            return self.prefix + var[2:]
        return var

    def expand(self, patterns: list[str]) -> list[str]:
        """Resolve ``--`` and glob patterns (``*DTC``) against the dataset's columns.

        Plain names are returned even when absent (the caller decides what absence means);
        patterns only yield the columns that exist.
        """
        out: list[str] = []
        for p in patterns:
            name = self.resolve(p)
            if any(ch in name for ch in "*?["):
                out.extend(c for c in self.columns if fnmatch.fnmatchcase(c, name))
            else:
                out.append(name)
        seen: set[str] = set()
        return [v for v in out if not (v in seen or seen.add(v))]

    def has(self, var: str) -> bool:
        return self.resolve(var) in self.ds.data.columns

    def text(self, var: str) -> pd.Series:
        """Column as stripped text, blank -> <NA>; numbers rendered without a trailing ``.0``."""
        var = self.resolve(var)
        if var not in self._text:
            self._text[var] = as_text(self.ds.data[var])
        return self._text[var]

    def raw(self, var: str) -> pd.Series:
        """Column as unstripped text (for checks on the stored bytes: length, ASCII, spaces)."""
        if var not in self._raw:
            self._raw[var] = self.ds.data[var].astype("string")
        return self._raw[var]

    def num(self, var: str) -> pd.Series:
        """Column as float (non-numeric text -> NaN)."""
        var = self.resolve(var)
        if var not in self._num:
            col = self.ds.data[var]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                self._num[var] = col.astype("float64")
            else:
                self._num[var] = pd.to_numeric(self.text(var), errors="coerce").astype("float64")
        return self._num[var]

    def null(self, var: str) -> np.ndarray:
        return self.text(var).isna().to_numpy()

    def is_numeric_col(self, var: str) -> bool:
        col = self.ds.data[self.resolve(var)]
        return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


_INT_LIKE = re.compile(r"^-?\d+\.0$")


def as_text(col: pd.Series) -> pd.Series:
    """Text view of a column used by every comparison: NaN/blank -> <NA>, integral floats -> '3'."""
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col.dt.strftime("%Y-%m-%dT%H:%M:%S").str.replace("T00:00:00", "", regex=False)
        return out.astype("string")
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        f = col.astype("float64")
        out = pd.Series(pd.NA, index=col.index, dtype="string")
        ok = f.notna().to_numpy()
        integral = ok & np.isfinite(f.to_numpy()) & (np.mod(f.fillna(0).to_numpy(), 1) == 0)
        out[integral] = f[integral].astype("int64").astype(str)
        other = ok & ~integral
        out[other] = f[other].astype(str)
        return out
    s = col.astype("string").str.strip()
    return s.mask(s == "")
