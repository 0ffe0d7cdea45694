"""The vocabulary of checks a rule file may use, each a vectorized column operation.

An operator receives the dataset (``Target``), the run ``Context``, the rule's arguments (checked
before any data is read against the operator's cerberus schema) and the boolean row mask of the
rule's ``when`` conditions. It returns the findings as a DataFrame with the columns ``row``
(0-based row position, <NA> for dataset-level findings), ``variable``, ``value`` and
``expected``. ``scope`` says how the engine calls it: once per ``record``/``dataset`` of every
matching dataset, or once per run (``study``).

The operators live in ``cdisc_als.rules.checks`` (one module per family); this module is the
single import point for the registry and the shared helpers.
"""

from __future__ import annotations

import cdisc_als.rules.checks  # noqa: F401  (registers every operator)
from cdisc_als.rules.checks.base import (
    HIT_COLUMNS,
    OPERATORS,
    Operator,
    concat,
    empty_hits,
    hits,
    meta_hit,
    operator,
)
from cdisc_als.rules.checks.dates import (
    COMPLETE_DATE_RE,
    DTC_RE,
    DUR_RE,
    complete_dates,
    datetime_ok,
    duration_ok,
)

__all__ = [
    "COMPLETE_DATE_RE",
    "DTC_RE",
    "DUR_RE",
    "HIT_COLUMNS",
    "OPERATORS",
    "Operator",
    "complete_dates",
    "concat",
    "datetime_ok",
    "duration_ok",
    "empty_hits",
    "hits",
    "meta_hit",
    "operator",
]
