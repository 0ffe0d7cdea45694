"""What a rule may read besides its own dataset: the other datasets, CT, metadata, define."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.rules.ct_adapter import CtAdapter
from cdisc_als.rules.frame import TEXT, Target
from cdisc_als.rules.meta import MetaLookup


class NotApplicable(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by an operator when the rule does not apply to this dataset (variable absent...)."""


@dataclass
class Context:
    standard: str
    targets: dict[str, Target]
    ct: CtAdapter | None = None
    meta: MetaLookup = field(default=lambda name: None)
    define: Any = None  # cdisc_als.rules.define_check.DefineDoc
    _subject_maps: dict[tuple[str, str], pd.Series] = field(default_factory=dict)
    _per_row: dict[tuple[str, str, str], pd.Series] = field(default_factory=dict)

    def target(self, name: str) -> Target | None:
        return self.targets.get(name.upper())

    def subject_value(self, t: Target, ref: str) -> pd.Series:
        """A subject-level value looked up for each row of ``t`` by USUBJID.

        ``DM.RFSTDTC``: first value per subject; ``EX.EXSTDTC:min`` / ``DS.DSSTDTC:max``: the
        smallest / largest value per subject (ISO 8601 text sorts in time order);
        ``EX.EXSTDTC+EXENDTC:max`` pools several variables.
        """
        ds_part, var = ref.rsplit(".", 1) if "]" in ref else ref.split(".", 1)
        ds_name, _, filt = ds_part.partition("[")
        var, _, agg = var.partition(":")
        names = var.split("+")
        other = self.target(ds_name)
        if other is None or "USUBJID" not in t.columns or any(v not in other.columns for v in names):
            raise NotApplicable(f"{ref} not available")
        key = (ds_part.upper(), var + ":" + agg)
        if key not in self._subject_maps:
            keep = np.ones(len(other), dtype=bool)
            if filt:  # DS[DSDECOD=INFORMED CONSENT OBTAINED].DSSTDTC: only the matching records
                fvar, _, fval = filt.rstrip("]").partition("=")
                if fvar not in other.columns:
                    raise NotApplicable(f"{ref} not available")
                keep = (other.text(fvar) == fval).fillna(False).to_numpy(dtype=bool)
            subj = pd.concat([other.text("USUBJID")[keep]] * len(names), ignore_index=True)
            vals = pd.concat([other.text(v)[keep] for v in names], ignore_index=True)
            m = pd.Series(vals.to_numpy(dtype=object, na_value=None), index=subj.to_numpy(dtype=object, na_value=None))
            m = m[~pd.isna(m.index)]
            if agg in ("min", "max"):
                m = m.dropna()
                m = m.groupby(level=0).min() if agg == "min" else m.groupby(level=0).max()
            else:
                m = m[~m.index.duplicated(keep="first")]
            self._subject_maps[key] = m
        var = var + ":" + agg
        rkey = (t.name, ds_part.upper(), var)
        if rkey not in self._per_row:
            mapping = self._subject_maps[key]
            codes = pd.Index(mapping.index).get_indexer(t.text("USUBJID"))
            vals = mapping.to_numpy(dtype=object, na_value=None)
            out = np.where(codes >= 0, vals[np.maximum(codes, 0)] if len(vals) else None, None)
            self._per_row[rkey] = pd.Series(out, index=t.frame.index, dtype=object).astype(TEXT)
        return self._per_row[rkey]

    def column(self, t: Target, ref: str) -> pd.Series:
        """A local column (``--STDTC``) or a subject-level one from another dataset (``DM.X``)."""
        if "." in ref:
            return self.subject_value(t, ref)
        if not t.has(ref):
            raise NotApplicable(f"{t.resolve(ref)} absent")
        return t.text(ref)


def as_mask(values: Any, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=bool)
    if arr.shape == ():
        return np.full(n, bool(arr))
    return arr
