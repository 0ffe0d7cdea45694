"""Errors and the conversion log.

Why a log and not only exceptions: a clinical programmer must be able to account for every raw
record (landed in a domain, or rejected with a reason). Fatal problems in *specs* raise
``SpecError`` at once; problems in *data* are collected in a ``ConversionLog`` so that one run
reports all of them, each naming file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


class CdiscAlsError(Exception):
    """Base class of every error this package raises on purpose (the CLI maps it to exit code 2)."""


class SpecError(CdiscAlsError):
    """A study, mapping or rule file is malformed. Names the file and the key path."""

    def __init__(self, file: str | Path, where: str, message: str):
        self.file = str(file)
        self.where = where
        self.message = message
        super().__init__(f"{self.file}: {where}: {message}" if where else f"{self.file}: {message}")


class DataError(CdiscAlsError):
    """Input data cannot be processed at all (unreadable file, missing column, ...)."""

    def __init__(self, file: str | Path, message: str, row: Any = None, field: str | None = None):
        self.file = str(file)
        self.row = row
        self.field = field
        where = []
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field {field}")
        loc = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{self.file}{loc}: {message}")


LOG_COLUMNS = ["severity", "stage", "source", "row", "field", "value", "reason", "target"]


@dataclass
class ConversionLog:
    """Collects record-level findings of a conversion run.

    ``severity`` is ``error`` (the record did not land, or landed with a value that needs a fix),
    ``warning`` (landed, but worth a look) or ``info``. ``row`` is the 1-based data row number in
    the source file (header excluded), so a user can open the file and find it.
    """

    entries: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        severity: str,
        stage: str,
        source: str,
        reason: str,
        row: Any = None,
        field: str | None = None,
        value: Any = None,
        target: str | None = None,
    ) -> None:
        """Add one finding."""
        self.entries.append(
            pd.DataFrame(
                [[severity, stage, source, row, field, value, reason, target]], columns=LOG_COLUMNS
            )
        )

    def add_rows(
        self,
        severity: str,
        stage: str,
        source: str,
        reason: str,
        rows: pd.Series | list,
        field: str | None = None,
        values: pd.Series | list | None = None,
        target: str | None = None,
    ) -> None:
        """Add one finding per row number (vectorized: no Python loop over the rows)."""
        rows = pd.Series(rows).reset_index(drop=True)
        if rows.empty:
            return
        if pd.api.types.is_numeric_dtype(rows):
            rows = rows.astype("Int64")  # row numbers print as 12, not 12.0
        vals = (
            pd.Series(values).reset_index(drop=True).astype("object")
            if values is not None
            else pd.Series([None] * len(rows), dtype="object")
        )
        frame = pd.DataFrame(
            {
                "severity": severity,
                "stage": stage,
                "source": source,
                "row": rows.astype("object"),
                "field": field,
                "value": vals,
                "reason": reason,
                "target": target,
            },
            columns=LOG_COLUMNS,
        )
        self.entries.append(frame)

    def frame(self) -> pd.DataFrame:
        """All findings as one DataFrame with the columns of ``LOG_COLUMNS``."""
        if not self.entries:
            return pd.DataFrame(columns=LOG_COLUMNS)
        return pd.concat(self.entries, ignore_index=True)

    def count(self, severity: str | None = None) -> int:
        """Number of findings, optionally of one severity."""
        return int(
            sum(len(e) if severity is None else int((e["severity"] == severity).sum()) for e in self.entries)
        )

    @property
    def has_errors(self) -> bool:
        return self.count("error") > 0

    def write(self, path: str | Path) -> Path:
        """Write the log as CSV (one finding a line) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame().to_csv(path, index=False)
        return path
