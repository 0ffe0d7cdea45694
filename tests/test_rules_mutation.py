"""Mutation test: a clean hand-made SDTM + ADaM set reports nothing; each injected defect is
reported by the rule written for it and adds no other finding.

The clean set follows SDTMIG 3.4 / ADaMIG 1.3 (values worked out by hand: study days from
RFSTDTC 2020-01-10, CT submission values of CDISC CT 2025-03-28 and the project's sponsor
codelists). Runs with the project's own standards metadata and terminology.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from cdisc_als.dataset import Dataset
from cdisc_als.rules import validate_datasets
from rules_helpers import ds

S = ["ALS-01", "ALS-02", "ALS-03"]
DAY0 = 21924  # 2020-01-10 as a SAS date


def sdtm_specs() -> dict[str, dict]:
    return {
        "DM": {  # variables in SDTMIG 3.4 order
            "USUBJID": S, "SUBJID": ["01", "02", "03"],
            "RFSTDTC": ["2020-01-10"] * 3, "RFENDTC": ["2020-07-10", "2020-07-11", "2020-07-12"],
            "RFXSTDTC": ["2020-01-10"] * 3, "RFXENDTC": ["2020-01-10"] * 3,
            "RFICDTC": ["2019-12-20", "2019-12-21", "2019-12-22"], "RFPENDTC": ["2020-07-10", "2020-07-11", "2020-07-12"],
            "DTHDTC": [None, None, None], "DTHFL": [None, None, None], "SITEID": ["10", "10", "20"],
            "AGE": [55, 61, 47], "AGEU": ["YEARS"] * 3, "SEX": ["M", "F", "M"], "RACE": ["WHITE"] * 3,
            "ARMCD": ["D1", "D2", "D4"], "ARM": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "ACTARMCD": ["D1", "D2", "D4"], "ACTARM": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "ARMNRS": [None] * 3, "ACTARMUD": [None] * 3, "COUNTRY": ["ESP"] * 3,
        },
        "EX": {  # one infusion per subject on RFSTDTC (study day 1)
            "USUBJID": S, "EXSEQ": [1, 1, 1], "EXTRT": ["ADMSC"] * 3, "EXDOSE": [1, 2, 4],
            "EXDOSU": ["10^6 Therapeutic Cells"] * 3, "EXDOSFRM": ["INJECTION"] * 3,
            "EXSTDTC": ["2020-01-10"] * 3, "EXENDTC": ["2020-01-10"] * 3, "EXSTDY": [1, 1, 1], "EXENDY": [1, 1, 1],
        },
        "AE": {
            "USUBJID": ["ALS-01", "ALS-01", "ALS-02"], "AESEQ": [1, 2, 1],
            "AETERM": ["HEADACHE", "PAIN AT LIPOSUCTION SITE", "NAUSEA"],
            "AELLT": ["Headache", "Procedural pain", "Nausea"], "AELLTCD": [10019211, 10064882, 10028813],
            "AEDECOD": ["Headache", "Procedural pain", "Nausea"], "AEPTCD": [10019211, 10064882, 10028813],
            "AEHLT": ["Headaches NEC", "Procedural related injuries", "Nausea and vomiting symptoms"],
            "AEHLTCD": [10019233, 10069884, 10028817],
            "AEHLGT": ["Headaches", "Procedural related injuries", "GI signs"], "AEHLGTCD": [10019231, 10069888, 10017947],
            "AEBODSYS": ["Nervous system disorders", "Injury", "Gastrointestinal disorders"],
            "AEBDSYCD": [10029205, 10022117, 10017947],
            "AESOC": ["Nervous system disorders", "Injury", "Gastrointestinal disorders"],
            "AESOCCD": [10029205, 10022117, 10017947],
            "AESER": ["N", "N", "N"], "AEACN": ["DOSE NOT CHANGED"] * 3, "AEREL": ["NOT RELATED", "RELATED", "NOT RELATED"],
            "AESTDTC": ["2020-01-12", "2020-01-05", "2020-02-01"], "AEENDTC": ["2020-01-14", "2020-01-08", "2020-02-03"],
            # study days from RFSTDTC 2020-01-10 (no day 0): 01-12 -> 3, 01-05 -> -5, 02-01 -> 23
            "AESTDY": [3, -5, 23], "AEENDY": [5, -2, 25],
        },
        "SUPPAE": {
            "_nodefaults": True, "STUDYID": ["S1", "S1"], "RDOMAIN": ["AE", "AE"], "USUBJID": ["ALS-01", "ALS-02"], "IDVAR": ["AESEQ", "AESEQ"], "IDVARVAL": ["2", "1"],
            "QNAM": ["AERELPRC", "AERELPRC"], "QLABEL": ["Related to Liposuction Procedure"] * 2,
            "QVAL": ["Y", "N"], "QORIG": ["CRF", "CRF"], "QEVAL": ["INVESTIGATOR", "INVESTIGATOR"],
        },
        "QS": {
            "USUBJID": ["ALS-01", "ALS-01", "ALS-02", "ALS-02"], "QSSEQ": [1, 2, 1, 2],
            "QSTESTCD": ["ALSF0101", "ALSF0102", "ALSF0101", "ALSF0102"],
            "QSTEST": ["ALSF01-Speech", "ALSF01-Salivation", "ALSF01-Speech", "ALSF01-Salivation"],
            "QSCAT": ["ALSFRS-R"] * 4, "QSORRES": ["4", "3", "2", "3"], "QSSTRESC": ["4", "3", "2", "3"],
            "QSSTRESN": [4, 3, 2, 3], "QSLOBXFL": ["Y"] * 4, "VISITNUM": [1, 1, 1, 1],
            "QSDTC": ["2020-01-09", "2020-01-09", "2020-01-08", "2020-01-08"], "QSDY": [-1, -1, -2, -2],
        },
    }


def adam_specs() -> dict[str, dict]:
    return {
        "ADSL": {
            "USUBJID": S, "SUBJID": ["01", "02", "03"], "SITEID": ["10", "10", "20"], "AGE": [55, 61, 47],
            "AGEU": ["YEARS"] * 3, "SEX": ["M", "F", "M"], "RACE": ["WHITE"] * 3,
            "ARM": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "ACTARM": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "TRT01P": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "TRT01A": ["AdMSC 1x10^6 cells/kg", "AdMSC 2x10^6 cells/kg", "AdMSC 4x10^6 cells/kg"],
            "SAFFL": ["Y", "Y", "Y"], "ITTFL": ["Y", "Y", "Y"], "TRTSDT": [DAY0] * 3,
        },
        "ADTTE": {
            "USUBJID": S, "PARAMCD": ["TTDEATH"] * 3, "PARAM": ["Time to Death (days)"] * 3,
            "AVAL": [400, 365, 250], "CNSR": [1, 1, 0],
            "EVNTDESC": [None, None, "DEATH"], "CNSDTDSC": ["LAST KNOWN ALIVE", "END OF STUDY", None],
            "STARTDT": [DAY0] * 3, "ADT": [DAY0 + 399, DAY0 + 364, DAY0 + 249],
        },
    }


def build(specs: dict[str, dict], adam: bool) -> dict[str, Dataset]:
    return {name: ds(name, spec, adam=adam) for name, spec in specs.items()}


def findings(specs: dict[str, dict], adam: bool) -> pd.DataFrame:
    rep = validate_datasets(build(specs, adam), "adamig-1.3" if adam else "sdtmig-3.4")
    assert not rep.skipped, rep.skipped
    return rep.findings


@pytest.fixture(scope="module")
def clean():
    return {False: findings(sdtm_specs(), False), True: findings(adam_specs(), True)}


def test_clean_study_reports_nothing(clean):
    for adam, f in clean.items():
        assert f.empty, f"clean {'ADaM' if adam else 'SDTM'} set reported:\n{f[['rule_id', 'dataset', 'variable', 'value']].to_string()}"


def _set(spec, var, row, value):
    spec[var] = list(spec[var])
    spec[var][row] = value


def dup_aeseq(s):
    _set(s["AE"], "AESEQ", 0, 2)  # ALS-01 now has AESEQ 2 twice (SUPPAE still resolves)


def ae_not_in_dm(s):
    _set(s["AE"], "USUBJID", 0, "ALS-99")  # a record no SUPPAE row points to


def impossible_date(s):
    _set(s["QS"], "QSDTC", 0, "2013-02-31")
    _set(s["QS"], "QSDY", 0, None)


def stresn_mismatch(s):
    _set(s["QS"], "QSSTRESN", 1, 2)


def label_41(s):
    s["AE"]["_labels"] = {"AETERM": "Reported Term for the Adverse Event (Verbatim)"}  # 46 characters, title case


def label_41_exact(s):
    s["AE"]["_labels"] = {"AETERM": "X" * 41}  # upper case: only the length is wrong (not the title case, GEN103)


def ct_not_in_nonext(s):
    _set(s["DM"], "SEX", 2, "MALE")


def missing_required(s):
    s["AE"] = {k: v for k, v in s["AE"].items() if k != "AEDECOD"}


def end_before_start(s):
    # AE 1 of ALS-01 starts 2020-01-12; end moved to 2020-01-11 (AEENDY 2 by hand)
    _set(s["AE"], "AEENDTC", 0, "2020-01-11")
    _set(s["AE"], "AEENDY", 0, 2)


def adsl_duplicate(s):
    for var, vals in s["ADSL"].items():
        s["ADSL"][var] = list(vals) + [vals[0]]


def cnsr2_no_description(s):
    _set(s["ADTTE"], "CNSR", 0, 2)
    _set(s["ADTTE"], "CNSDTDSC", 0, None)


MUTATIONS = [
    # (name, mutate, ADaM?, rule expected, dataset, number of findings)
    ("duplicate AESEQ", dup_aeseq, False, "GEN010", "AE", 2),
    ("AE subject not in DM", ae_not_in_dm, False, "GEN011", "AE", 1),
    ("2013-02-31 date", impossible_date, False, "GEN021", "QS", 1),
    ("QSSTRESN does not match QSSTRESC", stresn_mismatch, False, "FND006", "QS", 1),
    ("variable label > 40 characters", label_41, False, "XPT002", "AE", 1),
    ("variable label of 41 characters", label_41_exact, False, "XPT002", "AE", 1),
    ("value outside non-extensible codelist", ct_not_in_nonext, False, "CT001", "DM", 1),
    ("required variable missing", missing_required, False, "GEN001", "AE", 1),
    ("AEENDTC before AESTDTC", end_before_start, False, "GEN023", "AE", 1),
    ("ADSL duplicate subject", adsl_duplicate, True, "AD001", "ADSL", 2),
    ("ADTTE CNSR=2 without CNSDTDSC", cnsr2_no_description, True, "AD022", "ADTTE", 1),
]


@pytest.mark.parametrize("name,mutate,adam,rule,dataset,n", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_defect_reported_by_its_rule_only(clean, name, mutate, adam, rule, dataset, n):
    specs = copy.deepcopy(adam_specs() if adam else sdtm_specs())
    mutate(specs)
    f = findings(specs, adam)
    assert set(f["rule_id"]) == {rule}, f"{name}: expected only {rule}, got\n{f[['rule_id', 'dataset', 'variable', 'value']].to_string()}"
    assert set(f["dataset"]) == {dataset}
    assert len(f) == n


@pytest.mark.slow
def test_example_study_has_no_errors(tmp_path):
    """The bundled AdMSC-ALS example (seeded raw -> SDTM -> ADaM) reports zero error-level findings."""
    try:  # the pipeline belongs to other modules; skip (with the reason) while one cannot import
        import cdisc_als.adam as adam_mod
        import cdisc_als.sdtm as sdtm_mod
        import cdisc_als.synth as synth
    except ImportError as exc:
        pytest.skip(f"pipeline not importable: {exc}")
    from cdisc_als.errors import ConversionLog
    from cdisc_als.study import load_study

    study = load_study("admsc-als")
    synth.generate_raw(study, tmp_path / "raw")
    log = ConversionLog()
    sdtm = sdtm_mod.map_study(study, tmp_path / "raw", log)
    adam = adam_mod.derive_study(study, sdtm, log)
    for std, data in (("sdtmig-3.4", sdtm), ("adamig-1.3", adam)):
        rep = validate_datasets(data, std)
        errors = rep.findings[rep.findings["severity"] == "error"]
        assert errors.empty, f"{std}:\n{errors[['rule_id', 'dataset', 'variable', 'value']].head(20).to_string()}"
        assert not rep.skipped
