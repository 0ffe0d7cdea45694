"""ALSFRS-R item scores and Modified Ashworth grades at each assessed visit.

Why an ordering of "lost points": a subject's total must equal the sum of the 12 items, each
item must stay in 0..4, and which functions are lost first depends on the site of onset. Each
subject gets a random order in which the 44 points of items 1-11 are lost (points of bulbar
items early for bulbar onset, of arm or leg items early for spinal onset, of dyspnea and
orthopnea late); at a visit with loss L the first L points of the order are gone. Item 12
(respiratory insufficiency) follows the NIV/PAV/tracheostomy events instead, so the data agree
with resp_support.csv. All of it is array arithmetic over visit rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.synth.config import GeneratorConfig
from cdisc_als.synth.course import Course
from cdisc_als.synth.population import DAYS_PER_MONTH, Population, stream

N_ITEMS = 11  # items scored from the loss order (item 12 follows the respiratory events)
BULBAR, ARM, LEG, RESP = [0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]
MAS_GRADES = np.array(["0", "1", "1+", "2", "3", "4"], dtype=object)
MAS_MUSCLES = [
    "Elbow flexors", "Elbow extensors", "Wrist flexors", "Knee flexors", "Knee extensors",
    "Ankle plantar flexors",
]


def loss_ranks(course: Course, rng: np.random.Generator) -> np.ndarray:
    """(subjects, 11 items, 4 points): position of each point in the subject's loss order."""
    n = len(course.b)
    w = np.full((n, N_ITEMS), 1.0)
    w[:, RESP] = 0.45
    bulb = course.bulbar
    w[np.ix_(bulb, BULBAR)] = 3.0
    spinal_arm = ~bulb & course.upper_limb
    spinal_leg = ~bulb & ~course.upper_limb
    w[np.ix_(~bulb, BULBAR)] = 0.6
    w[np.ix_(spinal_arm, ARM)] = 2.5
    w[np.ix_(spinal_arm, LEG)] = 1.2
    w[np.ix_(spinal_leg, LEG)] = 2.5
    w[np.ix_(spinal_leg, ARM)] = 1.2
    w *= rng.lognormal(0.0, 0.3, (n, N_ITEMS))
    # Arrival times of a Poisson process per item: the k-th point of an item goes after the
    # (k-1)-th, and items with a higher weight lose their points sooner.
    keys = np.cumsum(rng.exponential(1.0, (n, N_ITEMS, 4)), axis=2) / w[:, :, None]
    order = np.argsort(keys.reshape(n, -1), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[1])[None, :], axis=1)
    return ranks.reshape(n, N_ITEMS, 4)


def item12(course: Course, subj: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Respiratory insufficiency score from the events: 4 none, 3 then 2 on NIV, 1 on PAV,
    0 after tracheostomy."""
    niv, pav, trach = course.niv[subj], course.pav[subj], course.trach[subj]
    score = np.full(len(subj), 4, dtype=np.int64)
    on_niv = ~np.isnat(niv) & (dates >= niv)
    mid = niv + (np.where(np.isnat(pav), dates, pav) - niv) // 2
    score[on_niv] = np.where(dates[on_niv] >= mid[on_niv], 2, 3)
    score[~np.isnat(pav) & (dates >= pav)] = 1
    score[~np.isnat(trach) & (dates >= trach)] = 0
    return score


def assessed(cfg: GeneratorConfig, course: Course, form: str) -> pd.DataFrame:
    """Visit rows (subject, visit, date) done and planned to collect ``form``."""
    with_form = np.array([form in (v.get("forms") or []) for v in cfg["visits"]])
    v = course.visits
    return v[v["done"].to_numpy() & with_form[v["visit"].to_numpy()]].reset_index(drop=True)


def alsfrs_scores(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """One row per ALSFRS-R assessment: subject, visit, date, gastrostomy flag, 12 items
    (item 5 in column 5), and the total."""
    rng = stream(seed, "alsfrs")
    als = cfg["als"]
    ranks = loss_ranks(course, rng)
    rows = assessed(cfg, course, "alsfrs")
    subj = rows["subject"].to_numpy()
    dates = rows["date"].to_numpy().astype("datetime64[D]")
    months = (dates - pop.consent[subj]).astype(np.int64) / DAYS_PER_MONTH
    total = np.rint(course.b[subj] - course.r[subj] * months + rng.normal(0, als["measurement_sd"], len(subj)))
    i12 = item12(course, subj, dates)
    loss = np.clip(4 * N_ITEMS - (total - i12), 0, 4 * N_ITEMS).astype(np.int64)
    lost = ranks[subj] < loss[:, None, None]
    items = 4 - lost.sum(axis=2)
    scores = np.column_stack([items, i12])

    # Gastrostomy: from the first post-screening visit where swallowing is low enough (with a
    # probability per visit); never at screening (exclusion criterion), never removed.
    first_visit = rows["visit"].to_numpy() == [v["folder"] for v in cfg["visits"]].index("SCR")
    trigger = (
        (items[:, 2] <= als["gastrostomy_when_swallowing_at_most"])
        & (rng.random(len(subj)) < als["gastrostomy_probability"])
        & ~first_visit
    )
    gastro = pd.Series(trigger).groupby(subj).cummax().to_numpy(dtype=bool)
    out = rows[["subject", "visit", "date"]].copy()
    out["gastro"] = gastro
    for i in range(12):
        out[f"item{i + 1}"] = scores[:, i]
    out["total"] = scores.sum(axis=1)
    return out


def ashworth_grades(cfg: GeneratorConfig, pop: Population, course: Course, seed: int) -> pd.DataFrame:
    """One row per assessed visit and muscle group: grade index (0..5) right and left."""
    rng = stream(seed, "ashworth")
    als = cfg["als"]
    n = len(course.b)
    base = np.where(course.bulbar, als["ashworth_bulbar_base"], als["ashworth_spinal_base"])
    latent = base[:, None, None] + rng.normal(0, 0.6, (n, len(MAS_MUSCLES), 2))
    rate = als["ashworth_increase_per_year"] * rng.lognormal(0, 0.5, n)
    rows = assessed(cfg, course, "ashworth")
    subj = rows["subject"].to_numpy()
    years = (rows["date"].to_numpy().astype("datetime64[D]") - pop.consent[subj]).astype(np.int64) / 365.25
    k = len(MAS_MUSCLES)
    rep = np.repeat(np.arange(len(rows)), k)
    line = np.tile(np.arange(k), len(rows))
    lvl = latent[subj[rep], line] + (rate[subj] * years)[rep][:, None] + rng.normal(0, 0.3, (len(rep), 2))
    grade = np.clip(np.rint(lvl), 0, len(MAS_GRADES) - 1).astype(np.int64)
    out = rows.iloc[rep][["subject", "visit", "date"]].reset_index(drop=True)
    out["line"] = line + 1
    out["right"] = grade[:, 0]
    out["left"] = grade[:, 1]
    return out
