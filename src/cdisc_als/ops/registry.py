"""Registry of named operations and the context they run in.

Two kinds of operation:

- ``variable``: ``func(ctx, frame, arg) -> pandas.Series | scalar`` computes one target
  variable from the working frame (e.g. ``constant``, ``iso8601``, ``study_day``).
- ``dataset``: ``func(ctx, frame, arg) -> pandas.DataFrame`` reshapes the working frame
  (e.g. ``transpose``, ``filter``, ``join``) or builds a whole dataset (trial design).

``arg`` is whatever the spec wrote after the operation name, already checked against the
operation's cerberus ``schema`` (a schema for a single value, as in ``{"type": "string"}``).

``inputs(arg) -> list[str]`` (optional) names the working-frame columns an operation reads, so the
runner can report a column missing from a raw file *before* the operation runs, naming the spec
file, the key and the raw file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdisc_als.errors import LOG_COLUMNS, ConversionLog, SpecError

OpKind = Literal["variable", "dataset"]


def _no_inputs(arg: Any) -> list[str]:
    return []


@dataclass
class Operation:
    """A named, reusable mapping/derivation step."""

    name: str
    func: Callable[..., Any]
    schema: dict[str, Any]
    kind: OpKind
    doc: str
    inputs: Callable[[Any], list[str]] = _no_inputs


REGISTRY: dict[str, Operation] = {}


def operation(
    name: str,
    *,
    schema: dict[str, Any],
    kind: OpKind = "variable",
    inputs: Callable[[Any], list[str]] | None = None,
):
    """Register ``func`` under ``name``; ``schema`` is the cerberus rule set for its argument."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY and REGISTRY[name].func.__wrapped__ is not func:  # type: ignore[attr-defined]
            raise ValueError(f"operation {name!r} is registered twice")

        @functools.wraps(func)
        def run(ctx: Context, frame: pd.DataFrame, arg: Any) -> Any:
            return _none_for_null(func(ctx, frame, arg))

        REGISTRY[name] = Operation(
            name, run, schema, kind, (func.__doc__ or "").strip(), inputs or _no_inputs
        )
        return run

    return decorate


def _none_for_null(result: Any) -> Any:
    """One null for text results: None (never NaN), so every operation's output looks alike."""
    if isinstance(result, pd.Series) and result.dtype == object:
        return result.where(result.notna(), None)
    return result


def get_operation(name: str, spec_file: str | Path = "", where: str = "") -> Operation:
    """Look an operation up, with an error that lists the known names when it is unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise SpecError(spec_file, where, f"unknown operation {name!r}; known: {known}") from None


# Every working frame carries the 1-based row number of its raw record in this column, so that any
# operation can name the row of a bad value in the conversion log. Runners drop it before output.
ROW_COLUMN = "__row__"
# ... and the name of the raw file the record came from (a frame may be a union of several files).
SOURCE_COLUMN = "__source__"
INTERNAL_COLUMNS = (ROW_COLUMN, SOURCE_COLUMN)


@dataclass
class Context:
    """What an operation may read besides its working frame.

    ``datasets`` holds the datasets built so far in this run (e.g. DM, for RFSTDTC in --DY),
    ``sources`` the raw tables read so far, ``target`` the variable being computed,
    ``spec_file``/``where`` locate the spec entry for error messages, ``source_file`` the raw file
    the working frame came from (its rows carry their 1-based row number in ``ROW_COLUMN``).
    ``read_source(name)`` (set by the runner) reads a raw table by name with row numbers added;
    ``dropped`` collects the (source, row) pairs that steps removed with a logged reason, for the
    runner's accounting check.
    """

    study: Any = None
    log: ConversionLog = field(default_factory=ConversionLog)
    datasets: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    ct: Any = None
    standard: Any = None
    domain: str | None = None
    target: str | None = None
    spec_file: str = ""
    where: str = ""
    source_file: str = ""
    read_source: Callable[[str], pd.DataFrame] | None = None
    dropped: list[pd.DataFrame] = field(default_factory=list)
    raw_dir: Path | None = None

    @property
    def stage(self) -> str:
        return f"sdtm:{self.domain}" if self.domain else "sdtm"

    def fail(self, message: str) -> SpecError:
        """A SpecError located at the spec entry being run."""
        return SpecError(self.spec_file, self.where, message)

    def dataset_frame(self, name: str) -> pd.DataFrame:
        """The data of an already-built dataset (``DM``) or, failing that, of a raw table."""
        key = name.upper()
        if key in self.datasets:
            ds = self.datasets[key]
            return ds.data if hasattr(ds, "data") else ds
        if self.read_source is not None:
            return self.read_source(name)
        raise self.fail(f"dataset {name!r} is not built yet; list it in depends_on")

    def log_rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series | None,
        reason: str,
        *,
        severity: str = "error",
        field: str | None = None,
        values: pd.Series | None = None,
        target: str | None = None,
        dropped: bool = False,
    ) -> int:
        """Log one entry per selected row of ``frame`` (vectorized); returns how many.

        Each entry names the raw file and 1-based row of the record, the raw ``field`` and its
        ``value``. ``dropped=True`` also records the rows as removed, for the accounting check.
        """
        sel = frame if mask is None else frame[mask.fillna(False).astype(bool)]
        if sel.empty:
            return 0
        n = len(sel)
        src = sel[SOURCE_COLUMN] if SOURCE_COLUMN in sel else pd.Series(np.full(n, self.source_file, dtype=object), index=sel.index)
        row = sel[ROW_COLUMN] if ROW_COLUMN in sel else pd.Series(np.full(n, None, dtype=object), index=sel.index)
        vals = values.loc[sel.index] if values is not None else pd.Series(np.full(n, None, dtype=object), index=sel.index)
        entry = pd.DataFrame(
            {
                "severity": severity,
                "stage": self.stage,
                "source": src.astype("object").to_numpy(),
                "row": row.astype("object").to_numpy(),
                "field": field,
                "value": vals.astype("object").to_numpy(),
                "reason": reason,
                "target": target if target is not None else self.target,
            },
            columns=LOG_COLUMNS,
        )
        self.log.entries.append(entry)
        if dropped and ROW_COLUMN in sel:
            self.dropped.append(
                pd.DataFrame({SOURCE_COLUMN: src.to_numpy(), ROW_COLUMN: row.to_numpy()})
            )
        return n


def run_variable_op(ctx: Context, frame: pd.DataFrame, entry: Any) -> pd.Series:
    """Evaluate a nested ``{op: arg}`` (or a bare column name) on ``frame`` as a Series.

    Used by operations that accept another operation as an argument (``from_dataset`` value,
    ``supp`` values), so the whole vocabulary is available wherever a value is expected.
    """
    if isinstance(entry, str):
        if entry not in frame.columns:
            raise ctx.fail(f"column {entry!r} not in the table (columns: {', '.join(map(str, frame.columns))})")
        return frame[entry]
    (name, arg), = ((k, v) for k, v in entry.items() if k != "where")
    op = get_operation(name, ctx.spec_file, ctx.where)
    missing = [c for c in op.inputs(arg) if c not in frame.columns]
    if missing:
        raise ctx.fail(f"{name}: column(s) {missing} not in the table")
    result = op.func(ctx, frame, arg)
    if not isinstance(result, pd.Series):
        result = pd.Series(np.full(len(frame), result, dtype=object), index=frame.index)
    return result
