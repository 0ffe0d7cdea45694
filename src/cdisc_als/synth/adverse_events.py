"""Adverse events: procedure-related ones after liposuction, infusion reactions, ALS-related and
intercurrent events over follow-up, and fatal events for part of the deaths.

Events are drawn per source (Poisson counts per subject, ``np.repeat`` to rows) and coded from
the synthetic dictionary (``ae_dictionary.csv``), so every code combination in ae.csv is a row of
that file. Dates stay within the subject's time on study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_als.synth.config import GeneratorConfig, probs
from cdisc_als.synth.course import Course
from cdisc_als.synth.population import DAYS_PER_MONTH, Population, days, stream

RELATED_SCALE = np.array(["NOT RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "RELATED"], dtype=object)
# Relationship (to the cells, to the liposuction) by source: probabilities over RELATED_SCALE.
REL_CELLS = {
    "PROCEDURE": [1, 0, 0, 0, 0],
    "INFUSION": [0, 0.3, 0.45, 0.25, 0],
    "DISEASE": [0.7, 0.25, 0.05, 0, 0],
    "GENERAL": [0.8, 0.2, 0, 0, 0],
    "FATAL": [0.85, 0.15, 0, 0, 0],
}
REL_PROC = {
    "PROCEDURE": [0, 0, 0.25, 0.35, 0.4],
    "INFUSION": [0.85, 0.15, 0, 0, 0],
    "DISEASE": [1, 0, 0, 0, 0],
    "GENERAL": [1, 0, 0, 0, 0],
    "FATAL": [1, 0, 0, 0, 0],
}
# Duration in days: (low, high) uniform, or lognormal median for chronic ALS symptoms.
DURATION = {"PROCEDURE": (2, 21), "INFUSION": (1, 3), "GENERAL": (3, 14)}


def _pick_terms(rng: np.random.Generator, ae: pd.DataFrame, category: str, n: int, weight: str = "weight") -> np.ndarray:
    pool = ae.index[(ae["category"] == category) & (ae[weight] > 0)] if category else ae.index[ae[weight] > 0]
    w = ae.loc[pool, weight].to_numpy(dtype=float)
    return rng.choice(pool.to_numpy(), size=n, p=w / w.sum())


def _events(subject: np.ndarray, start: np.ndarray, term: np.ndarray, source: str) -> pd.DataFrame:
    return pd.DataFrame({"subject": subject, "start": start, "term": term, "source": source})


def draw_events(cfg: GeneratorConfig, pop: Population, course: Course, infusions: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per adverse event with its truth (subject, dates, term index, attributes)."""
    rng = stream(seed, "adverse_events")
    p = cfg["adverse_events"]
    ae = cfg.ae_dictionary
    n = pop.n_rand
    last = course.last_contact

    frames = []
    # Liposuction: within a few days of the procedure (always before day 1).
    k = rng.poisson(p["per_liposuction"], n)
    s = np.repeat(np.arange(n), k)
    frames.append(_events(s, pop.lipo[s] + rng.integers(0, 4, len(s)).astype("timedelta64[D]"), _pick_terms(rng, ae, "PROCEDURE", len(s)), "PROCEDURE"))
    # Infusion reactions: within 3 days of each infusion.
    k = rng.poisson(p["per_infusion"], len(infusions))
    s = np.repeat(infusions["subject"].to_numpy(), k)
    day = np.repeat(infusions["date"].to_numpy().astype("datetime64[D]"), k)
    frames.append(_events(s, day + rng.integers(0, 3, len(s)).astype("timedelta64[D]"), _pick_terms(rng, ae, "INFUSION", len(s)), "INFUSION"))
    # ALS-related and intercurrent events: uniform over the time on study after day 1.
    months = np.maximum((last - pop.d1[:n]).astype(np.int64), 0) / DAYS_PER_MONTH
    for cat, rate in (("DISEASE", p["disease_per_month"]), ("GENERAL", p["general_per_month"])):
        k = rng.poisson(rate * months)
        s = np.repeat(np.arange(n), k)
        span = (last[s] - pop.d1[s]).astype(np.int64)
        frames.append(_events(s, pop.d1[s] + days(np.floor(rng.random(len(s)) * (span + 1))), _pick_terms(rng, ae, cat, len(s)), cat))
    # Fatal events for part of the deaths from ALS progression.
    dead = np.flatnonzero(~np.isnat(course.death) & (course.death_cause == "ALS PROGRESSION"))
    fatal = dead[rng.random(len(dead)) < p["fatal_ae_for_death"]]
    back = np.minimum(rng.integers(0, 11, len(fatal)), (course.death[fatal] - pop.d1[fatal]).astype(np.int64) - 1)
    frames.append(_events(fatal, course.death[fatal] - back.astype("timedelta64[D]"), _pick_terms(rng, ae, "", len(fatal), "fatal_weight"), "FATAL"))

    ev = pd.concat(frames, ignore_index=True)
    ev["start"] = np.minimum(ev["start"].to_numpy().astype("datetime64[D]"), last[ev["subject"].to_numpy()])
    # The same term starting the same day twice would be one event on a real CRF; a fatal
    # event replaces a non-fatal draw of its term on the same day.
    ev = ev.sort_values("source", key=lambda s: s != "FATAL", kind="stable")
    ev = ev.drop_duplicates(["subject", "term", "start"]).reset_index(drop=True)
    m = len(ev)
    src = ev["source"].to_numpy()
    is_fatal = src == "FATAL"

    dur = np.zeros(m, dtype=np.int64)
    for cat, (lo, hi) in DURATION.items():
        sel = src == cat
        dur[sel] = rng.integers(lo, hi + 1, sel.sum())
    sel = src == "DISEASE"
    dur[sel] = np.rint(rng.lognormal(np.log(60), 0.8, sel.sum())).astype(np.int64)
    start = ev["start"].to_numpy().astype("datetime64[D]")
    end = start + dur.astype("timedelta64[D]")
    subj = ev["subject"].to_numpy()
    last_s = last[subj]
    death_s = course.death[subj]
    end = np.where(is_fatal, death_s, end)
    ongoing = ~is_fatal & (end > last_s)
    # An event still going on at death did not resolve: ongoing, not ended on the death date.
    ev["end"] = np.where(ongoing, np.datetime64("NaT"), end)
    ev["ongoing"] = ongoing

    serious_p = ae.loc[ev["term"], "serious_prob"].to_numpy(dtype=float)
    serious = is_fatal | (rng.random(m) < serious_p)
    ev["serious"] = serious
    sev_values, sev_p = probs(p["severity"])
    sev = rng.choice(sev_values, size=m, p=sev_p)
    sev = np.where(serious & (sev == "MILD"), "MODERATE", sev)
    # Procedure, infusion and intercurrent events are rarely severe unless serious.
    sev = np.where(~serious & (src != "DISEASE") & (sev == "SEVERE"), "MODERATE", sev)
    ev["severity"] = np.where(is_fatal, "SEVERE", sev)
    u = rng.random((m, 3))
    ev["sdth"] = is_fatal
    ev["slife"] = serious & (is_fatal | (u[:, 0] < 0.15))
    ev["shosp"] = serious & ~is_fatal & (u[:, 1] < 0.85)
    ev["smie"] = serious & ~(ev["sdth"] | ev["slife"] | ev["shosp"])
    for name, table in (("rel_cells", REL_CELLS), ("rel_proc", REL_PROC)):
        rel = np.empty(m, dtype=object)
        for cat, pr in table.items():
            sel = src == cat
            rel[sel] = rng.choice(RELATED_SCALE, size=sel.sum(), p=np.array(pr) / np.sum(pr))
        ev[name] = rel
    # Placebo infusion reactions are judged blind: same scale. Before day 1 nothing relates to
    # the cells (none given yet).
    ev.loc[start < pop.d1[subj], "rel_cells"] = "NOT RELATED"
    inf_key = infusions["subject"].to_numpy().astype(np.int64) * 100_000 + infusions["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    infusion_days = pd.Index(inf_key)
    on_inf = infusion_days.get_indexer(subj.astype(np.int64) * 100_000 + start.astype(np.int64)) >= 0
    ev["action"] = np.where(on_inf, "DOSE NOT CHANGED", "NOT APPLICABLE")
    ev["contrt"] = np.where(rng.random(m) < np.where(serious, 0.9, 0.5), "Y", "N")
    withdrawn = pd.isna(course.death[subj]) & pd.notna(course.withdrawal_reason[subj])
    out = np.where(rng.random(m) < 0.97, "RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE").astype(object)
    out[ongoing] = np.where(rng.random(ongoing.sum()) < 0.25, "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED")
    out[ongoing & withdrawn] = "UNKNOWN"
    out[ongoing & ~np.isnat(death_s)] = "NOT RECOVERED/NOT RESOLVED"
    out[is_fatal] = "FATAL"
    ev["outcome"] = out
    ev["verbatim_u"] = rng.random(m)
    partial = rng.random((m, 3))
    ev["start_day_unk"] = ~is_fatal & (partial[:, 0] < p["start_day_unknown"] + p["start_month_unknown"])
    ev["start_month_unk"] = ~is_fatal & (partial[:, 0] < p["start_month_unknown"])
    ev["end_day_unk"] = ~is_fatal & (partial[:, 1] < p["end_day_unknown"])
    timed = np.isin(src, ["PROCEDURE", "INFUSION"]) & (partial[:, 2] < p["start_time_recorded"])
    ev["start_time"] = np.where(timed, rng.integers(14 * 60, 22 * 60, m), -1)
    ev = ev.sort_values(["subject", "start", "source", "term"], kind="stable").reset_index(drop=True)
    ev["line"] = ev.groupby("subject").cumcount() + 1
    return ev
