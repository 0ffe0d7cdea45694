"""ADaM spec files: one YAML per dataset, checked with cerberus before any data is touched.

A spec says *what* to derive, in order, by naming registered operations (admiral's derive_*
vocabulary), and which variables the dataset keeps, in which order, with which metadata::

    dataset: ADSL
    label: Subject-Level Analysis Dataset
    class: SUBJECT LEVEL ANALYSIS DATASET
    structure: One record per subject
    keys: [STUDYID, USUBJID]
    from: DM                        # or {dataset: DM, filter: 'ARMCD != "SCRNFAIL"'}
    work:                           # helper datasets used only by this spec
      EX_EXT:
        from: EX
        derivations:
          - derive_vars_dtm: {dtc: EXSTDTC, new_vars_prefix: EXST}
    derivations:
      - derive_vars_merged: {dataset: EX_EXT, by: [STUDYID, USUBJID], ...}
        method: First exposure date/time (valid doses only)
    variables:                      # output order; attributes override the standard's
      - STUDYID
      - TRTSDT: {label: Date of First Exposure to Treatment, method: ...}

Every problem names the spec file and the key path (``derivations[3].derive_vars_merged.by``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cerberus import Validator

from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import REGISTRY, get_operation
from cdisc_als.study import _flatten_errors, read_yaml

STEP_EXTRA_KEYS = ("method", "comment")

FROM_SCHEMA: dict[str, Any] = {
    "anyof": [
        {"type": "string"},
        {
            "type": "dict",
            "schema": {
                "dataset": {"type": "string", "required": True},
                "filter": {"type": "string"},
                # records the filter leaves out: one log entry each, or one entry with the count
                "log": {"type": "string", "allowed": ["records", "summary"]},
            },
        },
    ],
    "required": True,
}

VAR_ATTRS = {
    "label": {"type": "string", "maxlength": 40},
    "type": {"type": "string", "allowed": ["Char", "Num"]},
    "length": {"type": "integer", "min": 1, "max": 200},
    "format": {"type": "string"},
    "datatype": {"type": "string"},
    "origin": {"type": "string"},
    "source": {"type": "string"},
    "method": {"type": "string"},
    "comment": {"type": "string"},
    "codelist": {"type": "string"},
    "significant_digits": {"type": "integer"},
}

SPEC_SCHEMA: dict[str, Any] = {
    "dataset": {"type": "string", "required": True, "regex": r"^[A-Z][A-Z0-9]{0,7}$"},
    "label": {"type": "string", "maxlength": 40},
    "class": {"type": "string"},
    "structure": {"type": "string"},
    "keys": {"type": "list", "schema": {"type": "string"}},
    "description": {"type": "string"},
    "from": FROM_SCHEMA,
    "work": {
        "type": "dict",
        "keysrules": {"type": "string", "regex": r"^[A-Z][A-Z0-9_]*$"},
        "valuesrules": {
            "type": "dict",
            "schema": {
                "from": FROM_SCHEMA,
                "derivations": {"type": "list", "schema": {"type": "dict"}},
            },
        },
    },
    "derivations": {"type": "list", "required": True, "schema": {"type": "dict"}},
    "variables": {
        "type": "list",
        "schema": {
            "anyof": [
                {"type": "string", "regex": r"^[A-Z][A-Z0-9_]{0,7}$"},
                {
                    "type": "dict",
                    "minlength": 1,
                    "maxlength": 1,
                    "keysrules": {"type": "string", "regex": r"^[A-Z][A-Z0-9_]{0,7}$"},
                    "valuesrules": {"type": "dict", "schema": VAR_ATTRS},
                },
            ]
        },
    },
}


@dataclass
class Step:
    """One derivation: operation name, its checked argument, and where it sits in the spec."""

    op: str
    arg: Any
    where: str
    method: str | None = None


@dataclass
class AdamSpec:
    """A loaded, checked ADaM spec."""

    path: Path
    dataset: str
    source: str
    source_filter: str | None
    steps: list[Step]
    work: dict[str, tuple[str, str | None, list[Step]]] = field(default_factory=dict)
    variables: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    label: str = ""
    cls: str | None = None
    structure: str | None = None
    keys: list[str] = field(default_factory=list)
    log_excluded: str = "records"

    def dependencies(self) -> set[str]:
        """Names of every dataset this spec reads (its source, work sources, op ``dataset`` args)."""
        deps = {self.source}
        for src, _, steps in self.work.values():
            deps.add(src)
            deps |= _step_datasets(steps)
        deps |= _step_datasets(self.steps)
        return {d.upper() for d in deps} - {w.upper() for w in self.work}


def _step_datasets(steps: list[Step]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("dataset", "dataset_adsl") and isinstance(v, str):
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for s in steps:
        walk(s.arg)
    return found


def _parse_from(value: Any) -> tuple[str, str | None]:
    if isinstance(value, str):
        return value.upper(), None
    return value["dataset"].upper(), value.get("filter")


def _parse_steps(path: Path, raw: list[Any], prefix: str) -> list[Step]:
    from cdisc_als.adam.expr import check_expression

    steps: list[Step] = []
    for i, item in enumerate(raw):
        where = f"{prefix}[{i}]"
        ops = [k for k in item if k not in STEP_EXTRA_KEYS]
        if len(ops) != 1:
            raise SpecError(path, where, f"a derivation needs exactly one operation, found {ops or 'none'}")
        name = ops[0]
        op = get_operation(name, path, where)
        if op.kind != "dataset":
            raise SpecError(path, where, f"operation {name!r} computes one SDTM variable; ADaM derivations need a dataset operation")
        v = Validator({"arg": op.schema})
        if not v.validate({"arg": item[name]}):
            raise SpecError(path, f"{where}.{name}", "; ".join(_flatten_errors(v.errors.get("arg", v.errors))))
        # derive_vars_period's new_vars are name templates (TRT{xx}A), not expressions
        arg = {k: v for k, v in item[name].items() if k != "new_vars"} if name == "derive_vars_period" else item[name]
        exprs = list(_expressions(arg, in_map=name == "derive_vars_computed"))
        for key, expr in exprs:
            check_expression(expr, str(path), f"{where}.{name}.{key}")
        steps.append(Step(name, v.document["arg"], f"{where}.{name}", item.get("method")))
    return steps


EXPRESSION_KEYS = ("filter", "condition", "filter_add", "filter_join", "where", "date", "x", "start_date", "visit_date")
EXPRESSION_MAPS = ("set_values_to", "new_vars", "missing_values")


def _expressions(arg: Any, prefix: str = "", in_map: bool = False):
    """(key path, text) of the arguments that hold expressions, for an early syntax check."""
    if isinstance(arg, dict):
        for k, v in arg.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, str) and (in_map or k in EXPRESSION_KEYS):
                yield path, v
            elif not isinstance(v, str):
                yield from _expressions(v, path, k in EXPRESSION_MAPS)
    elif isinstance(arg, list):
        for i, v in enumerate(arg):
            yield from _expressions(v, f"{prefix}[{i}]")


def load_spec(path: str | Path) -> AdamSpec:
    """Read and check one ADaM spec file; raise SpecError naming the file and key on any problem."""
    import cdisc_als.adam.ops  # noqa: F401  (registers the derivation operations)

    path = Path(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise SpecError(path, "", "expected a mapping at the top level")
    v = Validator(SPEC_SCHEMA)
    if not v.validate(doc):
        raise SpecError(path, "", "; ".join(_flatten_errors(v.errors)))
    source, source_filter = _parse_from(doc["from"])
    work: dict[str, tuple[str, str | None, list[Step]]] = {}
    for name, wdef in (doc.get("work") or {}).items():
        wsrc, wfilter = _parse_from(wdef["from"])
        work[name.upper()] = (wsrc, wfilter, _parse_steps(path, wdef.get("derivations") or [], f"work.{name}.derivations"))
    variables: list[tuple[str, dict[str, Any]]] = []
    for item in doc.get("variables") or []:
        if isinstance(item, str):
            variables.append((item, {}))
        else:
            (name, attrs), = item.items()
            variables.append((name, attrs or {}))
    names = [n for n, _ in variables]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecError(path, "variables", f"listed more than once: {', '.join(dupes)}")
    return AdamSpec(
        path=path,
        dataset=doc["dataset"],
        source=source,
        source_filter=source_filter,
        steps=_parse_steps(path, doc["derivations"], "derivations"),
        work=work,
        variables=variables,
        label=doc.get("label", ""),
        cls=doc.get("class"),
        structure=doc.get("structure"),
        keys=list(doc.get("keys") or []),
        log_excluded=(doc["from"].get("log") if isinstance(doc["from"], dict) else None) or "records",
    )


def known_operations() -> list[str]:
    """Names of every registered dataset operation (what an ADaM spec may call)."""
    import cdisc_als.adam.ops  # noqa: F401

    return sorted(n for n, op in REGISTRY.items() if op.kind == "dataset")
