"""Make a mapped/derived frame conform to its standard's dataset metadata.

Why a separate step: specs say only where values come from; the variable list, order, labels,
types, codelists and core status come from the standard (SDTMIG/ADaMIG metadata in ``specs/``),
so every dataset gets them the same way and writers/validators never guess them.
Shared by the SDTM runner and the ADaM engine.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset
from cdisc_als.errors import LOG_COLUMNS, ConversionLog, SpecError
from cdisc_als.ops.expr import _blank as expr_blank
from cdisc_als.ops.expr import by_unique, series_text
from cdisc_als.standards import DatasetMeta

ROW_COLUMN, SOURCE_COLUMN = "__row__", "__source__"
_INTERNAL = (ROW_COLUMN, SOURCE_COLUMN)


def _log(log: ConversionLog, frame: pd.DataFrame, mask: pd.Series, name: str, var: str, reason: str,
         values: pd.Series | None = None, severity: str = "error") -> None:
    sel = frame[mask]
    if sel.empty:
        return
    n = len(sel)
    rows = sel[ROW_COLUMN] if ROW_COLUMN in sel else pd.Series(np.flatnonzero(mask.to_numpy()) + 1, index=sel.index)
    src = sel[SOURCE_COLUMN] if SOURCE_COLUMN in sel else pd.Series(np.full(n, name, dtype=object), index=sel.index)
    log.entries.append(
        pd.DataFrame(
            {
                "severity": severity,
                "stage": f"conform:{name}",
                "source": src.astype("object").to_numpy(),
                "row": rows.astype("object").to_numpy(),
                "field": var,
                "value": (values.loc[sel.index] if values is not None else pd.Series(np.full(n, None, dtype=object))).astype("object").to_numpy(),
                "reason": reason,
                "target": var,
            },
            columns=LOG_COLUMNS,
        )
    )


def _blank(s: pd.Series) -> pd.Series:
    return expr_blank(s)


def conform_dataset(
    frame: pd.DataFrame,
    meta: DatasetMeta,
    log: ConversionLog,
    *,
    name: str | None = None,
    extra: Iterable[str] = (),
    keep_empty: Iterable[str] = (),
    origins: dict[str, dict] | None = None,
    columns: Iterable[str] | None = None,
) -> Dataset:
    """Order, type and label ``frame`` per ``meta``; return a ``Dataset``.

    - columns not in the standard raise ``SpecError`` (unless listed in ``extra``, e.g. SUPP--
      candidates a caller handles itself; those are dropped here);
    - a Req variable that is missing or null is logged (one entry per record);
    - an Exp variable not mapped is added as an all-null column;
    - a Perm variable that is entirely null is dropped (unless in ``keep_empty``);
    - Num variables become float (a non-numeric value is logged and nulled); Char stays object
      with None for missing.
    The frame's ``__row__``/``__source__`` columns, when present, locate log entries; they are
    not part of the result.

    ``origins`` ({variable: {origin, source, method, codelist, comment, value_level}}, from the
    SDTM runner's lineage tracker) is carried onto the output Variables for Define-XML; a variable
    it does not name (an Exp variable the spec does not map) gets origin ``Not Available``.

    ``columns`` (default: all) limits the work to those columns of ``frame``, as if the frame had
    been cut to them: the SDTM runner's working frame also holds helper columns, and cutting a
    multi-million-record frame first would copy all of it.
    """
    name = (name or meta.name).upper()
    extra = set(extra)
    known = {v.name for v in meta.variables}
    cols = list(frame.columns) if columns is None else [c for c in columns if c in frame.columns]
    in_frame = set(cols)
    unknown = [c for c in cols if c not in known and c not in _INTERNAL and c not in extra]
    if unknown:
        raise SpecError(f"dataset {name}", ", ".join(unknown), f"not variable(s) of {meta.name} in the standard")
    keep_empty = set(keep_empty)
    out: dict[str, pd.Series] = {}
    variables = []
    index = frame.index
    for var in meta.variables:
        present = var.name in in_frame
        col = frame[var.name] if present else pd.Series(np.full(len(frame), None, dtype=object), index=index)
        if var.type == "Num":
            if col.dtype == object:
                num = by_unique(col, lambda u: pd.to_numeric(u, errors="coerce"))
                bad = col.notna() & num.isna() & ~_blank(col)
                _log(log, frame, bad, name, var.name, "not a number for a Num variable", col)
                col = num
            col = col.astype(float)
        else:
            col = series_text(col)
        core = (var.core or "").capitalize()
        if core == "Req":
            if not present:
                log.add("error", f"conform:{name}", name, f"required variable {var.name} is not mapped", field=var.name, target=var.name)
            else:
                _log(log, frame, _blank(col), name, var.name, f"required variable {var.name} is null")
        elif var.name not in keep_empty and _drop(core, present, col):
            continue
        out[var.name] = col
        variables.append(_with_origin(var, origins))
    # plain numpy arrays (object or float64) on a fresh 0..n-1 index: the same frame as
    # reset_index gave, built with one copy (pandas stacks same-dtype columns into a new block)
    # instead of three
    data = pd.DataFrame({k: v.to_numpy() for k, v in out.items()}, index=pd.RangeIndex(len(index)), copy=False)
    return Dataset(
        name=name,
        data=data,
        label=meta.label,
        variables=variables,
        cls=meta.cls,
        structure=meta.structure,
        keys=list(meta.keys),
        domain=name[4:] if name.startswith("SUPP") else name,
    )


_ORIGIN_FIELDS = ("origin", "source", "method", "codelist", "comment", "value_level")


def _with_origin(var, origins: dict[str, dict] | None):
    """A copy of the standard's Variable with the mapping's origin metadata (when given)."""
    if origins is None:
        return var.copy()
    given = origins.get(var.name)
    if given is None:
        return var.copy(origin="Not Available", comment=var.comment or "Not collected in this study")
    return var.copy(**{k: v for k, v in given.items() if k in _ORIGIN_FIELDS})


def _drop(core: str, present: bool, col: pd.Series) -> bool:
    """Perm variables not mapped or entirely null are dropped; Exp ones are kept (null)."""
    if core == "Exp":
        return False
    return not present or (core == "Perm" and len(col) > 0 and _all_blank(col))


def _all_blank(col: pd.Series) -> bool:
    """True when every value is null or spaces (checks the distinct non-null values only)."""
    values = col.dropna()
    if values.empty:
        return True
    if values.dtype != object:
        return False
    return bool(expr_blank(pd.Series(values.unique(), dtype=object)).all())


def _fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
