"""Registry of check operators and the helpers every operator uses to report findings.

An operator receives the dataset (``Target``), the run ``Context``, the rule's arguments (checked
against the operator's cerberus schema before any data is read) and the row mask of the rule's
``when``; it returns findings as a DataFrame with ``row`` (0-based, <NA> for dataset-level),
``variable``, ``value`` and ``expected``. ``scope``: ``record``/``dataset`` (per dataset) or
``study`` (once per run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.rules.context import NotApplicable
from cdisc_als.rules.frame import Target

HIT_COLUMNS = ["row", "variable", "value", "expected"]


@dataclass
class Operator:
    name: str
    func: Callable[..., pd.DataFrame | None]
    schema: dict[str, Any]
    scope: str  # record | dataset | study
    doc: str


OPERATORS: dict[str, Operator] = {}


VARS = {"type": "list", "schema": {"type": "string"}, "required": True, "minlength": 1}


def operator(name: str, scope: str = "record", **schema: Any):
    """Register a check operator with the cerberus schema of its arguments.

    A trailing underscore in an argument name (``is_``) stands for a Python keyword (``is``).
    """
    schema = {k.rstrip("_"): v for k, v in schema.items()}

    def deco(func):
        OPERATORS[name] = Operator(name, func, schema, scope, (func.__doc__ or "").strip())
        return func

    return deco


_EMPTY = pd.DataFrame(columns=HIT_COLUMNS)


def empty_hits() -> pd.DataFrame:
    """The shared empty result (never modified; building a DataFrame per check is costly)."""
    return _EMPTY


def hits(mask: np.ndarray, variable: str, values: Any, expected: Any) -> pd.DataFrame:
    """Findings for the rows where ``mask`` is True (values/expected: Series aligned or scalar)."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return empty_hits()

    def pick(v):
        if callable(v):
            return np.asarray(v(idx), dtype=object)
        if isinstance(v, pd.Series):
            return v.iloc[idx].astype("object").to_numpy()
        return v

    return pd.DataFrame(
        {"row": idx, "variable": variable, "value": pick(values), "expected": pick(expected)},
        columns=HIT_COLUMNS,
    )


def meta_hit(variable: str | None, value: Any, expected: str) -> pd.DataFrame:
    """One dataset- or variable-level finding (no row)."""
    return pd.DataFrame(
        [{"row": pd.NA, "variable": variable, "value": value, "expected": expected}],
        columns=HIT_COLUMNS,
    )


def concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_hits()


def present_vars(t: Target, patterns: list[str], require_all: bool = False) -> list[str]:
    """Resolved names of the listed variables that exist; NotApplicable when none (or not all)."""
    names = t.expand(patterns)
    have = [v for v in names if v in t.frame.columns]
    if not have or (require_all and len(have) < len(names)):
        raise NotApplicable("variables absent")
    return have


def joined(parts: list[pd.Series], idx: np.ndarray, sep: str = ", ") -> np.ndarray:
    """Values of several columns shown as one string, built only for the rows ``idx``."""
    out = None
    for p in parts:
        col = p.iloc[idx].astype("object").fillna("").astype(str).to_numpy()
        out = col if out is None else np.char.add(np.char.add(out.astype(str), sep), col)
    return out if out is not None else np.array([], dtype=object)


def joint_codes(local: list[pd.Series], other: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys for multi-column rows of two tables, equal exactly when all columns are equal."""
    n = len(local[0]) if local else 0
    lk = np.zeros(n, dtype=np.int64)
    ok = np.zeros(len(other[0]) if other else 0, dtype=np.int64)
    for a, b in zip(local, other, strict=True):
        codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True))
        base = len(uniques) + 1
        lk = lk * base + codes[:n] + 1
        ok = ok * base + codes[n:] + 1
    return lk, ok



VALUES = {"type": "list", "required": True}


PREDS = {"type": "list", "default": [], "schema": {"type": "dict"}}


FALLBACK = {"type": "dict", "default": {}, "valuesrules": {"type": "list", "schema": {"type": "string"}}}
