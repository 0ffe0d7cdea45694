"""ADaM spec checking (errors name file and key) and the runner on a tiny study folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdisc_als.adam import derive_study, load_spec
from cdisc_als.dataset import Dataset, Variable
from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.study import load_study

STUDY = """studyid: TINY
title: Tiny study
standards: {sdtm: sdtmig-3.4, adam: adamig-1.3, ct: "2025-03-28"}
"""

ADSL = """dataset: ADSL
label: Subject-Level Analysis Dataset
class: SUBJECT LEVEL ANALYSIS DATASET
keys: [STUDYID, USUBJID]
from: {dataset: DM, filter: 'ARMCD != "SCRNFAIL"'}
derivations:
  - derive_vars_copy: {TRT01P: ARM}
  - derive_vars_dt: {dtc: RFXSTDTC, new_var: TRTSDT}
    method: First infusion date
  - derive_vars_merged:
      dataset: DS
      filter: 'DSDECOD == "RANDOMIZED"'
      new_vars: {RANDDTC: DSSTDTC}
variables:
  - STUDYID
  - USUBJID
  - AGE
  - TRT01P: {label: Planned Treatment for Period 01}
  - TRTSDT: {label: Date of First Exposure to Treatment}
  - RANDDTC: {label: Randomization Date (text)}
"""


def write_study(tmp_path: Path, specs: dict[str, str]) -> Path:
    (tmp_path / "adam").mkdir(parents=True)
    (tmp_path / "study.yaml").write_text(STUDY)
    for name, text in specs.items():
        (tmp_path / "adam" / f"{name}.yaml").write_text(text)
    return tmp_path


def tiny_sdtm() -> dict[str, Dataset]:
    dm = pd.DataFrame({"STUDYID": "TINY", "USUBJID": ["T-1", "T-2", "T-3"], "AGE": [61.0, 70.0, 55.0],
                       "ARMCD": ["D1", "PBO", "SCRNFAIL"], "ARM": ["Dose 1", "Placebo", ""],
                       "RFXSTDTC": ["2013-03-04", "2013-03", ""]})
    ds = pd.DataFrame({"STUDYID": "TINY", "USUBJID": ["T-1", "T-2"], "DSDECOD": ["RANDOMIZED", "RANDOMIZED"],
                       "DSSTDTC": ["2013-03-01", "2013-03-02"]})
    dm_vars = [Variable("STUDYID", "Study Identifier"), Variable("USUBJID", "Unique Subject Identifier"),
               Variable("AGE", "Age", "Num"), Variable("ARMCD", "Planned Arm Code"),
               Variable("ARM", "Description of Planned Arm"), Variable("RFXSTDTC", "Date/Time of First Study Treatment")]
    return {"DM": Dataset("DM", dm, variables=dm_vars), "DS": Dataset("DS", ds)}


def test_runner_derives_orders_and_labels(tmp_path):
    study = load_study(write_study(tmp_path, {"adsl": ADSL}))
    log = ConversionLog()
    out = derive_study(study, tiny_sdtm(), log)
    adsl = out["ADSL"]
    assert adsl.var_names == ["STUDYID", "USUBJID", "AGE", "TRT01P", "TRTSDT", "RANDDTC"]
    assert adsl.data["USUBJID"].tolist() == ["T-1", "T-2"]  # screen failure left out (logged below)
    assert adsl.data["TRTSDT"].tolist()[0] == pd.Timestamp("2013-03-04")
    assert pd.isna(adsl.data["TRTSDT"].iloc[1])  # partial date, no imputation allowed
    assert adsl.var("AGE").label == "Age" and adsl.var("AGE").origin == "Predecessor" and adsl.var("AGE").source == "DM.AGE"
    trtsdt = adsl.var("TRTSDT")
    assert (trtsdt.type, trtsdt.format, trtsdt.origin, trtsdt.method) == ("Num", "DATE9.", "Derived", "First infusion date")
    assert adsl.var("RANDDTC").origin == "Predecessor" and adsl.var("RANDDTC").source == "DS.DSSTDTC"
    assert adsl.var("TRT01P").label == "Planned Treatment for Period 01"
    info = log.frame()
    assert info["row"].tolist() == [3] and "not in ADSL" in info["reason"].iloc[0]


def test_missing_source_dataset_is_logged_not_fatal(tmp_path):
    adae = "dataset: ADAE\nfrom: AE\nderivations:\n  - derive_vars_copy: {ASEV: AESEV}\n"
    study = load_study(write_study(tmp_path, {"adsl": ADSL, "adae": adae}))
    log = ConversionLog()
    out = derive_study(study, tiny_sdtm(), log)
    assert set(out) == {"ADSL"}
    errors = log.frame().query("severity == 'error'")
    assert errors["reason"].str.contains("AE not available").tolist() == [True]


def test_spec_ordering_follows_dependencies(tmp_path):
    adae = ("dataset: ADAE\nfrom: DS\nderivations:\n"
            "  - derive_vars_merged: {dataset: ADSL, new_vars: [TRTSDT]}\n")
    study = load_study(write_study(tmp_path, {"aa_adae": adae, "adsl": ADSL}))
    out = derive_study(study, tiny_sdtm(), ConversionLog())
    assert out["ADAE"].data["TRTSDT"].tolist()[0] == pd.Timestamp("2013-03-04")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("dataset: ADSL\nfrom: DM\nderivations:\n  - derive_vars_merge: {dataset: DS}\n", "derivations[0]", "unknown operation 'derive_vars_merge'"),
        ("dataset: ADSL\nfrom: DM\nderivations:\n  - derive_vars_merged: {dataset: DS, mode: middle}\n",
         "derivations[0].derive_vars_merged", "mode"),
        ("dataset: ADSL\nfrom: DM\nderivations:\n  - derive_var_flag_if: {new_var: X, condition: 'A == (1'}\n",
         "derivations[0].derive_var_flag_if.condition", "cannot parse"),
        ("dataset: adsl\nfrom: DM\nderivations: []\n", "", "dataset"),
        ("dataset: ADSL\nfrom: DM\nderivations:\n  - derive_vars_extreme_event:\n      new_vars: [X]\n"
         "      events: [{dataset: AE, set_values_to: {X: 'dtc_to_dt(AESTDTC'}}]\n",
         "derivations[0].derive_vars_extreme_event.events[0].set_values_to.X", "cannot parse"),
        ("dataset: ADSL\nfrom: DM\nderivations:\n  - derive_vars_copy: {A: B}\n    derive_vars_constant: {C: 1}\n",
         "derivations[0]", "exactly one operation"),
    ],
)
def test_bad_specs_name_file_and_key(tmp_path, text, where, message):
    path = tmp_path / "adsl.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.file == str(path)
    assert err.where == where
    assert message in str(err)


def test_unknown_variable_in_expression_names_spec_entry(tmp_path):
    bad = ADSL.replace("DSDECOD == \"RANDOMIZED\"", "DSDECODE == \"RANDOMIZED\"")
    study = load_study(write_study(tmp_path, {"adsl": bad}))
    with pytest.raises(SpecError) as info:
        derive_study(study, tiny_sdtm(), ConversionLog())
    assert "derivations[2].derive_vars_merged" in str(info.value) and "DSDECODE" in str(info.value)


def test_pilot_specs_load():
    root = Path(__file__).resolve().parent.parent / "mappings" / "cdiscpilot01" / "adam"
    names = {load_spec(p).dataset for p in root.glob("*.yaml")}
    assert {"ADSL", "ADAE", "ADTTE"} <= names


def test_without_variable_list_the_standard_order_comes_first(tmp_path, repo_root):
    spec = ADSL[: ADSL.index("variables:")]
    study = load_study(write_study(tmp_path, {"adsl": spec}))
    names = derive_study(study, tiny_sdtm(), ConversionLog())["ADSL"].var_names
    std = pd.read_csv(repo_root / "specs" / "adamig-1.3" / "variables.csv", dtype=str)
    std = std[std["dataset"] == "ADSL"].assign(o=lambda f: f["order"].astype(int)).sort_values("o")["variable"].tolist()
    in_std = [n for n in names if n in std]
    assert in_std == [v for v in std if v in names]  # standard variables in the standard's order
    assert names[: len(in_std)] == in_std  # ... before the study-specific ones
    assert {"STUDYID", "USUBJID", "AGE", "TRT01P", "TRTSDT", "RANDDTC", "ARMCD"} <= set(names)


def test_join_on_mismatched_key_types_is_a_spec_error(tmp_path):
    supp = ("dataset: ADAE\nfrom: DS\nderivations:\n"
            "  - derive_vars_merged: {dataset: SUPPDS, by: [USUBJID, DSSEQ], new_vars: [QVAL]}\n")
    study = load_study(write_study(tmp_path, {"adae": supp}))
    sdtm = tiny_sdtm()
    sdtm["DS"].data["DSSEQ"] = [1.0, 1.0]
    sdtm["SUPPDS"] = Dataset("SUPPDS", pd.DataFrame({"USUBJID": ["T-1"], "DSSEQ": ["1"], "QVAL": ["X"]}))
    with pytest.raises(SpecError) as info:
        derive_study(study, sdtm, ConversionLog())
    assert info.value.where == "derivations[0].derive_vars_merged" and "adae.yaml" in info.value.file
