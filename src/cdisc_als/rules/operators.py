"""The vocabulary of checks a rule file may use, each a vectorized column operation.

An operator receives the dataset (``Target``), the run ``Context``, the rule's arguments (checked
before any data is read against the operator's cerberus schema) and the boolean row mask of the
rule's ``when`` conditions. It returns the findings as a DataFrame with the columns ``row``
(0-based row position, <NA> for dataset-level findings), ``variable``, ``value`` and
``expected``. ``scope`` says how the engine calls it: once per ``record``/``dataset`` of every
matching dataset, or once per run (``study``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import TEXT, Target, as_text

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


# ----------------------------------------------------------------------------- helpers


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


def composite_key(parts: list[pd.Series]) -> pd.Series:
    """One string key per row from several text columns (vectorized), <NA> when any part is null."""
    out = parts[0].astype("string")
    for p in parts[1:]:
        out = out + "\x1f" + p.astype("string")
    return out


# ---------------------------------------------------------------------------- presence


@operator("not_null", vars=VARS)
def op_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each listed variable is populated (on the rows selected by ``when``)."""
    return concat(
        [hits(mask & t.null(v), v, None, "not null") for v in present_vars(t, args["vars"])]
    )


@operator("null", vars=VARS)
def op_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each listed variable is empty (on the rows selected by ``when``)."""
    return concat(
        [hits(mask & ~t.null(v), v, t.text(v), "null") for v in present_vars(t, args["vars"])]
    )


@operator("any_not_null", vars=VARS)
def op_any_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """At least one of the listed variables is populated."""
    have = present_vars(t, args["vars"])
    all_null = np.logical_and.reduce([t.null(v) for v in have])
    return hits(mask & all_null, "/".join(have), None, f"one of {', '.join(have)} populated")


@operator("absent", scope="dataset", vars=VARS)
def op_absent(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The listed variables must not be in the dataset."""
    names = [v for v in t.expand(args["vars"]) if v in t.frame.columns]
    return concat([meta_hit(v, "present", "variable not present") for v in names])


@operator("present", scope="dataset", vars=VARS)
def op_present(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The listed variables must be in the dataset."""
    names = [v for v in t.expand(args["vars"]) if v not in t.frame.columns]
    return concat([meta_hit(v, "missing", "variable present") for v in names])


def _meta_vars(t: Target, ctx: Context, core: str, fallback: dict[str, list[str]]) -> list[str]:
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None and t.name.startswith("SUPP"):
        meta = ctx.meta("SUPPQUAL")
    if meta is not None:
        return [v.name for v in meta.variables if (v.core or "").lower() == core.lower()]
    fb = fallback.get(t.domain) or fallback.get("SUPP--" if t.name.startswith("SUPP") else "")
    if fb is None:
        raise NotApplicable("no standard metadata")
    return t.expand(fb)


FALLBACK = {"type": "dict", "default": {}, "valuesrules": {"type": "list", "schema": {"type": "string"}}}


@operator("metadata_present", scope="dataset", core={"type": "string", "allowed": ["Req", "Exp"], "required": True}, fallback=FALLBACK)
def op_metadata_present(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every variable the standard marks ``core`` (Req or Exp) for this dataset is present."""
    names = _meta_vars(t, ctx, args["core"], args.get("fallback", {}))
    missing = [v for v in names if v not in t.frame.columns]
    return concat([meta_hit(v, "missing", f"{args['core']} variable present") for v in missing])


@operator("metadata_not_null", core={"type": "string", "allowed": ["Req"], "required": True}, fallback=FALLBACK)
def op_metadata_not_null(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every Required variable present in the dataset is populated on every record."""
    names = [v for v in _meta_vars(t, ctx, args["core"], args.get("fallback", {})) if v in t.frame.columns]
    return concat([hits(mask & t.null(v), v, None, "Required variable not null") for v in names])


@operator("nonempty", scope="dataset")
def op_nonempty(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The dataset has at least one record."""
    return meta_hit(None, "0 records", "at least one record") if len(t) == 0 else empty_hits()


@operator("dataset_present", scope="study", datasets=VARS)
def op_dataset_present(ctx: Context, args: dict) -> pd.DataFrame:
    """The listed datasets are part of the submission."""
    rows = [{"dataset": d, "row": pd.NA, "variable": None, "value": "missing", "expected": "dataset present"}
            for d in args["datasets"] if ctx.target(d) is None]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


# ------------------------------------------------------------------------------ values


def _values(args: dict) -> tuple[list[str], bool]:
    ic = bool(args.get("ignore_case", False))
    vals = [str(v) for v in args["values"]]
    return ([v.upper() for v in vals] if ic else vals), ic


VALUES = {"type": "list", "required": True}


@operator("in_values", vars=VARS, values=VALUES, ignore_case={"type": "boolean"}, allow_null={"type": "boolean", "default": True})
def op_in_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Values are one of ``values``; null is accepted unless ``allow_null`` is false."""
    vals, ic = _values(args)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        cmp = s.str.upper() if ic else s
        considered = s.notna().to_numpy() if args.get("allow_null", True) else np.ones(len(t), dtype=bool)
        bad = mask & considered & ~cmp.isin(vals).to_numpy()
        parts.append(hits(bad, v, s, " | ".join(map(str, args["values"]))))
    return concat(parts)


@operator("not_in_values", vars=VARS, values=VALUES, ignore_case={"type": "boolean"})
def op_not_in_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values are none of ``values``."""
    vals, ic = _values(args)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        cmp = s.str.upper() if ic else s
        bad = mask & cmp.isin(vals).fillna(False).to_numpy()
        parts.append(hits(bad, v, s, f"not one of {', '.join(map(str, args['values']))}"))
    return concat(parts)


@operator(
    "in_codelist",
    extensible={"type": "boolean", "required": True},
    map={"type": "dict", "default": {}, "valuesrules": {"type": "string"}},
    use_metadata={"type": "boolean", "default": True},
    skip_vars={"type": "list", "schema": {"type": "string"}, "default": []},
    allow={"type": "dict", "default": {}, "valuesrules": {"type": "list", "schema": {"type": "string"}}},
)
def op_in_codelist(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Values are submission values of the variable's codelist (from metadata or ``map``).

    Only codelists whose extensibility equals ``extensible`` are checked, so one rule reports
    non-extensible violations (errors) and another extensible ones (sponsor terms, warnings).
    """
    if ctx.ct is None:
        raise NotApplicable("no controlled terminology available")
    pairs: dict[str, str] = {}
    for var, cl in (args.get("map") or {}).items():
        for name in t.expand([var]):
            pairs[name] = cl
    if args.get("use_metadata", True):
        meta = ctx.meta(t.name) or ctx.meta(t.domain)
        if meta is not None:
            for v in meta.variables:
                name = t.resolve(v.name) if v.name.startswith("--") else v.name
                if v.codelist:
                    pairs[name] = v.codelist
        for v in t.ds.variables:
            if v.codelist:
                pairs[v.name] = v.codelist
    skip = set(t.expand(args.get("skip_vars") or []))
    parts = []
    for var, cl_id in pairs.items():
        if var not in t.frame.columns or var in skip:
            continue
        cl = ctx.ct.get(cl_id)
        if cl is None or cl.extensible != args["extensible"]:
            continue
        s = t.text(var)
        allowed = set(cl.values) | set((args.get("allow") or {}).get(var, []))
        bad = mask & s.notna().to_numpy() & ~s.isin(list(allowed)).to_numpy()
        kind = "extensible" if cl.extensible else "non-extensible"
        parts.append(hits(bad, var, s, f"value in {kind} codelist {cl.id} ({cl.code})"))
    return concat(parts)


# ----------------------------------------------------------------------------- formats

# ISO 8601 as SDTM uses it: complete or right-truncated date/time, unknown middle components as
# "-" (e.g. 2003---15), optional fraction and time zone.
DTC_RE = (
    r"^(?:\d{4}|-)(?:-(?:\d{2}|-)(?:-(?:\d{2}|-)"
    r"(?:T(?:\d{2}|-)(?::(?:\d{2}|-)(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)
# ISO 8601 duration; RE2 (Arrow) has no look-ahead, so "at least one component" and "T followed by
# a component" are the extra conditions in ``duration_ok``.
DUR_RE = (
    r"^-?P(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$"
)


def duration_ok(s: pd.Series) -> pd.Series:
    """True where ``s`` is an ISO 8601 duration (P1D, PT2H30M, -P1Y; not P or P1DT)."""
    return s.str.match(DUR_RE) & s.str.contains(r"\d", regex=True) & ~s.str.endswith("T")


def datetime_ok(s: pd.Series) -> pd.Series:
    return s.str.match(DTC_RE)
COMPLETE_DATE_RE = r"^\d{4}-\d{2}-\d{2}"


@operator("iso8601", vars=VARS, kind={"type": "string", "allowed": ["datetime", "duration", "datetime_or_interval"], "default": "datetime"})
def op_iso8601(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Character date/times (or durations) are ISO 8601 strings. Numeric columns are skipped."""
    kind = args.get("kind", "datetime")
    check = duration_ok if kind == "duration" else datetime_ok
    parts = []
    for v in present_vars(t, args["vars"]):
        if t.is_numeric_col(v) or pd.api.types.is_datetime64_any_dtype(t.frame[v]):
            continue
        s = t.text(v)
        ok = check(s)
        if kind == "datetime_or_interval":
            halves = s.astype(object).str.split("/", n=1, expand=True)
            if halves.shape[1] == 2:
                ok = ok | (check(halves[0]) & check(halves[1]))
        bad = mask & s.notna().to_numpy() & ~ok.fillna(False).to_numpy(dtype=bool)
        parts.append(hits(bad, v, s, "ISO 8601 " + ("duration" if kind == "duration" else "date/time")))
    return concat(parts)


def complete_dates(s: pd.Series) -> pd.Series:
    """datetime64 for values whose date part is complete and a real calendar date, else NaT.

    The strict format makes partial values (2020-01, 2003---15) and impossible dates NaT.
    Results are memoized per Series object (rules share the cached text columns).
    """
    key = id(s)
    hit = _DATE_CACHE.get(key)
    if hit is not None and hit[0] is s:
        return hit[1]
    out = pd.to_datetime(s.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    if len(_DATE_CACHE) > 256:
        _DATE_CACHE.clear()
    _DATE_CACHE[key] = (s, out)
    return out


_DATE_CACHE: dict[int, tuple[pd.Series, pd.Series]] = {}


@operator("valid_date", vars=VARS)
def op_valid_date(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """A complete date part is a real calendar date (2013-02-31 is not); time parts in range."""
    parts = []
    for v in present_vars(t, args["vars"]):
        if t.is_numeric_col(v) or pd.api.types.is_datetime64_any_dtype(t.frame[v]):
            continue
        s = t.text(v)
        has_date = s.str.match(COMPLETE_DATE_RE).fillna(False).to_numpy(dtype=bool)
        bad_date = has_date & complete_dates(s).isna().to_numpy()
        bad_time = np.zeros(len(s), dtype=bool)
        timed = s.str.contains("T", regex=False).fillna(False).to_numpy(dtype=bool)
        if timed.any():
            tm = s[timed].str.extract(r"T(\d{2})(?::(\d{2}))?(?::(\d{2}))?")
            h, m, sec = (pd.to_numeric(tm[i], errors="coerce") for i in range(3))
            bad_time[timed] = ((h > 23) | (m > 59) | (sec > 59)).fillna(False).to_numpy(dtype=bool)
        parts.append(hits(mask & (bad_date | bad_time), v, s, "valid calendar date/time"))
    return concat(parts)


@operator("max_length", vars=VARS, length={"type": "integer", "required": True}, unit={"type": "string", "allowed": ["chars", "bytes"], "default": "chars"})
def op_max_length(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Value length (characters, or UTF-8 bytes) is at most ``length``."""
    n = args["length"]
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        lens = s.str.encode("utf-8").str.len() if args.get("unit") == "bytes" else s.str.len()
        bad = mask & (lens > n).fillna(False).to_numpy(dtype=bool)
        parts.append(hits(bad, v, s, f"length <= {n} {args.get('unit', 'chars')}"))
    return concat(parts)


@operator("regex", vars=VARS, pattern={"type": "string", "required": True}, must_match={"type": "boolean", "default": True})
def op_regex(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values match (or, with must_match false, do not match) ``pattern``."""
    pat = args["pattern"]
    want = args.get("must_match", True)
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        m = s.str.match(pat).fillna(False).to_numpy(dtype=bool)
        bad = mask & s.notna().to_numpy() & (~m if want else m)
        parts.append(hits(bad, v, s, ("matches " if want else "does not match ") + args["pattern"]))
    return concat(parts)


@operator("numeric", vars=VARS, must_be={"type": "string", "allowed": ["numeric", "not_numeric", "integer", "non_negative"], "required": True})
def op_numeric(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Populated values are numbers / are not numbers / are integers / are >= 0."""
    kind = args["must_be"]
    parts = []
    for v in present_vars(t, args["vars"]):
        s = t.text(v)
        x = t.num(v)
        pop = s.notna().to_numpy()
        isnum = x.notna().to_numpy()
        if kind == "numeric":
            bad = pop & ~isnum
        elif kind == "not_numeric":
            bad = pop & isnum
        elif kind == "integer":
            bad = pop & ~(isnum & (np.mod(x.fillna(0.5).to_numpy(), 1) == 0))
        else:
            bad = isnum & (x.fillna(0).to_numpy() < 0)
        parts.append(hits(mask & bad, v, s, kind.replace("_", " ")))
    return concat(parts)


# ----------------------------------------------------------------------- keys, relations


@operator("unique", keys=VARS, optional_keys={"type": "list", "schema": {"type": "string"}, "default": []})
def op_unique(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The key variables identify one record (every record of a duplicated key is reported).

    ``optional_keys`` join the key when the dataset has them.
    """
    keys = present_vars(t, args["keys"], require_all=True)
    keys += [v for v in t.expand(args.get("optional_keys") or []) if v in t.columns and v not in keys]
    sub = pd.DataFrame({k: t.text(k) for k in keys})[mask]
    if sub.empty:
        return empty_hits()
    dup = np.zeros(len(t), dtype=bool)
    dup[np.flatnonzero(mask)] = sub.duplicated(keep=False).to_numpy()
    cols = [t.text(k) for k in keys]
    return hits(dup, "/".join(keys), lambda idx: joined(cols, idx), f"unique {', '.join(keys)}")


@operator(
    "one_to_one",
    vars={**VARS, "minlength": 2, "maxlength": 2},
    within=VARS | {"required": False},
    within_optional={"type": "list", "schema": {"type": "string"}, "default": []},
    one_way={"type": "boolean", "default": False},
)
def op_one_to_one(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Two variables map one to one (optionally within groups): rows of offending values.

    ``one_way``: only the first determines the second (e.g. one unit per test);
    ``within_optional``: grouping variables used when the dataset has them.
    """
    a, b = present_vars(t, args["vars"], require_all=True)
    within = present_vars(t, args["within"], require_all=True) if args.get("within") else []
    within += [v for v in t.expand(args.get("within_optional") or []) if v in t.columns]
    frame = pd.DataFrame({"a": t.text(a), "b": t.text(b)} | {f"w{i}": t.text(w) for i, w in enumerate(within)})
    sel = mask & frame["a"].notna().to_numpy() & frame["b"].notna().to_numpy()
    sub = frame[sel]
    g = [f"w{i}" for i in range(len(within))]
    n_b = sub.groupby([*g, "a"], dropna=False)["b"].transform("nunique")
    bad = np.zeros(len(t), dtype=bool)
    if args.get("one_way"):
        bad[np.flatnonzero(sel)] = (n_b > 1).to_numpy()
    else:
        n_a = sub.groupby([*g, "b"], dropna=False)["a"].transform("nunique")
        bad[np.flatnonzero(sel)] = ((n_b > 1) | (n_a > 1)).to_numpy()
    return hits(bad, f"{a}/{b}", lambda idx: joined([frame["a"], frame["b"]], idx, " / "), f"{a} and {b} one-to-one")


PREDS = {"type": "list", "default": [], "schema": {"type": "dict"}}


@operator(
    "ref_exists",
    vars=VARS,
    dataset={"type": "string", "required": True},
    other_vars={"type": "list", "schema": {"type": "string"}},
    other_when=PREDS,
    negate={"type": "boolean", "default": False},
    missing_dataset={"type": "string", "allowed": ["skip", "fail"], "default": "skip"},
)
def op_ref_exists(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Key values of this dataset are found (or, with negate, not found) in another dataset.

    ``other_vars`` name the matching columns there (default: same names); for a single key a
    pattern such as ``TRT??P`` pools the values of every matching column.
    """
    from cdisc_als.rules.conditions import evaluate

    other = ctx.target(args["dataset"])
    keys = present_vars(t, args["vars"], require_all=True)
    if other is None:
        if args.get("missing_dataset") != "fail" or args.get("negate"):
            raise NotApplicable(f"{args['dataset']} not present")
        complete = np.logical_and.reduce([~t.null(k) for k in keys])
        return hits(mask & complete, "/".join(keys), t.text(keys[0]), f"{args['dataset']} present with a matching record")
    okeys = args.get("other_vars") or args["vars"]
    omask = evaluate(other, ctx, args.get("other_when") or [])
    if len(keys) == 1:
        cols = [c for c in other.expand(okeys) if c in other.columns]
        if not cols:
            raise NotApplicable("reference variable absent")
        pool = pd.concat([other.text(c)[omask] for c in cols]).dropna().unique()
        found = t.text(keys[0]).isin(pool).to_numpy()
        shown = t.text(keys[0])
    else:
        ocols = other.expand(okeys)
        if any(c not in other.columns for c in ocols):
            raise NotApplicable("reference variable absent")
        local_key, other_key = joint_codes([t.text(c) for c in keys], [other.text(c)[omask] for c in ocols])
        found = np.isin(local_key, other_key)
        cols = [t.text(c) for c in keys]

        def shown(idx, cols=cols):
            return joined(cols, idx)
    complete = np.logical_and.reduce([~t.null(k) for k in keys])
    bad = mask & complete & (found if args.get("negate") else ~found)
    where = f"{args['dataset']}.{'/'.join(okeys)}"
    return hits(bad, "/".join(keys), shown, ("not in " if args.get("negate") else "in ") + where)


@operator("supp_parent", mode={"type": "string", "allowed": ["rdomain", "idvar", "record"], "required": True})
def op_supp_parent(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """SUPP--/RELREC-style RDOMAIN, IDVAR and IDVARVAL resolve to a parent dataset, variable, record.

    ``rdomain``: RDOMAIN is a dataset of the study; ``idvar``: IDVAR is a variable of it;
    ``record``: (USUBJID, IDVARVAL) or USUBJID alone (IDVAR null) is a record of the parent.
    """
    for v in ("RDOMAIN", "USUBJID"):
        if v not in t.columns:
            raise NotApplicable(f"{v} absent")
    rdom = t.text("RDOMAIN")
    idvar = t.text("IDVAR") if "IDVAR" in t.columns else pd.Series(pd.NA, index=t.frame.index, dtype="string")
    idval = t.text("IDVARVAL") if "IDVARVAL" in t.columns else idvar
    mode = args["mode"]
    bad = np.zeros(len(t), dtype=bool)
    combos = pd.DataFrame({"r": rdom, "i": idvar}).drop_duplicates()
    for r, i in combos.itertuples(index=False):  # loop over (RDOMAIN, IDVAR) pairs, not rows
        if pd.isna(r):
            continue
        rows = (rdom == r).fillna(False).to_numpy() & (idvar.isna().to_numpy() if pd.isna(i) else (idvar == i).fillna(False).to_numpy())
        parent = ctx.target(r)
        if mode == "rdomain":
            bad |= rows & (parent is None)
            continue
        if parent is None:
            continue
        if mode == "idvar":
            if not pd.isna(i) and i not in parent.columns:
                bad |= rows
            continue
        if pd.isna(i):
            found = t.text("USUBJID").isin(parent.text("USUBJID").dropna().unique()).to_numpy()
        elif i in parent.columns:
            pidx = pd.MultiIndex.from_arrays([parent.text("USUBJID").astype("object"), parent.text(i).astype("object")])
            found = pd.MultiIndex.from_arrays([t.text("USUBJID").astype("object"), idval.astype("object")]).isin(pidx)
        else:
            continue
        bad |= rows & ~found
    def shown(idx):
        return joined([rdom, idvar, idval], idx, " ")

    expected = {"rdomain": "RDOMAIN is a dataset of the study", "idvar": "IDVAR is a variable of RDOMAIN", "record": "parent record exists"}[mode]
    return hits(mask & bad, "RDOMAIN/IDVAR/IDVARVAL", shown, expected)


# --------------------------------------------------------------------- consistency


@operator("compare", left={"type": "string", "required": True}, is_={"type": "string", "allowed": ["eq", "ne"], "required": True}, right={"type": "string"}, value={"nullable": True}, date_part={"type": "boolean", "default": False})
def op_compare(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``left`` equals / differs from ``right`` (a variable or ``DM.VAR``) or a literal ``value``.

    Rows where either side is null are not compared.
    """
    left = ctx.column(t, args["left"])
    if args.get("right"):
        right = ctx.column(t, args["right"])
        label = args["right"]
    elif args.get("value") == "@dataset_label":  # the dataset's own label (e.g. --SCAT vs label)
        right = pd.Series(t.ds.label or None, index=left.index, dtype=TEXT)
        label = "the dataset label"
    else:
        right = pd.Series(str(args.get("value")), index=left.index, dtype=TEXT)
        label = repr(args.get("value"))
    both = left.notna().to_numpy() & right.notna().to_numpy()
    if args.get("date_part"):  # compare the date part only (2020-01-10 equals 2020-01-10T08:00)
        eq = (left.str.slice(0, 10) == right.str.slice(0, 10)).fillna(False).to_numpy(dtype=bool)
    else:
        eq = (left == right).fillna(False).to_numpy(dtype=bool)
    bad = both & (~eq if args["is"] == "eq" else eq)
    word = "equal to" if args["is"] == "eq" else "different from"
    return hits(mask & bad, t.resolve(args["left"]), left, right if args.get("right") and args["is"] == "eq" else f"{word} {label}")


@operator("date_order", start={"type": "string", "required": True}, end={"type": "string", "required": True}, strict={"type": "boolean", "default": False})
def op_date_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``start`` <= ``end`` when both have a complete date part (times compared when both have one)."""
    s, e = ctx.column(t, args["start"]), ctx.column(t, args["end"])
    sd, ed = complete_dates(s), complete_dates(e)
    both = sd.notna().to_numpy() & ed.notna().to_numpy()
    after = (sd > ed).fillna(False).to_numpy(dtype=bool)
    same_day = (sd == ed).fillna(False).to_numpy(dtype=bool)
    timed = (s.str.len() >= 16).fillna(False).to_numpy(dtype=bool) & (e.str.len() >= 16).fillna(False).to_numpy(dtype=bool)
    later_time = (s.str.slice(0, 16) > e.str.slice(0, 16)).fillna(False).to_numpy(dtype=bool)
    bad = both & (after | (same_day & timed & later_time))
    if args.get("strict"):
        bad |= both & same_day & ~timed
    return hits(mask & bad, t.resolve(args["start"]), lambda idx: joined([s, e], idx, " > "), f"{t.resolve(args['start'])} <= {t.resolve(args['end'])}")


@operator("study_day", dy={"type": "string", "required": True}, dtc={"type": "string", "required": True}, ref={"type": "string", "default": "DM.RFSTDTC"}, mode={"type": "string", "allowed": ["value", "incomplete"], "default": "value"})
def op_study_day(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """--DY follows the SDTMIG algorithm from RFSTDTC (no day 0); null when a date is partial."""
    if not t.has(args["dy"]) or not t.has(args["dtc"]):
        raise NotApplicable("variables absent")
    ref = ctx.column(t, args["ref"]) if "." in args["ref"] else t.text(args["ref"])
    dtc = t.text(args["dtc"])
    d, r = complete_dates(dtc), complete_dates(ref)
    dy = t.num(args["dy"])
    pop = dy.notna().to_numpy()
    if args.get("mode") == "incomplete":
        # incomplete = date part not YYYY-MM-DD (an impossible date such as 2013-02-31 is complete
        # but invalid: valid_date reports it, not this rule); subjects without RFSTDTC count too
        def partial(s: pd.Series) -> np.ndarray:
            return ~s.str.match(COMPLETE_DATE_RE).fillna(False).to_numpy(dtype=bool)

        known = np.ones(len(t), dtype=bool)
        if "." in args["ref"]:  # a subject missing from DM is GEN011's finding, not this one
            other = ctx.target(args["ref"].split(".", 1)[0])
            if other is not None and "USUBJID" in other.columns:
                known = t.text("USUBJID").isin(other.text("USUBJID").dropna().unique()).to_numpy()
        bad = pop & (partial(dtc) | (partial(ref) & known))
        return hits(mask & bad, t.resolve(args["dy"]), t.text(args["dy"]), "null (date part incomplete)")
    delta = (d - r).dt.days
    exp = delta.where(delta < 0, delta + 1)
    ok = exp.notna().to_numpy()
    bad = pop & ok & (exp.to_numpy(dtype=float, na_value=np.nan) != dy.to_numpy())
    return hits(mask & bad, t.resolve(args["dy"]), t.text(args["dy"]), as_text(exp))


@operator("stresn_stresc", mode={"type": "string", "allowed": ["missing", "mismatch", "not_numeric"], "required": True})
def op_stresn_stresc(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """--STRESN agrees with --STRESC: populated when it is numeric, equal to it, null otherwise."""
    if not (t.has("--STRESC") and t.has("--STRESN")):
        raise NotApplicable("variables absent")
    c, n = t.text("--STRESC"), t.num("--STRESN")
    cn = t.num("--STRESC")
    c_num, n_pop = cn.notna().to_numpy(), n.notna().to_numpy()
    mode = args["mode"]
    if mode == "missing":
        bad, exp = c_num & ~n_pop, "--STRESN populated"
    elif mode == "mismatch":
        bad = c_num & n_pop & ~np.isclose(cn.fillna(0).to_numpy(dtype=float), n.fillna(0).to_numpy(), rtol=1e-9, atol=1e-12)
        exp = c
    else:
        bad, exp = c.notna().to_numpy() & ~c_num & n_pop, "--STRESN null"
    return hits(mask & bad, t.resolve("--STRESN"), t.text("--STRESN"), exp)


@operator("difference", target={"type": "string", "required": True}, a={"type": "string", "required": True}, b={"type": "string", "required": True}, tolerance={"type": "number", "default": 1e-6})
def op_difference(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``target`` = ``a`` - ``b`` wherever all three are populated (e.g. CHG = AVAL - BASE)."""
    for v in (args["target"], args["a"], args["b"]):
        if not t.has(v):
            raise NotApplicable("variables absent")
    y, a, b = t.num(args["target"]), t.num(args["a"]), t.num(args["b"])
    exp = a - b
    both = y.notna().to_numpy() & exp.notna().to_numpy()
    bad = both & (np.abs(y.fillna(0).to_numpy() - exp.fillna(0).to_numpy()) > args.get("tolerance", 1e-6))
    missing = y.isna().to_numpy() & exp.notna().to_numpy()
    return hits(mask & (bad | missing), args["target"], t.text(args["target"]), as_text(exp))


def _to_days(col: pd.Series, kind: str) -> pd.Series:
    """Dates as days since 1960-01-01 (SAS), from SAS numbers, datetime64 or ISO text."""
    if pd.api.types.is_datetime64_any_dtype(col):
        c = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        return ((c - pd.Timestamp("1960-01-01")) / pd.Timedelta(days=1)).astype("float64")
    if pd.api.types.is_numeric_dtype(col):
        x = col.astype("float64")
        return x / 86400.0 if kind == "datetime" else x
    parsed = pd.to_datetime(as_text(col), errors="coerce", format="ISO8601")
    return ((parsed - pd.Timestamp("1960-01-01")) / pd.Timedelta(days=1)).astype("float64")


@operator("date_part_equal", date={"type": "string", "required": True}, datetime={"type": "string", "required": True})
def op_date_part_equal(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The date variable equals the date part of the datetime variable (ADT vs ADTM)."""
    if not (t.has(args["date"]) and t.has(args["datetime"])):
        raise NotApplicable("variables absent")
    d = _to_days(t.frame[args["date"]], "date")
    dt = np.floor(_to_days(t.frame[args["datetime"]], "datetime"))
    both = d.notna().to_numpy() & dt.notna().to_numpy()
    bad = both & (np.floor(d.fillna(0).to_numpy()) != dt.fillna(0).to_numpy())
    return hits(mask & bad, args["date"], t.text(args["date"]), f"date part of {args['datetime']}")


# ---------------------------------------------------------------- FDA XPT technical


@operator("var_name", scope="dataset", max={"type": "integer", "default": 8})
def op_var_name(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Variable names: at most ``max`` characters, upper-case letters, digits, underscore, no leading digit."""
    n = args.get("max", 8)
    pat = re.compile(r"^[A-Z_][A-Z0-9_]*$")
    bad = [c for c in t.columns if len(str(c)) > n or not pat.match(str(c))]
    return concat([meta_hit(c, c, f"<= {n} characters, A-Z 0-9 _ not starting with a digit") for c in bad])


@operator("var_label", scope="dataset", max={"type": "integer", "default": 40})
def op_var_label(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Variable labels: present, at most ``max`` characters, ASCII."""
    n = args.get("max", 40)
    parts = []
    for v in t.ds.variables:
        if v.name not in t.frame.columns:
            continue
        lab = v.label or ""
        if not lab.strip() or len(lab) > n or not lab.isascii():
            parts.append(meta_hit(v.name, lab, f"label of 1-{n} ASCII characters"))
    return concat(parts)


@operator("dataset_name", scope="dataset", max={"type": "integer", "default": 8})
def op_dataset_name(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Dataset name: at most ``max`` characters, letters and digits, starting with a letter."""
    n = args.get("max", 8)
    ok = len(t.name) <= n and re.match(r"^[A-Z][A-Z0-9]*$", t.name)
    return empty_hits() if ok else meta_hit(None, t.name, f"<= {n} characters A-Z 0-9")


@operator("dataset_label", scope="dataset", max={"type": "integer", "default": 40})
def op_dataset_label(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Dataset label: present, at most ``max`` characters, ASCII."""
    n = args.get("max", 40)
    lab = t.ds.label or ""
    ok = lab.strip() and len(lab) <= n and lab.isascii()
    return empty_hits() if ok else meta_hit(None, lab, f"dataset label of 1-{n} ASCII characters")


def _char_vars(t: Target) -> list[str]:
    return [c for c in t.columns if not pd.api.types.is_numeric_dtype(t.frame[c]) and not pd.api.types.is_datetime64_any_dtype(t.frame[c])]


@operator("char_values", scope="record", check={"type": "string", "allowed": ["bytes", "ascii", "leading_space", "dot"], "required": True}, max={"type": "integer", "default": 200})
def op_char_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every character value: <= ``max`` bytes / ASCII only / no leading space / not just '.'.

    Uses Arrow string kernels (one C pass per column); values are shown only for the hits.
    """
    import pyarrow.compute as pc

    kind = args["check"]
    limit = args.get("max", 200)
    parts = []
    for c in _char_vars(t):
        arr = t.arrow(c)
        if kind == "bytes":
            bad = pc.greater(pc.binary_length(arr), limit)
            exp = f"<= {limit} bytes"
        elif kind == "ascii":
            bad = pc.invert(pc.string_is_ascii(arr))
            exp = "ASCII characters only"
        elif kind == "leading_space":
            bad = pc.match_substring_regex(arr, r"^\s+\S")
            exp = "no leading spaces"
        else:
            bad = pc.equal(pc.utf8_trim_whitespace(arr), ".")
            exp = "not '.'"
        flags = pc.fill_null(bad, False).to_numpy(zero_copy_only=False).astype(bool)
        if flags.any():
            raw = t.raw(c)
            parts.append(hits(mask & flags, c, raw, exp))
    return concat(parts)


@operator(
    "if_any",
    vars=VARS,
    value={"type": "string", "required": True},
    none={"type": "boolean", "default": False},
    target={"type": "string", "required": True},
    target_values=VALUES,
)
def op_if_any(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """When any (or, with none, none) of ``vars`` equals ``value``, ``target`` is one of ``target_values``.

    Example: a seriousness criterion is "Y" -> AESER is "Y".
    """
    have = present_vars(t, args["vars"])
    if not t.has(args["target"]):
        raise NotApplicable("target absent")
    hit_any = np.logical_or.reduce([(t.text(v) == args["value"]).fillna(False).to_numpy(dtype=bool) for v in have])
    cond = ~hit_any if args.get("none") else hit_any
    tgt = t.text(args["target"])
    bad = mask & cond & ~tgt.isin([str(v) for v in args["target_values"]]).to_numpy()
    return hits(bad, t.resolve(args["target"]), tgt, " | ".join(map(str, args["target_values"])))


@operator("num_order", low={"type": "string", "required": True}, high={"type": "string", "required": True}, strict={"type": "boolean", "default": False})
def op_num_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Numeric ``low`` <= ``high`` (or < with strict) where both are populated."""
    if not (t.has(args["low"]) and t.has(args["high"])):
        raise NotApplicable("variables absent")
    lo, hi = t.num(args["low"]), t.num(args["high"])
    bad = (lo >= hi) if args.get("strict") else (lo > hi)
    op = "<" if args.get("strict") else "<="
    cols = [t.text(args["low"]), t.text(args["high"])]
    return hits(mask & bad.fillna(False).to_numpy(dtype=bool), t.resolve(args["low"]), lambda idx: joined(cols, idx, " / "), f"{t.resolve(args['low'])} {op} {t.resolve(args['high'])}")


@operator("name_match", var={"type": "string", "required": True}, start={"type": "integer", "default": 0})
def op_name_match(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The variable's value equals the dataset name's characters from ``start`` (DOMAIN, RDOMAIN)."""
    if not t.has(args["var"]):
        raise NotApplicable("variable absent")
    s = t.text(args["var"])
    start = args.get("start", 0)
    expected = t.name[start : start + 2]
    bad = mask & s.notna().to_numpy() & (s != expected).fillna(False).to_numpy(dtype=bool)
    return hits(bad, args["var"], s, expected)


@operator("chain", mode={"type": "string", "allowed": ["next_start", "not_last_null", "seq_order"], "required": True})
def op_chain(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Subject element chain (SE): --ENDTC equals the next element's --STDTC, only the last may
    lack --ENDTC, and --SEQ follows --STDTC order. Rows are ordered by USUBJID, --SEQ."""
    for v in ("USUBJID", "--SEQ", "--STDTC"):
        if not t.has(v):
            raise NotApplicable("variables absent")
    f = pd.DataFrame({"u": t.text("USUBJID"), "seq": t.num("--SEQ"), "st": t.text("--STDTC"),
                      "en": t.text("--ENDTC") if t.has("--ENDTC") else pd.Series(pd.NA, index=t.frame.index, dtype="string"),
                      "pos": np.arange(len(t))})
    f = f.sort_values(["u", "seq"], kind="stable")
    nxt_st = f.groupby("u", sort=False)["st"].shift(-1)
    last = f.groupby("u", sort=False).cumcount(ascending=False) == 0
    mode = args["mode"]
    if mode == "next_start":
        bad = f["en"].notna() & nxt_st.notna() & (f["en"] != nxt_st).fillna(False)
        exp, var = nxt_st, t.resolve("--ENDTC")
    elif mode == "not_last_null":
        bad = f["en"].isna() & ~last
        exp, var = "populated (not the last element)", t.resolve("--ENDTC")
    else:
        prev_st = f.groupby("u", sort=False)["st"].shift(1)
        bad = (f["st"].str.slice(0, 10) < prev_st.str.slice(0, 10)).fillna(False)
        exp, var = "--SEQ in --STDTC order", t.resolve("--SEQ")
    out = np.zeros(len(t), dtype=bool)
    out[f["pos"].to_numpy()[bad.to_numpy(dtype=bool)]] = True
    shown = pd.Series(f["en"].to_numpy() if mode != "seq_order" else f["st"].to_numpy(), index=f["pos"].to_numpy()).sort_index()
    expected = pd.Series(exp.to_numpy(), index=f["pos"].to_numpy()).sort_index() if isinstance(exp, pd.Series) else exp
    return hits(mask & out, var, shown.reset_index(drop=True), expected.reset_index(drop=True) if isinstance(expected, pd.Series) else expected)


@operator("metadata_type", scope="dataset")
def op_metadata_type(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each standard variable has the IG type (Char/Num) of the standard's metadata."""
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None:
        raise NotApplicable("no standard metadata")
    parts = []
    for v in meta.variables:
        name = t.resolve(v.name) if v.name.startswith("--") else v.name
        if name not in t.columns or v.type not in ("Char", "Num") or t.null(name).all():
            continue
        is_num = t.is_numeric_col(name)
        if is_num != (v.type == "Num"):
            parts.append(meta_hit(name, "Num" if is_num else "Char", f"{v.type} (IG type)"))
    return concat(parts)


@operator("metadata_order", scope="dataset")
def op_metadata_order(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Standard variables appear in the order of the IG metadata (others are ignored)."""
    meta = ctx.meta(t.name) or ctx.meta(t.domain)
    if meta is None:
        raise NotApplicable("no standard metadata")
    rank = {(t.resolve(v.name) if v.name.startswith("--") else v.name): i for i, v in enumerate(meta.variables)}
    seen = [c for c in t.columns if c in rank]
    order = [rank[c] for c in seen]
    bad = [seen[i] for i in range(1, len(seen)) if order[i] < max(order[:i])]
    return concat([meta_hit(c, "out of order", "IG variable order") for c in bad])


@operator("supp_qnam_standard")
def op_supp_qnam_standard(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """QNAM is not a variable the standard defines for the parent domain (RDOMAIN)."""
    if not (t.has("QNAM") and t.has("RDOMAIN")):
        raise NotApplicable("variables absent")
    rdom, qnam = t.text("RDOMAIN"), t.text("QNAM")
    bad = np.zeros(len(t), dtype=bool)
    for dom in rdom.dropna().unique():  # loop over parent domains, not rows
        meta = ctx.meta(str(dom))
        if meta is None:
            continue
        names = {v.name.replace("--", str(dom)[:2]) for v in meta.variables}
        bad |= (rdom == dom).fillna(False).to_numpy(dtype=bool) & qnam.isin(list(names)).to_numpy()
    return hits(mask & bad, "QNAM", qnam, "not a standard variable of RDOMAIN")


@operator("element_match", var={"type": "string", "required": True}, date={"type": "string", "required": True})
def op_element_match(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """``var`` (EPOCH, TAETORD) equals that of the subject's SE element the ``date`` falls in.

    An as-of join per subject on the element start dates (SESTDTC <= date, and date before
    SEENDTC), so each record is matched to one element without a loop.
    """
    se = ctx.target("SE")
    var = args["var"]
    if se is None or not t.has(var) or not t.has(args["date"]) or var not in se.columns:
        raise NotApplicable("SE or variables absent")
    left = pd.DataFrame({"u": t.text("USUBJID").astype(object), "d": complete_dates(t.text(args["date"])),
                         "v": t.text(var).astype(object), "pos": np.arange(len(t))})
    right = pd.DataFrame({"u": se.text("USUBJID").astype(object), "s": complete_dates(se.text("SESTDTC")),
                          "e": complete_dates(se.text("SEENDTC")) if "SEENDTC" in se.columns else pd.NaT,
                          "sev": se.text(var).astype(object)})
    left = left[left["d"].notna() & left["v"].notna()].sort_values("d", kind="stable")
    right = right[right["s"].notna()].sort_values("s", kind="stable")
    if left.empty or right.empty:
        return empty_hits()
    m = pd.merge_asof(left, right, left_on="d", right_on="s", by="u", direction="backward")
    inside = m["sev"].notna() & (m["e"].isna() | (m["d"] <= m["e"]))
    bad_rows = m.loc[inside & (m["v"] != m["sev"]), "pos"].to_numpy()
    bad = np.zeros(len(t), dtype=bool)
    bad[bad_rows] = True
    exp = pd.Series(pd.NA, index=range(len(t)), dtype=object)
    exp.iloc[m.loc[inside, "pos"].to_numpy()] = m.loc[inside, "sev"].to_numpy()
    return hits(mask & bad, var, t.text(var), exp)


@operator("shared_variable", scope="study", suffix={"type": "string", "required": True})
def op_shared_variable(ctx: Context, args: dict) -> pd.DataFrame:
    """A --``suffix`` variable (--LNKID, --LNKGRP) present in one domain is present in another."""
    sfx = args["suffix"]
    having = [n for n, t in ctx.targets.items() if t.prefix and f"{t.prefix}{sfx}" in t.columns]
    rows = []
    if len(having) == 1:
        n = having[0]
        rows.append({"dataset": n, "row": pd.NA, "variable": f"{ctx.targets[n].prefix}{sfx}", "value": "only domain with it",
                     "expected": f"--{sfx} also in another domain"})
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("requires_dataset", scope="study", vars=VARS, dataset={"type": "string", "required": True})
def op_requires_dataset(ctx: Context, args: dict) -> pd.DataFrame:
    """When any dataset has one of ``vars`` (e.g. MIDS), ``dataset`` (e.g. TM) must be present."""
    if ctx.target(args["dataset"]) is not None:
        return pd.DataFrame(columns=["dataset", *HIT_COLUMNS])
    rows = [{"dataset": n, "row": pd.NA, "variable": v, "value": "present", "expected": f"{args['dataset']} dataset present"}
            for n, t in ctx.targets.items() for v in args["vars"] if v in t.columns]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("absent_if_dataset", scope="study", dataset={"type": "string", "required": True}, vars=VARS, if_present={"type": "string", "required": True})
def op_absent_if_dataset(ctx: Context, args: dict) -> pd.DataFrame:
    """When dataset ``if_present`` exists, ``dataset`` must not have ``vars`` (EC exists -> no EXVAMT)."""
    t = ctx.target(args["dataset"])
    if t is None or ctx.target(args["if_present"]) is None:
        return pd.DataFrame(columns=["dataset", *HIT_COLUMNS])
    rows = [{"dataset": t.name, "row": pd.NA, "variable": v, "value": "present", "expected": f"absent when {args['if_present']} exists"}
            for v in args["vars"] if v in t.columns]
    return pd.DataFrame(rows, columns=["dataset", *HIT_COLUMNS])


@operator("required_values", scope="dataset", var={"type": "string", "required": True}, values=VALUES)
def op_required_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each of ``values`` occurs in ``var`` on a selected record (e.g. TSPARMCD INTMODEL with TSVAL)."""
    if not t.has(args["var"]):
        raise NotApplicable("variable absent")
    have = set(t.text(args["var"])[mask].dropna())
    return concat([meta_hit(args["var"], "missing", f"a record with {args['var']} = {v}") for v in args["values"] if str(v) not in have])
