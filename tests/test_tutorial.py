"""The tutorial (docs/new-study.md) runs: its example study maps and derives, and the doc shows
the spec files exactly as they are in tests/data/tutorial_study/.

Expected values are worked out by hand from the raw CSVs in tests/data/tutorial_study/raw/
(see the comments next to each assertion), not copied from the engine's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cdisc_als.cli import app
from cdisc_als.io import read_folder

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "tests" / "data" / "tutorial_study"
DOC = ROOT / "docs" / "new-study.md"

# "File: <path>" on its own line (optionally in back-ticks), then the next ```yaml block
FILE_BLOCK = re.compile(r"^File: `?([^`\n]+?)`?\s*\n+```yaml\n(.*?)^```", re.M | re.S)
# "Excerpt: <path>", then a ```yaml block that must appear in that file as written
EXCERPT_BLOCK = re.compile(r"^Excerpt: `?([^`\n]+?)`?\s*\n+```yaml\n(.*?)^```", re.M | re.S)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Run `cdisc-als sdtm` then `cdisc-als adam` on the tutorial study, as the doc does."""
    out = tmp_path_factory.mktemp("tutorial")
    runner = CliRunner()
    sdtm = runner.invoke(
        app, ["sdtm", "--study", str(STUDY), "--raw", str(STUDY / "raw"), "--out", str(out / "sdtm"), "-q"]
    )
    assert sdtm.exit_code == 0, sdtm.output
    adam = runner.invoke(
        app, ["adam", "--study", str(STUDY), "--sdtm", str(out / "sdtm"), "--out", str(out / "adam"), "-q"]
    )
    assert adam.exit_code == 0, adam.output
    frames = {k: v.data for k, v in read_folder(out / "sdtm").items()}
    frames.update({k: v.data for k, v in read_folder(out / "adam").items()})
    return frames


def _one(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, val in where.items():
        mask &= frame[col] == val
    rows = frame[mask]
    assert len(rows) == 1, f"{where}: {len(rows)} rows"
    return rows.iloc[0]


def test_dm_values(built: dict[str, pd.DataFrame]) -> None:
    dm = built["DM"].set_index("SUBJID")
    # STUDYID-SITEID-SUBJID
    assert list(dm["USUBJID"]) == ["TUTOR01-101-001", "TUTOR01-101-002", "TUTOR01-102-003"]
    # BRTHDAT "UN MAR 1961" -> year and month only; "UN UNK 1970" -> year only
    assert dm.loc["001", "BRTHDTC"] == "1961-03"
    assert dm.loc["002", "BRTHDTC"] == "1958-06-12"
    assert dm.loc["003", "BRTHDTC"] == "1970"
    # value_map Female -> F; ct: "not reported" is a case variant of NOT REPORTED, "white" of WHITE
    assert dm.loc["001", "SEX"] == "F"
    # hardcode_ct: "Years" is a synonym of the AGEU term YEARS (C29848)
    assert list(dm["AGEU"]) == ["YEARS"] * 3
    assert dm.loc["003", "ETHNIC"] == "NOT REPORTED"
    assert dm.loc["003", "RACE"] == "WHITE"
    # AND (Andorra) is accepted only because the spec lists it in `extend`
    assert dm.loc["003", "COUNTRY"] == "AND"
    assert dm.loc["002", "ARM"] == "Placebo"
    supp = built["SUPPDM"]
    # subject 003 has no ONSET: no SUPPDM record
    assert sorted(supp["QVAL"]) == ["Bulbar", "Spinal"]
    assert set(supp["QNAM"]) == {"ALSONSIT"}


def test_qs_values(built: dict[str, pd.DataFrame]) -> None:
    qs = built["QS"]
    # 9 visit rows x 3 items, minus the blank salivation item of 002 at DAY 1
    assert len(qs) == 26
    # 001 screening 2024-01-03, first dose 2024-01-15: 12 days before, no day 0 -> -12
    scr = _one(qs, USUBJID="TUTOR01-101-001", QSTESTCD="ALSF0101", VISIT="SCREENING")
    assert scr["QSDY"] == -12
    assert scr["QSTEST"] == "ALSF01-Speech"
    # 001 week 4 2024-02-12: 28 days after -> day 29
    assert _one(qs, USUBJID="TUTOR01-101-001", QSTESTCD="ALSF0101", VISIT="WEEK 4")["QSDY"] == 29
    # the UNS folder of 002 (2024-02-20) follows WEEK 4 (VISITNUM 3): 3.01
    uns = _one(qs, USUBJID="TUTOR01-101-002", QSTESTCD="ALSF0101", VISITNUM=3.01)
    assert uns["VISIT"] == "UNSCHEDULED 3.01"
    # baseline: DAY 1 (on the first-dose date); for 002's salivation DAY 1 is blank -> SCREENING
    blfl = qs[qs["QSBLFL"] == "Y"].set_index(["USUBJID", "QSTESTCD"])["VISIT"]
    assert len(blfl) == 9
    assert blfl[("TUTOR01-101-002", "ALSF0102")] == "SCREENING"
    assert blfl[("TUTOR01-101-001", "ALSF0102")] == "DAY 1"
    # QSSEQ within subject in QSTESTCD, VISITNUM order: 002 has 4 + 3 + 4 records
    seq2 = qs[qs["USUBJID"] == "TUTOR01-101-002"].sort_values("QSSEQ")
    assert list(seq2["QSSEQ"]) == list(range(1, 12))
    assert _one(qs, USUBJID="TUTOR01-101-002", QSSEQ=5)["QSTESTCD"] == "ALSF0102"


def test_adam_values(built: dict[str, pd.DataFrame]) -> None:
    adsl = built["ADSL"].set_index("SUBJID")
    # BRTHDTC 1961-03 imputed to the first day (flag D); 1970 to January 1st (flag M)
    assert adsl.loc["001", "BRTHDT"] == pd.Timestamp("1961-03-01")
    assert adsl.loc["001", "BRTHDTF"] == "D"
    assert adsl.loc["003", "BRTHDT"] == pd.Timestamp("1970-01-01")
    assert adsl.loc["003", "BRTHDTF"] == "M"
    assert adsl.loc["002", "TRTSDT"] == pd.Timestamp("2024-01-18")
    assert list(adsl["SAFFL"]) == ["Y", "Y", "Y"]
    assert adsl.loc["001", "ALSONSIT"] == "Bulbar"
    adqs = built["ADQS"]
    # 001 speech: baseline 4 (DAY 1), week 4 3 -> CHG -1
    w4 = _one(adqs, USUBJID="TUTOR01-101-001", PARAMCD="ALSF0101", AVISIT="WEEK 4")
    assert (w4["AVAL"], w4["BASE"], w4["CHG"], w4["ADY"]) == (3, 4, -1, 29)
    # 002 salivation: baseline from SCREENING (4), unscheduled 2 -> CHG -2
    uns = _one(adqs, USUBJID="TUTOR01-101-002", PARAMCD="ALSF0102", AVISITN=3.01)
    assert (uns["BASE"], uns["CHG"], uns["ADY"]) == (4, -2, 34)
    assert _one(adqs, USUBJID="TUTOR01-101-002", PARAMCD="ALSF0102", AVISIT="SCREENING")["ABLFL"] == "Y"


def test_doc_shows_the_real_spec_files() -> None:
    """Every ```yaml block marked `File: <path>` in the tutorial is byte-identical to that file."""
    text = DOC.read_text(encoding="utf-8")
    blocks = FILE_BLOCK.findall(text)
    paths = [p for p, _ in blocks]
    # the study's own files are all shown
    for name in ["study.yaml", "sdtm/dm.yaml", "sdtm/qs.yaml", "adam/adsl.yaml", "adam/adqs.yaml"]:
        assert f"tests/data/tutorial_study/{name}" in paths, name
    for path, body in blocks:
        assert (ROOT / path).read_text(encoding="utf-8") == body, f"{path} differs from docs/new-study.md"


def test_doc_excerpts_are_in_their_files() -> None:
    """Blocks marked `Excerpt: <path>` (sponsor codelists) are verbatim parts of that file."""
    blocks = EXCERPT_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    for path, body in blocks:
        assert body in (ROOT / path).read_text(encoding="utf-8"), f"{path} does not contain the excerpt"
