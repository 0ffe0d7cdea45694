"""Seeded synthetic raw EDC export of a study (``cdisc-als raw``).

Entry point: ``generate_raw(study, out, subjects=None, seed=None) -> {form: rows}``. The layout
of the files is the data dictionary ``mappings/<study>/raw/README.md``; the clinical numbers are
``raw.generator`` of study.yaml (``generator.yaml``). Same seed, same bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cdisc_als.errors import SpecError
from cdisc_als.study import Study
from cdisc_als.synth import forms as F
from cdisc_als.synth.adverse_events import draw_events
from cdisc_als.synth.config import GeneratorConfig, load_generator_config
from cdisc_als.synth.course import simulate_course
from cdisc_als.synth.defects import inject_defects
from cdisc_als.synth.population import build_population, demographics, stream
from cdisc_als.synth.progression import alsfrs_scores, ashworth_grades

__all__ = ["FORMS", "build_forms", "generate_raw", "write_forms"]

FORMS = [
    "demog", "consent", "als_history", "randomization", "liposuction", "infusion", "alsfrs",
    "ashworth", "ae", "resp_support", "disposition", "death", "visits",
]


def build_forms(cfg: GeneratorConfig, subjects: int, seed: int, timings: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Simulate the study and lay it out as one DataFrame (all text) per form.

    ``timings`` (optional) receives seconds per step: ``simulate`` (population, course, AEs)
    and one entry per form (benchmarks/bench_raw.py reports them).
    """
    t0 = time.perf_counter()
    pop = build_population(cfg, subjects, seed)
    dm = demographics(cfg, pop, seed)
    course = simulate_course(cfg, pop, seed)
    rand2 = F.second_randomization(cfg, pop, course, seed)
    inf = F.infusion_truth(cfg, pop, course, rand2, dm, seed)
    events = draw_events(cfg, pop, course, inf, seed)
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "demog": lambda: F.demog(cfg, pop, dm),
        "consent": lambda: F.consent(cfg, pop),
        "als_history": lambda: F.als_history(cfg, pop, course, seed),
        "randomization": lambda: F.randomization(cfg, pop, inf),
        "liposuction": lambda: F.liposuction(pop, seed),
        "infusion": lambda: F.infusion(cfg, pop, inf),
        "alsfrs": lambda: F.alsfrs(cfg, pop, alsfrs_scores(cfg, pop, course, seed)),
        "ashworth": lambda: F.ashworth(cfg, pop, ashworth_grades(cfg, pop, course, seed)),
        "ae": lambda: F.adverse_events(cfg, pop, events),
        "resp_support": lambda: F.resp_support(pop, course),
        "disposition": lambda: F.disposition(cfg, pop, course, seed),
        "death": lambda: F.death(cfg, pop, course, events, seed),
        "visits": lambda: F.visits(cfg, pop, course, seed),
    }
    timings = {} if timings is None else timings
    timings["simulate"] = time.perf_counter() - t0
    forms: dict[str, pd.DataFrame] = {}
    for name in FORMS:  # loop over forms
        t = time.perf_counter()
        forms[name] = builders[name]()
        timings[name] = time.perf_counter() - t
    return forms


def write_forms(forms: dict[str, pd.DataFrame], out: Path, timings: dict[str, float] | None = None) -> dict[str, int]:
    """Write ``<form>.csv`` files (UTF-8, ``\\n`` line ends); return rows per form."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, frame in forms.items():
        t = time.perf_counter()
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        counts[name] = len(frame)
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
    return counts


def generate_raw(
    study: Study,
    out: Path,
    subjects: int | None = None,
    seed: int | None = None,
    *,
    defects: bool | None = None,
) -> dict[str, int]:
    """Write one CSV per form into ``out``; return rows written per form.

    ``subjects`` (randomized subjects) and ``seed`` default to ``raw.subjects`` / ``raw.seed``
    of study.yaml; ``defects`` to ``defects`` of generator.yaml (normally false).
    """
    raw = study.config.get("raw") or {}
    subjects = int(subjects if subjects is not None else raw.get("subjects", 40))
    seed = int(seed if seed is not None else raw.get("seed", 0))
    if subjects < 1:
        raise SpecError(study.path / "study.yaml", "raw.subjects", f"must be at least 1, got {subjects}")
    cfg = load_generator_config(study)
    if defects is None:
        defects = bool(cfg.params.get("defects", raw.get("defects", False)))
    forms = build_forms(cfg, subjects, seed)
    out = Path(out)
    defect_list = inject_defects(forms, stream(seed, "defects")) if defects else None
    counts = write_forms(forms, out)
    stale = out / "_defects.csv"
    if defect_list is not None:
        defect_list.to_csv(stale, index=False, lineterminator="\n")
    elif stale.exists():
        stale.unlink()
    return counts
