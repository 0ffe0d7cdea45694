"""The conversion-log numbers the CLI prints, and row numbers a user can look up."""

from __future__ import annotations

import pandas as pd

from cdisc_als.errors import ConversionLog
from cdisc_als.pipeline import summarize_log, write_log


def _log() -> ConversionLog:
    log = ConversionLog()
    # demog.csv row 2: two problems in one record; row 3: one problem -> 2 records
    log.add("error", "sdtm:DM", "demog.csv", "impossible date", row=2, field="BRTHDAT", value="31 FEB 2013")
    log.add("error", "sdtm:DM", "demog.csv", "value not in codelist SEX", row=2, field="SEX", value="X")
    log.add("warning", "sdtm:DM", "demog.csv", "age differs from birth date", row=3, field="AGE", value="62")
    # ae.csv row 2 is another record than demog.csv row 2 -> 3 records
    log.add_rows("error", "sdtm:AE", "ae.csv", "impossible date", rows=pd.Series([2.0]), field="AESTDAT")
    # info entries and dataset-level entries (no row) are not records affected
    log.add_rows("info", "sdtm:DS", "consent.csv", "eligible", rows=pd.Series([1.0, 4.0], dtype=object))
    log.add("error", "adam:ADSL", "adsl.yaml", "source dataset DM not available")
    return log


def test_summary_counts_distinct_records_with_errors_or_warnings(tmp_path):
    summary = summarize_log(_log(), tmp_path / "log.csv")
    assert (summary.errors, summary.warnings, summary.records) == (4, 1, 3)


def test_written_log_has_whole_row_numbers(tmp_path):
    path = write_log(_log(), tmp_path / "logs" / "log.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert frame["row"].tolist() == ["2", "2", "3", "2", "1", "4", ""]
    assert frame.loc[0, ["source", "field", "value"]].tolist() == ["demog.csv", "BRTHDAT", "31 FEB 2013"]
