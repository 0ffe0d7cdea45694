"""Run a study's ADaM specs over its SDTM: ``derive_study(study, sdtm, log) -> {name: Dataset}``.

Specs run in dependency order (ADAE after ADSL when ADAE merges ADSL variables), each on a
working frame that starts as its ``from`` dataset; every derivation is a registered operation.
Afterwards the runner builds the output ``Dataset``: variables in spec order (or the working
frame's), labels from the spec, else the ADaMIG metadata in ``specs/``, else the predecessor's
label; numeric dates typed Num with DATE9./DATETIME20./TIME8.; each variable's origin
(Predecessor with its source ``DM.AGE``, or Derived with the method text that feeds Define-XML).

Problems with *data* never stop the run: a missing source dataset skips the dataset it feeds
(logged as an error), bad values are logged by the operation that meets them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cdisc_als.adam.spec import AdamSpec, Step, load_spec
from cdisc_als.dataset import Dataset, Variable, infer_variable
from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.registry import ROW_COLUMN, Context, get_operation

CLASS_FALLBACK = {
    "BASIC DATA STRUCTURE": "BDS",
    "OCCURRENCE DATA STRUCTURE": "OCCDS",
    "ADAM OTHER": "OTHER",
}


@dataclass
class Lineage:
    """Where each derived variable came from: the step that made it and a method text."""

    origin: dict[str, str] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)


def blanks_to_na(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank text as missing (SAS/XPT blanks), date objects as datetime64: one input convention."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind in ("date", "datetime", "datetime64"):
                out[col] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
                continue
            s = s.astype("object")
            uniq = pd.Series(pd.unique(s), dtype="object")
            blanks = uniq[uniq.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)]
            if len(blanks):
                s = s.where(~s.isin(list(blanks)), None)
            out[col] = s
        elif pd.api.types.is_datetime64_any_dtype(s) and getattr(s.dt, "tz", None) is not None:
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return out


def _topological(specs: list[AdamSpec], spec_names: set[str]) -> list[AdamSpec]:
    by_name = {s.dataset: s for s in specs}
    done: list[AdamSpec] = []
    state: dict[str, int] = {}

    def visit(s: AdamSpec, chain: list[str]) -> None:
        if state.get(s.dataset) == 2:
            return
        if state.get(s.dataset) == 1:
            raise SpecError(s.path, "from", f"circular dependency between ADaM specs: {' -> '.join(chain + [s.dataset])}")
        state[s.dataset] = 1
        for dep in sorted(s.dependencies() & spec_names - {s.dataset}):
            visit(by_name[dep], chain + [s.dataset])
        state[s.dataset] = 2
        done.append(s)

    for s in specs:
        visit(s, [])
    return done


def _describe(step: Step) -> str:
    if step.method:
        return step.method
    op = get_operation(step.op)
    first = op.doc.splitlines()[0] if op.doc else step.op
    args = yaml.safe_dump(step.arg, default_flow_style=True, width=10_000, sort_keys=False).strip()
    return f"{step.op}: {first} Arguments: {args}"


def _targets(step: Step) -> dict[str, str | None]:
    """Variables a step names as its outputs, with the predecessor source when it is a plain copy."""
    arg = step.arg if isinstance(step.arg, dict) else {}
    out: dict[str, str | None] = {}
    nv = arg.get("new_vars")
    ds = arg.get("dataset")
    if isinstance(nv, list):
        out.update({v: f"{ds}.{v}" if ds else None for v in nv})
    elif isinstance(nv, dict):
        out.update({k: (f"{ds}.{v}" if ds and isinstance(v, str) and v.isidentifier() else None) for k, v in nv.items()})
    for key in ("new_var", "new_var_unit", "new_var_n", "exist_flag"):
        if isinstance(arg.get(key), str):
            out[arg[key]] = None
    if step.op in ("derive_vars_computed", "derive_vars_constant", "derive_vars_copy"):
        out.update({k: None for k in arg})
    return out


def run_steps(ctx: Context, frame: pd.DataFrame, steps: list[Step], lineage: Lineage | None = None,
              work: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """Apply derivation steps in order; record the lineage of every variable they create.

    A copy from a ``work`` dataset (a helper of the spec, e.g. EX_EXT) is Derived with the step's
    method, not a Predecessor: Define-XML must not name a dataset that is not submitted."""
    for step in steps:
        op = get_operation(step.op, ctx.spec_file, step.where)
        ctx.where = step.where
        before = set(frame.columns)
        try:
            frame = op.func(ctx, frame, step.arg)
        except (ValueError, TypeError, KeyError) as exc:
            # e.g. joining text keys to numeric keys: name the spec entry instead of a traceback
            raise SpecError(ctx.spec_file, step.where, f"{step.op} failed: {type(exc).__name__}: {exc}") from exc
        if lineage is None:
            continue
        targets = _targets(step)
        for col in frame.columns:
            if col in before and col not in targets:
                continue
            src = targets.get(col)
            if src and src.split(".", 1)[0].upper() in work:
                src = None
            if src:
                lineage.origin[col], lineage.source[col] = "Predecessor", src
                lineage.method.pop(col, None)
            else:
                lineage.origin[col] = "Derived"
                lineage.method[col] = _describe(step)
                lineage.source.pop(col, None)
    return frame


def _standard_meta(study: Any, spec: AdamSpec):
    from cdisc_als.standards import load_standard

    name = ((getattr(study, "config", None) or {}).get("standards") or {}).get("adam") or "adamig-1.3"
    try:
        std = load_standard(name)
    except (FileNotFoundError, OSError, ValueError, KeyError):
        return None
    for candidate in (spec.dataset, CLASS_FALLBACK.get((spec.cls or "").upper())):
        if not candidate:
            continue
        try:
            return std.dataset(candidate)
        except KeyError:
            continue
    return None


def _date_format(name: str, series: pd.Series) -> str | None:
    if not pd.api.types.is_datetime64_any_dtype(series):
        return None
    if name.endswith("DTM"):
        return "DATETIME20."
    if name.endswith("TM"):
        return "TIME8."
    return "DATE9."


def build_dataset(spec: AdamSpec, frame: pd.DataFrame, lineage: Lineage, labels: dict[str, str], source_name: str, study: Any, log: ConversionLog) -> Dataset:
    """The output Dataset: variables in spec order with labels, types, formats, origins, methods."""
    meta = _standard_meta(study, spec)
    std_vars = {v.name: v for v in meta.variables} if meta else {}
    if spec.variables:
        names = [n for n, _ in spec.variables]
        missing = [n for n in names if n not in frame.columns]
        if missing:
            log.add("warning", "adam", str(spec.path), "variable listed in the spec but not derived; written as all missing",
                    field=", ".join(missing), target=spec.dataset)
            frame = frame.copy(deep=False)
            for n in missing:
                frame[n] = None
        attrs = dict(spec.variables)
    else:
        # no list in the spec: the standard's variables first, in its order, then the others
        cols = [c for c in frame.columns if c != ROW_COLUMN and not c.startswith("__")]
        std_order = [v.name for v in meta.variables if v.name in cols] if meta else []
        names = std_order + [c for c in cols if c not in std_order]
        attrs = {}
    keys = spec.keys or (list(meta.keys) if meta else [])
    order = _sort_order(frame, [k for k in keys if k in names])
    columns: dict[str, pd.Series] = {}
    variables = []
    for name in names:
        a = attrs.get(name, {})
        sv = std_vars.get(name)
        values = frame[name].to_numpy()
        s = pd.Series(values.copy() if order is None else values[order])  # fresh arrays, never views
        columns[name] = s
        kind = _object_kind(s) if s.dtype == object else None
        if pd.api.types.is_datetime64_any_dtype(s):
            columns[name] = s = s.astype("datetime64[ns]")
        elif kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            columns[name] = s = pd.to_numeric(s, errors="coerce").astype("float64")
        elif pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype):
            columns[name] = s = s.astype("object").where(s.notna(), None)
        is_num = pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)
        if kind == "empty" and (sv and sv.type == "Num" or a.get("type") == "Num"):
            columns[name] = s = s.astype("float64")
            is_num = True
        if not is_num and s.dtype != object:
            columns[name] = s = s.astype("object").where(s.notna(), None)
        origin = a.get("origin") or lineage.origin.get(name)
        source = a.get("source") or lineage.source.get(name)
        if origin is None:
            origin, source = "Predecessor", source or f"{source_name}.{name}"
        variables.append(
            Variable(
                name=name,
                label=a.get("label") or (sv.label if sv else "") or labels.get(name, ""),
                type=a.get("type") or ("Num" if is_num else "Char"),
                length=a.get("length") or (8 if is_num else None),
                format=a.get("format") or (sv.format if sv and sv.format else None) or _date_format(name, s),
                datatype=a.get("datatype") or (sv.datatype if sv else None),
                origin=origin,
                source=source if origin == "Predecessor" else None,
                codelist=a.get("codelist") or (sv.codelist if sv else None),
                method=a.get("method") or (lineage.method.get(name) if origin == "Derived" else None),
                comment=a.get("comment"),
                core=sv.core if sv else None,
                significant_digits=a.get("significant_digits"),
            )
        )
    return Dataset(
        name=spec.dataset,
        # from numpy arrays without copying or consolidating (a 2-D object block of millions of
        # rows would be copied again for nothing): the columns are already fresh arrays
        data=pd.DataFrame({k: v.to_numpy() for k, v in columns.items()}, copy=False) if columns else pd.DataFrame(index=range(len(frame))),
        label=spec.label or (meta.label if meta else ""),
        variables=variables,
        cls=spec.cls or (meta.cls if meta else None),
        structure=spec.structure or (meta.structure if meta else None),
        keys=keys,
        standard="ADaMIG 1.3",
    )


def _object_kind(s: pd.Series) -> str:
    """``infer_dtype`` of a text/object column, judged on a sample first: scanning millions of
    strings to learn that they are strings is the slowest part of typing an output column."""
    sample = pd.api.types.infer_dtype(s.iloc[:2000], skipna=True)
    if sample in ("string", "mixed") and len(s) > 2000:
        return sample
    return pd.api.types.infer_dtype(s, skipna=True)


def _sort_order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray | None:
    """Stable order of the records by ``keys`` (missing values first), from factorized codes:
    sorting integer codes is much faster than sorting text columns of millions of records."""
    if not keys:
        return None
    codes = []
    for k in keys:
        c, _ = pd.factorize(frame[k], sort=True, use_na_sentinel=True)
        codes.append(c)  # missing -> -1, i.e. first
    return np.lexsort(codes[::-1])


def _label_lookup(datasets: dict[str, Any], first: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name in [*first, *sorted(datasets)]:
        ds = datasets.get(name)
        for v in getattr(ds, "variables", []) or []:
            if v.label and v.name not in labels:
                labels[v.name] = v.label
    return labels


def derive_spec(spec: AdamSpec, study: Any, available: dict[str, Any], log: ConversionLog) -> Dataset | None:
    """Derive one ADaM dataset; None (with an error in the log) when its source is missing."""
    frames: dict[str, Any] = {}
    for name, value in available.items():
        frames[name] = value
    ctx = Context(study=study, log=log, datasets=frames, domain=spec.dataset, spec_file=str(spec.path))
    missing = sorted(d for d in {spec.source} if d not in frames)
    if missing:
        log.add("error", "adam", str(spec.path), f"source dataset {', '.join(missing)} not available; {spec.dataset} not derived",
                field="from", target=spec.dataset)
        return None
    for wname, (wsrc, wfilter, wsteps) in spec.work.items():
        if wsrc not in frames:
            log.add("warning", "adam", str(spec.path), f"source dataset {wsrc} of work dataset {wname} not available; "
                    "derivations that use it are skipped or get missing values", field=f"work.{wname}", target=spec.dataset)
            continue
        base = _frame(frames[wsrc]).copy()
        base[ROW_COLUMN] = np.arange(1, len(base) + 1)
        ctx.where = f"work.{wname}.from"
        ctx.source_file = wsrc
        from cdisc_als.adam.common import mask

        wframe = base[mask(ctx, base, wfilter)] if wfilter else base
        frames[wname] = run_steps(ctx, wframe, wsteps)
    src = _frame(frames[spec.source])
    ctx.source_file = spec.source
    frame = src.copy()
    frame[ROW_COLUMN] = np.arange(1, len(frame) + 1)
    if spec.source_filter:
        from cdisc_als.adam.common import mask

        ctx.where = "from.filter"
        keep = mask(ctx, frame, spec.source_filter)
        reason = f"{spec.source} record not in {spec.dataset}: not ({spec.source_filter})"
        if (~keep).any() and spec.log_excluded == "summary":
            log.add("info", "adam", spec.source, f"{reason} (count in value)", field="from.filter",
                    value=int((~keep).sum()), target=spec.dataset)
        elif (~keep).any():
            log.add_rows("info", "adam", spec.source, reason, frame.loc[~keep, ROW_COLUMN], field="from.filter",
                         target=spec.dataset)
        frame = frame[keep]
    lineage = Lineage()
    frame = run_steps(ctx, frame, spec.steps, lineage, work={w.upper() for w in spec.work})
    labels = _label_lookup(available, [spec.source, "ADSL"])
    return build_dataset(spec, frame, lineage, labels, spec.source, study, log)


def _frame(value: Any) -> pd.DataFrame:
    return value.data if isinstance(value, Dataset) else value


def derive_study(
    study: Any, sdtm: dict[str, Dataset], log: ConversionLog,
    on_dataset: Callable[[Dataset], None] | None = None,
) -> dict[str, Dataset]:  # fmt: skip
    """Derive every ADaM dataset of ``study`` (its ``adam/*.yaml`` specs) from ``sdtm``.

    ``on_dataset`` is called with each dataset as soon as it is derived (the CLI's progress).
    """
    specs = [load_spec(p) for p in getattr(study, "adam_specs", [])]
    return derive_specs(specs, sdtm, log, study, on_dataset=on_dataset)


def derive_specs(
    specs: list[AdamSpec], sdtm: dict[str, Any], log: ConversionLog, study: Any = None,
    on_dataset: Callable[[Dataset], None] | None = None,
) -> dict[str, Dataset]:  # fmt: skip
    """Run already loaded specs (tests and benchmarks call this with a subset of specs)."""
    names = {s.dataset for s in specs}
    dupes = sorted({s.dataset for s in specs if [t.dataset for t in specs].count(s.dataset) > 1})
    if dupes:
        raise SpecError(specs[0].path.parent, "", f"more than one spec derives {', '.join(dupes)}")
    available: dict[str, Any] = {}
    needed = set().union(*(s.dependencies() for s in specs)) if specs else set()
    for name, ds in sdtm.items():
        if name.upper() not in needed:
            continue  # not read by any spec: no need to prepare it
        frame = blanks_to_na(_frame(ds))
        if isinstance(ds, Dataset):
            known = {v.name: v for v in ds.variables}
            variables = [known.get(c) or infer_variable(frame[c], c) for c in frame.columns]
            available[name.upper()] = Dataset(name=ds.name, data=frame, label=ds.label, variables=variables, cls=ds.cls)
        else:
            available[name.upper()] = frame
    out: dict[str, Dataset] = {}
    for spec in _topological(specs, names):
        ds = derive_spec(spec, study, available, log)
        if ds is not None:
            available[ds.name] = ds
            out[ds.name] = ds
            if on_dataset is not None:
                on_dataset(ds)
    return out


def load_specs(folder: str | Path) -> list[AdamSpec]:
    """Every ``*.yaml`` spec in a folder, loaded and checked."""
    return [load_spec(p) for p in sorted(Path(folder).glob("*.yaml"))]
