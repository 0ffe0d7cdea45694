"""Vectorized expressions for ADaM specs: conditions and computed values on a whole frame.

Why a small evaluator of our own instead of ``DataFrame.eval`` or R: spec authors write admiral-
like conditions (``DSCAT == "DISPOSITION EVENT" & DSDECOD != "SCREEN FAILURE"``) and expect R's
missing-value logic: a comparison with a missing value is *missing*, and a filter keeps only rows
where the condition is *true*. pandas' own comparisons turn ``NaN != "X"`` into True, which would
silently keep records R drops. Here every comparison yields a nullable ``boolean`` Series (Kleene
logic for ``&``, ``|``, ``~``), ``x in [...]`` is never missing (as R's ``%in%``), and
:func:`condition` turns missing into False.

The expression is parsed with :mod:`ast` and only a whitelisted set of nodes and functions is
evaluated, node by node, each on whole columns: no Python loop over rows and no ``eval``.

Functions: ``is_null(x)``, ``not_null(x)``, ``contains(x, regex)``, ``startswith(x, s)``,
``upper(x)``, ``lower(x)``, ``strip(x)``, ``substr(x, start, length)`` (1-based), ``length(x)``,
``dtc_to_dt(x, highest_imputation, date_imputation)`` (ISO 8601 text to a date with
imputation, as ``derive_vars_dt``), ``coalesce(a, b, ...)``, ``if_else(cond, yes, no)``, ``pmin(a, ...)``/``pmax(a, ...)`` (ignoring
missing), ``date(x)`` (complete ISO 8601 date text to a date, else missing), ``days(n)``,
``year(x)``, ``round(x, n)``, ``floor(x)``, ``ceil(x)``, ``abs(x)``, ``num(x)``, ``str(x)``,
``concat(a, b, ...)``, ``null()``. Dates plus or minus a number move by that many days.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.errors import SpecError

_STRING = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def rewrite(expr: str) -> str:
    """R-style logic to Python precedence: ``&``/``|``/``!`` (outside quoted text) become
    ``and``/``or``/``not``, so ``A == 1 & B == 2`` means ``(A == 1) and (B == 2)`` as in R."""
    parts = _STRING.split(expr.strip())
    for i in range(0, len(parts), 2):
        p = re.sub(r"&&?", " and ", parts[i])
        p = re.sub(r"\|\|?", " or ", p)
        p = re.sub(r"!(?!=)", " not ", p)
        parts[i] = p
    return "".join(parts).strip()


class ExprError(Exception):
    """An expression cannot be parsed or refers to an unknown column/function."""


def _is_dt(s: Any) -> bool:
    return isinstance(s, pd.Series) and pd.api.types.is_datetime64_any_dtype(s)


def _bool(values: Any, null_mask: Any, index: pd.Index) -> pd.Series:
    out = pd.Series(pd.array(np.asarray(values, dtype=bool), dtype="boolean"), index=index)
    if null_mask is not None:
        out[np.asarray(null_mask, dtype=bool)] = pd.NA
    return out


def _isna(x: Any, index: pd.Index) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.isna().to_numpy()
    return np.full(len(index), x is None or (isinstance(x, float) and np.isnan(x)))


def _as_series(x: Any, index: pd.Index) -> pd.Series:
    if isinstance(x, pd.Series):
        return x
    if x is None:
        return pd.Series([None] * len(index), index=index, dtype="object")
    if isinstance(x, pd.Timedelta):
        return pd.Series(np.full(len(index), x.to_timedelta64()), index=index)
    if isinstance(x, str):
        return pd.Series(np.full(len(index), x, dtype=object), index=index)
    return pd.Series(np.full(len(index), x), index=index)


def _numeric_or_same(s: pd.Series) -> pd.Series:
    """Numbers stored as nullable/boolean types become float so that comparisons behave."""
    if isinstance(s.dtype, pd.BooleanDtype):
        return s
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return s


def _to_date(x: pd.Series) -> pd.Series:
    """Complete ISO 8601 dates (``YYYY-MM-DD`` with or without time) to datetime64; else NaT."""
    if _is_dt(x):
        return x.dt.normalize()
    txt = x.astype("string").str.slice(0, 10)
    ok = txt.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)
    out = pd.to_datetime(txt.where(ok), format="%Y-%m-%d", errors="coerce")
    return out.astype("datetime64[ns]")


class Evaluator:
    """Evaluate one expression on a frame; ``extra`` adds named values (e.g. another frame's column)."""

    def __init__(self, frame: pd.DataFrame, extra: dict[str, Any] | None = None):
        self.frame = frame
        self.index = frame.index
        self.extra = extra or {}
        self.functions: dict[str, Callable[..., Any]] = {
            "is_null": lambda x: _bool(_isna(x, self.index), None, self.index),
            "is_na": lambda x: _bool(_isna(x, self.index), None, self.index),
            "not_null": lambda x: _bool(~_isna(x, self.index), None, self.index),
            "contains": self._contains,
            "startswith": lambda x, s: self._str(x).str.startswith(s).astype("boolean"),
            "upper": lambda x: self._str(x).str.upper(),
            "lower": lambda x: self._str(x).str.lower(),
            "strip": lambda x: self._str(x).str.strip(),
            "substr": lambda x, start, n=None: self._str(x).str.slice(
                int(start) - 1, None if n is None else int(start) - 1 + int(n)
            ),
            "length": lambda x: self._str(x).str.len().astype("float64"),
            "coalesce": self._coalesce,
            "if_else": self._if_else,
            "pmin": lambda *a: self._pm(a, "min"),
            "pmax": lambda *a: self._pm(a, "max"),
            "date": lambda x: _to_date(_as_series(x, self.index)),
            "dtc_to_dt": self._dtc_to_dt,
            "days": lambda n: pd.Timedelta(days=float(n)),
            "year": lambda x: _as_series(x, self.index).dt.year.astype("float64"),
            "round": lambda x, n=0: _as_series(x, self.index).astype("float64").round(int(n)),
            "floor": lambda x: np.floor(_as_series(x, self.index).astype("float64")),
            "ceil": lambda x: np.ceil(_as_series(x, self.index).astype("float64")),
            "abs": lambda x: _as_series(x, self.index).astype("float64").abs(),
            "num": lambda x: pd.to_numeric(_as_series(x, self.index), errors="coerce").astype("float64"),
            "str": lambda x: _as_series(x, self.index).astype("string").astype("object"),
            "concat": self._concat,
            "null": lambda: None,
        }

    # -- helpers ---------------------------------------------------------------------------
    def _str(self, x: Any) -> pd.Series:
        return _as_series(x, self.index).astype("string")

    def _contains(self, x: Any, pattern: str) -> pd.Series:
        s = self._str(x)
        return s.str.contains(pattern, regex=True).astype("boolean")

    def _dtc_to_dt(self, x: Any, highest: str = "n", imputation: str = "first") -> pd.Series:
        from cdisc_als.adam.dates import impute, parse_iso

        series = _as_series(x, self.index)
        codes, uniques = pd.factorize(series.astype("object"), use_na_sentinel=True)
        value, _, _ = impute(parse_iso(pd.Series(uniques, dtype="object")), highest, imputation, None)
        table = np.append(value.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
        return pd.Series(table[np.where(codes < 0, len(value), codes)], index=self.index)

    def _coalesce(self, *args: Any) -> pd.Series:
        out = _as_series(args[0], self.index).copy()
        for a in args[1:]:
            out = out.where(out.notna(), _as_series(a, self.index))
        return out

    def _if_else(self, cond: Any, yes: Any, no: Any) -> pd.Series:
        c = _as_series(cond, self.index).astype("boolean")
        y, n = _as_series(yes, self.index), _as_series(no, self.index)
        if _is_dt(y) or _is_dt(n):
            out = pd.Series(pd.NaT, index=self.index, dtype="datetime64[ns]")
            y = y if _is_dt(y) else pd.to_datetime(y, errors="coerce").astype("datetime64[ns]")
            n = n if _is_dt(n) else pd.to_datetime(n, errors="coerce").astype("datetime64[ns]")
        else:
            out = pd.Series(None, index=self.index, dtype="object")
        true = c.fillna(False).to_numpy(dtype=bool)
        false = (~c).fillna(False).to_numpy(dtype=bool)
        out[true] = y[true]
        out[false] = n[false]
        if not _is_dt(out):
            out = out.infer_objects()
        return out

    def _pm(self, args: tuple[Any, ...], how: str) -> pd.Series:
        frame = pd.concat([_as_series(a, self.index) for a in args], axis=1)
        return frame.min(axis=1) if how == "min" else frame.max(axis=1)

    def _concat(self, *args: Any) -> pd.Series:
        parts = [self._str(a) for a in args]
        out = parts[0].fillna("")
        for p in parts[1:]:
            out = out + p.fillna("")
        return out.astype("object")

    # -- evaluation -------------------------------------------------------------------------
    def run(self, expr: Any) -> Any:
        if not isinstance(expr, str):
            return expr  # a literal from YAML (number, bool, null)
        try:
            tree = ast.parse(rewrite(expr), mode="eval")
        except SyntaxError as exc:
            raise ExprError(f"cannot parse expression {expr!r}: {exc.msg}") from None
        return self.node(tree.body)

    def node(self, n: ast.AST) -> Any:
        method = getattr(self, f"_n_{type(n).__name__}", None)
        if method is None:
            raise ExprError(f"unsupported syntax {type(n).__name__} in expression")
        return method(n)

    def _n_Constant(self, n: ast.Constant) -> Any:
        return n.value

    def _n_List(self, n: ast.List) -> list[Any]:
        return [self.node(e) for e in n.elts]

    _n_Tuple = _n_List

    def _n_Name(self, n: ast.Name) -> Any:
        if n.id in self.extra:
            return self.extra[n.id]
        if n.id in self.frame.columns:
            return _numeric_or_same(self.frame[n.id])
        if n.id in ("null", "NA", "None"):
            return None
        if n.id in ("True", "False"):
            return n.id == "True"
        raise ExprError(f"unknown variable {n.id!r} (have: {', '.join(map(str, self.frame.columns))})")

    def _n_Call(self, n: ast.Call) -> Any:
        if not isinstance(n.func, ast.Name) or n.func.id not in self.functions:
            name = getattr(n.func, "id", ast.dump(n.func))
            raise ExprError(f"unknown function {name!r}; known: {', '.join(sorted(self.functions))}")
        return self.functions[n.func.id](*[self.node(a) for a in n.args])

    def _n_UnaryOp(self, n: ast.UnaryOp) -> Any:
        v = self.node(n.operand)
        if isinstance(n.op, (ast.Not, ast.Invert)):
            return ~_as_series(v, self.index).astype("boolean")
        if isinstance(n.op, ast.USub):
            return -v
        return v

    def _n_BoolOp(self, n: ast.BoolOp) -> Any:
        vals = [_as_series(self.node(v), self.index).astype("boolean") for v in n.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(n.op, ast.And) else (out | v)
        return out

    def _n_BinOp(self, n: ast.BinOp) -> Any:
        left, right = self.node(n.left), self.node(n.right)
        if isinstance(n.op, ast.BitAnd):
            return _as_series(left, self.index).astype("boolean") & _as_series(right, self.index).astype("boolean")
        if isinstance(n.op, ast.BitOr):
            return _as_series(left, self.index).astype("boolean") | _as_series(right, self.index).astype("boolean")
        if isinstance(n.op, (ast.Add, ast.Sub)):
            # date +/- number of days
            if _is_dt(left) and isinstance(right, (int, float, pd.Series)) and not _is_dt(right):
                right = pd.to_timedelta(_as_series(right, self.index).astype("float64"), unit="D")
            if isinstance(n.op, ast.Add) and _is_dt(right) and not _is_dt(left) and not isinstance(left, pd.Timedelta):
                left = pd.to_timedelta(_as_series(left, self.index).astype("float64"), unit="D")
        ops = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.FloorDiv: lambda a, b: a // b,
            ast.Mod: lambda a, b: a % b,
            ast.Pow: lambda a, b: a**b,
        }
        fn = ops.get(type(n.op))
        if fn is None:
            raise ExprError(f"unsupported operator {type(n.op).__name__}")
        out = fn(left, right)
        if isinstance(out, pd.Series) and pd.api.types.is_timedelta64_dtype(out):
            return out.dt.total_seconds() / 86400.0  # date - date = days (float)
        return out

    def _n_Compare(self, n: ast.Compare) -> Any:
        left = self.node(n.left)
        result = None
        for op, comp in zip(n.ops, n.comparators, strict=True):
            right = self.node(comp)
            part = self._compare(left, op, right)
            result = part if result is None else (result & part)
            left = right
        return result

    def _compare(self, left: Any, op: ast.cmpop, right: Any) -> pd.Series:
        idx = self.index
        if isinstance(op, (ast.In, ast.NotIn)):
            values = right if isinstance(right, list) else [right]
            s = _as_series(left, idx)
            res = s.isin(values).to_numpy() & s.notna().to_numpy()
            if isinstance(op, ast.NotIn):
                res = ~res
            return _bool(res, None, idx)
        scalar = not isinstance(right, pd.Series) and right is not None and not isinstance(right, (list, pd.Timedelta))
        if scalar and isinstance(left, pd.Series) and not isinstance(right, str) and not _is_dt(left):
            # column vs number: compare the numbers directly (no broadcast Series)
            ls = left
            null = ls.isna().to_numpy()
            values = pd.to_numeric(ls, errors="coerce").to_numpy(dtype="float64") if ls.dtype == object else ls.to_numpy()
            fn = _CMP.get(type(op))
            if fn is None:
                raise ExprError(f"unsupported comparison {type(op).__name__}")
            with np.errstate(invalid="ignore"):
                raw = fn(values, right)
            return _bool(np.where(null, False, raw), null, idx)
        if scalar and isinstance(left, pd.Series) and isinstance(right, str) and left.dtype == object:
            null = left.isna().to_numpy()
            raw = _CMP[type(op)](left.to_numpy(), right) if type(op) in (ast.Eq, ast.NotEq) else None
            if raw is not None:
                return _bool(np.where(null, False, np.asarray(raw, dtype=bool)), null, idx)
        ls, rs = _as_series(left, idx), _as_series(right, idx)
        if _is_dt(ls) and not _is_dt(rs) and rs.notna().any():
            rs = _to_date(rs)
        if _is_dt(rs) and not _is_dt(ls) and ls.notna().any():
            ls = _to_date(ls)
        null = ls.isna().to_numpy() | rs.isna().to_numpy()
        fast = all(
            pd.api.types.is_datetime64_any_dtype(x) or (pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x))
            for x in (ls, rs)
        ) and (pd.api.types.is_datetime64_any_dtype(ls) == pd.api.types.is_datetime64_any_dtype(rs))
        ops = {
            ast.Eq: lambda a, b: a == b,
            ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b,
        }
        fn = ops.get(type(op))
        if fn is None:
            raise ExprError(f"unsupported comparison {type(op).__name__}")
        if fast:
            with np.errstate(invalid="ignore"):
                raw = fn(ls.to_numpy(), rs.to_numpy())
            return _bool(np.where(null, False, raw), null, idx)
        a = ls.where(~null, other=None) if ls.dtype == object else ls
        b = rs.where(~null, other=None) if rs.dtype == object else rs
        with np.errstate(invalid="ignore"):
            try:
                raw = fn(a.to_numpy(), b.to_numpy())
            except TypeError:
                raw = fn(a.astype("string").to_numpy(), b.astype("string").to_numpy())
        raw = np.where(null, False, np.asarray(raw, dtype=object) == True)  # noqa: E712
        return _bool(raw, null, idx)


_CMP = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


def names_in(expr: Any) -> set[str]:
    """Variable names an expression refers to (to join only the columns it needs)."""
    if not isinstance(expr, str):
        return set()
    try:
        tree = ast.parse(rewrite(expr), mode="eval")
    except SyntaxError:
        return set()
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - calls


def evaluate(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> Any:
    """Value of ``expr`` on ``frame`` (a Series, or a scalar for a literal)."""
    return Evaluator(frame, extra).run(expr)


def evaluate_series(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> pd.Series:
    """Value of ``expr`` as a Series aligned to ``frame`` (a literal is broadcast)."""
    value = evaluate(frame, expr, extra)
    if isinstance(value, pd.Series):
        if isinstance(value.dtype, pd.BooleanDtype):
            return value
        if isinstance(value.dtype, pd.StringDtype):
            return value.astype("object").where(value.notna(), None)
        return value
    return _as_series(value, frame.index)


def condition(frame: pd.DataFrame, expr: Any, extra: dict[str, Any] | None = None) -> np.ndarray:
    """Boolean numpy mask of rows where ``expr`` is true (missing counts as false)."""
    if expr is None or expr is True:
        return np.ones(len(frame), dtype=bool)
    value = evaluate(frame, expr, extra)
    s = _as_series(value, frame.index)
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def check_expression(expr: Any, spec_file: str, where: str) -> None:
    """Parse-check an expression when a spec is loaded, so syntax errors name the file and key."""
    if not isinstance(expr, str):
        return
    try:
        ast.parse(rewrite(expr), mode="eval")
    except SyntaxError as exc:
        raise SpecError(spec_file, where, f"cannot parse expression {expr!r}: {exc.msg}") from None
