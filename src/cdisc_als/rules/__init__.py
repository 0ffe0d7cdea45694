"""Conformance validation: declarative rules (specs/rules/*.yaml) run as vectorized checks.

Entry points: ``validate_datasets(datasets, standard, define=None) -> Report`` and
``run_validate_cli(...)`` (behind ``cdisc-als validate``).
"""

from __future__ import annotations

from cdisc_als.rules import define_check as _define_check  # noqa: F401  (registers define operators)
from cdisc_als.rules.cli import detect_standard, run_validate_cli
from cdisc_als.rules.engine import validate_datasets
from cdisc_als.rules.loader import load_rule_file, load_rules
from cdisc_als.rules.model import Report, Rule
from cdisc_als.rules.report_writers import write_reports

__all__ = [
    "Report",
    "Rule",
    "detect_standard",
    "load_rule_file",
    "load_rules",
    "run_validate_cli",
    "validate_datasets",
    "write_reports",
]
