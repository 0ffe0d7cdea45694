"""Seeded synthetic raw EDC export of a study (``cdisc-als raw``).

Entry point: ``generate_raw(study, out, subjects=None, seed=None) -> {form: rows}``. The layout
of the files is the data dictionary ``mappings/<study>/raw/README.md``; the clinical numbers are
``raw.generator`` of study.yaml (``generator.yaml``). Same seed, same bytes.
"""

from __future__ import annotations

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

__all__ = ["FORMS", "build_forms", "generate_raw"]

FORMS = [
    "demog", "consent", "als_history", "randomization", "liposuction", "infusion", "alsfrs",
    "ashworth", "ae", "resp_support", "disposition", "death", "visits",
]


def build_forms(cfg: GeneratorConfig, subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """Simulate the study and lay it out as one DataFrame (all text) per form."""
    pop = build_population(cfg, subjects, seed)
    dm = demographics(cfg, pop, seed)
    course = simulate_course(cfg, pop, seed)
    rand2 = F.second_randomization(cfg, pop, course, seed)
    inf = F.infusion_truth(cfg, pop, course, rand2, dm, seed)
    events = draw_events(cfg, pop, course, inf, seed)
    forms = {
        "demog": F.demog(cfg, pop, dm),
        "consent": F.consent(cfg, pop),
        "als_history": F.als_history(cfg, pop, course, seed),
        "randomization": F.randomization(cfg, pop, inf),
        "liposuction": F.liposuction(pop, seed),
        "infusion": F.infusion(cfg, pop, inf),
        "alsfrs": F.alsfrs(cfg, pop, alsfrs_scores(cfg, pop, course, seed)),
        "ashworth": F.ashworth(cfg, pop, ashworth_grades(cfg, pop, course, seed)),
        "ae": F.adverse_events(cfg, pop, events),
        "resp_support": F.resp_support(pop, course),
        "disposition": F.disposition(cfg, pop, course, seed),
        "death": F.death(cfg, pop, course, events, seed),
        "visits": F.visits(cfg, pop, course, seed),
    }
    return {name: forms[name] for name in FORMS}


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
    out.mkdir(parents=True, exist_ok=True)
    defect_list = inject_defects(forms, stream(seed, "defects")) if defects else None
    counts: dict[str, int] = {}
    for name, frame in forms.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        counts[name] = len(frame)
    stale = out / "_defects.csv"
    if defect_list is not None:
        defect_list.to_csv(stale, index=False, lineterminator="\n")
    elif stale.exists():
        stale.unlink()
    return counts
