"""The one object that travels through the pipeline: a DataFrame plus its metadata.

Every stage (mapping, derivation, validation, writing, Define-XML) takes and returns ``Dataset``
objects, so the writer, the validator and the define builder read the same metadata and never
guess it again from the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

VarType = Literal["Char", "Num"]


@dataclass
class Variable:
    """Metadata of one variable (column).

    ``type`` is the SAS transport type (Char/Num). ``datatype`` is the Define-XML data type
    (text, integer, float, date, datetime, time, partialDate, durationDatetime, ...).
    ``length`` for Char is in bytes; ``None`` means "longest value" (FDA guidance).
    """

    name: str
    label: str = ""
    type: VarType = "Char"
    length: int | None = None
    format: str | None = None
    datatype: str | None = None
    origin: str | None = None  # Collected, Derived, Assigned, Protocol, Predecessor, Not Available
    source: str | None = None  # Predecessor source (e.g. "DM.AGE") or CRF page reference
    codelist: str | None = None  # codelist id (CDISC submission value, e.g. "NY") or sponsor id
    method: str | None = None  # derivation description (feeds Define-XML MethodDef)
    comment: str | None = None
    role: str | None = None  # SDTM role (Identifier, Topic, ...)
    core: str | None = None  # Req, Exp, Perm (SDTM) / Req, Cond, Perm (ADaM)
    significant_digits: int | None = None
    # value-level metadata where records differ: {"by": "QSCAT", "values": {"ALSFRS-R":
    # {"codelist": "ALSF01TC", "origin": "Assigned", "source": ..., "method": ...}}} (Define-XML)
    value_level: dict | None = None

    def copy(self, **changes) -> Variable:
        return replace(self, **changes)


@dataclass
class Dataset:
    """A dataset: name (upper case, e.g. ``DM``), label, data and ordered variable metadata."""

    name: str
    data: pd.DataFrame
    label: str = ""
    variables: list[Variable] = field(default_factory=list)
    cls: str | None = None  # SDTM class / ADaM class (e.g. "EVENTS", "SUBJECT LEVEL ANALYSIS DATASET")
    structure: str | None = None  # "One record per subject", ...
    keys: list[str] = field(default_factory=list)
    standard: str | None = None  # "SDTMIG 3.4", "ADaMIG 1.3", ...
    domain: str | None = None  # SDTM domain code (e.g. "QS" for QS, "AE" for SUPPAE's RDOMAIN)

    def __post_init__(self) -> None:
        self.name = self.name.upper()
        if not self.variables:
            self.variables = [infer_variable(self.data[c], c) for c in self.data.columns]
        known = {v.name for v in self.variables}
        missing = [c for c in self.data.columns if c not in known]
        if missing:
            raise ValueError(f"dataset {self.name}: columns without metadata: {missing}")

    @property
    def var_names(self) -> list[str]:
        return [v.name for v in self.variables]

    def var(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"dataset {self.name} has no variable {name}")

    def ordered(self) -> pd.DataFrame:
        """The data with columns in metadata order (only variables that exist in the data)."""
        return self.data[[v.name for v in self.variables if v.name in self.data.columns]]

    def __len__(self) -> int:
        return len(self.data)


def infer_variable(series: pd.Series, name: str) -> Variable:
    """Metadata guessed from a column when nothing better is known (used for ad-hoc data only)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return Variable(name=name, type="Num", length=8)
    return Variable(name=name, type="Char")
