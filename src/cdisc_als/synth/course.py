"""The course of each randomized subject: ALS progression, respiratory events, death,
withdrawal, and which planned visits happen.

Model (parameters in generator.yaml, ``als:``): the ALSFRS-R total declines linearly from the
screening value ``b`` at ``r`` points per month (random slope per subject). Respiratory failure
comes when the total reaches a per-subject threshold; NIV and PAV start a few points earlier.
At respiratory failure a subject either dies or gets a tracheostomy (and dies later). A small
background mortality and a constant withdrawal hazard complete the picture. Event dates are
solved from the linear model in closed form, so no time stepping and no loop per subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_als.synth.config import GeneratorConfig, probs
from cdisc_als.synth.population import DAYS_PER_MONTH, Population, days, stream

NAT = np.datetime64("NaT", "D")
FAR = np.datetime64("2999-12-31", "D")


@dataclass
class Course:
    """Arrays over the randomized subjects (index = position in the population)."""

    b: np.ndarray  # ALSFRS-R total at screening (float)
    r: np.ndarray  # decline, points per month (> 0)
    bulbar: np.ndarray
    upper_limb: np.ndarray  # spinal onset in the arms (else legs)
    niv: np.ndarray  # datetime64[D] of events, NaT when not observed on study
    pav: np.ndarray
    trach: np.ndarray
    death: np.ndarray
    death_cause: np.ndarray  # "ALS PROGRESSION" / "OTHER" / None
    withdrawal_reason: np.ndarray  # None unless withdrawn while on study
    continues_ext: np.ndarray
    stop: np.ndarray  # first day no longer on study (exclusive bound for visit dates)
    last_contact: np.ndarray
    visits: pd.DataFrame  # one row per expected visit (subject, visit index, date, done)
    m6: np.ndarray
    m12: np.ndarray
    m48: np.ndarray
    p1_done: np.ndarray
    p2_done: np.ndarray
    p3_done: np.ndarray


def _months_to_date(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    m = np.where(np.isfinite(months), months, 10_000.0)
    m = np.clip(m, -10_000, 10_000)
    return start + days(m * DAYS_PER_MONTH)


def simulate_course(cfg: GeneratorConfig, pop: Population, seed: int) -> Course:
    """Progression, events, visit schedule and disposition of the randomized subjects."""
    rng = stream(seed, "course")
    als = cfg["als"]
    n = pop.n_rand
    scr = pop.consent[:n]
    d1 = pop.d1[:n]
    arm = pop.arm1[:n]

    bulbar = rng.random(n) < als["bulbar_onset"]
    upper_limb = rng.random(n) < 0.5
    bl = als["alsfrs_baseline"]
    b = np.clip(rng.normal(bl["mean"], bl["sd"], n), bl["min"], bl["max"])
    sl = als["slope_per_month"]
    slope = np.minimum(rng.normal(sl["mean"], sl["sd"], n), sl["max"])
    mult = np.array([als["slope_multiplier"].get(a, 1.0) for a in cfg["period1_arms"]])
    arm_idx = pd.Series(arm).map({a: i for i, a in enumerate(cfg["period1_arms"])}).to_numpy(dtype=np.int64)
    r = -slope * np.where(bulbar, als["bulbar_slope_factor"], 1.0) * mult[arm_idx]

    # Respiratory failure threshold, at least two months after day 1.
    rf = als["respiratory_failure_total"]
    t_fail_total = np.clip(rng.normal(rf["mean"], rf["sd"], n), rf["min"], rf["max"])
    months_scr_to_d1 = (d1 - scr).astype(np.int64) / DAYS_PER_MONTH
    t_fail_total = np.minimum(t_fail_total, b - r * (months_scr_to_d1 + 2.0))
    lo, hi = als["niv_points_before_failure"]
    niv_total = np.minimum(t_fail_total + rng.uniform(lo, hi, n), b - 1.0)
    lo, hi = als["pav_points_before_failure"]
    pav_total = np.minimum(t_fail_total + rng.uniform(lo, hi, n), niv_total - 0.5)
    t_niv = _months_to_date(scr, (b - niv_total) / r)
    t_fail = _months_to_date(scr, (b - t_fail_total) / r)
    # PAV is an exclusion criterion: it cannot start before the first week after day 1.
    t_pav = np.minimum(np.maximum(_months_to_date(scr, (b - pav_total) / r), d1 + np.timedelta64(7, "D")), t_fail)
    has_trach = rng.random(n) < als["tracheostomy_probability"]
    after_fail = np.where(
        has_trach,
        rng.exponential(als["survival_after_tracheostomy_months"], n),
        rng.exponential(0.5, n),
    )
    resp_death = t_fail + days(after_fail * DAYS_PER_MONTH)
    bg_years = rng.exponential(1.0 / max(als["background_death_per_year"], 1e-9), n)
    bg_death = d1 + days(1 + bg_years * 365.25)
    death_all = np.minimum(resp_death, bg_death)
    cause = np.where(bg_death < resp_death, "OTHER", "ALS PROGRESSION").astype(object)

    wd = cfg["withdrawal"]
    wd_date = d1 + days(1 + rng.exponential(1.0 / max(wd["per_year"], 1e-9), n) * 365.25)
    reasons, rp = probs(wd["reasons"])
    wd_reason = rng.choice(reasons, size=n, p=rp)
    continues = rng.random(n) < wd["continue_to_extension"]

    # Planned visit dates (subject x visit), jittered within the window.
    visits_cfg = cfg["visits"]
    folders = [v["folder"] for v in visits_cfg]
    planned = np.array([v["day"] for v in visits_cfg], dtype=np.int64)
    window = np.array([v.get("window", 0) for v in visits_cfg], dtype=np.int64)
    jitter = np.rint((rng.random((n, len(planned))) * 2 - 1) * window).astype(np.int64)
    vdate = d1[:, None] + (planned - 1 + jitter).astype("timedelta64[D]")
    vdate[:, folders.index("SCR")] = scr
    vdate[:, folders.index("LIPO")] = pop.lipo[:n]
    vdate[:, folders.index("D1")] = d1

    def planned_date(folder: str) -> np.ndarray:
        return vdate[:, folders.index(folder)] if folder in folders else np.full(n, FAR)

    m6, m12, m48 = planned_date("M6"), planned_date("M12"), planned_date("M48")
    end_ext = vdate[:, int(np.argmax(planned))]
    end_plan = np.where(continues, end_ext, m12)
    if "M12" not in folders:
        end_plan = end_ext

    died = death_all < np.minimum(wd_date, end_plan + np.timedelta64(1, "D"))
    withdrew = ~died & (wd_date <= end_plan)
    stop = np.where(died, death_all, np.where(withdrew, wd_date, end_plan + np.timedelta64(1, "D")))

    expected = vdate < stop[:, None]
    missable = planned > 1
    for never in ("M6", "M12", folders[int(np.argmax(planned))]):
        if never in folders:
            missable &= np.array(folders) != never
    missed = expected & missable[None, :] & (rng.random(vdate.shape) < cfg["missed_visit_rate"])
    done = expected & ~missed
    last_visit = np.where(done, vdate, np.datetime64("1900-01-01")).max(axis=1)
    last_contact = np.where(died, death_all, last_visit)

    p1_done = expected[:, folders.index("M6")] if "M6" in folders else np.ones(n, bool)
    p2_done = p1_done & (expected[:, folders.index("M12")] if "M12" in folders else True)
    p3_done = p2_done & continues & expected[:, int(np.argmax(planned))]

    subj, vis = np.nonzero(expected)
    visits = pd.DataFrame(
        {
            "subject": subj,
            "visit": vis,
            "date": vdate[subj, vis],
            "done": done[subj, vis],
        }
    )

    def observed(event: np.ndarray) -> np.ndarray:
        return np.where((event < stop) & (event <= last_contact), event, NAT)

    return Course(
        b=b,
        r=r,
        bulbar=bulbar,
        upper_limb=upper_limb,
        niv=observed(t_niv),
        pav=observed(t_pav),
        trach=observed(np.where(has_trach, t_fail, FAR)),
        death=np.where(died, death_all, NAT),
        death_cause=np.where(died, cause, None),
        withdrawal_reason=np.where(withdrew, wd_reason, None),
        continues_ext=continues,
        stop=stop,
        last_contact=last_contact,
        visits=visits,
        m6=m6,
        m12=m12,
        m48=m48,
        p1_done=p1_done,
        p2_done=p2_done,
        p3_done=p3_done,
    )
