"""Registry of named operations and the context they run in.

Two kinds of operation:

- ``variable``: ``func(ctx, frame, arg) -> pandas.Series | scalar`` computes one target
  variable from the working frame (e.g. ``constant``, ``iso8601``, ``study_day``).
- ``dataset``: ``func(ctx, frame, arg) -> pandas.DataFrame`` reshapes the working frame
  (e.g. ``transpose``, ``filter``, ``join``) or builds a whole dataset (trial design).

``arg`` is whatever the spec wrote after the operation name, already checked against the
operation's cerberus ``schema`` (a schema for a single value, as in ``{"type": "string"}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cdisc_als.errors import ConversionLog, SpecError

OpKind = Literal["variable", "dataset"]


@dataclass
class Operation:
    """A named, reusable mapping/derivation step."""

    name: str
    func: Callable[..., Any]
    schema: dict[str, Any]
    kind: OpKind
    doc: str


REGISTRY: dict[str, Operation] = {}


def operation(name: str, *, schema: dict[str, Any], kind: OpKind = "variable"):
    """Register ``func`` under ``name``; ``schema`` is the cerberus rule set for its argument."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"operation {name!r} is registered twice")
        REGISTRY[name] = Operation(name, func, schema, kind, (func.__doc__ or "").strip())
        return func

    return decorate


def get_operation(name: str, spec_file: str | Path = "", where: str = "") -> Operation:
    """Look an operation up, with an error that lists the known names when it is unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise SpecError(spec_file, where, f"unknown operation {name!r}; known: {known}") from None


@dataclass
class Context:
    """What an operation may read besides its working frame.

    ``datasets`` holds the datasets built so far in this run (e.g. DM, for RFSTDTC in --DY),
    ``sources`` the raw tables read so far, ``target`` the variable being computed,
    ``spec_file``/``where`` locate the spec entry for error messages, ``source_file`` the raw file
    the working frame came from (its rows carry their 1-based row number in ``ROW_COLUMN``).
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


# Every working frame carries the 1-based row number of its raw record in this column, so that any
# operation can name the row of a bad value in the conversion log. Runners drop it before output.
ROW_COLUMN = "__row__"
