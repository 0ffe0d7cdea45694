"""Run a study's SDTM mapping specs over its raw tables.

Order of work for one spec: read the ``from`` table(s) (each record numbered ``__row__`` in its
file), run the dataset-level steps, compute the variables in the order written (a computed
variable can be read by the next), drop records of subjects not in ``require_subject_in``, split
the SUPP-- values, conform to the standard, then check the accounting: every raw record of the
spec's inputs landed in the output or was logged with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.conform import conform_dataset
from cdisc_als.dataset import Dataset
from cdisc_als.errors import CdiscAlsError, ConversionLog, DataError, SpecError
from cdisc_als.io.tables import find_table, read_table
from cdisc_als.ops import expr
from cdisc_als.ops.assign import is_blank
from cdisc_als.ops.registry import (
    INTERNAL_COLUMNS,
    ROW_COLUMN,
    SOURCE_COLUMN,
    Context,
    get_operation,
)
from cdisc_als.sdtm import lineage
from cdisc_als.sdtm.spec import Spec, load_spec, referenced_datasets
from cdisc_als.sdtm.supp import build_supp, supp_meta


class AccountingError(CdiscAlsError):
    """Some raw records neither landed nor were logged: a bug in a step, never acceptable."""


def raw_reader(raw_dir: Path, cache: dict[str, pd.DataFrame]) -> Callable[[str], pd.DataFrame]:
    """A function reading raw table ``name`` once, blanks as nulls, with ``__row__``/``__source__``."""

    def read(name: str) -> pd.DataFrame:
        key = name.lower()
        if key not in cache:
            path = find_table(raw_dir, name)
            frame = read_table(path)
            for col in frame.columns:
                if frame[col].dtype == object:
                    frame[col] = frame[col].where(~is_blank(frame[col]), None)
            frame[ROW_COLUMN] = range(1, len(frame) + 1)
            frame[SOURCE_COLUMN] = path.name
            cache[key] = frame
        return cache[key].copy()

    return read


def _missing_columns(ctx: Context, frame: pd.DataFrame, spec: Spec, cols: list[str], where: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        files = ", ".join(sorted(frame[SOURCE_COLUMN].dropna().unique())) if SOURCE_COLUMN in frame else "?"
        raise DataError(
            spec.path,
            f"{where}: column(s) {', '.join(missing)} not in raw file {files} "
            f"(nor computed before this key); available: {', '.join(c for c in frame.columns if c not in INTERNAL_COLUMNS)}",
        )


def _read_sources(ctx: Context, spec: Spec) -> pd.DataFrame:
    parts = [pd.DataFrame({SOURCE_COLUMN: pd.Series(dtype="object"), ROW_COLUMN: pd.Series(dtype="float")})]
    for src in spec.sources:
        if src.get("table"):
            part = ctx.read_source(src["table"])  # type: ignore[misc]
        else:
            ds = ctx.datasets.get(src["dataset"].upper())
            if ds is None:
                raise SpecError(spec.path, "from", f"dataset {src['dataset']} is not built (list it in depends_on)")
            part = ds.data.copy()
            part[ROW_COLUMN] = range(1, len(part) + 1)
            part[SOURCE_COLUMN] = ds.name
        if src.get("rename"):
            part = part.rename(columns=src["rename"])
        parts.append(part)
    if len(parts) == 2:
        return _fresh_index(parts[1])  # already a private copy (cache copy or ds.data.copy())
    return pd.concat(parts, ignore_index=True, sort=False)


def _assign(ctx: Context, frame: pd.DataFrame, spec: Spec, target: str, entries: list[dict[str, Any]],
            chosen: np.ndarray | None = None) -> pd.Series:
    """Value of ``target``; ``chosen`` (when given) receives the index of the entry each record took."""
    result = pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)
    unset = pd.Series(True, index=frame.index)
    for i, entry in enumerate(entries):
        name = lineage.op_name(entry)
        arg = entry[name]
        where = f"variables.{target}" + (f"[{i}]" if len(entries) > 1 else "") + f".{name}"
        ctx.where = where
        op = get_operation(name, spec.path, where)
        cond = unset
        if "where" in entry:
            _missing_columns(ctx, frame, spec, expr.columns(entry["where"]), where.rsplit(".", 1)[0] + ".where")
            try:
                cond = unset & expr.condition(entry["where"], frame)
            except expr.ExprError as exc:
                raise SpecError(spec.path, where, str(exc)) from None
        _missing_columns(ctx, frame, spec, op.inputs(arg), where)
        sub = frame if cond.all() else frame[cond]
        if chosen is not None:
            chosen[cond.to_numpy()] = i
        value = op.func(ctx, sub, arg)
        if not isinstance(value, pd.Series):
            value = pd.Series(np.full(len(sub), value, dtype=object), index=sub.index)
        if len(entries) == 1 and cond.all():
            return value
        if pd.api.types.is_numeric_dtype(value) and result.isna().all():
            result = result.astype(float)
        result = result.astype("object") if result.dtype != value.dtype else result
        result.loc[sub.index] = value
        unset &= ~cond
    return result


def _sort(spec: Spec, frame: pd.DataFrame, meta: Any) -> pd.DataFrame:
    if spec.sort:
        keys = spec.sort
    else:
        seq = f"{spec.domain}SEQ"
        keys = ["USUBJID", seq] if seq in frame.columns else [k for k in meta.keys if k in frame.columns]
    keys = [k for k in keys if k in frame.columns]
    return frame.sort_values(keys, kind="mergesort", ignore_index=True) if keys else _fresh_index(frame)


def _fresh_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with index 0..n-1; the frame itself when it has one already.

    Why: ``reset_index`` copies every column even when there is nothing to reset, and on a
    2.8 M-record QS frame each needless copy costs seconds and a frame's worth of memory.
    """
    idx = frame.index
    if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None:
        return frame
    return frame.reset_index(drop=True)


def run_spec(spec: Spec, ctx: Context) -> list[Dataset]:
    """Map one spec; returns the dataset and, when the spec has ``supp``, its SUPP-- dataset."""
    ctx.domain, ctx.spec_file, ctx.dropped = spec.domain, str(spec.path), []
    frame = _read_sources(ctx, spec)
    ctx.source_file = ", ".join(sorted(frame[SOURCE_COLUMN].unique())) if len(frame) else ""
    inputs = [frame[[SOURCE_COLUMN, ROW_COLUMN]]]
    tracker = lineage.Tracker(spec, ctx.study, ctx.ct)
    tracker.start(frame)
    for name, arg, where in spec.steps:
        ctx.where, ctx.target = where, None
        op = get_operation(name, spec.path, where)
        _missing_columns(ctx, frame, spec, op.inputs(arg), where)
        before = list(frame.columns)
        if name == "union":
            n_before = len(frame)
            frame = op.func(ctx, frame, arg)
            inputs.append(frame.iloc[n_before:][[SOURCE_COLUMN, ROW_COLUMN]])
        else:
            frame = op.func(ctx, frame, arg)
        frame = _fresh_index(frame)
        tracker.step(name, arg, before, frame)
    for c in INTERNAL_COLUMNS:
        if c not in frame.columns:  # a step that builds a dataset from nothing (trial design)
            frame[c] = None
    targets = [] if spec.variables else [c for c in frame.columns if c not in INTERNAL_COLUMNS]
    for target, entries in spec.variables:
        ctx.target = target
        chosen = np.full(len(frame), -1, dtype=np.int16)
        frame[target] = _assign(ctx, frame, spec, target, entries, chosen).to_numpy()
        tracker.variable(target, entries, frame, chosen)
        if not target.startswith("_"):
            targets.append(target)
    if spec.require_subject_in:
        other = ctx.datasets.get(spec.require_subject_in.upper())
        if other is None:
            raise SpecError(spec.path, "require_subject_in", f"{spec.require_subject_in} is not built")
        if spec.domain == spec.require_subject_in.upper():
            raise SpecError(spec.path, "require_subject_in", "a domain cannot require itself")
        if "USUBJID" not in frame.columns:
            raise SpecError(spec.path, "require_subject_in", "needs a USUBJID variable")
        absent = ~frame["USUBJID"].isin(other.data["USUBJID"])
        ctx.target = "USUBJID"
        ctx.log_rows(frame, absent, f"subject not in {spec.require_subject_in.upper()}", field="USUBJID",
                     values=frame["USUBJID"], dropped=True)
        if absent.any():  # a bool mask keeping every record would copy the whole frame
            frame = frame[~absent].reset_index(drop=True)
    meta = spec.meta(ctx.standard)
    frame = _sort(spec, frame, meta)
    _check_accounting(ctx, spec, pd.concat(inputs, ignore_index=True), frame)
    origins = tracker.variables(frame, targets)
    out = [conform_dataset(frame, meta, ctx.log, name=spec.domain, origins=origins,
                           columns=targets + list(INTERNAL_COLUMNS))]
    if spec.supp:
        items = tracker.supp_items(frame, spec.supp)
        supp = build_supp(ctx, frame, spec.supp, spec.domain, items)
        sm = supp_meta(ctx.standard, spec.domain)
        if len(supp):
            out.append(conform_dataset(supp, sm, ctx.log, name=f"SUPP{spec.domain}",
                                       origins=lineage.supp_origins(spec.domain, spec.supp, items)))
    for ds in out:
        ds.standard = getattr(ctx.standard, "name", None)
    return out


def _check_accounting(ctx: Context, spec: Spec, inputs: pd.DataFrame, landed: pd.DataFrame) -> None:
    """Records in = records landed + records logged, per raw file; raise when not."""
    seen = [landed[[SOURCE_COLUMN, ROW_COLUMN]].dropna()] + [d[[SOURCE_COLUMN, ROW_COLUMN]] for d in ctx.dropped]
    done = pd.concat(seen, ignore_index=True).drop_duplicates()
    ins = inputs.drop_duplicates()
    merged = ins.merge(done, on=[SOURCE_COLUMN, ROW_COLUMN], how="left", indicator=True)
    lost = merged[merged["_merge"] == "left_only"]
    if len(lost):
        first = lost.groupby(SOURCE_COLUMN)[ROW_COLUMN].apply(lambda r: list(r[:10]))
        raise AccountingError(
            f"{spec.path}: {len(lost)} raw record(s) neither landed in {spec.domain} nor were logged: "
            + "; ".join(f"{src} rows {rows}" for src, rows in first.items())
        )


def load_specs(study: Any, standard: Any) -> list[Spec]:
    """Load and check every spec of the study (before any data is read)."""
    specs = [load_spec(p, standard) for p in study.sdtm_specs]
    seen: dict[str, Path] = {}
    for s in specs:
        if s.domain in seen:
            raise SpecError(s.path, "domain", f"{s.domain} is also mapped by {seen[s.domain]}")
        seen[s.domain] = s.path
    return specs


def order_specs(specs: list[Spec]) -> list[Spec]:
    """Dependency order (DM first when others read it); a cycle is a SpecError."""
    by_domain = {s.domain: s for s in specs}
    deps = {s.domain: {d for d in referenced_datasets(s) if d in by_domain} for s in specs}
    ordered: list[Spec] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise SpecError(by_domain[name].path, "depends_on", f"circular dependency: {' -> '.join([*chain, name])}")
        state[name] = 1
        for d in sorted(deps[name]):
            visit(d, [*chain, name])
        state[name] = 2
        ordered.append(by_domain[name])

    for s in sorted(specs, key=lambda s: (s.domain != "DM", s.domain)):
        visit(s.domain, [])
    return ordered


def map_study(
    study: Any, raw_dir: Path, log: ConversionLog, *, standard: Any = None, ct: Any = None,
    on_dataset: Callable[[Dataset], None] | None = None,
) -> dict[str, Dataset]:
    """Map every SDTM spec of ``study`` over the raw tables in ``raw_dir``; returns {name: Dataset}.

    ``on_dataset`` is called with each dataset as soon as it is mapped (the CLI's progress display).
    """
    if standard is None:
        from cdisc_als.standards import load_standard

        standard = load_standard(study.config["standards"]["sdtm"])
    specs = order_specs(load_specs(study, standard))
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise DataError(raw_dir, "raw folder not found")
    cache: dict[str, pd.DataFrame] = {}
    ctx = Context(study=study, log=log, standard=standard, ct=ct, raw_dir=raw_dir, read_source=raw_reader(raw_dir, cache))
    result: dict[str, Dataset] = {}
    for spec in specs:
        try:
            mapped = run_spec(spec, ctx)
        except DataError as exc:
            if exc.file == str(spec.path) or str(spec.path) in str(exc):
                raise
            # e.g. a raw table that is not there: say which spec needed it
            raise DataError(spec.path, f"cannot map {spec.domain}: {exc}") from exc
        for ds in mapped:
            result[ds.name] = ds
            ctx.datasets[ds.name] = ds
            if on_dataset is not None:
                on_dataset(ds)
    return result
