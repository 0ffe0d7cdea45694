"""The synthetic raw EDC export: determinism, design counts, clinical plausibility, formats,
and agreement with the data dictionary (mappings/admsc-als/raw/README.md).

Expected values come from the protocol design (40 randomized 1:1:1:1, placebo re-randomized
1:1:1 at month 6), the ALSFRS-R instrument (12 items 0-4, item 5 as 5a or 5b), the issue's
clinical targets (decline 0.8-1 point/month) and the dictionary files, read independently of
the generator code.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_als.study import load_study
from cdisc_als.synth import FORMS, generate_raw

DATE_RE = re.compile(r"^(0[1-9]|[12]\d|3[01]|UN) (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|UNK) \d{4}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DOSE_BY_ARM = {"PBO": 0, "D1": 1_000_000, "D2": 2_000_000, "D4": 4_000_000}
# Date fields per file, and which may be partial (from the data dictionary).
DATE_FIELDS = {
    "demog": {"DMDAT": False, "BRTHDAT": True},
    "consent": {"ICDAT": False},
    "als_history": {"ONSETDAT": True, "DIAGDAT": False, "RILUSTDAT": True},
    "randomization": {"RANDDAT": False},
    "liposuction": {"LIPODAT": False},
    "infusion": {"INFDAT": False},
    "alsfrs": {"QSDAT": False},
    "ashworth": {"MASDAT": False},
    "ae": {"AESTDAT": True, "AEENDAT": True},
    "resp_support": {"RSSTDAT": False},
    "disposition": {"DSDAT": False},
    "death": {"DTHDAT": False},
    "visits": {"VISDAT": False},
}
TIME_FIELDS = {
    "randomization": ["RANDTIM"],
    "liposuction": ["LIPOSTTM", "LIPOENTM"],
    "infusion": ["INFSTTM", "INFENTM"],
    "ae": ["AESTTIM"],
}


def read(folder: Path, form: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{form}.csv", dtype=str, keep_default_na=False)


def full_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != ""), format="%d %b %Y")


@pytest.fixture(scope="module")
def study(repo_root):
    return load_study(repo_root / "mappings" / "admsc-als")


@pytest.fixture(scope="module")
def raw40(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("raw40")
    counts = generate_raw(study, out, subjects=40, seed=20110625)
    return out, counts


@pytest.fixture(scope="module")
def raw1k(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("raw1k")
    generate_raw(study, out, subjects=1000, seed=7)
    return out


def test_same_seed_same_bytes_other_seed_other_data(study, raw40, tmp_path):
    folder, counts = raw40
    generate_raw(study, tmp_path / "again", subjects=40, seed=20110625)
    generate_raw(study, tmp_path / "other", subjects=40, seed=1)
    assert sorted(counts) == sorted(FORMS)
    for form in FORMS:
        assert (folder / f"{form}.csv").read_bytes() == (tmp_path / "again" / f"{form}.csv").read_bytes(), form
    assert (folder / "alsfrs.csv").read_bytes() != (tmp_path / "other" / "alsfrs.csv").read_bytes()
    assert not (folder / "_defects.csv").exists()


def test_counts_returned_match_files(raw40):
    folder, counts = raw40
    for form, n in counts.items():
        assert len(read(folder, form)) == n, form


def test_randomized_screen_failures_sites_and_ids(raw40):
    folder, _ = raw40
    dm, ic = read(folder, "demog"), read(folder, "consent")
    rand = read(folder, "randomization")
    r1 = rand[rand["RANDPER"] == "1"]
    assert len(r1) == 40 and r1["SUBJID"].is_unique
    n_sf = (ic["ELIGYN"] == "N").sum()
    assert 4 <= n_sf <= 6
    assert len(dm) == 40 + n_sf and dm["SUBJID"].is_unique
    assert set(dm["SITEID"]) == {"01", "02", "03", "04"}
    assert (dm["SUBJID"].str[:2] == dm["SITEID"]).all()
    assert dm["SUBJID"].str.fullmatch(r"0[1-4]-\d{3}").all()
    # Screen failures: a failed criterion, no randomization, no liposuction, only the SCR visit.
    sf = set(ic.loc[ic["ELIGYN"] == "N", "SUBJID"])
    assert (ic.loc[ic["ELIGYN"] == "N", "IETESTCD"].str.fullmatch(r"(INCL|EXCL)\d\d")).all()
    assert sf.isdisjoint(rand["SUBJID"]) and sf.isdisjoint(read(folder, "liposuction")["SUBJID"])
    v = read(folder, "visits")
    assert (v[v["SUBJID"].isin(sf)]["FOLDER"] == "SCR").all()
    assert v[v["SUBJID"].isin(sf)]["SUBJID"].nunique() == len(sf)


def test_first_randomization_is_1_1_1_1(raw40):
    folder, _ = raw40
    rand = read(folder, "randomization")
    counts = rand[rand["RANDPER"] == "1"]["TRTCD"].value_counts().to_dict()
    assert counts == {"PBO": 10, "D1": 10, "D2": 10, "D4": 10}
    assert rand["RANDNO"].is_unique


def _check_rerandomization(folder: Path) -> pd.DataFrame:
    rand = read(folder, "randomization")
    ds = read(folder, "disposition")
    pbo = set(rand[(rand["RANDPER"] == "1") & (rand["TRTCD"] == "PBO")]["SUBJID"])
    p2 = rand[rand["RANDPER"] == "2"]
    completed_p1 = set(ds[(ds["PERIOD"] == "1") & (ds["DSCOMPYN"] == "Y")]["SUBJID"])
    # Exactly the placebo subjects still on study at month 6 are re-randomized, to a dose.
    assert set(p2["SUBJID"]) == pbo & completed_p1
    assert set(p2["TRTCD"]) <= {"D1", "D2", "D4"} and p2["SUBJID"].is_unique
    counts = p2["TRTCD"].value_counts().reindex(["D1", "D2", "D4"], fill_value=0)
    assert counts.max() - counts.min() <= 1
    assert (p2["FOLDER"] == "M6").all()
    return p2


def test_placebo_rerandomized_1_1_1_among_survivors(raw40, raw1k):
    p2 = _check_rerandomization(raw40[0])
    assert len(p2) >= 8  # 10 placebo subjects, few die or leave within 6 months
    assert len(_check_rerandomization(raw1k)) > 200


def test_crossover_subjects_have_two_infusions(raw40):
    folder, _ = raw40
    rand, inf = read(folder, "randomization"), read(folder, "infusion")
    n_inf = inf.groupby("SUBJID").size()
    p2 = set(rand[rand["RANDPER"] == "2"]["SUBJID"])
    assert (n_inf[list(p2)] == 2).all()
    assert (n_inf.drop(list(p2)) == 1).all()
    # Dose given = dose of the arm randomized in that period; placebo is 0 cells/kg.
    merged = inf.merge(rand, on=["SUBJID", "FOLDER"], how="left", validate="one_to_one")
    assert merged["TRTCD"].notna().all()
    assert (merged["DOSE"].astype(int) == merged["TRTCD"].map(DOSE_BY_ARM)).all()
    assert (merged["INFDAT"] == merged["RANDDAT"]).all()
    first = merged[merged["FOLDER"] == "D1"].set_index("SUBJID")
    second = merged[merged["FOLDER"] == "M6"].set_index("SUBJID")
    assert (first.loc[second.index, "DOSE"] == "0").all()
    assert (full_date(second["INFDAT"]) > full_date(first.loc[second.index, "INFDAT"])).all()
    expected_total = (merged["DOSE"].astype(float) * merged["WEIGHT"].astype(float) / 1e5).round() * 1e5
    assert np.allclose(merged["TOTCELLS"].astype(float), expected_total)


def _items(qs: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in qs.columns if c.startswith("ALSFRS") and c != "ALSFRSTO"]
    assert len(cols) == 13  # 12 items, item 5 in two columns
    return qs[cols].where(qs[cols] != "").astype(float)


def test_alsfrs_items_and_item5(raw40, raw1k):
    for folder in (raw40[0], raw1k):
        qs = read(folder, "alsfrs")
        items = _items(qs)
        assert ((items >= 0) & (items <= 4) | items.isna()).all().all()
        a, b = items["ALSFRS5A"].notna(), items["ALSFRS5B"].notna()
        assert (a ^ b).all()  # exactly one of 5a/5b
        assert (b == (qs["GASTRO"] == "Y")).all()
        assert (items.notna().sum(axis=1) == 12).all()
        assert (items.sum(axis=1) == qs["ALSFRSTO"].astype(int)).all()
        assert (qs.loc[qs["FOLDER"] == "SCR", "GASTRO"] == "N").all()
        # A gastrostomy is not removed: once Y, Y at every later visit.
        g = (qs["GASTRO"] == "Y").astype(int)
        assert (g.groupby(qs["SUBJID"]).diff().fillna(0) >= 0).all()
        assert not qs.duplicated(["SUBJID", "FOLDER"]).any()


def test_alsfrs_baseline_and_monthly_decline(raw1k):
    qs = read(raw1k, "alsfrs")
    qs["date"] = full_date(qs["QSDAT"])
    qs["total"] = qs["ALSFRSTO"].astype(int)
    base = qs[qs["FOLDER"] == "SCR"].set_index("SUBJID")
    assert 36 <= base["total"].mean() <= 40 and 3.5 <= base["total"].std() <= 6.5
    m12 = qs[qs["FOLDER"] == "M12"].set_index("SUBJID")
    both = base.join(m12, rsuffix="_m12", how="inner")
    months = (both["date_m12"] - both["date"]).dt.days / 30.4375
    decline = (both["total"] - both["total_m12"]) / months
    assert len(both) > 800
    assert 0.8 <= decline.mean() <= 1.0
    assert decline.std() > 0.2  # between-subject spread (random slopes)


def test_bulbar_onset_loses_bulbar_items_first(raw1k):
    qs = read(raw1k, "alsfrs")
    onset = read(raw1k, "als_history").set_index("SUBJID")["ONSETSIT"]
    m12 = qs[qs["FOLDER"] == "M12"].copy()
    bulbar = _items(m12)[["ALSFRS01", "ALSFRS02", "ALSFRS03"]].sum(axis=1)
    site = m12["SUBJID"].map(onset)
    # Bulbar subscore (max 12) is lower in bulbar-onset subjects.
    assert bulbar[site == "Bulbar"].mean() + 1.5 < bulbar[site == "Spinal"].mean()


def test_deaths_after_infusion_and_consistent(raw40, raw1k):
    for folder in (raw40[0], raw1k):
        dth, inf = read(folder, "death"), read(folder, "infusion")
        d1 = full_date(inf[inf["FOLDER"] == "D1"].set_index("SUBJID")["INFDAT"])
        dthdt = full_date(dth.set_index("SUBJID")["DTHDAT"])
        assert dthdt.notna().all() and dth["SUBJID"].is_unique
        assert (dthdt >= d1.reindex(dthdt.index)).all()
        # Nothing dated after death: visits, assessments.
        v = read(folder, "visits")
        vd = full_date(v["VISDAT"])
        limit = v["SUBJID"].map(dthdt).fillna(pd.Timestamp.max)
        assert (vd[vd.notna()] <= limit[vd.notna()]).all()
        # Every death ends a period with reason DEATH on the death date.
        ds = read(folder, "disposition")
        dd = ds[ds["DSREAS"] == "DEATH"].set_index("SUBJID")
        assert set(dd.index) == set(dth["SUBJID"])
        assert (full_date(dd["DSDAT"]) == dthdt.reindex(dd.index)).all()
        # Fatal AEs: only for subjects who died, ending on the death date.
        ae = read(folder, "ae")
        fatal = ae[ae["AEOUT"] == "FATAL"]
        assert (fatal["AESDTH"] == "1").all() and (ae.loc[ae["AESDTH"] == "1", "AEOUT"] == "FATAL").all()
        assert fatal["SUBJID"].is_unique and set(fatal["SUBJID"]) <= set(dth["SUBJID"])
        assert (full_date(fatal["AEENDAT"]).to_numpy() == dthdt.reindex(fatal["SUBJID"]).to_numpy()).all()
    # Over 48 months a good share die, some need tracheostomy or PAV, and some have no fatal AE.
    dth = read(raw1k, "death")
    assert 0.3 < len(dth) / 1000 < 0.8
    rs = read(raw1k, "resp_support")
    assert {"NIV", "PAV", "TRACHEOSTOMY"} == set(rs["RSTYPE"])
    assert len(read(raw1k, "ae").query("AEOUT == 'FATAL'")) < len(dth)


def test_dates_and_times_follow_the_documented_format(raw40):
    folder, _ = raw40
    seen_partial = set()
    for form, fields in DATE_FIELDS.items():
        frame = read(folder, form)
        for col, may_be_partial in fields.items():
            vals = frame[col][frame[col] != ""]
            assert vals.str.fullmatch(DATE_RE).all(), (form, col, vals[~vals.str.fullmatch(DATE_RE)].head())
            partial = vals.str.startswith("UN ")
            if not may_be_partial:
                assert not partial.any(), (form, col)
            # Unknown month only with unknown day; complete dates are real calendar dates.
            assert not vals.str.match(r"^\d\d UNK").any()
            full_date(vals[~partial])
            if partial.any():
                seen_partial.add(col)
        for col in TIME_FIELDS.get(form, []):
            vals = frame[col][frame[col] != ""]
            assert vals.str.fullmatch(TIME_RE).all(), (form, col)
    assert {"BRTHDAT", "ONSETDAT"} <= seen_partial


def test_ae_codes_match_the_dictionary(raw40, raw1k, repo_root):
    dictionary = pd.read_csv(repo_root / "mappings/admsc-als/raw/ae_dictionary.csv", dtype=str, keep_default_na=False)
    levels = ["llt", "llt_code", "pt", "pt_code", "hlt", "hlt_code", "hlgt", "hlgt_code", "soc", "soc_code"]
    allowed = set(map(tuple, dictionary[levels].to_numpy()))
    # Each name has one code at its level across the dictionary (a code pair is a function).
    for name, code in zip(levels[::2], levels[1::2], strict=True):
        assert dictionary.groupby(name)[code].nunique().max() == 1
        assert dictionary[code].str.fullmatch(r"\d{8}").all()
    for folder in (raw40[0], raw1k):
        ae = read(folder, "ae")
        cols = ["AELLT", "AELLTCD", "AEPT", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AESOC", "AESOCCD"]
        got = set(map(tuple, ae[cols].drop_duplicates().to_numpy()))
        assert got <= allowed
        # Verbatim term is one of the documented variants of its coded entry.
        variants = dictionary.set_index("llt")["verbatims"].str.split("|")
        assert all(t in variants[llt] for t, llt in ae[["AETERM", "AELLT"]].drop_duplicates().to_numpy())


def test_ae_fields_and_dates(raw1k):
    ae = read(raw1k, "ae")
    scale = {"NOT RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "RELATED"}
    assert set(ae["AERELCEL"]) <= scale and set(ae["AERELPRO"]) <= scale
    assert set(ae["AESEV"]) == {"MILD", "MODERATE", "SEVERE"}
    assert set(ae["AESER"]) == {"Y", "N"}
    crit = ["AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]
    ser = ae["AESER"] == "Y"
    assert (ae.loc[~ser, crit] == "").all().all()
    assert ae.loc[ser, crit].isin(["0", "1"]).all().all()
    assert (ae.loc[ser, crit] == "1").any(axis=1).all()
    ongoing = ae["AEONGO"] == "1"
    assert (ae.loc[ongoing, "AEENDAT"] == "").all() and (ae.loc[~ongoing, "AEENDAT"] != "").all()
    full = ~ae["AESTDAT"].str.startswith("UN") & ~ae["AEENDAT"].str.startswith("UN") & ~ongoing
    assert (full_date(ae.loc[full, "AEENDAT"]) >= full_date(ae.loc[full, "AESTDAT"])).all()
    # Procedure-related AEs cluster after liposuction and are not related to the cells.
    lipo = full_date(read(raw1k, "liposuction").set_index("SUBJID")["LIPODAT"])
    proc = ae[(ae["AERELPRO"].isin(["POSSIBLE", "PROBABLE", "RELATED"])) & ~ae["AESTDAT"].str.startswith("UN")]
    delay = (full_date(proc["AESTDAT"]) - proc["SUBJID"].map(lipo).to_numpy()).dt.days
    assert len(proc) > 500 and delay.between(0, 10).all()
    assert (proc["AERELCEL"] == "NOT RELATED").all()
    complete = ~ae["AESTDAT"].str.startswith("UN")
    assert not ae[complete].duplicated(["SUBJID", "AEPT", "AESTDAT"]).any()
    lines = ae.groupby("SUBJID")["AELINE"].apply(lambda s: list(s.astype(int)))
    assert all(v == list(range(1, len(v) + 1)) for v in lines)


def test_ae_outcomes_and_relationship_follow_the_dictionary_rules(raw1k):
    ae = read(raw1k, "ae")
    ongoing = ae["AEONGO"] == "1"
    assert set(ae.loc[ongoing, "AEOUT"]) <= {"NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING", "UNKNOWN"}
    ended = ~ongoing & (ae["AEOUT"] != "FATAL")
    assert set(ae.loc[ended, "AEOUT"]) <= {"RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE"}
    # Before the first infusion no cells were given: not related to them.
    inf = read(raw1k, "infusion")
    d1 = full_date(inf[inf["FOLDER"] == "D1"].set_index("SUBJID")["INFDAT"])
    complete = ~ae["AESTDAT"].str.startswith("UN")
    before = full_date(ae.loc[complete, "AESTDAT"]) < ae.loc[complete, "SUBJID"].map(d1)
    assert before.sum() > 500
    assert (ae.loc[before[before].index, "AERELCEL"] == "NOT RELATED").all()
    # AEs of withdrawn subjects still ongoing have an unknown outcome.
    ds = read(raw1k, "disposition")
    gone = set(ds.loc[ds["DSREAS"].isin(["WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP"]), "SUBJID"])
    assert (ae.loc[ongoing & ae["SUBJID"].isin(gone), "AEOUT"] == "UNKNOWN").all()


def test_resp_support_events_ordered_and_reflected_in_item12(raw1k):
    rs = read(raw1k, "resp_support")
    assert not rs.duplicated(["SUBJID", "RSTYPE"]).any()
    rs["date"] = full_date(rs["RSSTDAT"])
    wide = rs.pivot(index="SUBJID", columns="RSTYPE", values="date")
    both = wide.dropna(subset=["NIV", "PAV"])
    assert (both["NIV"] <= both["PAV"]).all()
    trach = wide.dropna(subset=["PAV", "TRACHEOSTOMY"])
    assert (trach["PAV"] <= trach["TRACHEOSTOMY"]).all()
    # ALSFRS-R item 12 is 0 after a tracheostomy and at most 1 on PAV (instrument anchors).
    qs = read(raw1k, "alsfrs")
    qs["date"] = full_date(qs["QSDAT"])
    qs["i12"] = qs["ALSFRS12"].astype(int)
    qs = qs.join(wide, on="SUBJID")
    assert (qs.loc[qs["date"] >= qs["TRACHEOSTOMY"], "i12"] == 0).all()
    assert (qs.loc[qs["date"] >= qs["PAV"], "i12"] <= 1).all()
    assert (qs.loc[qs["NIV"].isna() | (qs["date"] < qs["NIV"]), "i12"] == 4).all()


def test_missed_visits_have_no_forms(raw1k):
    v = read(raw1k, "visits")
    missed = v[v["VISND"] == "1"]
    assert (missed["VISDAT"] == "").all() and (missed["VISNDRS"] != "").all()
    post = v[~v["FOLDER"].isin(["SCR", "LIPO", "D1", "M6", "M12", "M48", "UNS"])]
    assert 0.03 < (post["VISND"] == "1").mean() < 0.08
    qs = read(raw1k, "alsfrs")
    keys = set(zip(missed["SUBJID"], missed["FOLDER"], strict=True))
    assert keys.isdisjoint(zip(qs["SUBJID"], qs["FOLDER"], strict=True))
    done = v[(v["VISND"] == "0") & (v["FOLDER"] != "UNS")].set_index(["SUBJID", "FOLDER"])["VISDAT"]
    qs_dates = qs.set_index(["SUBJID", "FOLDER"])["QSDAT"]
    assert (qs_dates == done.reindex(qs_dates.index)).all()


def test_ashworth_grid(raw40):
    folder, _ = raw40
    mas = read(folder, "ashworth")
    grades = {"0", "1", "1+", "2", "3", "4"}
    assert set(mas["MASRIGHT"]) <= grades and set(mas["MASLEFT"]) <= grades
    per_visit = mas.groupby(["SUBJID", "FOLDER"])["MASLINE"].apply(lambda s: sorted(s.astype(int)))
    assert all(v == [1, 2, 3, 4, 5, 6] for v in per_visit)
    assert set(mas["FOLDER"]) <= {"SCR", "M3", "M6", "M9", "M12", "M18", "M24", "M30", "M36", "M42", "M48"}


def _documented_columns(readme: str) -> dict[str, list[str]]:
    """Columns per file from the README tables (first cell of each row)."""
    out: dict[str, list[str]] = {}
    for section in re.split(r"^## ", readme, flags=re.M)[1:]:
        m = re.match(r"(\w+)\.csv", section)
        if not m:
            continue
        cols: list[str] = []
        for line in section.splitlines():
            cell = line.split("|")[1].strip() if line.startswith("|") else ""
            if not cell or cell in ("Column",) or set(cell) <= {"-"}:
                continue
            cols.extend(c.strip() for c in re.split(r"[/,]", cell))
        out[m.group(1)] = cols
    return out


def test_files_match_the_data_dictionary(raw40, repo_root):
    folder, _ = raw40
    readme = (repo_root / "mappings/admsc-als/raw/README.md").read_text(encoding="utf-8")
    documented = _documented_columns(readme)
    assert sorted(documented) == sorted(FORMS)
    for form in FORMS:
        header = list(read(folder, form).columns)
        assert header[:4] == ["SITEID", "SUBJID", "FOLDER", "FOLDERNAME"], form
        assert header[4:] == documented[form], form


def test_defects_only_when_asked(study, tmp_path):
    counts = generate_raw(study, tmp_path, subjects=12, seed=3, defects=True)
    defects = pd.read_csv(tmp_path / "_defects.csv", dtype=str, keep_default_na=False)
    kinds = set(defects["kind"])
    assert {"impossible date", "unknown coded value", "subject not in demographics", "duplicate form"} <= kinds
    for d in defects.itertuples():
        frame = read(tmp_path, d.file.removesuffix(".csv"))
        assert frame.loc[int(d.row) - 1, d.field] == d.value, d
    qs = read(tmp_path, "alsfrs")
    assert qs.duplicated(["SUBJID", "FOLDER"]).sum() == 1
    assert counts["alsfrs"] == len(qs)
    dm = read(tmp_path, "demog")
    assert not set(read(tmp_path, "ae")["SUBJID"]) <= set(dm["SUBJID"])


def test_cli_raw(repo_root, tmp_path):
    from typer.testing import CliRunner

    from cdisc_als.cli import app

    result = CliRunner().invoke(
        app, ["raw", "--study", str(repo_root / "mappings/admsc-als"), "--out", str(tmp_path), "--subjects", "8", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    assert len(read(tmp_path, "randomization").query("RANDPER == '1'")) == 8
    assert len(read(tmp_path, "demog")) == 8 + round(8 * 0.12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subjects=st.integers(1, 30), seed=st.integers(0, 2**31))
def test_invariants_hold_for_any_size_and_seed(study, tmp_path_factory, subjects, seed):
    out = tmp_path_factory.mktemp("prop")
    generate_raw(study, out, subjects=subjects, seed=seed)
    rand = read(out, "randomization")
    arms = rand[rand["RANDPER"] == "1"]["TRTCD"].value_counts().reindex(list(DOSE_BY_ARM), fill_value=0)
    assert arms.sum() == subjects and arms.max() - arms.min() <= 1
    assert len(read(out, "demog")) == subjects + round(subjects * 0.12)
    qs = read(out, "alsfrs")
    items = _items(qs)
    assert (items.notna().sum(axis=1) == 12).all() and (items.sum(axis=1) == qs["ALSFRSTO"].astype(int)).all()
    assert items.stack().between(0, 4).all()
    for form, fields in DATE_FIELDS.items():
        frame = read(out, form)
        for col in fields:
            vals = frame[col][frame[col] != ""]
            assert vals.str.fullmatch(DATE_RE).all(), (form, col)
            full_date(vals[~vals.str.startswith("UN")])
    inf = read(out, "infusion")
    assert len(inf) == len(rand)
    d1 = full_date(inf[inf["FOLDER"] == "D1"].set_index("SUBJID")["INFDAT"])
    dth = read(out, "death")
    assert (full_date(dth.set_index("SUBJID")["DTHDAT"]) >= d1.reindex(dth["SUBJID"]).to_numpy()).all()


def test_bad_generator_parameters_name_file_and_key(study, tmp_path):
    from cdisc_als.errors import SpecError
    from cdisc_als.study import Study

    src = study.path / "raw"
    text = (src / "generator.yaml").read_text(encoding="utf-8")
    (tmp_path / "ae_dictionary.csv").write_bytes((src / "ae_dictionary.csv").read_bytes())
    (tmp_path / "generator.yaml").write_text(text.replace("missed_visit_rate:", "missed_visits_rate:"), encoding="utf-8")
    bad = Study(path=tmp_path, config={**study.config, "raw": {"generator": "generator.yaml"}})
    with pytest.raises(SpecError) as err:
        generate_raw(bad, tmp_path / "out", subjects=4, seed=1)
    assert "generator.yaml" in str(err.value) and "missed_visits_rate" in str(err.value)
    assert "missed_visit_rate" in str(err.value)  # the required key it expected
    (tmp_path / "generator.yaml").write_text(text.replace("period2_arms: [D1, D2, D4]", "period2_arms: [D1, D3]"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"period2_arms.*D3"):
        generate_raw(bad, tmp_path / "out", subjects=4, seed=1)
