"""Rule and report data structures.

A ``Rule`` is what one entry of a ``specs/rules/*.yaml`` file becomes after the cerberus schema
checked it. A ``Report`` holds every finding of one run as a single DataFrame (one row per
finding) so that the writers, the exit code and the tests all read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SEVERITIES = ("error", "warning", "notice")

FINDING_COLUMNS = [
    "rule_id",
    "cdisc_id",
    "severity",
    "dataset",
    "variable",
    "usubjid",
    "seq",
    "row",
    "value",
    "expected",
    "message",
]


@dataclass
class Rule:
    """One conformance rule: metadata plus a check built from the vectorized operators."""

    id: str
    severity: str
    message: str
    check: dict[str, Any]
    cdisc_ids: list[str] = field(default_factory=list)
    standards: list[str] = field(default_factory=lambda: ["sdtmig-3.4"])
    domains: list[str] = field(default_factory=lambda: ["ALL"])
    exclude_domains: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=lambda: ["ALL"])
    when: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    source_file: str = ""

    @property
    def cdisc_id(self) -> str:
        """The CDISC ids as one string (``CORE-000001/CG0176``) for reports."""
        return "/".join(self.cdisc_ids)

    @property
    def core_ids(self) -> list[str]:
        return [c for c in self.cdisc_ids if c.startswith("CORE-")]


@dataclass
class Report:
    """Outcome of one validation run."""

    standard: str
    findings: pd.DataFrame
    datasets: dict[str, int]  # records checked per dataset
    dataset_labels: dict[str, str]
    rules: list[Rule]
    rules_run: dict[str, int]  # rule id -> number of datasets it was applied to
    skipped: list[dict[str, str]] = field(default_factory=list)  # rules that could not run
    define: Path | None = None
    seconds: float = 0.0
    rule_seconds: dict[str, float] = field(default_factory=dict)  # time spent per rule

    def count(self, severity: str | None = None) -> int:
        if severity is None:
            return len(self.findings)
        return int((self.findings["severity"] == severity).sum())

    def rule_summary(self) -> pd.DataFrame:
        """Findings per rule and dataset (rule id, CDISC id, severity, dataset, message, count)."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(
                columns=["rule_id", "cdisc_id", "severity", "dataset", "message", "count"]
            )
        g = f.groupby(["rule_id", "cdisc_id", "severity", "dataset"], sort=True, dropna=False)
        out = g.agg(message=("message", "first"), count=("rule_id", "size")).reset_index()
        return out

    def dataset_summary(self) -> pd.DataFrame:
        """Per dataset: label, records checked and finding counts by severity."""
        rows = []
        f = self.findings
        for name in sorted(self.datasets):
            sub = f[f["dataset"] == name]
            rows.append(
                {
                    "dataset": name,
                    "label": self.dataset_labels.get(name, ""),
                    "records": self.datasets[name],
                    "error": int((sub["severity"] == "error").sum()),
                    "warning": int((sub["severity"] == "warning").sum()),
                    "notice": int((sub["severity"] == "notice").sum()),
                }
            )
        return pd.DataFrame(
            rows, columns=["dataset", "label", "records", "error", "warning", "notice"]
        )
