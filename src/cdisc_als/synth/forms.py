"""Lay the simulated truth out as the EDC forms of the data dictionary
(mappings/admsc-als/raw/README.md): collected text dates, partial dates, times, checkboxes.

One function per form, each returning the DataFrame written to ``<form>.csv``; columns in the
documented order. Keep this file and the README in step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.synth.config import GeneratorConfig
from cdisc_als.synth.course import Course
from cdisc_als.synth.population import (
    DAYS_PER_MONTH,
    Population,
    days,
    permuted_blocks,
    rank_within,
    stream,
)
from cdisc_als.synth.progression import MAS_GRADES, MAS_MUSCLES
from cdisc_als.synth.textfmt import fmt_date, fmt_decimal1, fmt_int, fmt_time, zero_pad

ID_COLUMNS = ["SITEID", "SUBJID", "FOLDER", "FOLDERNAME"]
LOG_FOLDERS = {
    "ae": ("LOG", "ADVERSE EVENTS"),
    "resp_support": ("LOG", "RESPIRATORY SUPPORT"),
    "death": ("DEATH", "DEATH"),
}
PERIOD_FOLDERS = {1: ("EOP1", "END OF BLINDED PERIOD"), 2: ("EOP2", "END OF PERIOD 2"), 3: ("EOS", "END OF EXTENSION")}
ALSFRS_COLUMNS = [
    "ALSFRS01", "ALSFRS02", "ALSFRS03", "ALSFRS04", "ALSFRS5A", "ALSFRS5B", "ALSFRS06",
    "ALSFRS07", "ALSFRS08", "ALSFRS09", "ALSFRS10", "ALSFRS11", "ALSFRS12",
]
YN = np.array(["N", "Y"], dtype=object)
CHECK = np.array(["0", "1"], dtype=object)


def yn(flags: np.ndarray) -> np.ndarray:
    """Boolean array -> ``Y``/``N`` radio-button values."""
    return YN[np.asarray(flags, dtype=np.int64)]


def check(flags: np.ndarray) -> np.ndarray:
    """Boolean array -> ``1``/``0`` checkbox values."""
    return CHECK[np.asarray(flags, dtype=np.int64)]


def ids(pop: Population, subject: np.ndarray, folder, name) -> dict[str, np.ndarray]:
    """The identifier columns for rows of the given subjects."""
    m = len(subject)
    return {
        "SITEID": pop.siteid[subject],
        "SUBJID": pop.subjid[subject],
        "FOLDER": np.broadcast_to(np.asarray(folder, dtype=object), (m,)).copy() if m else np.array([], dtype=object),
        "FOLDERNAME": np.broadcast_to(np.asarray(name, dtype=object), (m,)).copy() if m else np.array([], dtype=object),
    }


def export_order(pop: Population, frame: pd.DataFrame, subject: np.ndarray, *keys: np.ndarray) -> pd.DataFrame:
    """Sort rows by site, subject number, then ``keys`` (documented row order)."""
    order = np.lexsort((*reversed(keys), pop.subject_number[subject], pop.site_index[subject]))
    return frame.iloc[order].reset_index(drop=True)


def visit_names(cfg: GeneratorConfig) -> tuple[np.ndarray, np.ndarray]:
    """Folder OIDs and folder names, indexed like ``cfg['visits']``."""
    return (
        np.array([v["folder"] for v in cfg["visits"]], dtype=object),
        np.array([v["name"] for v in cfg["visits"]], dtype=object),
    )


# --------------------------------------------------------------------------- screening forms
def demog(cfg: GeneratorConfig, pop: Population, dm: pd.DataFrame) -> pd.DataFrame:
    """demog.csv: birth date partial as sites often collect only the year (privacy)."""
    s = np.arange(pop.n)
    frame = pd.DataFrame(
        {
            **ids(pop, s, "SCR", "SCREENING"),
            "DMDAT": fmt_date(pop.consent),
            "BRTHDAT": fmt_date(dm["birth"].to_numpy(), dm["birth_month_year"].to_numpy(), dm["birth_year_only"].to_numpy()),
            "AGE": fmt_int(dm["age"].to_numpy()),
            "SEX": np.where(dm["male"].to_numpy(), "Male", "Female").astype(object),
            "RACE": dm["race"].to_numpy(),
            "RACEOTH": dm["race_other"].to_numpy(),
            "ETHNIC": dm["ethnic"].to_numpy(),
            "COUNTRY": cfg["country"],
        }
    )
    return export_order(pop, frame, s)


def consent(cfg: GeneratorConfig, pop: Population) -> pd.DataFrame:
    """consent.csv: one failed criterion per screen failure (the first one the site found)."""
    s = np.arange(pop.n)
    crit = cfg["screen_failure_criteria"]
    sf = pop.sf_criterion >= 0
    k = np.where(sf, pop.sf_criterion, 0)
    pick = lambda key: np.where(sf, np.array([c[key] for c in crit], dtype=object)[k], "")  # noqa: E731
    v2 = pop.consent >= np.datetime64(cfg["protocol_v2_from"], "D")
    frame = pd.DataFrame(
        {
            **ids(pop, s, "SCR", "SCREENING"),
            "ICDAT": fmt_date(pop.consent),
            "PROTVER": np.where(v2, "2.0", "1.0").astype(object),
            "ELIGYN": yn(~sf),
            "IECAT": pick("cat"),
            "IETESTCD": pick("code"),
            "IETEST": pick("text"),
        }
    )
    return export_order(pop, frame, s)


def als_history(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """als_history.csv: onset dates are recalled, hence often partial; diagnosis dates are not."""
    rng = stream(seed, "als_history")
    als = cfg["als"]
    n = pop.n
    s = np.arange(n)
    codes = np.array([c["code"] for c in cfg["screen_failure_criteria"]] + [""], dtype=object)
    failed = codes[pop.sf_criterion]  # -1 picks ""
    om = als["onset_months_before_consent"]
    months = np.clip(rng.lognormal(np.log(om["median"]), om["sigma"], n), 6, om["max"])
    months = np.where(failed == "INCL04", rng.uniform(37, 60, n), months)
    onset = pop.consent - days(months * DAYS_PER_MONTH)
    dl = als["diagnosis_delay_months"]
    diag = np.minimum(onset + days(rng.uniform(dl["min"], dl["max"], n) * DAYS_PER_MONTH), pop.consent - np.timedelta64(45, "D"))
    on_ril = failed != "INCL05"
    ril = diag + days(rng.random(n) * ((pop.consent - diag).astype(np.int64) - 30))
    u = rng.random(n)
    # Site of onset drives the simulated progression of randomized subjects (course.bulbar).
    bulbar = np.r_[course.bulbar, rng.random(n - pop.n_rand) < als["bulbar_onset"]]
    crit, cp = zip(*als["el_escorial"].items(), strict=True)
    frame = pd.DataFrame(
        {
            **ids(pop, s, "SCR", "SCREENING"),
            "ONSETDAT": fmt_date(onset, u < als["onset_date_day_unknown"] + als["onset_date_month_unknown"], u < als["onset_date_month_unknown"]),
            "ONSETSIT": np.where(bulbar, "Bulbar", "Spinal").astype(object),
            "DIAGDAT": fmt_date(diag),
            "DIAGCRIT": rng.choice(np.array(crit, dtype=object), size=n, p=np.array(cp) / sum(cp)),
            "FAMHX": yn(rng.random(n) < als["familial"]),
            "RILUZYN": yn(on_ril),
            "RILUSTDAT": np.where(on_ril, fmt_date(ril, rng.random(n) < als["riluzole_start_day_unknown"]), ""),
            "RILUDOSE": np.where(on_ril, "100", "").astype(object),
        }
    )
    return export_order(pop, frame, s)


# --------------------------------------------------------------------------- treatment
def second_randomization(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """Placebo subjects on study at month 6: study-wide permuted blocks, in order of the date."""
    rng = stream(seed, "randomization2")
    n = pop.n_rand
    eligible = np.flatnonzero((pop.arm1[:n] == "PBO") & course.p1_done)
    order = eligible[np.lexsort((pop.subject_number[eligible], pop.site_index[eligible], course.m6[eligible].astype(np.int64)))]
    arms = list(cfg["period2_arms"])
    alloc = permuted_blocks(rng, -(-len(order) // len(arms)), arms)[: len(order)]
    return pd.DataFrame({"subject": order, "arm": alloc, "date": course.m6[order]})


def randomization(cfg: GeneratorConfig, pop: Population, inf: pd.DataFrame) -> pd.DataFrame:
    """One row per randomization; ``inf`` (from ``infusion_truth``) has one row per
    randomization too (each randomization is followed by an infusion the same day)."""
    subject = inf["subject"].to_numpy()
    period = inf["period"].to_numpy()
    seq = pop.randno1_seq[subject].copy()
    p2 = np.flatnonzero(period == 2)
    if len(p2):
        seq[p2] = rank_within(pop.site_index[subject[p2]], [np.arange(len(p2))])
    width = max(3, len(str(int(seq.max(initial=1)))))
    arm = inf["arm"].to_numpy(dtype=object)
    labels = {k: v["label"] for k, v in cfg["treatments"].items()}
    frame = pd.DataFrame(
        {
            **ids(pop, subject, np.where(period == 1, "D1", "M6"), np.where(period == 1, "DAY 1", "MONTH 6")),
            "RANDPER": fmt_int(period),
            "RANDNO": "R" + period.astype(str).astype(object) + "-" + pop.siteid[subject] + zero_pad(seq, width),
            "RANDDAT": fmt_date(inf["date"].to_numpy()),
            "RANDTIM": fmt_time(inf["start"].to_numpy() - inf["rand_lead"].to_numpy()),
            "TRTCD": arm,
            "TRT": pd.Series(arm).map(labels).to_numpy(dtype=object),
        }
    )
    return export_order(pop, frame, subject, period)


def infusion_truth(cfg: GeneratorConfig, pop: Population, course: Course, rand2: pd.DataFrame, dm: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per infusion: subject, period, date, arm, weight, times."""
    rng = stream(seed, "infusion")
    n = pop.n_rand
    s2 = rand2["subject"].to_numpy()
    subject = np.r_[np.arange(n), s2]
    period = np.r_[np.ones(n, np.int64), np.full(len(s2), 2)]
    date = np.r_[pop.d1[:n], rand2["date"].to_numpy().astype("datetime64[D]")]
    arm = np.r_[pop.arm1[:n], rand2["arm"].to_numpy()].astype(object)
    months = (date - pop.d1[subject]).astype(np.int64) / DAYS_PER_MONTH
    weight = dm["weight"].to_numpy()[subject] - cfg["demographics"]["weight_loss_kg_per_month"] * months + rng.normal(0, 0.8, len(subject))
    m = len(subject)
    start = rng.integers(9 * 60, 13 * 60, m)
    interrupted = rng.random(m) < 0.03
    return pd.DataFrame(
        {
            "subject": subject,
            "period": period,
            "date": date,
            "arm": arm,
            "weight": np.round(np.clip(weight, 38, 130), 1),
            "start": start,
            "duration": rng.integers(20, 61, m),
            "interrupted": interrupted,
            "volume": np.where(interrupted, rng.uniform(55, 95, m), rng.uniform(96, 100, m)),
            "reason": np.where(rng.random(m) < 0.5, "Venous access lost", "Patient discomfort"),
            "rand_lead": rng.integers(30, 91, m),
        }
    )


def infusion(cfg: GeneratorConfig, pop: Population, inf: pd.DataFrame) -> pd.DataFrame:
    """infusion.csv: dose in cells/kg from the randomized arm; placebo is 0 with the same volume."""
    subject = inf["subject"].to_numpy()
    period = inf["period"].to_numpy()
    dose = pd.Series(inf["arm"]).map({k: v["dose"] for k, v in cfg["treatments"].items()}).to_numpy(dtype=np.int64)
    weight = inf["weight"].to_numpy()
    total = np.rint(dose * weight / 1e5).astype(np.int64) * 100_000
    frame = pd.DataFrame(
        {
            **ids(pop, subject, np.where(period == 1, "D1", "M6"), np.where(period == 1, "DAY 1", "MONTH 6")),
            "INFDAT": fmt_date(inf["date"].to_numpy()),
            "INFSTTM": fmt_time(inf["start"].to_numpy()),
            "INFENTM": fmt_time(inf["start"].to_numpy() + inf["duration"].to_numpy()),
            "WEIGHT": fmt_decimal1(weight),
            "DOSE": fmt_int(dose),
            "DOSEU": "cells/kg",
            "TOTCELLS": fmt_int(total),
            "INFVOL": fmt_decimal1(inf["volume"].to_numpy()),
            "INFROUTE": "Intravenous",
            "INFINT": check(inf["interrupted"].to_numpy()),
            "INFINTRS": np.where(inf["interrupted"].to_numpy(), inf["reason"].to_numpy(), "").astype(object),
        }
    )
    return export_order(pop, frame, subject, period)


def liposuction(pop: Population, seed: int) -> pd.DataFrame:
    """liposuction.csv: one harvest per randomized subject (cells of both infusions)."""
    rng = stream(seed, "liposuction")
    n = pop.n_rand
    s = np.arange(n)
    start = rng.integers(8 * 60, 12 * 60, n)
    frame = pd.DataFrame(
        {
            **ids(pop, s, "LIPO", "LIPOSUCTION"),
            "LIPODAT": fmt_date(pop.lipo[:n]),
            "LIPOSTTM": fmt_time(start),
            "LIPOENTM": fmt_time(start + rng.integers(40, 101, n)),
            "LIPOLOC": rng.choice(np.array(["Abdomen", "Flanks", "Thighs"], dtype=object), size=n, p=[0.7, 0.2, 0.1]),
            "ANESTH": rng.choice(np.array(["Local", "Local with sedation"], dtype=object), size=n, p=[0.6, 0.4]),
            "FATVOL": fmt_int(np.rint(np.clip(rng.normal(240, 60, n), 100, 400) / 5) * 5),
        }
    )
    return export_order(pop, frame, s)


# --------------------------------------------------------------------------- assessments
def alsfrs(cfg: GeneratorConfig, pop: Population, scores: pd.DataFrame) -> pd.DataFrame:
    """alsfrs.csv (wide): item 5 goes to 5a or 5b depending on the gastrostomy flag."""
    subject = scores["subject"].to_numpy()
    visit = scores["visit"].to_numpy()
    folders, names = visit_names(cfg)
    gastro = scores["gastro"].to_numpy()
    cols: dict[str, np.ndarray] = {}
    for i, col in enumerate(ALSFRS_COLUMNS):
        if col == "ALSFRS5A":
            cols[col] = fmt_int(scores["item5"].to_numpy(), gastro)
        elif col == "ALSFRS5B":
            cols[col] = fmt_int(scores["item5"].to_numpy(), ~gastro)
        else:
            item = i + 1 if i < 5 else i
            cols[col] = fmt_int(scores[f"item{item}"].to_numpy())
    frame = pd.DataFrame(
        {
            **ids(pop, subject, folders[visit], names[visit]),
            "QSDAT": fmt_date(scores["date"].to_numpy()),
            "GASTRO": yn(gastro),
            **cols,
            "ALSFRSTO": fmt_int(scores["total"].to_numpy()),
        }
    )
    return export_order(pop, frame, subject, visit)


def ashworth(cfg: GeneratorConfig, pop: Population, grades: pd.DataFrame) -> pd.DataFrame:
    """ashworth.csv: the CRF grid exported one line per muscle group (right and left columns)."""
    subject = grades["subject"].to_numpy()
    visit = grades["visit"].to_numpy()
    line = grades["line"].to_numpy()
    folders, names = visit_names(cfg)
    frame = pd.DataFrame(
        {
            **ids(pop, subject, folders[visit], names[visit]),
            "MASDAT": fmt_date(grades["date"].to_numpy()),
            "MASLINE": fmt_int(line),
            "MUSCLE": np.array(MAS_MUSCLES, dtype=object)[line - 1],
            "MASRIGHT": MAS_GRADES[grades["right"].to_numpy()],
            "MASLEFT": MAS_GRADES[grades["left"].to_numpy()],
        }
    )
    return export_order(pop, frame, subject, visit, line)


# --------------------------------------------------------------------------- safety, events
def adverse_events(cfg: GeneratorConfig, pop: Population, ev: pd.DataFrame) -> pd.DataFrame:
    """ae.csv: coded terms copied from the dictionary row of each event (never re-derived)."""
    ae = cfg.ae_dictionary
    subject = ev["subject"].to_numpy()
    term = ev["term"].to_numpy()
    # Verbatim: one of the dictionary entry's variants.
    variants = ae["verbatims"].str.split("|")
    n_var = variants.str.len().to_numpy()
    flat = np.array([v for vs in variants for v in vs], dtype=object)  # loop over dictionary rows
    offset = np.r_[0, np.cumsum(n_var)[:-1]]
    pick = offset[term] + np.floor(ev["verbatim_u"].to_numpy() * n_var[term]).astype(np.int64)
    serious = ev["serious"].to_numpy()

    def crit(col: str) -> np.ndarray:
        return np.where(serious, check(ev[col].to_numpy()), "").astype(object)

    code = lambda col: ae[col].to_numpy(dtype=object)[term]  # noqa: E731
    frame = pd.DataFrame(
        {
            **ids(pop, subject, *LOG_FOLDERS["ae"]),
            "AELINE": fmt_int(ev["line"].to_numpy()),
            "AETERM": flat[pick],
            "AELLT": code("llt"),
            "AELLTCD": code("llt_code"),
            "AEPT": code("pt"),
            "AEPTCD": code("pt_code"),
            "AEHLT": code("hlt"),
            "AEHLTCD": code("hlt_code"),
            "AEHLGT": code("hlgt"),
            "AEHLGTCD": code("hlgt_code"),
            "AESOC": code("soc"),
            "AESOCCD": code("soc_code"),
            "MEDDRAV": cfg["adverse_events"]["dictionary_version"],
            "AESTDAT": fmt_date(ev["start"].to_numpy(), ev["start_day_unk"].to_numpy(), ev["start_month_unk"].to_numpy()),
            "AESTTIM": fmt_time(np.maximum(ev["start_time"].to_numpy(), 0), ev["start_time"].to_numpy() < 0),
            "AEENDAT": fmt_date(ev["end"].to_numpy(), ev["end_day_unk"].to_numpy()),
            "AEONGO": check(ev["ongoing"].to_numpy()),
            "AESEV": ev["severity"].to_numpy(dtype=object),
            "AESER": yn(serious),
            "AESDTH": crit("sdth"),
            "AESLIFE": crit("slife"),
            "AESHOSP": crit("shosp"),
            "AESDISAB": np.where(serious, "0", "").astype(object),
            "AESCONG": np.where(serious, "0", "").astype(object),
            "AESMIE": crit("smie"),
            "AERELCEL": ev["rel_cells"].to_numpy(dtype=object),
            "AERELPRO": ev["rel_proc"].to_numpy(dtype=object),
            "AEACN": ev["action"].to_numpy(dtype=object),
            "AECONTRT": ev["contrt"].to_numpy(dtype=object),
            "AEOUT": ev["outcome"].to_numpy(dtype=object),
        }
    )
    return export_order(pop, frame, subject, ev["line"].to_numpy())


def resp_support(pop: Population, course: Course) -> pd.DataFrame:
    """resp_support.csv: NIV, PAV and tracheostomy dates observed while on study."""
    n = pop.n_rand
    kinds = [("NIV", course.niv), ("PAV", course.pav), ("TRACHEOSTOMY", course.trach)]
    subject = np.concatenate([np.flatnonzero(~np.isnat(d)) for _, d in kinds])
    kind = np.concatenate([np.full(int((~np.isnat(d)).sum()), k, dtype=object) for k, d in kinds])
    rank = np.concatenate([np.full(int((~np.isnat(d)).sum()), i) for i, (_, d) in enumerate(kinds)])
    date = np.concatenate([d[~np.isnat(d)] for _, d in kinds]) if n else np.array([], dtype="datetime64[D]")
    order = np.lexsort((rank, date.astype(np.int64), subject))
    subject, kind, date = subject[order], kind[order], date[order]
    line = pd.Series(subject).groupby(subject).cumcount().to_numpy() + 1
    frame = pd.DataFrame(
        {
            **ids(pop, subject, *LOG_FOLDERS["resp_support"]),
            "RSLINE": fmt_int(line),
            "RSTYPE": kind,
            "RSSTDAT": fmt_date(date),
        }
    )
    return export_order(pop, frame, subject, line)


def disposition(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """disposition.csv: one end-of-period form per period entered."""
    rng = stream(seed, "disposition")
    n = pop.n_rand
    v = course.visits
    done_dates = v[v["done"]]
    last_visit = done_dates.groupby("subject")["date"].max().reindex(np.arange(n)).to_numpy().astype("datetime64[D]")
    died = ~np.isnat(course.death)
    reason_all = np.where(died, "DEATH", course.withdrawal_reason).astype(object)
    disc_date = np.where(died, course.death, last_visit)
    entered = [np.ones(n, bool), course.p1_done, course.p2_done & course.continues_ext]
    completed = [course.p1_done, course.p2_done, course.p3_done]
    end_dates = [course.m6, course.m12, course.m48]
    frames = []
    for period in (1, 2, 3):  # loop over the three periods, not over subjects
        s = np.flatnonzero(entered[period - 1])
        comp = completed[period - 1][s]
        reason = np.where(comp, "", reason_all[s]).astype(object)
        other = np.where(
            reason == "WITHDRAWAL BY SUBJECT",
            rng.choice(np.array(["Moved to another city", "Burden of visits", "Personal reasons"], dtype=object), size=len(s)),
            np.where(reason == "PHYSICIAN DECISION", "Unable to attend visits due to disease progression", ""),
        ).astype(object)
        if period == 1:
            cont = np.where(comp, "Y", "")
        elif period == 2:
            cont = np.where(comp, yn(course.continues_ext[s]), "")
        else:
            cont = np.full(len(s), "")
        frames.append(
            pd.DataFrame(
                {
                    **ids(pop, s, *PERIOD_FOLDERS[period]),
                    "PERIOD": str(period),
                    "DSCOMPYN": yn(comp),
                    "DSDAT": fmt_date(np.where(comp, end_dates[period - 1][s], disc_date[s])),
                    "DSREAS": reason,
                    "DSREASOT": other,
                    "DSCONT": cont.astype(object),
                    "_subject": s,
                    "_period": period,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame = export_order(pop, frame, frame["_subject"].to_numpy(), frame["_period"].to_numpy())
    return frame.drop(columns=["_subject", "_period"])


DEATH_CAUSE_BY_PT = {
    "Respiratory failure": "Respiratory failure due to ALS progression",
    "Pneumonia aspiration": "Aspiration pneumonia",
    "Cardio-respiratory arrest": "Cardiorespiratory arrest",
}
OTHER_CAUSES = np.array(["Sudden cardiac death", "Stroke", "Metastatic lung cancer"], dtype=object)


def death(cfg: GeneratorConfig, pop: Population, course: Course, ev: pd.DataFrame, seed: int) -> pd.DataFrame:
    """death.csv: the cause agrees with the fatal AE when there is one."""
    rng = stream(seed, "death")
    s = np.flatnonzero(~np.isnat(course.death))
    cat = course.death_cause[s]
    fatal = ev[ev["source"] == "FATAL"]
    pt = cfg.ae_dictionary["pt"].to_numpy(dtype=object)
    fatal_pt = pd.Series(pt[fatal["term"].to_numpy()], index=fatal["subject"].to_numpy())
    cause = fatal_pt.map(DEATH_CAUSE_BY_PT).reindex(s).to_numpy(dtype=object)
    cause = np.where(pd.isna(cause), "Progression of ALS", cause)
    cause = np.where(cat == "OTHER", rng.choice(OTHER_CAUSES, size=len(s)), cause).astype(object)
    frame = pd.DataFrame(
        {
            **ids(pop, s, *LOG_FOLDERS["death"]),
            "DTHDAT": fmt_date(course.death[s]),
            "DTHCAUSE": cause,
            "DTHCAT": cat.astype(object),
            "AUTOPSY": yn(rng.random(len(s)) < 0.1),
        }
    )
    return export_order(pop, frame, s)


def visits(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """visits.csv: expected visits (done or missed) and unscheduled visits."""
    rng = stream(seed, "visits")
    folders, names = visit_names(cfg)
    v = course.visits
    n = pop.n_rand
    # Screen failures: the screening visit only.
    sf = np.arange(n, pop.n)
    scr = list(folders).index("SCR")
    subject = np.r_[v["subject"].to_numpy(), sf]
    visit = np.r_[v["visit"].to_numpy(), np.full(len(sf), scr)]
    date = np.r_[v["date"].to_numpy().astype("datetime64[D]"), pop.consent[sf]]
    done = np.r_[v["done"].to_numpy(), np.ones(len(sf), bool)]
    # Unscheduled visits: Poisson per subject-year on study, uniform dates.
    years = np.maximum((course.last_contact - pop.d1[:n]).astype(np.int64), 0) / 365.25
    k = rng.poisson(cfg["unscheduled_per_year"] * years)
    us = np.repeat(np.arange(n), k)
    span = (course.last_contact[us] - pop.d1[us]).astype(np.int64)
    udate = pop.d1[us] + days(1 + np.floor(rng.random(len(us)) * np.maximum(span - 1, 0)))
    uorder = np.lexsort((udate.astype(np.int64), us))
    us, udate = us[uorder], udate[uorder]
    unsnum = pd.Series(us).groupby(us).cumcount().to_numpy() + 1
    reasons = np.array(["Patient unable to travel", "Patient hospitalised", "Patient decision", "Scheduling conflict"], dtype=object)
    frame = pd.DataFrame(
        {
            **ids(pop, np.r_[subject, us], np.r_[folders[visit], np.full(len(us), "UNS", dtype=object)], np.r_[names[visit], np.full(len(us), "UNSCHEDULED", dtype=object)]),
            "UNSNUM": np.r_[np.full(len(subject), "", dtype=object), fmt_int(unsnum)],
            "VISDAT": fmt_date(np.r_[np.where(done, date, np.datetime64("NaT")), udate]),
            "VISND": check(np.r_[~done, np.zeros(len(us), bool)]),
            "VISNDRS": np.r_[np.where(done, "", rng.choice(reasons, size=len(done))), np.full(len(us), "", dtype=object)].astype(object),
        }
    )
    # Order: by subject, then by date (planned date for missed visits; unscheduled among them).
    all_subject = np.r_[subject, us]
    all_date = np.r_[date, udate]
    sort_day = np.where(all_subject >= n, 0, (all_date - pop.d1[all_subject]).astype(np.int64))
    return export_order(pop, frame, all_subject, sort_day, np.r_[np.zeros(len(subject), np.int64), unsnum])
