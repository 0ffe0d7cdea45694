"""Deliberate data-quality defects, for testing that the mapping reports bad input.

Off by default. Each defect is a realistic EDC problem (impossible date, misspelt code, orphan
record, duplicated form, out-of-range score, contradictory item 5). ``_defects.csv`` lists them
with the 1-based data row (header excluded) so a test can check the conversion log names each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFECT_COLUMNS = ["file", "row", "field", "value", "kind"]


def _insert_after(frame: pd.DataFrame, pos: int, row: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame.iloc[: pos + 1], row, frame.iloc[pos + 1 :]], ignore_index=True)


def inject_defects(forms: dict[str, pd.DataFrame], rng: np.random.Generator) -> pd.DataFrame:
    """Modify ``forms`` in place (replacing frames); return the list of defects."""
    found: list[dict] = []

    def note(file: str, row: int, field: str, value: str, kind: str) -> None:
        found.append({"file": f"{file}.csv", "row": row + 1, "field": field, "value": value, "kind": kind})

    ae = forms["ae"]
    if len(ae):
        i = int(rng.integers(len(ae)))
        ae.loc[i, "AESTDAT"] = "31 FEB 2013"
        note("ae", i, "AESTDAT", "31 FEB 2013", "impossible date")
        orphan = ae.iloc[[int(rng.integers(len(ae)))]].copy()
        site = orphan["SITEID"].iloc[0]
        orphan["SUBJID"] = f"{site}-999"
        orphan["AELINE"] = "1"
        ae = pd.concat([ae, orphan], ignore_index=True)
        note("ae", len(ae) - 1, "SUBJID", f"{site}-999", "subject not in demographics")
        forms["ae"] = ae

    dm = forms["demog"]
    i = int(rng.integers(len(dm)))
    dm.loc[i, "SEX"] = "Unknwn"
    note("demog", i, "SEX", "Unknwn", "unknown coded value")

    qs = forms["alsfrs"]
    if len(qs) >= 3:
        i, j, k = (int(x) for x in rng.choice(len(qs), size=3, replace=False))
        qs.loc[j, "ALSFRS08"] = "5"
        note("alsfrs", j, "ALSFRS08", "5", "item score out of range 0-4")
        filled = "ALSFRS5A" if qs.loc[k, "ALSFRS5A"] != "" else "ALSFRS5B"
        other = "ALSFRS5B" if filled == "ALSFRS5A" else "ALSFRS5A"
        qs.loc[k, other] = qs.loc[k, filled]
        note("alsfrs", k, other, qs.loc[k, filled], "both 5a and 5b answered")
        qs = _insert_after(qs, i, qs.iloc[[i]])
        shift = lambda r: r + 1 if r > i else r  # noqa: E731  rows after the copy move down
        for d in found:
            if d["file"] == "alsfrs.csv":
                d["row"] = shift(d["row"] - 1) + 1
        note("alsfrs", i + 1, "FOLDER", qs.loc[i + 1, "FOLDER"], "duplicate form")
        forms["alsfrs"] = qs
    return pd.DataFrame(found, columns=DEFECT_COLUMNS)
