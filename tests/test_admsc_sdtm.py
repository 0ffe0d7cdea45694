"""AdMSC-ALS raw -> SDTM on the hand-made tiny raw set (tests/data/admsc_tiny_raw, 4 subjects).

Every domain is compared with records worked out by hand from the raw CSV files and the SDTMIG
3.4 rules written in the specs: USUBJID = ADMSC-ALS-<SUBJID>; study day 1 = date of the first
infusion (DM.RFSTDTC), no day 0; an element ends where the next one starts; EPOCH is the element
in effect on the record's date (a date-only record on a transition day belongs to the element
that starts that day, except for QS and VS, done before the infusion or at the end of a period,
where it stays in the element before); partial dates stay partial and get no study day, and an
EPOCH only when every day they may stand for lies in one element.

Day arithmetic used below (2012 is a leap year, 29 Feb is before every day 1 here):
  01-001 day 1 = 2012-04-02: 03-05 -> -28, 03-20 -> -13, 03-24 -> -9, 05-02 -> 31, 05-15 -> 44,
         07-02 -> 92, 08-01 -> 122, 09-29 -> 181, 12-28 -> 271, 2013-03-28 -> 361
  01-002 day 1 = 2012-04-10: 03-12 -> -29, 03-26 -> -15, 07-10 -> 92, 10-07 -> 181,
         10-08 -> 182, 2013-03-20 -> 345, 2013-04-05 -> 361, 2013-07-04 -> 451
  01-004 day 1 = 2012-04-30: 04-02 -> -28, 04-16 -> -14, 05-30 -> 31, 06-29 -> 61,
         07-30 -> 92, 08-01 -> 94, 08-10 -> 103, 08-15 -> 108
"""

from __future__ import annotations

import math
import shutil

import pytest

from cdisc_als.errors import ConversionLog
from cdisc_als.sdtm import map_study
from cdisc_als.study import load_study

# the whole mapping runs once for the module (about 3-6 s on a shared 2-core machine)
pytestmark = pytest.mark.slow

S1, S2, S3, S4 = (f"ADMSC-ALS-01-00{i}" for i in (1, 2, 3, 4))
D4 = "AdMSC 4x10^6 cells/kg"
D1 = "AdMSC 1x10^6 cells/kg"
PBO_D2 = "Placebo then AdMSC 2x10^6 cells/kg"
BT, CT_, LT, SC = "BLINDED TREATMENT", "CONTINUATION TREATMENT", "LONG-TERM FOLLOW-UP", "SCREENING"


@pytest.fixture(scope="module")
def run(repo_root):
    study = load_study(repo_root / "mappings" / "admsc-als")
    log = ConversionLog()
    datasets = map_study(study, repo_root / "tests" / "data" / "admsc_tiny_raw", log)
    return datasets, log


@pytest.fixture(scope="module")
def sdtm(run):
    return run[0]


def _clean(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def rows(ds, cols: list[str]) -> list[tuple]:
    frame = ds.data
    missing = [c for c in cols if c not in frame.columns]
    assert not missing, f"{ds.name} lacks {missing}"
    return [tuple(_clean(v) for v in r) for r in frame[cols].astype(object).itertuples(index=False)]


def test_domains_and_log(run):
    datasets, log = run
    assert sorted(datasets) == sorted([
        "DM", "SUPPDM", "AE", "SUPPAE", "EX", "SUPPEX", "QS", "DS", "SV", "SE", "PR", "SUPPPR", "VS",
        "CM", "MH", "SUPPMH", "IE", "TA", "TE", "TV", "TI", "TS",
    ])
    frame = log.frame()
    # only the intended exclusions of the forms DS reads twice: eligible subjects' consent rows
    # (screen failures only) and disposition rows other than the end of period 2 (extension choice);
    # IE leaves out the same eligible subjects' consent rows (IE holds criteria not met only)
    assert (frame["severity"] != "info").sum() == 0, frame.to_string()
    got = sorted(zip(frame["stage"], frame["source"], frame["row"].astype(int), strict=True))
    assert got == [("sdtm:DS", "consent.csv", 1), ("sdtm:DS", "consent.csv", 2), ("sdtm:DS", "consent.csv", 4),
                   ("sdtm:DS", "disposition.csv", 1), ("sdtm:DS", "disposition.csv", 3),
                   ("sdtm:DS", "disposition.csv", 5), ("sdtm:DS", "disposition.csv", 6),
                   ("sdtm:IE", "consent.csv", 1), ("sdtm:IE", "consent.csv", 2), ("sdtm:IE", "consent.csv", 4)]
    for ds in datasets.values():
        assert set(ds.data["STUDYID"]) == {"ADMSC-ALS"}


def test_dm(sdtm):
    dm = sdtm["DM"]
    assert dm.var_names[:4] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"]
    cols = ["USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC",
            "DTHDTC", "DTHFL", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM",
            "ACTARMCD", "ACTARM", "ARMNRS", "COUNTRY", "DMDTC", "DMDY"]
    assert rows(dm, cols) == [
        (S1, "01-001", "2012-04-02T10:05", "2013-03-28", "2012-04-02T10:05", "2012-04-02T10:41", "2012-03-05",
         "2013-03-28", None, None, "01", "1958", 53, "YEARS", "M", "WHITE", "HISPANIC OR LATINO",
         "D4", D4, "D4", D4, None, "ESP", "2012-03-05", -28),
        # crossover: planned and actual arm show both treatments; RFXENDTC = end of the 2nd infusion
        (S2, "01-002", "2012-04-10T10:00", "2013-07-04", "2012-04-10T10:00", "2012-10-07T11:40", "2012-03-12",
         "2013-07-04", None, None, "01", "1966-02-14", 46, "YEARS", "F", "WHITE", "HISPANIC OR LATINO",
         "PBO-D2", PBO_D2, "PBO-D2", PBO_D2, None, "ESP", "2012-03-12", -29),
        # screen failure: no arm, ARMNRS, no reference start; RFPENDTC = screening visit
        (S3, "01-003", None, None, None, None, "2012-03-19", "2012-03-19", None, None, "01", "1949-06", 62,
         "YEARS", "M", "OTHER", "NOT HISPANIC OR LATINO", None, None, None, None, "SCREEN FAILURE", "ESP",
         "2012-03-19", None),
        # death: DTHDTC/DTHFL, end of participation = death date
        (S4, "01-004", "2012-04-30T09:30", "2012-08-15", "2012-04-30T09:30", "2012-04-30T10:05", "2012-04-02",
         "2012-08-15", "2012-08-15", "Y", "01", "1951-11-03", 60, "YEARS", "M", "WHITE", "NOT REPORTED",
         "D1", D1, "D1", D1, None, "ESP", "2012-04-02", -28),
    ]
    assert dm.var("AGE").type == "Num" and dm.var("DMDY").type == "Num"
    assert rows(sdtm["SUPPDM"], ["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"]) == [
        ("DM", S3, None, None, "RACEOTH", "Race, Other", "North African", "CRF"),
    ]


def test_se(sdtm):
    cols = ["USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY"]
    assert rows(sdtm["SE"], cols) == [
        (S1, 1, "SCRN", "Screening", 1, SC, "2012-03-05", "2012-04-02T10:05", -28, 1),
        (S1, 2, "D4", D4, 2, BT, "2012-04-02T10:05", "2012-09-29", 1, 181),
        # completed period 1 and went on: follow-up element from month 6; no extension
        (S1, 3, "FUP", "Post-infusion follow-up", 3, CT_, "2012-09-29", "2013-03-28", 181, 361),
        (S2, 1, "SCRN", "Screening", 1, SC, "2012-03-12", "2012-04-10T10:00", -29, 1),
        (S2, 2, "PBO", "Placebo", 2, BT, "2012-04-10T10:00", "2012-10-07T11:00", 1, 181),
        (S2, 3, "D2", "AdMSC 2x10^6 cells/kg", 3, CT_, "2012-10-07T11:00", "2013-04-05", 181, 361),
        (S2, 4, "EXT", "Open-label extension", 4, LT, "2013-04-05", "2013-07-04", 361, 451),
        (S3, 1, "SCRN", "Screening", 1, SC, "2012-03-19", "2012-03-19", None, None),
        (S4, 1, "SCRN", "Screening", 1, SC, "2012-04-02", "2012-04-30T09:30", -28, 1),
        (S4, 2, "D1", D1, 2, BT, "2012-04-30T09:30", "2012-08-15", 1, 108),
    ]


def test_ae_and_suppae(sdtm):
    cols = ["USUBJID", "AESEQ", "AESPID", "AETERM", "AEDECOD", "AESEV", "AESER", "AEACN", "AEREL", "AEOUT",
            "AECONTRT", "EPOCH", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY"]
    assert rows(sdtm["AE"], cols) == [
        (S1, 1, "1", "pain at liposuction site", "Procedural pain", "MILD", "N", "NOT APPLICABLE", "NOT RELATED",
         "RECOVERED/RESOLVED", "Y", SC, "2012-03-20T15:30", "2012-03-24", -13, -9),
        (S1, 2, "2", "Headache after infusion", "Headache", "MILD", "N", "DOSE NOT CHANGED", "POSSIBLE",
         "RECOVERED/RESOLVED", "N", BT, "2012-04-02T14:00", "2012-04-03", 1, 2),
        (S2, 1, "1", "low grade fever post infusion", "Pyrexia", "MILD", "N", "DOSE NOT CHANGED", "PROBABLE",
         "RECOVERED/RESOLVED", "Y", CT_, "2012-10-07T18:00", "2012-10-08", 181, 182),
        # partial start date UN MAR 2013: kept partial, no study day; all of March 2013 lies in
        # the D2 element (2012-10-07T11:00 to 2013-04-05), so the epoch is known
        (S2, 2, "2", "cramps in legs", "Muscle spasms", "MODERATE", "N", "NOT APPLICABLE", "NOT RELATED",
         "RECOVERED/RESOLVED", "N", CT_, "2013-03", "2013-03-20", None, 345),
        # the fatal serious AE
        (S4, 1, "1", "acute respiratory failure", "Respiratory failure", "SEVERE", "Y", "NOT APPLICABLE",
         "NOT RELATED", "FATAL", "Y", BT, "2012-08-10", "2012-08-15", 103, 108),
    ]
    serious = ["AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE"]
    got = rows(sdtm["AE"], serious)
    assert got[:4] == [(None,) * 6] * 4  # not serious: criteria not collected
    assert got[4] == ("N", "N", "Y", "Y", "N", "N")
    coding = ["AELLT", "AELLTCD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBODSYS", "AEBDSYCD",
              "AESOC", "AESOCCD"]
    assert rows(sdtm["AE"], coding)[4] == (
        "Respiratory failure", 84287384, 84287384, "Respiratory failures (excl neonatal)", 82165146,
        "Respiratory disorders NEC", 87905052, "Respiratory, thoracic and mediastinal disorders", 81372833,
        "Respiratory, thoracic and mediastinal disorders", 81372833)
    assert sdtm["AE"].var("AEPTCD").type == "Num"
    supp = ["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    lab = "Relationship to Liposuction Procedure"
    assert rows(sdtm["SUPPAE"], supp) == [
        (S1, "AESEQ", "1", "AERELPRC", lab, "PROBABLE", "CRF", "INVESTIGATOR"),
        (S1, "AESEQ", "2", "AERELPRC", lab, "NOT RELATED", "CRF", "INVESTIGATOR"),
        (S2, "AESEQ", "1", "AERELPRC", lab, "NOT RELATED", "CRF", "INVESTIGATOR"),
        (S2, "AESEQ", "2", "AERELPRC", lab, "NOT RELATED", "CRF", "INVESTIGATOR"),
        (S4, "AESEQ", "1", "AERELPRC", lab, "NOT RELATED", "CRF", "INVESTIGATOR"),
    ]


def test_ex_and_suppex(sdtm):
    cols = ["USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXDOSFRQ", "EXROUTE", "EPOCH",
            "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY"]
    form = "INJECTION, SUSPENSION"
    assert rows(sdtm["EX"], cols) == [
        (S1, 1, "ADMSC", 4, "10^6/kg", form, "ONCE", "INTRAVENOUS", BT, "2012-04-02T10:05", "2012-04-02T10:41", 1, 1),
        # crossover: placebo at day 1, 2x10^6 cells/kg at month 6
        (S2, 1, "PLACEBO", 0, "10^6/kg", form, "ONCE", "INTRAVENOUS", BT, "2012-04-10T10:00", "2012-04-10T10:30", 1, 1),
        (S2, 2, "ADMSC", 2, "10^6/kg", form, "ONCE", "INTRAVENOUS", CT_, "2012-10-07T11:00", "2012-10-07T11:40", 181, 181),
        (S4, 1, "ADMSC", 1, "10^6/kg", form, "ONCE", "INTRAVENOUS", BT, "2012-04-30T09:30", "2012-04-30T10:05", 1, 1),
    ]
    supp = sorted(rows(sdtm["SUPPEX"], ["USUBJID", "IDVARVAL", "QNAM", "QVAL"]))
    assert supp == sorted([
        (S1, "1", "EXINTRP", "N"), (S1, "1", "EXTOTCEL", "289600000"), (S1, "1", "EXVOL", "98.5"),
        (S2, "1", "EXINTRP", "N"), (S2, "1", "EXTOTCEL", "0"), (S2, "1", "EXVOL", "100.0"),
        (S2, "2", "EXINTRP", "Y"), (S2, "2", "EXINTRS", "Patient discomfort"), (S2, "2", "EXTOTCEL", "140000000"),
        (S2, "2", "EXVOL", "99.0"),
        (S4, "1", "EXINTRP", "N"), (S4, "1", "EXTOTCEL", "81000000"), (S4, "1", "EXVOL", "100.0"),
    ])


# --------------------------------------------------------------------------- QS
# hand transcription of alsfrs.csv: (subject, visitnum, visit, date, study day, epoch, gastrostomy, items 1-12)
ALSFRS = [
    (S1, 1, "SCREENING", "2012-03-05", -28, SC, "N", [4, 3, 4, 3, 3, 3, 3, 3, 2, 4, 4, 4]),
    (S1, 6, "MONTH 3", "2012-07-02", 92, BT, "N", [4, 3, 4, 3, 3, 3, 3, 2, 2, 4, 4, 4]),
    (S1, 8, "MONTH 6", "2012-09-29", 181, BT, "N", [4, 3, 3, 3, 3, 3, 3, 2, 2, 4, 4, 4]),
    (S1, 12, "MONTH 12", "2013-03-28", 361, CT_, "N", [4, 3, 3, 3, 2, 2, 3, 2, 1, 4, 4, 4]),
    (S2, 1, "SCREENING", "2012-03-12", -29, SC, "N", [3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 4]),
    (S2, 6, "MONTH 3", "2012-07-10", 92, BT, "N", [3, 3, 3, 4, 4, 3, 4, 3, 3, 4, 4, 4]),
    (S2, 8, "MONTH 6", "2012-10-07", 181, BT, "N", [3, 3, 3, 4, 3, 3, 4, 3, 2, 4, 4, 4]),
    (S2, 12, "MONTH 12", "2013-04-05", 361, CT_, "N", [3, 2, 3, 3, 3, 3, 3, 3, 2, 4, 4, 4]),
    (S2, 13, "MONTH 15", "2013-07-04", 451, LT, "N", [2, 2, 3, 3, 3, 3, 3, 2, 2, 4, 4, 4]),
    (S4, 1, "SCREENING", "2012-04-02", -28, SC, "N", [2, 2, 2, 3, 3, 3, 3, 3, 2, 3, 3, 3]),
    (S4, 4, "MONTH 1", "2012-05-30", 31, BT, "N", [2, 2, 2, 3, 3, 3, 3, 3, 2, 3, 3, 2]),
    (S4, 5, "MONTH 2", "2012-06-29", 61, BT, "N", [2, 2, 1, 3, 3, 3, 3, 2, 2, 2, 3, 2]),
    (S4, 6, "MONTH 3", "2012-07-30", 92, BT, "Y", [1, 2, 1, 3, 3, 2, 3, 2, 1, 2, 2, 1]),
]
# docs/conventions.md
ALSFRS_TESTS = [
    ("ALSF0101", "ALSF01-Speech"), ("ALSF0102", "ALSF01-Salivation"), ("ALSF0103", "ALSF01-Swallowing"),
    ("ALSF0104", "ALSF01-Handwriting"), None, ("ALSF0106", "ALSF01-Dressing and Hygiene"),
    ("ALSF0107", "ALSF01-Turning in Bed"), ("ALSF0108", "ALSF01-Walking"), ("ALSF0109", "ALSF01-Climbing Stairs"),
    ("ALSF0110", "ALSF01-Dyspnea"), ("ALSF0111", "ALSF01-Orthopnea"), ("ALSF0112", "ALSF01-Respiratory Insufficiency"),
]
ITEM5 = {"N": ("ALSF105A", "ALSF01-Cutting Food w/o Gastrostomy"), "Y": ("ALSF105B", "ALSF01-Cutting Food with Gastrostomy")}
# ashworth.csv: (subject, visitnum, visit, date, day, epoch, [(right, left) for lines 1-6])
ASHWORTH = [
    (S1, 1, "SCREENING", "2012-03-05", -28, SC, [("0", "0"), ("0", "0"), ("0", "0"), ("1", "0"), ("1+", "1"), ("0", "0")]),
    (S1, 8, "MONTH 6", "2012-09-29", 181, BT, [("0", "0"), ("0", "1"), ("0", "0"), ("1+", "1"), ("2", "1+"), ("1", "0")]),
    (S2, 1, "SCREENING", "2012-03-12", -29, SC, [("0", "0"), ("0", "0"), ("0", "0"), ("0", "0"), ("0", "1"), ("0", "0")]),
    (S4, 1, "SCREENING", "2012-04-02", -28, SC, [("1", "1"), ("0", "0"), ("1", "1+"), ("2", "2"), ("3", "2"), ("4", "3")]),
]
MUSCLES = ["Elbow Flexors", "Elbow Extensors", "Wrist Flexors", "Knee Flexors", "Knee Extensors", "Ankle Plantar Flexors"]


def expected_qs() -> list[tuple]:
    recs = []
    for subj, vnum, visit, date, day, epoch, gastro, items in ALSFRS:
        for i, score in enumerate(items):
            code, name = ALSFRS_TESTS[i] or ITEM5[gastro]
            base = "Y" if vnum == 1 else None  # the screening visit is the last one before day 1
            recs.append((subj, "ALSFRS-R", vnum, code, name, str(score), str(score), float(score), base, visit, epoch, date, day))
    for subj, vnum, visit, date, day, epoch, lines in ASHWORTH:
        for n, (right, left) in enumerate(lines, start=1):
            for side, grade, num in (("Right", right, 2 * n - 1), ("Left", left, 2 * n)):
                stresn = 1.5 if grade == "1+" else float(grade)
                base = "Y" if vnum == 1 else None
                recs.append((subj, "MODIFIED ASHWORTH SCALE", vnum, f"MAS01{num:02d}", f"MAS01-{side} {MUSCLES[n - 1]}",
                             grade, "1.5" if grade == "1+" else grade, stresn, base, visit, epoch, date, day))
    recs.sort(key=lambda r: (r[0], r[1], r[2], r[3]))  # QSSEQ order: USUBJID, QSCAT, VISITNUM, QSTESTCD
    out, seq, last = [], 0, None
    for r in recs:
        seq = seq + 1 if r[0] == last else 1
        last = r[0]
        out.append((r[0], seq, *r[1:]))
    return out


def test_qs(sdtm):
    qs = sdtm["QS"]
    cols = ["USUBJID", "QSSEQ", "QSCAT", "VISITNUM", "QSTESTCD", "QSTEST", "QSORRES", "QSSTRESC", "QSSTRESN",
            "QSLOBXFL", "VISIT", "EPOCH", "QSDTC", "QSDY"]
    got = rows(qs, cols)
    want = [tuple(_clean(v) for v in r) for r in expected_qs()]
    assert len(got) == 13 * 12 + 4 * 12
    assert got == want
    # 12 ALSFRS-R items per assessed visit, exactly one of item 5a / 5b
    als = qs.data[qs.data["QSCAT"] == "ALSFRS-R"]
    per_visit = als.groupby(["USUBJID", "VISITNUM"])["QSTESTCD"].agg(list)
    assert all(len(v) == 12 and len({"ALSF105A", "ALSF105B"} & set(v)) == 1 for v in per_visit)


def test_ds(sdtm):
    cols = ["USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSCAT", "EPOCH", "DSSTDTC", "DSSTDY"]
    ic, pm, de, sp = "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", "DISPOSITION EVENT", "STUDY PARTICIPATION"
    opted, declined = "OPTED TO CONTINUE INTO NEXT TRIAL ELEMENT", "DECLINED TO CONTINUE INTO NEXT TRIAL ELEMENT"
    assert rows(sdtm["DS"], cols) == [
        (S1, 1, ic, ic, pm, None, SC, "2012-03-05", -28),
        (S1, 2, "RANDOMIZED", "RANDOMIZED", pm, None, SC, "2012-04-02T08:42", 1),
        (S1, 3, "COMPLETED", "COMPLETED", de, sp, BT, "2012-09-29", 181),
        (S1, 4, "COMPLETED", "COMPLETED", de, sp, CT_, "2013-03-28", 361),
        # end of period 2 without entering the extension (DSCONT = N)
        (S1, 5, declined, declined, pm, None, CT_, "2013-03-28", 361),
        (S2, 1, ic, ic, pm, None, SC, "2012-03-12", -29),
        (S2, 2, "RANDOMIZED", "RANDOMIZED", pm, None, SC, "2012-04-10T08:30", 1),
        (S2, 3, "COMPLETED", "COMPLETED", de, sp, BT, "2012-10-07", 181),
        # second randomization of the placebo subject, closing the placebo element
        (S2, 4, "RE-RANDOMIZED", "RE-RANDOMIZED", pm, None, BT, "2012-10-07T09:10", 181),
        (S2, 5, "COMPLETED", "COMPLETED", de, sp, CT_, "2013-04-05", 361),
        (S2, 6, opted, opted, pm, None, CT_, "2013-04-05", 361),
        (S2, 7, "Moved to another city", "WITHDRAWAL BY SUBJECT", de, sp, LT, "2013-07-04", 451),
        (S3, 1, ic, ic, pm, None, SC, "2012-03-19", None),
        (S3, 2, "SCREEN FAILURE: Forced vital capacity >= 50% of predicted", "SCREEN FAILURE", de, sp, SC,
         "2012-03-19", None),
        (S4, 1, ic, ic, pm, None, SC, "2012-04-02", -28),
        (S4, 2, "RANDOMIZED", "RANDOMIZED", pm, None, SC, "2012-04-30T08:15", 1),
        (S4, 3, "DEATH", "DEATH", de, sp, BT, "2012-08-15", 108),
    ]


def test_sv(sdtm):
    cols = ["USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "SVREASOC", "VISITDY", "SVSTDTC", "SVENDTC",
            "SVSTDY", "SVENDY", "SVUPDES"]

    def done(s, n, v, dy, date, day):
        return (s, n, v, "Y", "Y", None, dy, date, date, day, day, None)

    def missed(s, n, v, dy, why):
        return (s, n, v, "Y", "N", why, dy, None, None, None, None, None)

    assert rows(sdtm["SV"], cols) == [
        done(S1, 1, "SCREENING", -28, "2012-03-05", -28),
        done(S1, 2, "LIPOSUCTION", -14, "2012-03-20", -13),
        done(S1, 3, "DAY 1", 1, "2012-04-02", 1),
        done(S1, 4, "MONTH 1", 31, "2012-05-02", 31),
        # unscheduled visit after MONTH 1 (visit 4)
        (S1, 4.01, "UNSCHEDULED 4.01", None, None, None, None, "2012-05-15", "2012-05-15", 44, 44, "Unscheduled visit"),
        missed(S1, 5, "MONTH 2", 61, "Scheduling conflict"),
        done(S1, 6, "MONTH 3", 91, "2012-07-02", 92),
        missed(S1, 7, "MONTH 4", 121, "Patient unable to travel"),
        done(S1, 8, "MONTH 6", 181, "2012-09-29", 181),
        missed(S1, 9, "MONTH 7", 211, "Patient decision"),
        missed(S1, 10, "MONTH 8", 241, "Patient decision"),
        missed(S1, 11, "MONTH 9", 271, "Patient hospitalised"),
        done(S1, 12, "MONTH 12", 361, "2013-03-28", 361),
        done(S2, 1, "SCREENING", -28, "2012-03-12", -29),
        done(S2, 2, "LIPOSUCTION", -14, "2012-03-26", -15),
        done(S2, 3, "DAY 1", 1, "2012-04-10", 1),
        missed(S2, 4, "MONTH 1", 31, "Scheduling conflict"),
        missed(S2, 5, "MONTH 2", 61, "Scheduling conflict"),
        done(S2, 6, "MONTH 3", 91, "2012-07-10", 92),
        missed(S2, 7, "MONTH 4", 121, "Patient unable to travel"),
        done(S2, 8, "MONTH 6", 181, "2012-10-07", 181),
        missed(S2, 9, "MONTH 7", 211, "Patient decision"),
        missed(S2, 10, "MONTH 8", 241, "Patient decision"),
        missed(S2, 11, "MONTH 9", 271, "Patient decision"),
        done(S2, 12, "MONTH 12", 361, "2013-04-05", 361),
        done(S2, 13, "MONTH 15", 451, "2013-07-04", 451),
        done(S3, 1, "SCREENING", -28, "2012-03-19", None),
        done(S4, 1, "SCREENING", -28, "2012-04-02", -28),
        done(S4, 2, "LIPOSUCTION", -14, "2012-04-16", -14),
        done(S4, 3, "DAY 1", 1, "2012-04-30", 1),
        done(S4, 4, "MONTH 1", 31, "2012-05-30", 31),
        done(S4, 5, "MONTH 2", 61, "2012-06-29", 61),
        done(S4, 6, "MONTH 3", 91, "2012-07-30", 92),
    ]


def test_pr_vs_cm_mh(sdtm):
    pr = ["USUBJID", "PRSEQ", "PRTRT", "PRCAT", "PRLOC", "VISITNUM", "VISIT", "EPOCH", "PRSTDTC", "PRENDTC",
          "PRSTDY", "PRENDY"]
    lipo, harvest = "LIPOSUCTION", "ADIPOSE TISSUE HARVEST"
    assert rows(sdtm["PR"], pr) == [
        (S1, 1, lipo, harvest, "ABDOMINAL WALL", 2, lipo, SC, "2012-03-20T09:15", "2012-03-20T10:20", -13, -13),
        (S2, 1, lipo, harvest, "FLANK", 2, lipo, SC, "2012-03-26T10:00", "2012-03-26T11:05", -15, -15),
        (S4, 1, lipo, harvest, "ABDOMINAL WALL", 2, lipo, SC, "2012-04-16T08:50", "2012-04-16T09:45", -14, -14),
        (S4, 2, "NON-INVASIVE VENTILATION", "RESPIRATORY SUPPORT", None, None, None, BT, "2012-08-01", None, 94, None),
    ]
    assert sorted(rows(sdtm["SUPPPR"], ["USUBJID", "QNAM", "QVAL"])) == sorted([
        (S1, "PRANESTH", "LOCAL"), (S1, "PRFATVOL", "240"), (S2, "PRANESTH", "LOCAL WITH SEDATION"),
        (S2, "PRFATVOL", "180"), (S4, "PRANESTH", "LOCAL"), (S4, "PRFATVOL", "310")])
    vs = ["USUBJID", "VSSEQ", "VSTESTCD", "VSORRES", "VSORRESU", "VSSTRESN", "VSLOBXFL", "VISITNUM", "EPOCH", "VSDTC", "VSDY"]
    assert rows(sdtm["VS"], vs) == [
        # weighed before the infusion: a date-only record on a transition day stays in the
        # element before (QS and VS use element_epoch with same_day: previous)
        (S1, 1, "WEIGHT", "72.4", "kg", 72.4, "Y", 3, SC, "2012-04-02", 1),
        (S2, 1, "WEIGHT", "70.2", "kg", 70.2, "Y", 3, SC, "2012-04-10", 1),
        (S2, 2, "WEIGHT", "70.0", "kg", 70, None, 8, BT, "2012-10-07", 181),
        (S4, 1, "WEIGHT", "81.0", "kg", 81, "Y", 3, SC, "2012-04-30", 1),
    ]
    cm = ["USUBJID", "CMSEQ", "CMTRT", "CMDOSTOT", "CMDOSU", "CMROUTE", "CMSTDTC", "CMSTDY", "CMENRTPT", "CMENTPT"]
    assert rows(sdtm["CM"], cm) == [
        (S1, 1, "RILUZOLE", 100, "mg", "ORAL", "2011-07", None, "ONGOING", "SCREENING"),
        (S2, 1, "RILUZOLE", 100, "mg", "ORAL", "2011-09-15", -208, "ONGOING", "SCREENING"),
        (S3, 1, "RILUZOLE", 100, "mg", "ORAL", "2011-06-01", None, "ONGOING", "SCREENING"),
        (S4, 1, "RILUZOLE", 100, "mg", "ORAL", "2011-05-25", -341, "ONGOING", "SCREENING"),
    ]
    mh = ["USUBJID", "MHSEQ", "MHTERM", "MHCAT", "MHEVDTYP", "MHSTDTC", "MHSTDY"]
    als = "AMYOTROPHIC LATERAL SCLEROSIS"
    assert rows(sdtm["MH"], mh) == [
        (S1, 1, als, "DISEASE UNDER STUDY", "SYMPTOM ONSET", "2010-10", None),
        # 18 JAN 2011 is 365 + 31 + 29 + 23 = 448 days before day 1 (10 APR 2012): no day 0
        (S2, 1, als, "DISEASE UNDER STUDY", "SYMPTOM ONSET", "2011-01-18", -448),
        (S3, 1, als, "DISEASE UNDER STUDY", "SYMPTOM ONSET", "2010", None),
        (S4, 1, als, "DISEASE UNDER STUDY", "SYMPTOM ONSET", "2010-11", None),
    ]
    assert [v.name for v in sdtm["MH"].variables].index("MHSTDY") == [
        v.name for v in sdtm["MH"].variables].index("MHSTDTC") + 1
    supp = {(r[0], r[1]): r[2] for r in rows(sdtm["SUPPMH"], ["USUBJID", "QNAM", "QVAL"])}
    assert len(supp) == 16
    assert supp[(S3, "ELESCOR")] == "PROBABLE LABORATORY-SUPPORTED" and supp[(S3, "FAMALS")] == "Y"
    assert supp[(S4, "ALSONSIT")] == "BULBAR" and supp[(S2, "MHDIAGDT")] == "2011-09-02"


def test_ie_criteria_not_met(sdtm):
    """SDTMIG 3.4 IE: one record per criterion not met, eligible subjects absent. 01-003 failed
    inclusion criterion INCL03 (consent.csv) at screening on 19 MAR 2012; IETEST/IECAT as in
    study.yaml design.criteria (= TI); an inclusion criterion not met reads N."""
    cols = ["USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IEORRES", "IESTRESC", "VISITNUM", "VISIT",
            "EPOCH", "IEDTC"]
    assert rows(sdtm["IE"], cols) == [
        (S3, 1, "INCL03", "Forced vital capacity >= 50% of predicted", "INCLUSION", "N", "N", 1, "SCREENING",
         SC, "2012-03-19"),
    ]
    ti = sdtm["TI"].data.set_index("IETESTCD")
    assert ti.loc["INCL03", "IETEST"] == "Forced vital capacity >= 50% of predicted"
    # no RFSTDTC for a screen failure: IEDY would be null everywhere, so the Perm variable is dropped
    assert "IEDY" not in sdtm["IE"].data.columns


def test_ie_unknown_criterion_is_an_error_naming_the_row(repo_root, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(repo_root / "tests" / "data" / "admsc_tiny_raw", raw)
    consent = (raw / "consent.csv").read_text().replace("N,INCLUSION,INCL03,", "N,INCLUSION,INCL99,")
    (raw / "consent.csv").write_text(consent)
    log = ConversionLog()
    map_study(load_study(repo_root / "mappings" / "admsc-als"), raw, log)
    frame = log.frame()
    err = frame[(frame["severity"] == "error") & (frame["field"] == "IETEST")]
    assert err[["source", "row"]].astype(str).values.tolist() == [["consent.csv", "3"]]


def test_trial_design_domains(sdtm):
    assert len(sdtm["TA"]) == 24 and len(sdtm["TE"]) == 7 and len(sdtm["TI"]) == 15 and len(sdtm["TV"]) == 29
    assert rows(sdtm["TA"], ["ARMCD", "TAETORD", "ETCD", "EPOCH"])[:4] == [
        ("D1", 1, "SCRN", SC), ("D1", 2, "D1", BT), ("D1", 3, "FUP", CT_), ("D1", 4, "EXT", LT)]
    assert sorted(rows(sdtm["TE"], ["ETCD", "ELEMENT"])) == sorted([
        ("SCRN", "Screening"), ("PBO", "Placebo"), ("D1", D1), ("D2", "AdMSC 2x10^6 cells/kg"), ("D4", D4),
        ("FUP", "Post-infusion follow-up"), ("EXT", "Open-label extension")])
    tv = sdtm["TV"].data
    assert tv["VISITNUM"].is_monotonic_increasing
    ts = sdtm["TS"].data.set_index(["TSPARMCD", "TSSEQ"])["TSVAL"]
    # derived from the tiny data: 3 randomized subjects, first consent, last contact
    assert ts[("ACTSUB", 1)] == "3"
    assert ts[("SSTDTC", 1)] == "2012-03-05" and ts[("SENDTC", 1)] == "2013-07-04"
    assert ts[("TPHASE", 1)] == "PHASE I/II TRIAL"


def test_every_record_in_dm_and_seq_unique(sdtm):
    subjects = set(sdtm["DM"].data["USUBJID"])
    for name in ("AE", "EX", "QS", "DS", "SV", "SE", "PR", "VS", "CM", "MH"):
        data = sdtm[name].data
        assert set(data["USUBJID"]) <= subjects, name
        seq = f"{name}SEQ"
        if seq in data:
            assert not data.duplicated(["USUBJID", seq]).any(), name
