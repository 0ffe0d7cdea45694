"""Load a study folder (``study.yaml`` plus its mapping specs) or a study bundled with the package.

``--study`` accepts a path (``mappings/admsc-als``) or the name of a bundled study
(``admsc-als``), so the CLI works from any directory after ``pip install``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cerberus import Validator

from cdisc_als.errors import SpecError
from cdisc_als.resources import bundled_studies, data_dir

# The study file's own schema. Sections owned by a stage (raw generator, design) are checked in
# more detail by that stage; here we check what every stage relies on.
STUDY_SCHEMA: dict[str, Any] = {
    "studyid": {"type": "string", "required": True, "regex": r"^[A-Za-z0-9_-]{1,40}$"},
    "title": {"type": "string", "required": True},
    "sponsor": {"type": "string"},
    "protocol": {"type": "string"},
    "standards": {
        "type": "dict",
        "required": True,
        "schema": {
            "sdtm": {"type": "string", "required": True},
            "adam": {"type": "string"},
            "ct": {"type": "string", "required": True, "regex": r"^\d{4}-\d{2}-\d{2}$"},
            "define": {"type": "string"},
        },
    },
    "created": {"type": "string"},  # fixed timestamp for reproducible outputs
    # the study's own sponsor codelist files (specs/ct/sponsor format), relative to its folder
    "codelists": {"type": "list", "schema": {"type": "string"}},
    "raw": {"type": "dict", "allow_unknown": True},
    "design": {"type": "dict", "allow_unknown": True},
    "trial_summary": {"type": "list"},
    "define": {"type": "dict", "allow_unknown": True},
    "validation": {"type": "dict", "allow_unknown": True},
}


@dataclass
class Study:
    """A loaded study: its folder, the parsed ``study.yaml`` and the spec files per stage."""

    path: Path
    config: dict[str, Any]
    sdtm_specs: list[Path] = field(default_factory=list)
    adam_specs: list[Path] = field(default_factory=list)

    @property
    def studyid(self) -> str:
        return self.config["studyid"]

    @property
    def name(self) -> str:
        return self.path.name


def resolve_study(arg: str | Path) -> Path:
    """Return the folder of a study given a path or the name of a bundled study."""
    p = Path(arg)
    if (p / "study.yaml").is_file():
        return p.resolve()
    bundled = data_dir("mappings") / str(arg)
    if (bundled / "study.yaml").is_file():
        return bundled
    names = ", ".join(bundled_studies()) or "none"
    raise SpecError(
        arg, "", f"not a study folder (no study.yaml there) nor a bundled study (bundled: {names})"
    )


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning a syntax error into a SpecError with the line number."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise SpecError(path, "", f"cannot read: {exc.strerror}") from exc


def validate_schema(path: Path, document: Any, schema: dict[str, Any], allow_unknown: bool = False) -> None:
    """Check a parsed spec document with cerberus; raise SpecError listing every problem."""
    if not isinstance(document, dict):
        raise SpecError(path, "", "expected a mapping at the top level")
    v = Validator(schema, allow_unknown=allow_unknown)
    if not v.validate(document):
        raise SpecError(path, "", "; ".join(_flatten_errors(v.errors)))


def _flatten_errors(errors: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(errors, dict):
        for key, val in errors.items():
            out.extend(_flatten_errors(val, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, (dict, list)):
                out.extend(_flatten_errors(item, prefix))
            else:
                out.append(f"{prefix}: {item}")
    else:
        out.append(f"{prefix}: {errors}")
    return out


def load_study(arg: str | Path) -> Study:
    """Load and check ``study.yaml``; list the SDTM and ADaM spec files of the study."""
    folder = resolve_study(arg)
    cfg_path = folder / "study.yaml"
    config = read_yaml(cfg_path)
    validate_schema(cfg_path, config, STUDY_SCHEMA)
    return Study(
        path=folder,
        config=config,
        sdtm_specs=sorted((folder / "sdtm").glob("*.yaml")),
        adam_specs=sorted((folder / "adam").glob("*.yaml")),
    )
