"""Who is in the study: subject ids, sites, consent and day-1 dates, demographics, ALS history,
and the period-1 randomization.

Everything is an array over subjects (no loop per subject). Randomized subjects come first in
the arrays, screen failures after them; ``Population.order`` is the export order.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc_als.synth.config import GeneratorConfig, probs
from cdisc_als.synth.textfmt import zero_pad

DAYS_PER_MONTH = 30.4375


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so that changing one form's generation
    does not shift the random numbers of the others."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))


def days(values: np.ndarray) -> np.ndarray:
    """Float or int day counts as ``timedelta64[D]`` (rounded)."""
    return np.rint(np.asarray(values, dtype=float)).astype(np.int64).astype("timedelta64[D]")


@dataclass
class Population:
    """Subject-level arrays. ``n`` screened subjects, the first ``n_rand`` randomized."""

    n: int
    n_rand: int
    site_index: np.ndarray
    siteid: np.ndarray
    subjid: np.ndarray
    subject_number: np.ndarray
    consent: np.ndarray  # datetime64[D], = screening visit date
    d1: np.ndarray  # datetime64[D], NaT for screen failures
    lipo: np.ndarray  # datetime64[D], NaT for screen failures
    arm1: np.ndarray  # period-1 treatment code, None for screen failures
    randno1_seq: np.ndarray  # order of randomization within site (1-based), 0 for screen failures
    sf_criterion: np.ndarray  # index into screen_failure_criteria, -1 for randomized
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def randomized(self) -> np.ndarray:
        return np.arange(self.n) < self.n_rand

    @property
    def order(self) -> np.ndarray:
        """Export order: by site then subject number."""
        return np.lexsort((self.subject_number, self.site_index))


def site_sizes(n_rand: int, n_sites: int, block: int) -> np.ndarray:
    """Randomized subjects per site: whole blocks dealt round-robin to the sites, so that
    permuted blocks within site give an exactly balanced allocation (40 -> 12, 12, 8, 8)."""
    n_blocks = -(-n_rand // block)
    per_site = np.full(n_sites, n_blocks // n_sites) + (np.arange(n_sites) < n_blocks % n_sites)
    sizes = per_site * block
    excess = n_blocks * block - n_rand
    if n_blocks:
        sizes[(n_blocks - 1) % n_sites] -= excess
    return sizes


def permuted_blocks(rng: np.random.Generator, n_blocks: int, arms: list[str]) -> np.ndarray:
    """``n_blocks`` consecutive random permutations of ``arms`` (flattened)."""
    k = len(arms)
    perm = np.argsort(rng.random((max(n_blocks, 0), k)), axis=1)
    return np.array(arms, dtype=object)[perm.ravel()]


def rank_within(groups: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """1-based rank of each element within its group, ordered by ``keys`` (last key primary
    after the group)."""
    order = np.lexsort((*keys, groups))
    g_sorted = groups[order]
    start = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    sizes = np.diff(np.r_[start, len(order)])
    rank_sorted = np.arange(len(order)) - np.repeat(start, sizes) + 1
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = rank_sorted
    return rank


def build_population(cfg: GeneratorConfig, n_rand: int, seed: int) -> Population:
    """Sites, ids, dates and the period-1 randomization of every screened subject."""
    rng = stream(seed, "population")
    sites = list(cfg["sites"])
    n_sites = len(sites)
    arms = list(cfg["period1_arms"])
    n_sf = int(round(n_rand * cfg["screen_failure_ratio"]))
    n = n_rand + n_sf

    sizes = site_sizes(n_rand, n_sites, len(arms))
    site_index = np.r_[np.repeat(np.arange(n_sites), sizes), rng.integers(0, n_sites, n_sf)]

    first = np.datetime64(cfg["first_consent"], "D")
    span = cfg["enrollment_months"] * DAYS_PER_MONTH
    consent = first + days(np.floor(rng.random(n) * span))
    tiebreak = rng.random(n)
    subject_number = rank_within(site_index, [tiebreak, consent.astype(np.int64)])
    width = max(3, len(str(int(subject_number.max(initial=1)))))
    site_arr = np.array(sites, dtype=object)
    siteid = site_arr[site_index]
    subjid = siteid + "-" + zero_pad(subject_number, width)

    lo, hi = cfg["screening_days"]
    scr_day = rng.integers(lo, hi + 1, n)
    d1 = consent - scr_day.astype("timedelta64[D]")
    lo, hi = cfg["liposuction_days"]
    lipo = d1 + rng.integers(lo, hi + 1, n).astype("timedelta64[D]")
    rand = np.arange(n) < n_rand
    d1 = np.where(rand, d1, np.datetime64("NaT"))
    lipo = np.where(rand, lipo, np.datetime64("NaT"))

    # Period-1 randomization: permuted blocks within site, in order of the day-1 date.
    seq = np.zeros(n, dtype=np.int64)
    arm1 = np.full(n, None, dtype=object)
    idx = np.flatnonzero(rand)
    seq[idx] = rank_within(site_index[idx], [subject_number[idx], d1[idx].astype(np.int64)])
    blocks_per_site = -(-sizes // len(arms))
    offsets = np.r_[0, np.cumsum(blocks_per_site)[:-1]] * len(arms)
    allocation = permuted_blocks(rng, int(blocks_per_site.sum()), arms)
    arm1[idx] = allocation[offsets[site_index[idx]] + seq[idx] - 1]

    crit = cfg["screen_failure_criteria"]
    w = np.array([c["weight"] for c in crit], dtype=float)
    sf_criterion = np.where(rand, -1, rng.choice(len(crit), size=n, p=w / w.sum()))

    return Population(
        n=n,
        n_rand=n_rand,
        site_index=site_index,
        siteid=siteid,
        subjid=subjid,
        subject_number=subject_number,
        consent=consent,
        d1=d1,
        lipo=lipo,
        arm1=arm1,
        randno1_seq=seq,
        sf_criterion=sf_criterion,
    )


def exact_age(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years between two datetime64[D] arrays."""
    from cdisc_als.synth.textfmt import ymd

    yb, mb, db = ymd(birth)
    yo, mo, do = ymd(on)
    return yo - yb - ((mo * 100 + do) < (mb * 100 + db))


def demographics(cfg: GeneratorConfig, pop: Population, seed: int) -> pd.DataFrame:
    """Subject-level demographic truth (full birth dates, sex, race, weight)."""
    rng = stream(seed, "demographics")
    p = cfg["demographics"]
    n = pop.n
    a = p["age"]
    age_target = np.clip(np.rint(rng.normal(a["mean"], a["sd"], n)), a["min"], a["max"] - 1)
    birth = pop.consent - days((age_target + rng.uniform(0.02, 0.98, n)) * 365.25)
    male = rng.random(n) < p["male"]
    races, rp = probs(p["race"])
    race = rng.choice(races, size=n, p=rp)
    race_other = np.where(race == "Other", rng.choice(np.array(p["race_other"], dtype=object), size=n), "")
    eth, ep = probs(p["ethnicity"])
    u = rng.random(n)
    w = p["weight_kg"]
    weight = np.where(male, w["male"], w["female"]) + rng.normal(0, w["sd"], n)
    return pd.DataFrame(
        {
            "birth": birth,
            "age": exact_age(birth, pop.consent),
            "male": male,
            "race": race,
            "race_other": race_other.astype(object),
            "ethnic": rng.choice(eth, size=n, p=ep),
            "birth_year_only": u < p["birth_date_year_only"],
            "birth_month_year": (u >= p["birth_date_year_only"])
            & (u < p["birth_date_year_only"] + p["birth_date_month_year"]),
            "weight": np.clip(weight, 40, 130),
        }
    )
