"""ADaM calling conventions over the one expression language (:mod:`cdisc_als.ops.expr`).

Why this module still exists: the ADaM operations pass the frame first and want a numpy mask;
the grammar, null logic and functions are those of :mod:`cdisc_als.ops.expr` (no second dialect).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.errors import SpecError
from cdisc_als.ops import expr as _expr
from cdisc_als.ops.expr import ExprError, rewrite

__all__ = ["ExprError", "check_expression", "condition", "evaluate", "evaluate_series", "names_in", "rewrite"]


def names_in(expr: Any) -> set[str]:
    """Column names an expression reads (to join only the columns it needs); none if it does not parse."""
    if not isinstance(expr, str):
        return set()
    try:
        return set(_expr.columns(expr))
    except ExprError:
        return set()


def evaluate(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> Any:
    """Value of ``expr`` on ``frame`` (a Series, or a scalar for a literal)."""
    return _expr.evaluate(expr, frame, extra)


def evaluate_series(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> pd.Series:
    """Value of ``expr`` as a Series aligned to ``frame`` (a literal is broadcast)."""
    value = evaluate(frame, expr, extra)
    if isinstance(value, pd.Series):
        if isinstance(value.dtype, pd.StringDtype):
            return value.astype("object").where(value.notna(), None)
        return value
    return _expr._as_series(value, frame.index)


def condition(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> np.ndarray:
    """Boolean numpy mask of rows where ``expr`` is true (null counts as false)."""
    return _expr.condition(expr, frame, extra).to_numpy(dtype=bool)


def check_expression(expr: Any, spec_file: str, where: str) -> None:
    """Check an expression when a spec is loaded, so errors name the file and key."""
    if not isinstance(expr, str):
        return
    try:
        _expr.parse(expr)
    except ExprError as exc:
        raise SpecError(spec_file, where, f"cannot parse expression {expr!r}: {exc}") from None
