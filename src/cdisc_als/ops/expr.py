"""The one expression language of the specs: ``where``/``filter`` conditions and computed values.

SDTM mapping specs and ADaM derivation specs share this module (one grammar, one null logic, one
function list; docs/spec-language.md "Expressions" is the reference). Why not ``eval`` or
``DataFrame.query``: specs are data and must never run arbitrary code, and pandas' own
comparisons turn ``NaN != "X"`` into True, which would silently keep records a reviewer expects
dropped. Expressions are parsed with Python's ``ast``; only a whitelist of node types and
functions is evaluated, each on whole columns (pandas Series), never row by row.

Grammar (Python syntax, plus the admiral/R spellings):

- column names ``AESER``; dotted raw names as written (``IT.AESER``); any other name in back-ticks
- literals ``'Y'``, ``"Y"``, ``3``, ``2.5``, ``None``/``null``/``NA``, ``True``; lists ``['A', 'B']``
- comparisons ``== != < <= > >=``, chained (``0 < X <= 4``), ``in`` / ``not in`` a list
- logic ``and``/``&``, ``or``/``|``, ``not``/``!``; ``&``, ``|`` and ``!`` are rewritten to the
  words (outside quoted text), so they bind like R's: ``A == 1 & B == 2`` is
  ``(A == 1) and (B == 2)``
- arithmetic ``+ - * / // % **``; ``+`` joins text; a date plus/minus a number moves by days;
  date minus date is a number of days

Null semantics (Kleene three-valued logic, as SQL and R): a comparison with a null is null;
``not null`` is null; ``False and null`` is False, ``True or null`` is True, otherwise ``and``/``or``
with a null is null; a text test (``contains``, ``startswith``, ...) of a null is null.
``is_null``/``not_null``/``blank`` and ``in``/``not in`` are never null (``x in [...]`` is False
for a null ``x``, so ``x not in [...]`` is True, as R's ``!(x %in% ...)``). A condition keeps
only the rows where it is True; ``if_else`` gives null where its condition is null.
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
_PROTECTED = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)""")


class ExprError(ValueError):
    """The expression is not valid in the language (message says what is wrong)."""


def rewrite(text: str) -> str:
    """R-style logic to Python words: ``&``/``&&``, ``|``/``||``, ``!`` (not ``!=``) outside quoted
    text and back-ticked names become ``and``, ``or``, ``not`` (so they get R's precedence)."""
    parts = _PROTECTED.split(str(text).strip())
    for i in range(0, len(parts), 2):
        p = re.sub(r"&&?", " and ", parts[i])
        p = re.sub(r"\|\|?", " or ", p)
        parts[i] = re.sub(r"!(?!=)", " not ", p)
    return "".join(parts).strip()


@cache
def parse(text: str) -> tuple[ast.Expression, dict[str, str]]:
    """Parse an expression; returns the tree and the back-tick placeholder names."""
    names: dict[str, str] = {}

    def repl(m: re.Match) -> str:
        key = f"__bt{len(names)}__"
        names[key] = m.group(1)
        return key

    src = _BACKTICK.sub(repl, rewrite(text))
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in expression {text!r}: {exc.msg}") from None
    _check(tree.body, text)
    return tree, names


_ALLOWED = (
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Invert, ast.USub, ast.UAdd, ast.BinOp,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.Compare, ast.Eq,
    ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Name, ast.Attribute,
    ast.Constant, ast.List, ast.Tuple, ast.Call, ast.Load,
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


_CONSTANT_NAMES = {"null": None, "NA": None, "None": None, "True": True, "False": False}


def columns(text: str) -> list[str]:
    """Column names an expression reads (for the missing-column check and column pruning)."""
    tree, names = parse(text)
    out: list[str] = []
    for node in ast.walk(tree.body):
        if isinstance(node, ast.Call):
            continue
        name = _column_name(node, names)
        if name is not None and name not in out and name not in _CONSTANT_NAMES:
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


def evaluate(text: Any, frame: pd.DataFrame, extra: dict[str, Any] | None = None) -> pd.Series | Any:
    """Value of an expression on ``frame``: a Series aligned with the frame, or a scalar.

    A non-text ``text`` is a literal from YAML (number, bool, null) and is returned as it is.
    ``extra`` adds named values (e.g. another frame's column) that win over the frame's columns.
    """
    if not isinstance(text, str):
        return text
    tree, names = parse(text)
    return _Eval(frame, names, text, extra or {}).visit(tree.body)


def condition(text: Any, frame: pd.DataFrame, extra: dict[str, Any] | None = None) -> pd.Series:
    """Rows where a condition is True, as a bool Series (null and False both drop the row).

    No condition (``None``/``True``) keeps every row.
    """
    if text is None or text is True:
        return pd.Series(True, index=frame.index)
    value = evaluate(text, frame, extra)
    if not isinstance(value, pd.Series):
        return pd.Series(value is not None and value is not pd.NA and bool(value), index=frame.index)
    return _to_bool(value, frame.index).fillna(False).astype(bool)


# -- text helpers (also used by the mapping operations) --------------------------------------

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
        na = obj.isna()  # one null scan (hasnans and notna would each scan the column)
        return obj.where(~na, None) if na.any() else obj
    nums = pd.to_numeric(obj, errors="coerce")
    isnum = obj.notna() & nums.notna() & ~obj.map(type).eq(str)
    out = obj.astype(str).astype("object")
    out[isnum] = _num_text(nums[isnum])
    return out.where(obj.notna(), None)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _blank(x: Any) -> Any:
    if isinstance(x, pd.Series):
        if x.dtype != object:
            return x.isna()
        return by_unique(x, lambda u: u.astype(str).str.strip().eq(""), fill=True).astype(bool)
    return x is None or str(x).strip() == ""


# -- values ---------------------------------------------------------------------------------

def _is_dt(s: Any) -> bool:
    return isinstance(s, pd.Series) and pd.api.types.is_datetime64_any_dtype(s)


def _bool(values: Any, null_mask: Any, index: pd.Index) -> pd.Series:
    """A nullable ``boolean`` Series: ``values`` with nulls where ``null_mask``."""
    out = pd.Series(pd.array(np.asarray(values, dtype=bool), dtype="boolean"), index=index)
    if null_mask is not None:
        out[np.asarray(null_mask, dtype=bool)] = pd.NA
    return out


def _isna(x: Any, index: pd.Index) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.isna().to_numpy()
    return np.full(len(index), x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)))


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


def _to_bool(v: Any, index: pd.Index) -> pd.Series:
    """Any value as a nullable boolean Series (text: non-empty is True; null stays null)."""
    s = _as_series(v, index)
    if isinstance(s.dtype, pd.BooleanDtype):
        return s
    try:
        return s.astype("boolean")
    except (TypeError, ValueError):
        null = s.isna().to_numpy()
        return _bool(np.where(null, False, s.astype(bool).to_numpy()), null, index)


def _numeric_or_same(s: pd.Series) -> pd.Series:
    """Numbers stored as integer/nullable types become float so that comparisons behave."""
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


def _is_text(v: Any) -> bool:
    """Text when a literal string, or an object column whose first non-null value is a string."""
    if isinstance(v, str):
        return True
    if not (isinstance(v, pd.Series) and v.dtype == object):
        return False
    first = v.first_valid_index()
    return first is not None and isinstance(v.loc[first], str)


def _as_number(v: Any) -> Any:
    """Text columns in arithmetic are read as numbers (non-numeric text becomes null)."""
    if isinstance(v, pd.Series) and v.dtype == object:
        kind = pd.api.types.infer_dtype(v, skipna=True)
        if kind in ("string", "mixed", "empty", "integer", "floating", "mixed-integer-float", "decimal"):
            return pd.to_numeric(v, errors="coerce")
    return v


# -- functions (each takes the frame index first, then the spec's arguments) ------------------

def _str_method(name: str) -> Callable[..., Any]:
    def run(idx: pd.Index, x: Any, *args: Any) -> Any:
        if isinstance(x, pd.Series):
            return by_unique(_text(x), lambda u: getattr(u.str, name)(*args))
        return None if x is None else getattr(str(x), name)(*args)

    return run


def _substr(idx: pd.Index, x: Any, start: Any, length: Any = None) -> Any:
    s = int(start) - 1
    e = None if length is None else s + int(length)
    if isinstance(x, pd.Series):
        return _text(x).str.slice(s, e)
    return None if x is None else str(x)[s:e]


def _num(idx: pd.Index, x: Any) -> Any:
    if isinstance(x, pd.Series):
        return pd.to_numeric(x, errors="coerce")
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _length(idx: pd.Index, x: Any) -> Any:
    if isinstance(x, pd.Series):
        return _text(x).str.len().astype("float64")
    return None if x is None else float(len(_text(x)))


def _text_test(vec: Callable[[pd.Series], pd.Series]) -> Callable[..., pd.Series]:
    """A text predicate, computed once per distinct value of a column; null for a null value."""

    def run(idx: pd.Index, x: Any) -> pd.Series:
        txt = _text(_as_series(x, idx))
        return _bool(by_unique(txt, lambda u: vec(u).astype(bool), fill=False).astype(bool), txt.isna(), idx)

    return run


def _contains(idx: pd.Index, x: Any, pattern: str) -> pd.Series:
    return _text_test(lambda u: u.str.contains(pattern, regex=True, na=False))(idx, x)


def _matches(idx: pd.Index, x: Any, pattern: str) -> pd.Series:
    return _text_test(lambda u: u.str.fullmatch(pattern, na=False))(idx, x)


def _startswith(idx: pd.Index, x: Any, prefix: str) -> pd.Series:
    return _text_test(lambda u: u.str.startswith(prefix, na=False))(idx, x)


def _endswith(idx: pd.Index, x: Any, suffix: str) -> pd.Series:
    return _text_test(lambda u: u.str.endswith(suffix, na=False))(idx, x)


def _coalesce(idx: pd.Index, *args: Any) -> pd.Series:
    out = _as_series(args[0], idx).copy()
    for a in args[1:]:
        out = out.where(out.notna(), _as_series(a, idx))
    return out


def _if_else(idx: pd.Index, cond: Any, yes: Any, no: Any, missing: Any = None) -> pd.Series:
    """``yes`` where ``cond`` is True, ``no`` where False, ``missing`` (default null) where null,
    as dplyr's ``if_else(condition, true, false, missing)``."""
    c = _to_bool(cond, idx)
    y, n = _as_series(yes, idx), _as_series(no, idx)
    m = None if missing is None else _as_series(missing, idx)
    if _is_dt(y) or _is_dt(n) or _is_dt(m):
        out = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
        y, n = (v if _is_dt(v) else pd.to_datetime(v, errors="coerce").astype("datetime64[ns]") for v in (y, n))
        if m is not None and not _is_dt(m):
            m = pd.to_datetime(m, errors="coerce").astype("datetime64[ns]")
    else:
        out = pd.Series(None, index=idx, dtype="object")
    true = c.fillna(False).to_numpy(dtype=bool)
    false = (~c).fillna(False).to_numpy(dtype=bool)
    out[true] = y[true]
    out[false] = n[false]
    if m is not None:
        null = c.isna().to_numpy()
        out[null] = m[null]
    if not _is_dt(out):
        out = out.infer_objects()
    return out


def _pm(how: str) -> Callable[..., pd.Series]:
    def run(idx: pd.Index, *args: Any) -> pd.Series:
        frame = pd.concat([_as_series(a, idx) for a in args], axis=1)
        return frame.min(axis=1) if how == "min" else frame.max(axis=1)

    return run


def _dtc_to_dt(idx: pd.Index, x: Any, highest: str = "n", imputation: str = "first") -> pd.Series:
    from cdisc_als.adam.dates import impute, parse_iso

    series = _as_series(x, idx)
    codes, uniques = pd.factorize(series.astype("object"), use_na_sentinel=True)
    value, _, _ = impute(parse_iso(pd.Series(uniques, dtype="object")), highest, imputation, None)
    table = np.append(value.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(table[np.where(codes < 0, len(value), codes)], index=idx)


def _concat(idx: pd.Index, *args: Any) -> pd.Series:
    parts = [_as_series(a, idx).astype("string") for a in args]
    out = parts[0].fillna("")
    for p in parts[1:]:
        out = out + p.fillna("")
    return out.astype("object")


def _float(fn: Callable[[pd.Series], Any]) -> Callable[..., Any]:
    return lambda idx, x: fn(_as_series(x, idx).astype("float64"))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "is_null": lambda idx, x: _bool(_isna(x, idx), None, idx),
    "not_null": lambda idx, x: _bool(~_isna(x, idx), None, idx),
    "blank": lambda idx, x: _bool(_blank(_as_series(x, idx)), None, idx),
    "upper": _str_method("upper"),
    "lower": _str_method("lower"),
    "strip": _str_method("strip"),
    "length": _length,
    "num": _num,
    "str": lambda idx, x: _text(x),
    "substr": _substr,
    "startswith": _startswith,
    "endswith": _endswith,
    "contains": _contains,
    "matches": _matches,
    "coalesce": _coalesce,
    "if_else": _if_else,
    "pmin": _pm("min"),
    "pmax": _pm("max"),
    "date": lambda idx, x: _to_date(_as_series(x, idx)),
    "dtc_to_dt": _dtc_to_dt,
    "days": lambda idx, n: pd.Timedelta(days=float(n)),
    "year": lambda idx, x: _as_series(x, idx).dt.year.astype("float64"),
    "round": lambda idx, x, n=0: _as_series(x, idx).astype("float64").round(int(n)),
    "floor": _float(np.floor),
    "ceil": _float(np.ceil),
    "abs": _float(lambda s: s.abs()),
    "concat": _concat,
    "null": lambda idx: None,
}
# the SDTM spellings: one function, two names
ALIASES = {"isnull": "is_null", "is_na": "is_null", "notnull": "not_null", "len": "length"}
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in ALIASES.items()})


# -- evaluation -----------------------------------------------------------------------------

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def _is_number(x: Any) -> bool:
    if isinstance(x, pd.Series):
        return pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


class _Eval:
    """Evaluate one parsed expression on a frame, node by node, each node on whole columns."""

    def __init__(self, frame: pd.DataFrame, names: dict[str, str], text: str, extra: dict[str, Any]):
        self.frame = frame
        self.index = frame.index
        self.names = names
        self.text = text
        self.extra = extra

    def visit(self, node: ast.AST) -> Any:
        name = _column_name(node, self.names)
        if name is not None:
            return self.lookup(name)
        method = getattr(self, f"v_{type(node).__name__}")
        return method(node)

    def lookup(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        if name in self.frame.columns:
            return _numeric_or_same(self.frame[name])
        if name in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[name]
        raise ExprError(
            f"unknown column {name!r} in expression {self.text!r} (have: {', '.join(map(str, self.frame.columns))})"
        )

    def v_Name(self, node: ast.Name) -> Any:
        return self.lookup(node.id)  # a function's name used as a value (e.g. a column ``date``)

    def v_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def v_List(self, node: ast.List) -> Any:
        return [self.visit(e) for e in node.elts]

    v_Tuple = v_List

    def v_Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        try:
            return func(self.index, *[self.visit(a) for a in node.args])
        except TypeError as exc:
            raise ExprError(f"{node.func.id}(): {exc} in expression {self.text!r}") from None  # type: ignore[attr-defined]

    def v_UnaryOp(self, node: ast.UnaryOp) -> Any:
        val = self.visit(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return ~_to_bool(val, self.index)
        if isinstance(node.op, ast.USub):
            return -_as_number(val)
        return val

    def v_BoolOp(self, node: ast.BoolOp) -> Any:
        vals = [_to_bool(self.visit(v), self.index) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out

    def v_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        idx = self.index
        if isinstance(node.op, ast.Add) and (_is_text(left) or _is_text(right)) and not (_is_dt(left) or _is_dt(right)):
            l_, r_ = _as_series(_text(left), idx), _as_series(_text(right), idx)
            out = l_.astype("object") + r_.astype("object").where(r_.notna(), np.nan)
            return out.where(l_.notna() & r_.notna(), None)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            # date +/- number of days
            if _is_dt(left) and isinstance(right, (int, float, pd.Series)) and not _is_dt(right):
                right = pd.to_timedelta(_as_series(_as_number(right), idx).astype("float64"), unit="D")
            if isinstance(node.op, ast.Add) and _is_dt(right) and not _is_dt(left) and not isinstance(left, pd.Timedelta):
                left = pd.to_timedelta(_as_series(_as_number(left), idx).astype("float64"), unit="D")
        out = _ARITH[type(node.op)](_as_number(left), _as_number(right))
        if isinstance(out, pd.Series) and pd.api.types.is_timedelta64_dtype(out):
            return out.dt.total_seconds() / 86400.0  # date - date = days (float)
        return out

    def v_Compare(self, node: ast.Compare) -> Any:
        result: Any = None
        left = self.visit(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comp)
            cur = _compare(left, op, right, self.index)
            result = cur if result is None else (result & cur)
            left = right
        return result


def _compare(left: Any, op: ast.cmpop, right: Any, idx: pd.Index) -> pd.Series:
    """One comparison as a nullable boolean Series: null where either side is null."""
    if isinstance(op, (ast.In, ast.NotIn)):
        values = right if isinstance(right, list) else [right]
        s = _as_series(left, idx)
        res = s.isin(values).to_numpy() & s.notna().to_numpy()
        return _bool(~res if isinstance(op, ast.NotIn) else res, None, idx)
    fn = _CMP[type(op)]
    if right is None or left is None:
        return _bool(np.zeros(len(idx), dtype=bool), np.ones(len(idx), dtype=bool), idx)
    if isinstance(right, str) and isinstance(left, pd.Series) and left.dtype == object and type(op) in (ast.Eq, ast.NotEq):
        # text column against a text constant: one numpy comparison, no broadcast column
        null = left.isna().to_numpy()
        return _bool(np.where(null, False, fn(left.to_numpy(), right)), null, idx)
    ls, rs = _as_series(left, idx), _as_series(right, idx)
    # a number against a text column compares numbers (non-numeric text is null)
    if _is_number(left) and rs.dtype == object:
        rs = pd.to_numeric(rs, errors="coerce")
    if _is_number(right) and ls.dtype == object:
        ls = pd.to_numeric(ls, errors="coerce")
    if _is_dt(ls) and not _is_dt(rs) and rs.notna().any():
        rs = _to_date(rs)
    if _is_dt(rs) and not _is_dt(ls) and ls.notna().any():
        ls = _to_date(ls)
    null = ls.isna().to_numpy() | rs.isna().to_numpy()
    fast = (_is_dt(ls) and _is_dt(rs)) or (_is_number(ls) and _is_number(rs))
    if fast:
        with np.errstate(invalid="ignore"):
            raw = fn(ls.to_numpy(), rs.to_numpy())
        return _bool(np.where(null, False, raw), null, idx)
    a = ls.astype("object").where(~null, None).to_numpy()
    b = rs.astype("object").where(~null, None).to_numpy()
    ok = ~null
    raw = np.zeros(len(idx), dtype=bool)
    if ok.any():
        try:
            part = fn(a[ok], b[ok])
        except TypeError:
            part = fn(a[ok].astype(str), b[ok].astype(str)) if type(op) not in (ast.Eq, ast.NotEq) else None
            if part is None:
                raise ExprError(f"cannot compare values of {ls.dtype} and {rs.dtype}") from None
        raw[ok] = np.asarray(part, dtype=bool)
    return _bool(raw, null, idx)
