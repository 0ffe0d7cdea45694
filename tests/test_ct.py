"""Controlled terminology API (cdisc_als.ct) against facts from CDISC CT 2025-03-28 and the
project's conventions (docs/conventions.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_als.ct import load_ct
from cdisc_als.errors import SpecError
from cdisc_als.resources import specs_path

# docs/conventions.md
ALSF = {
    "ALSF0101": "ALSF01-Speech", "ALSF0102": "ALSF01-Salivation",
    "ALSF0103": "ALSF01-Swallowing", "ALSF0104": "ALSF01-Handwriting",
    "ALSF105A": "ALSF01-Cutting Food w/o Gastrostomy",
    "ALSF105B": "ALSF01-Cutting Food with Gastrostomy",
    "ALSF0106": "ALSF01-Dressing and Hygiene", "ALSF0107": "ALSF01-Turning in Bed",
    "ALSF0108": "ALSF01-Walking", "ALSF0109": "ALSF01-Climbing Stairs",
    "ALSF0110": "ALSF01-Dyspnea", "ALSF0111": "ALSF01-Orthopnea",
    "ALSF0112": "ALSF01-Respiratory Insufficiency",
}
MAS = {
    "MAS0101": "MAS01-Right Elbow Flexors", "MAS0102": "MAS01-Left Elbow Flexors",
    "MAS0103": "MAS01-Right Elbow Extensors", "MAS0104": "MAS01-Left Elbow Extensors",
    "MAS0105": "MAS01-Right Wrist Flexors", "MAS0106": "MAS01-Left Wrist Flexors",
    "MAS0107": "MAS01-Right Knee Flexors", "MAS0108": "MAS01-Left Knee Flexors",
    "MAS0109": "MAS01-Right Knee Extensors", "MAS0110": "MAS01-Left Knee Extensors",
    "MAS0111": "MAS01-Right Ankle Plantar Flexors", "MAS0112": "MAS01-Left Ankle Plantar Flexors",
}


@pytest.fixture(scope="module")
def ct():
    return load_ct()


def test_ny_codelist(ct):
    ny = ct.codelist("NY")
    assert ny.code == "C66742" and not ny.extensible and not ny.sponsor
    assert sorted(ny.values) == ["N", "NA", "U", "Y"]
    assert ct.codelist("C66742") is ny


def test_sex_codelist(ct):
    sex = ct.codelist("C66731")
    assert sex.id == "SEX" and not sex.extensible
    assert set(sex.values) == {"F", "M", "U", "INTERSEX"}
    # term C-codes from NCI EVS
    codes = dict(zip(sex.terms["submission_value"], sex.terms["code"], strict=True))
    assert codes["F"] == "C16576" and codes["M"] == "C20197"


def test_extensible_flags(ct):
    assert ct.codelist("QSCAT").code == "C100129" and ct.codelist("QSCAT").extensible
    assert ct.codelist("EPOCH").code == "C99079" and ct.codelist("EPOCH").extensible
    assert not ct.codelist("AESEV").extensible
    assert set(ct.codelist("AESEV").values) == {"MILD", "MODERATE", "SEVERE"}
    assert {"SCREENING", "LONG-TERM FOLLOW-UP", "BLINDED TREATMENT",
            "CONTINUATION TREATMENT"} <= set(ct.codelist("EPOCH").values)
    assert "SCREEN FAILURE" in ct.codelist("ARMNULRS").values
    assert ct.codelist("DTYPE").code == "C81224"  # ADaM CT


def test_normalize_exact_case_synonym(ct):
    sex = ct.codelist("SEX")
    s = pd.Series(["F", "female", "MALE", "m", "unk", "x", None, np.nan], name="SEX")
    out = sex.normalize(s)
    assert out.name == "SEX"
    assert out.iloc[:5].tolist() == ["F", "F", "M", "M", "U"]
    assert out.iloc[5:].isna().all()
    ny = ct.codelist("NY")
    assert ny.normalize(pd.Series(["yes", "No", "Not Applicable", "y"])).tolist() == [
        "Y", "N", "NA", "Y"]


def test_contains(ct):
    ny = ct.codelist("NY")
    assert ny.contains(pd.Series(["Y", "y", "N", None, "YES"])).tolist() == [
        True, False, True, False, False]


def test_sponsor_codelists_match_conventions(ct):
    tc, tn = ct.codelist("ALSF01TC"), ct.codelist("ALSF01TN")
    assert tc.sponsor and tn.sponsor and tc.code is None and not tc.extensible
    assert tc.values == list(ALSF) and tn.values == list(ALSF.values())
    assert not tc.terms["code"].str.match(r"C\d+$").any()
    mas_tc, mas_tn = ct.codelist("MAS01TC"), ct.codelist("MAS01TN")
    assert mas_tc.values == list(MAS) and mas_tn.values == list(MAS.values())
    for cl in (tc, mas_tc):
        assert max(map(len, cl.values)) <= 8
    for cl in (tn, mas_tn):
        assert max(map(len, cl.values)) <= 40


def test_decode(ct):
    s = pd.Series(["ALSF0101", "ALSF105B", "ALSF9999", None], name="QSTESTCD")
    out = ct.decode("ALSF01TC", "ALSF01TN", s)
    assert out.iloc[:2].tolist() == ["ALSF01-Speech", "ALSF01-Cutting Food with Gastrostomy"]
    assert out.iloc[2:].isna().all()
    assert ct.decode("MAS01TC", "MAS01TN", pd.Series(["MAS0112"])).tolist() == [
        "MAS01-Left Ankle Plantar Flexors"]
    # CDISC pairs share the NCI term code: VSTESTCD SYSBP <-> VSTEST Systolic Blood Pressure
    assert ct.decode("VSTESTCD", "VSTEST", pd.Series(["SYSBP", "PULSE"])).tolist() == [
        "Systolic Blood Pressure", "Pulse Rate"]
    assert ct.decode("TSPARMCD", "TSPARM", pd.Series(["TPHASE"])).tolist() == [
        "Trial Phase Classification"]


def test_qscat_extension(ct):
    qscat = ct.codelist("QSCAT")
    assert ct.extended_values("QSCAT") == ["ALSFRS-R", "MODIFIED ASHWORTH SCALE"]
    assert qscat.contains(pd.Series(["ALSFRS-R", "MODIFIED ASHWORTH SCALE"])).all()
    ext = qscat.terms[qscat.terms["extended"]]
    assert not ext["code"].str.match(r"C\d+$").any()
    assert not qscat.terms.loc[~qscat.terms["extended"], "submission_value"].isin(
        ["ALSFRS-R"]).any()
    assert ct.extended_values("NY") == []


def test_unknown_codelist_names_codelist_and_version(ct):
    with pytest.raises(KeyError, match=r"NOSUCH.*2025-03-28"):
        ct.codelist("NOSUCH")


def test_cached(ct):
    assert load_ct() is ct
    assert load_ct("2025-03-28", extra=()) is ct


def test_extra_sponsor_file(tmp_path):
    p = tmp_path / "study.yaml"
    p.write_text(
        "codelists:\n  - codelist: XXTC\n    name: Test\n    values: {A1: First, A2: Second}\n"
        "extensions:\n  - codelist: EPOCH\n    terms:\n      - {submission_value: EXTRA PHASE}\n",
        encoding="utf-8",
    )
    ct2 = load_ct(extra=[p])
    assert ct2.codelist("XXTC").values == ["A1", "A2"] and ct2.codelist("XXTC").sponsor
    assert ct2.extended_values("EPOCH") == ["EXTRA PHASE"]
    assert "EXTRA PHASE" not in load_ct().codelist("EPOCH").values


@pytest.mark.parametrize(
    "text,match",
    [
        ("extensions:\n  - codelist: NY\n    terms:\n      - {submission_value: MAYBE}\n",
         "not extensible"),
        ("extensions:\n  - codelist: EPOCH\n    terms:\n      - {submission_value: SCREENING}\n",
         "repeats existing"),
        ("codelist: X\n", "unknown keys"),
        ("codelists:\n  - codelist: NY\n    values: {A: B}\n", "clashes"),
        ("codelists:\n  - codelist: ZZ\n    terms:\n      - {code: 1}\n", "submission_value"),
    ],
)
def test_bad_sponsor_file(tmp_path, text, match):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=match) as exc:
        load_ct(extra=[p])
    assert "bad.yaml" in str(exc.value)


def test_subset_equals_reference(reference_dir):
    """Every curated row equals the NCI EVS / CDISC file (definitions truncated to 200)."""
    ct_dir = reference_dir / "ct"
    sources = {
        "sdtm": pd.read_csv(ct_dir / "SDTM_Terminology_2025-03-28.txt", sep="\t", dtype=str,
                            keep_default_na=False),
        "adam": pd.read_csv(ct_dir / "ADaM_CT_2025-03-28.csv", dtype=str,
                            keep_default_na=False),
    }
    for pkg, raw in sources.items():
        sub = pd.read_csv(specs_path("ct", f"{pkg}-ct-2025-03-28.csv"), dtype=str,
                          keep_default_na=False)
        heads = raw[raw["Codelist Code"] == ""].set_index("Code")
        terms = raw[raw["Codelist Code"] != ""]
        ref = terms.merge(heads[["CDISC Submission Value", "Codelist Extensible (Yes/No)"]],
                          left_on="Codelist Code", right_index=True, suffixes=("", "_cl"))
        ref = pd.DataFrame({
            "codelist_code": ref["Codelist Code"],
            "codelist": ref["CDISC Submission Value_cl"],
            "codelist_name": ref["Codelist Name"],
            "extensible": ref["Codelist Extensible (Yes/No)_cl"],
            "code": ref["Code"],
            "submission_value": ref["CDISC Submission Value"],
            "synonyms": ref["CDISC Synonym(s)"],
            "definition": ref["CDISC Definition"].str.slice(0, 200),
            "preferred_term": ref["NCI Preferred Term"],
        })
        merged = sub.merge(ref, how="left", indicator=True)
        assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
        # whole codelists: every term of a curated codelist is present
        counts = ref[ref["codelist_code"].isin(sub["codelist_code"])].groupby("codelist").size()
        assert counts.to_dict() == sub.groupby("codelist").size().to_dict()


def test_subset_covers_the_codelists_the_project_needs():
    sub = pd.read_csv(specs_path("ct", "sdtm-ct-2025-03-28.csv"), dtype=str,
                      keep_default_na=False)
    needed = {"QSCAT", "TSPARMCD", "TSPARM", "EPOCH", "ARMNULRS", "DSCAT", "NCOMPLT",
              "PROTMLST", "UNIT", "ROUTE", "FRM", "FREQ", "TPHASE", "TBLIND", "TCNTRL",
              "TINDTP", "TTYPE", "INTMODEL", "INTTYPE", "STYPE", "AGEU", "SEX", "RACE",
              "ETHNIC", "NY", "AESEV", "OUT", "ACN"}
    assert needed <= set(sub["codelist"])
    assert not sub.duplicated(["codelist", "submission_value"]).any()


def test_listing_and_external(ct):
    ids = [c.id for c in ct.codelists()]
    assert ids == sorted(ids) and {"NY", "ALSF01TC", "COUNTRY", "DTYPE"} <= set(ids)
    country = ct.codelist("COUNTRY")
    assert country.sponsor and country.extensible and country.datatype == "text"
    assert country.external["dictionary"] == "ISO 3166-1 alpha-3"
    assert {"ESP", "USA", "GBR"} <= set(country.values)
    assert all(len(v) == 3 and v.isupper() for v in country.values)


def test_curation_is_reproducible(reference_dir, tmp_path):
    """Re-running tools/curate_ct.py gives byte-identical files to the committed subset."""
    import importlib.util

    # the script lives in the repository (tools/), beside this tests/ folder, not in the wheel
    script = Path(__file__).resolve().parent.parent / "tools" / "curate_ct.py"
    spec = importlib.util.spec_from_file_location("curate_ct", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--reference-dir", str(reference_dir), "--out", str(tmp_path)]) == 0
    for name in ("sdtm-ct-2025-03-28.csv", "adam-ct-2025-03-28.csv"):
        assert (tmp_path / name).read_bytes() == specs_path("ct", name).read_bytes(), name
