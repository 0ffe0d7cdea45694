"""Load the generator's clinical parameters (``generator.yaml``) and its AE dictionary.

The numbers live in YAML beside the study (not in code) so that a reader of the data can see
what was simulated, and a variant of the data set is an edit of one file. The file is checked
with a cerberus schema first: a misspelt key is an error naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.errors import SpecError
from cdisc_als.study import Study, read_yaml, validate_schema

_NUM = {"type": "number"}
_RANGE = {"type": "list", "items": [{"type": "integer"}, {"type": "integer"}]}
_PROBS = {"type": "dict", "keysrules": {"type": "string"}, "valuesrules": {"type": "number", "min": 0}}


def _dict(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"type": "dict", "required": required, "schema": schema}


def _nums(*names: str) -> dict[str, Any]:
    return {n: {**_NUM, "required": True} for n in names}


GENERATOR_SCHEMA: dict[str, Any] = {
    "sites": {"type": "list", "required": True, "minlength": 1, "schema": {"type": "string"}},
    "country": {"type": "string", "required": True},
    "first_consent": {"type": "string", "required": True, "regex": r"^\d{4}-\d{2}-\d{2}$"},
    "enrollment_months": {**_NUM, "required": True, "min": 1},
    "screen_failure_ratio": {**_NUM, "required": True, "min": 0},
    "protocol_v2_from": {"type": "string", "required": True, "regex": r"^\d{4}-\d{2}-\d{2}$"},
    "treatments": {
        "type": "dict",
        "required": True,
        "valuesrules": _dict({"label": {"type": "string", "required": True}, "dose": {"type": "integer", "required": True}}),
    },
    "period1_arms": {"type": "list", "required": True, "minlength": 2, "schema": {"type": "string"}},
    "period2_arms": {"type": "list", "required": True, "minlength": 1, "schema": {"type": "string"}},
    "visits": {
        "type": "list",
        "required": True,
        "schema": _dict(
            {
                "folder": {"type": "string", "required": True},
                "name": {"type": "string", "required": True},
                "day": {"type": "integer", "required": True},
                "window": {"type": "integer", "min": 0},
                "forms": {"type": "list", "schema": {"type": "string", "allowed": ["alsfrs", "ashworth", "liposuction", "infusion"]}},
            }
        ),
    },
    "screening_days": {**_RANGE, "required": True},
    "liposuction_days": {**_RANGE, "required": True},
    "missed_visit_rate": {**_NUM, "required": True, "min": 0, "max": 1},
    "unscheduled_per_year": {**_NUM, "required": True, "min": 0},
    "demographics": _dict(
        {
            "age": _dict(_nums("mean", "sd", "min", "max")),
            "male": {**_NUM, "required": True},
            "race": {**_PROBS, "required": True},
            "race_other": {"type": "list", "required": True, "schema": {"type": "string"}},
            "ethnicity": {**_PROBS, "required": True},
            "birth_date_year_only": {**_NUM, "required": True},
            "birth_date_month_year": {**_NUM, "required": True},
            "weight_kg": _dict(_nums("male", "female", "sd")),
            "weight_loss_kg_per_month": {**_NUM, "required": True},
        }
    ),
    "als": _dict(
        {
            **_nums(
                "bulbar_onset", "familial", "onset_date_day_unknown", "onset_date_month_unknown",
                "riluzole_start_day_unknown", "bulbar_slope_factor", "measurement_sd",
                "gastrostomy_when_swallowing_at_most", "gastrostomy_probability",
                "tracheostomy_probability", "survival_after_tracheostomy_months",
                "background_death_per_year", "ashworth_spinal_base", "ashworth_bulbar_base",
                "ashworth_increase_per_year",
            ),
            "onset_months_before_consent": _dict(_nums("median", "sigma", "max")),
            "diagnosis_delay_months": _dict(_nums("min", "max")),
            "el_escorial": {**_PROBS, "required": True},
            "alsfrs_baseline": _dict(_nums("mean", "sd", "min", "max")),
            "slope_per_month": _dict(_nums("mean", "sd", "max")),
            "slope_multiplier": {**_PROBS, "required": True},
            "respiratory_failure_total": _dict(_nums("mean", "sd", "min", "max")),
            "niv_points_before_failure": {"type": "list", "required": True, "items": [_NUM, _NUM]},
            "pav_points_before_failure": {"type": "list", "required": True, "items": [_NUM, _NUM]},
        }
    ),
    "withdrawal": _dict(
        {
            "per_year": {**_NUM, "required": True},
            "continue_to_extension": {**_NUM, "required": True},
            "reasons": {**_PROBS, "required": True},
        }
    ),
    "adverse_events": _dict(
        {
            "dictionary": {"type": "string", "required": True},
            "dictionary_version": {"type": "string", "required": True},
            **_nums(
                "per_liposuction", "per_infusion", "disease_per_month", "general_per_month",
                "fatal_ae_for_death", "start_day_unknown", "start_month_unknown", "end_day_unknown",
                "start_time_recorded",
            ),
            "severity": {**_PROBS, "required": True},
        }
    ),
    "screen_failure_criteria": {
        "type": "list",
        "required": True,
        "minlength": 1,
        "schema": _dict(
            {
                "code": {"type": "string", "required": True},
                "cat": {"type": "string", "required": True, "allowed": ["INCLUSION", "EXCLUSION"]},
                "text": {"type": "string", "required": True},
                "weight": {**_NUM, "required": True, "min": 0},
            }
        ),
    },
    "defects": {"type": "boolean"},
}

AE_DICT_COLUMNS = [
    "category", "weight", "fatal_weight", "serious_prob", "llt", "llt_code", "pt", "pt_code",
    "hlt", "hlt_code", "hlgt", "hlgt_code", "soc", "soc_code", "verbatims",
]
AE_CATEGORIES = ("PROCEDURE", "INFUSION", "DISEASE", "GENERAL")


@dataclass
class GeneratorConfig:
    """The parsed parameters, the AE dictionary, and where they came from."""

    path: Path
    params: dict[str, Any]
    ae_dictionary: pd.DataFrame

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


def probs(mapping: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Values and normalized probabilities of a ``{value: weight}`` mapping."""
    values = np.array(list(mapping.keys()), dtype=object)
    p = np.array(list(mapping.values()), dtype=float)
    return values, p / p.sum()


def load_generator_config(study: Study) -> GeneratorConfig:
    """Read ``raw.generator`` of the study (relative to the study folder) and its AE dictionary."""
    raw = study.config.get("raw") or {}
    rel = raw.get("generator")
    if not rel:
        raise SpecError(study.path / "study.yaml", "raw.generator", "missing: path of the generator parameters")
    path = (study.path / rel).resolve()
    params = read_yaml(path)
    validate_schema(path, params, GENERATOR_SCHEMA)
    for key in ("period1_arms", "period2_arms"):
        unknown = [a for a in params[key] if a not in params["treatments"]]
        if unknown:
            raise SpecError(path, key, f"arms {unknown} are not in treatments")
    folders = [v["folder"] for v in params["visits"]]
    for needed in ("SCR", "LIPO", "D1"):
        if needed not in folders:
            raise SpecError(path, "visits", f"folder {needed!r} is required")
    dict_path = path.parent / params["adverse_events"]["dictionary"]
    if not dict_path.is_file():
        raise SpecError(path, "adverse_events.dictionary", f"file not found: {dict_path}")
    ae = pd.read_csv(dict_path, dtype=str, keep_default_na=False)
    missing = [c for c in AE_DICT_COLUMNS if c not in ae.columns]
    if missing:
        raise SpecError(dict_path, "", f"missing columns {missing}")
    bad = ~ae["category"].isin(AE_CATEGORIES)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise SpecError(dict_path, f"row {row}", f"category must be one of {AE_CATEGORIES}")
    for col in ("weight", "fatal_weight", "serious_prob"):
        ae[col] = pd.to_numeric(ae[col])
    return GeneratorConfig(path=path, params=params, ae_dictionary=ae)
