"""A small, safe, vectorized expression language for ``where`` conditions and ``expr`` values.

Why not ``eval`` or ``DataFrame.query``: specs are data, and a spec must never run arbitrary code.
Expressions are parsed with Python's ``ast`` and only a whitelist of node types is evaluated, each
on whole columns (pandas Series), never row by row.

Grammar (Python syntax):

- column names: ``AESER``; dotted raw names work as written (``IT.AESER``); any other name in
  back-ticks (`` `my col` ``)
- literals: ``'Y'``, ``"Y"``, ``3``, ``2.5``, ``None``, ``True``; lists ``['A', 'B']``
- comparisons ``== != < <= > >=``, ``in`` / ``not in`` a list, chained (``0 < X <= 4``)
- ``and``, ``or``, ``not``; arithmetic ``+ - * /`` (``+`` also joins strings)
- functions: ``isnull(x)``, ``notnull(x)``, ``blank(x)`` (null or only spaces), ``upper(x)``,
  ``lower(x)``, ``strip(x)``, ``len(x)``, ``num(x)`` (text to number, non-numeric -> null),
  ``str(x)``, ``substr(x, start, length)`` (1-based, like SAS), ``startswith(x, 'A')``,
  ``endswith(x, 'A')``, ``contains(x, 'A')``, ``matches(x, 'regex')``, ``coalesce(a, b, ...)``,
  ``if_else(cond, a, b)``, ``date(x)`` (first 10 characters of an ISO 8601 value)

Null semantics: a comparison with a null is False (as in SQL/SAS), ``not`` of that is True.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

_BACKTICK = re.compile(r"`([^`]+)`")


class ExprError(ValueError):
    """The expression is not valid in the language (message says what is wrong)."""


@cache
def parse(text: str) -> tuple[ast.Expression, dict[str, str]]:
    """Parse an expression; returns the tree and the back-tick placeholder names."""
    names: dict[str, str] = {}

    def repl(m: re.Match) -> str:
        key = f"__bt{len(names)}__"
        names[key] = m.group(1)
        return key

    src = _BACKTICK.sub(repl, str(text))
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in expression {text!r}: {exc.msg}") from None
    _check(tree.body, text)
    return tree, names


_ALLOWED = (
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.BinOp, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In,
    ast.NotIn, ast.Name, ast.Attribute, ast.Constant, ast.List, ast.Tuple, ast.Call, ast.Load,
)


def _check(node: ast.AST, text: str) -> None:
    for sub in ast.walk(node):
        if not isinstance(sub, _ALLOWED):
            raise ExprError(f"{type(sub).__name__} is not allowed in expression {text!r}")
        if isinstance(sub, ast.Call):
            if not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS:
                fname = getattr(sub.func, "id", ast.unparse(sub.func))
                raise ExprError(
                    f"unknown function {fname!r} in {text!r}; known: {', '.join(sorted(FUNCTIONS))}"
                )
            if sub.keywords:
                raise ExprError(f"keyword arguments are not allowed in {text!r}")


def columns(text: str) -> list[str]:
    """Column names an expression reads (for the missing-column check)."""
    tree, names = parse(text)
    out: list[str] = []
    for node in ast.walk(tree.body):
        if isinstance(node, ast.Call):
            continue
        name = _column_name(node, names)
        if name is not None and name not in out:
            out.append(name)
    # attribute chains also contain their inner Name nodes; keep only maximal names
    return [n for n in out if not any(o != n and o.startswith(n + ".") for o in out)]


def _column_name(node: ast.AST, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
        return names.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        parts = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name):
            parts.append(cur.id)
            return ".".join(reversed(parts))
    return None


def evaluate(text: str, frame: pd.DataFrame) -> pd.Series | Any:
    """Evaluate an expression on ``frame``; returns a Series aligned with the frame (or a scalar)."""
    tree, names = parse(text)
    return _Eval(frame, names, text).visit(tree.body)


def condition(text: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a condition to a boolean Series (nulls count as False)."""
    value = evaluate(text, frame)
    if not isinstance(value, pd.Series):
        return pd.Series(bool(value), index=frame.index)
    return value.fillna(False).astype(bool)


def by_unique(s: pd.Series, fn: Callable[[pd.Series], pd.Series], fill: Any = None) -> pd.Series:
    """``fn`` computed once per distinct non-null value of ``s`` and spread back (vectorized take).

    Why: collected columns repeat a handful of values (dates, CRF answers) over many records;
    string work on the distinct values only is what keeps 10,000-subject studies fast.
    Nulls get ``fill``.
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    res = fn(pd.Series(uniq, dtype=object if s.dtype == object else None))
    values = res.to_numpy() if isinstance(res, pd.Series) else np.asarray(res)
    if values.dtype.kind in "bifM" and fill is None:
        fill = {"b": False, "i": np.nan, "f": np.nan, "M": np.datetime64("NaT")}[values.dtype.kind]
    if values.dtype.kind == "i":
        values = values.astype(float)
    ext = np.empty(len(values) + 1, dtype=values.dtype if values.dtype.kind in "bfM" else object)
    ext[:-1] = values
    ext[-1] = fill
    return pd.Series(ext.take(codes), index=s.index)


def _series(value: Any, index: pd.Index) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return pd.Series(np.full(len(index), value, dtype=object), index=index)


def _null(value: Any) -> Any:
    return pd.isna(value) if isinstance(value, pd.Series) else value is None


def _text(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return series_text(value)
    return value if value is None or isinstance(value, str) else _fmt(value)


def _num_text(num: pd.Series) -> pd.Series:
    """Numbers as text, whole numbers without ``.0`` (vectorized)."""
    num = num.astype(float)
    whole = num.notna() & np.isfinite(num) & (num % 1 == 0)
    out = num.astype(str).astype("object")
    out[whole] = num[whole].astype("int64").astype(str)
    return out.where(num.notna(), None)


def series_text(s: pd.Series) -> pd.Series:
    """A column as text with None for nulls; numbers lose a spurious ``.0``."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(str).astype("object")
    if pd.api.types.is_numeric_dtype(s):
        return _num_text(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype("object").where(s.notna(), None)
    obj = s.astype("object")
    kind = pd.api.types.infer_dtype(obj, skipna=True)
    if kind in ("string", "empty"):
        return obj.where(obj.notna(), None) if obj.hasnans else obj
    nums = pd.to_numeric(obj, errors="coerce")
    isnum = obj.notna() & nums.notna() & ~obj.map(type).eq(str)
    out = obj.astype(str).astype("object")
    out[isnum] = _num_text(nums[isnum])
    return out.where(obj.notna(), None)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _str_method(name: str) -> Callable[..., Any]:
    def run(x: Any, *args: Any) -> Any:
        if isinstance(x, pd.Series):
            return by_unique(_text(x), lambda u: getattr(u.str, name)(*args))
        return None if x is None else getattr(str(x), name)(*args)

    return run


def _substr(x: Any, start: Any, length: Any = None) -> Any:
    s = int(start) - 1
    e = None if length is None else s + int(length)
    if isinstance(x, pd.Series):
        return _text(x).str.slice(s, e)
    return None if x is None else str(x)[s:e]


def _num(x: Any) -> Any:
    if isinstance(x, pd.Series):
        return pd.to_numeric(x, errors="coerce")
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _blank(x: Any) -> Any:
    if isinstance(x, pd.Series):
        if x.dtype != object:
            return x.isna()
        return by_unique(x, lambda u: u.astype(str).str.strip().eq(""), fill=True).astype(bool)
    return x is None or str(x).strip() == ""


def _coalesce(*args: Any) -> Any:
    out = args[0]
    for a in args[1:]:
        if isinstance(out, pd.Series):
            out = out.where(out.notna(), a) if not isinstance(a, pd.Series) else out.fillna(a)
        elif out is None:
            out = a
    return out


def _if_else(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(cond, pd.Series):
        idx = cond.index
        c = cond.fillna(False).astype(bool)
        return _series(a, idx).where(c, _series(b, idx))
    return a if cond else b


def _bool_str(x: Any, vec: Callable[[pd.Series], pd.Series], one: Callable[[str], bool]) -> Any:
    """A text predicate, computed once per distinct value of a column (nulls: False)."""
    if isinstance(x, pd.Series):
        return by_unique(_text(x), lambda u: vec(u).astype(bool), fill=False).astype(bool)
    return x is not None and one(str(x))


def _contains(x: Any, pat: str) -> Any:
    return _bool_str(x, lambda u: u.str.contains(pat, regex=False, na=False), lambda v: pat in v)


def _matches(x: Any, pat: str) -> Any:
    return _bool_str(x, lambda u: u.str.fullmatch(pat, na=False), lambda v: re.fullmatch(pat, v) is not None)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isnull": lambda x: _null(x),
    "notnull": lambda x: ~_null(x) if isinstance(x, pd.Series) else x is not None,
    "blank": _blank,
    "upper": _str_method("upper"),
    "lower": _str_method("lower"),
    "strip": _str_method("strip"),
    "len": lambda x: _text(x).str.len() if isinstance(x, pd.Series) else len(str(x)),
    "num": _num,
    "str": _text,
    "substr": _substr,
    "startswith": lambda x, p: _bool_str(x, lambda u: u.str.startswith(p, na=False), lambda v: v.startswith(p)),
    "endswith": lambda x, p: _bool_str(x, lambda u: u.str.endswith(p, na=False), lambda v: v.endswith(p)),
    "contains": _contains,
    "matches": _matches,
    "coalesce": _coalesce,
    "if_else": _if_else,
    "date": lambda x: _substr(x, 1, 10),
}


class _Eval:
    def __init__(self, frame: pd.DataFrame, names: dict[str, str], text: str):
        self.frame = frame
        self.names = names
        self.text = text

    def visit(self, node: ast.AST) -> Any:
        name = _column_name(node, self.names)
        if name is not None:
            if name not in self.frame.columns:
                raise ExprError(f"column {name!r} of expression {self.text!r} is not in the table")
            return self.frame[name]
        method = getattr(self, f"v_{type(node).__name__}")
        return method(node)

    def v_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def v_List(self, node: ast.List) -> Any:
        return [self.visit(e) for e in node.elts]

    v_Tuple = v_List

    def v_Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        return func(*[self.visit(a) for a in node.args])

    def v_UnaryOp(self, node: ast.UnaryOp) -> Any:
        val = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            if isinstance(val, pd.Series):
                return ~val.fillna(False).astype(bool)
            return not val
        return -val

    def v_BoolOp(self, node: ast.BoolOp) -> Any:
        vals = [self.visit(v) for v in node.values]
        out = _series(vals[0], self.frame.index).fillna(False).astype(bool)
        for v in vals[1:]:
            s = _series(v, self.frame.index).fillna(False).astype(bool)
            out = (out & s) if isinstance(node.op, ast.And) else (out | s)
        return out

    def v_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Add) and (_is_text(left) or _is_text(right)):
            l_, r_ = _series(_text(left), self.frame.index), _series(_text(right), self.frame.index)
            out = l_.astype("object") + r_.astype("object").where(r_.notna(), np.nan)
            return out.where(l_.notna() & r_.notna(), None)
        ops = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__"}
        left, right = _as_number(left), _as_number(right)
        return getattr(left, ops[type(node.op)])(right)

    def v_Compare(self, node: ast.Compare) -> Any:
        result: Any = None
        left = self.visit(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comp)
            cur = _compare(op, left, right, self.frame.index)
            result = cur if result is None else (result & cur)
            left = right
        return result


def _is_text(v: Any) -> bool:
    """Text when a literal string, or an object column whose first non-null value is a string."""
    if isinstance(v, str):
        return True
    if not (isinstance(v, pd.Series) and v.dtype == object):
        return False
    first = v.first_valid_index()
    return first is not None and isinstance(v.loc[first], str)


def _as_number(v: Any) -> Any:
    if isinstance(v, pd.Series) and v.dtype == object:
        return pd.to_numeric(v, errors="coerce")
    return v


def _compare(op: ast.cmpop, left: Any, right: Any, index: pd.Index) -> pd.Series:
    ls = _series(left, index)
    if isinstance(op, (ast.In, ast.NotIn)):
        values = right if isinstance(right, list) else [right]
        res = ls.isin(values) & ls.notna()
        return ~res & ls.notna() if isinstance(op, ast.NotIn) else res
    rs = right
    if isinstance(right, (int, float)) and not isinstance(right, bool) and ls.dtype == object:
        ls = pd.to_numeric(ls, errors="coerce")
    if isinstance(right, pd.Series) and isinstance(left, (int, float)) and right.dtype == object:
        rs = pd.to_numeric(right, errors="coerce")
    valid = ls.notna() & (_series(rs, index).notna() if isinstance(rs, pd.Series) else rs is not None)
    fn = {
        ast.Eq: lambda a, b: a == b,
        ast.NotEq: lambda a, b: a != b,
        ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b,
        ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b,
    }[type(op)]
    if rs is None:
        return pd.Series(False, index=index)
    safe_l = ls.where(valid, other=_filler(ls))
    safe_r = rs.where(valid, other=_filler(rs)) if isinstance(rs, pd.Series) else rs
    try:
        out = fn(safe_l, safe_r)
    except TypeError as exc:
        raise ExprError(f"cannot compare values: {exc}") from None
    return pd.Series(out, index=index).astype(bool) & valid


def _filler(s: Any) -> Any:
    """A harmless stand-in for nulls while comparing (the result is masked out afterwards)."""
    if isinstance(s, pd.Series) and pd.api.types.is_numeric_dtype(s):
        return 0
    if isinstance(s, pd.Series):
        sample = s.dropna()
        if not sample.empty and not isinstance(sample.iloc[0], str):
            return sample.iloc[0]
    return ""
