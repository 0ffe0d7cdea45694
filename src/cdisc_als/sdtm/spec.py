"""Mapping specs: the YAML schema, the loader and the checker (run before any data is read).

One YAML file per target dataset in ``<study>/sdtm/*.yaml``; see docs/spec-language.md. The check
is two-level: the top-level cerberus schema below, then each operation's own argument schema from
the registry. Target variables must exist in the standard's metadata for the domain (names
starting with ``_`` are temporary helpers and never output). Errors name the file, the key path
and, where the YAML parser knows it, the line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cerberus import Validator

import cdisc_als.ops  # noqa: F401  (registers the vocabulary)
from cdisc_als.errors import SpecError
from cdisc_als.ops.registry import REGISTRY, get_operation
from cdisc_als.sdtm.origins import META_KEYS, META_SCHEMA, normalize_origin
from cdisc_als.study import _flatten_errors, read_yaml

_SOURCE = {"anyof": [{"type": "string", "empty": False}, {"type": "dict", "schema": {
    "table": {"type": "string", "empty": False},
    "dataset": {"type": "string", "empty": False},
    "rename": {"type": "dict", "valuesrules": {"type": "string"}},
}}]}

SPEC_SCHEMA: dict[str, Any] = {
    "domain": {"type": "string", "required": True, "regex": r"^[A-Z][A-Z0-9]{1,7}$"},
    "description": {"type": "string"},
    "from": {"anyof": [_SOURCE, {"type": "list", "minlength": 1, "schema": _SOURCE}]},
    "depends_on": {"type": "list", "schema": {"type": "string", "regex": r"^[A-Z][A-Z0-9]{1,7}$"}},
    "require_subject_in": {"type": "string", "regex": r"^[A-Z][A-Z0-9]{1,7}$"},
    "steps": {"type": "list", "schema": {"type": "dict", "minlength": 1, "maxlength": 1}},
    "variables": {"type": "dict", "minlength": 1,
                  "keysrules": {"type": "string", "regex": r"^_?[A-Za-z][A-Za-z0-9_]*$"},
                  "valuesrules": {"type": ["dict", "list"]}},
    "supp": {"type": "dict", "schema": {
        "idvar": {"type": "string", "nullable": True},
        "qorig": {"type": "string"},
        "qeval": {"type": "string"},
        "variables": {"type": "dict", "required": True, "minlength": 1,
                      "keysrules": {"type": "string", "regex": r"^[A-Z][A-Z0-9_]{0,7}$"},
                      "valuesrules": {"type": "dict", "schema": {
                          "label": {"type": "string", "required": True, "maxlength": 40},
                          "value": {"required": True, "type": ["string", "dict"]},
                          "origin": {"type": "string"},
                          "eval": {"type": "string"},
                          "source": {"type": "string"},
                          "crf": META_SCHEMA["crf"],
                          "method": META_SCHEMA["method"],
                      }}},
    }},
    "sort": {"type": "list", "schema": {"type": "string"}},
    # variables of the SDTM model's general observation class that the IG's domain table does not
    # list (e.g. AEDTC, VISITNUM in EX): allowed by SDTMIG §2.7 when declared explicitly
    "additional_variables": {"type": "dict", "keysrules": {"type": "string", "regex": r"^[A-Z][A-Z0-9]{0,7}$"},
                             "valuesrules": {"type": "dict", "schema": {
                                 "label": {"type": "string", "required": True, "maxlength": 40},
                                 "type": {"type": "string", "allowed": ["Char", "Num"], "required": True},
                                 "after": {"type": "string"},
                                 "core": {"type": "string", "allowed": ["Exp", "Perm"]},
                                 "role": {"type": "string"},
                                 "codelist": {"type": "string"},
                             }}},
}
# dataset-level operations may also be written at the top level (run in the order written)
STEP_KEYS = ("filter", "transpose", "join", "union", "reject_duplicates")
for _k in STEP_KEYS:
    SPEC_SCHEMA[_k] = {"type": ["dict", "list"]}


@dataclass
class Spec:
    """A checked mapping spec."""

    path: Path
    domain: str
    sources: list[dict[str, Any]]
    steps: list[tuple[str, Any, str]]  # (op name, arg, key path)
    variables: list[tuple[str, list[dict[str, Any]]]]  # (target, entries)
    depends_on: list[str] = field(default_factory=list)
    require_subject_in: str | None = None
    supp: dict[str, Any] | None = None
    sort: list[str] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    additional: dict[str, dict[str, Any]] = field(default_factory=dict)

    def meta(self, standard: Any) -> Any:
        """The standard's metadata of the domain plus the spec's declared additional variables."""
        return with_additional(standard.dataset(self.domain), self.additional)


def with_additional(meta: Any, additional: dict[str, dict[str, Any]]) -> Any:
    """``meta`` with extra model variables inserted after their ``after`` variable (or at the end)."""
    if not additional:
        return meta
    from dataclasses import replace

    from cdisc_als.dataset import Variable

    variables = list(meta.variables)
    for name, item in additional.items():
        var = Variable(name, item["label"], item["type"], core=item.get("core", "Perm"),
                       role=item.get("role"), codelist=item.get("codelist"))
        names = [v.name for v in variables]
        pos = names.index(item["after"]) + 1 if item.get("after") in names else len(variables)
        variables.insert(pos, var)
    return replace(meta, variables=tuple(variables))


def _lines(path: Path) -> dict[str, int]:
    """key path -> 1-based line number, from the YAML node tree (for error messages)."""
    out: dict[str, int] = {}
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError):
        return out

    def walk(n: Any, prefix: str) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                p = f"{prefix}.{k.value}" if prefix else str(k.value)
                out[p] = k.start_mark.line + 1
                walk(v, p)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                p = f"{prefix}[{i}]"
                out[p] = v.start_mark.line + 1
                walk(v, p)

    walk(node, "")
    return out


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.lines = _lines(path)

    def error(self, where: str, message: str) -> SpecError:
        line = self.lines.get(where)
        if line is None:
            base = where.split(".")
            while base and ".".join(base) not in self.lines:
                base = base[:-1]
            line = self.lines.get(".".join(base))
        return SpecError(self.path, f"{where} (line {line})" if line else where, message)

    def op(self, name: str, arg: Any, where: str, kind: str) -> None:
        try:
            op = get_operation(name, self.path, where)
        except SpecError as exc:
            raise self.error(where, exc.message) from None
        if op.kind != kind:
            raise self.error(where, f"{name!r} is a {op.kind} operation; it cannot be used here")
        v = _arg_validator(name)
        if not v.validate({"arg": arg}):
            msgs = "; ".join(m.replace("arg: ", "", 1).replace("arg.", "", 1) for m in _flatten_errors(v.errors))
            raise self.error(where, f"bad argument for {name}: {msgs}")


_VALIDATORS: dict[str, Validator] = {}


def _arg_validator(name: str) -> Validator:
    """One compiled cerberus validator per operation (compiling a schema is the slow part)."""
    if name not in _VALIDATORS:
        schema = REGISTRY[name].schema
        _VALIDATORS[name] = Validator({"arg": {**schema, "nullable": schema.get("nullable", False)}})
    return _VALIDATORS[name]


def _entry_op(entry: dict[str, Any], checker: _Checker, where: str) -> tuple[str, Any]:
    names = [k for k in entry if k != "where" and k not in META_KEYS]
    if len(names) != 1:
        raise checker.error(where, f"expected exactly one operation (plus optional where), got {names or 'none'}")
    return names[0], entry[names[0]]


def load_spec(path: str | Path, standard: Any = None) -> Spec:
    """Read and check one spec file; ``standard`` (a ``Standard``) enables the target-name check."""
    path = Path(path)
    doc = read_yaml(path)
    checker = _Checker(path)
    if not isinstance(doc, dict):
        raise SpecError(path, "", "expected a mapping at the top level")
    v = Validator(SPEC_SCHEMA)
    if not v.validate(doc):
        problems = _flatten_errors(v.errors)
        first = problems[0].split(":", 1)[0]
        raise checker.error(first, "; ".join(problems))
    domain = doc["domain"]
    src = doc.get("from", [])
    src = src if isinstance(src, list) else [src]
    sources = [{"table": s} if isinstance(s, str) else dict(s) for s in src]
    for i, s in enumerate(sources):
        if bool(s.get("table")) == bool(s.get("dataset")):
            raise checker.error(f"from[{i}]" if isinstance(doc["from"], list) else "from", "give either table or dataset")
    steps: list[tuple[str, Any, str]] = []
    for key in doc:
        if key in STEP_KEYS:
            items = doc[key] if isinstance(doc[key], list) else [doc[key]]
            for i, item in enumerate(items):
                where = key if not isinstance(doc[key], list) else f"{key}[{i}]"
                checker.op(key, item, where, "dataset")
                steps.append((key, item, where))
        elif key == "steps":
            for i, item in enumerate(doc["steps"]):
                (name, arg), = item.items()
                where = f"steps[{i}].{name}"
                checker.op(name, arg, where, "dataset")
                steps.append((name, arg, where))
    meta = None
    if standard is not None:
        try:
            meta = standard.dataset(domain)
        except KeyError:
            raise checker.error("domain", f"{domain} is not a dataset of {standard.name}") from None
    additional = doc.get("additional_variables") or {}
    if meta is not None:
        clash = [a for a in additional if meta.variable(a) is not None]
        if clash:
            raise checker.error("additional_variables", f"{clash} are already variables of {domain}")
        names = {v.name for v in meta.variables}
        for a, item in additional.items():
            if item.get("after") and item["after"] not in names and item["after"] not in additional:
                raise checker.error(f"additional_variables.{a}.after", f"{item['after']} is not a variable of {domain}")
    known = ({v.name for v in meta.variables} | set(additional)) if meta is not None else None
    variables: list[tuple[str, list[dict[str, Any]]]] = []
    if not doc.get("variables") and not steps:
        raise checker.error("variables", "a spec needs variables (or a dataset step that builds the dataset)")
    for target, value in (doc.get("variables") or {}).items():
        where = f"variables.{target}"
        if known is not None and not target.startswith("_") and target not in known:
            close = difflib.get_close_matches(target, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise checker.error(
                where,
                f"{target} is not a variable of {domain} in {standard.name}{hint} "
                "(non-standard values go under supp:, helpers start with _)",
            )
        entries = value if isinstance(value, list) else [value]
        for i, entry in enumerate(entries):
            ew = where if not isinstance(value, list) else f"{where}[{i}]"
            if not isinstance(entry, dict):
                raise checker.error(ew, "expected {operation: argument}")
            name, arg = _entry_op(entry, checker, ew)
            checker.op(name, arg, f"{ew}.{name}", "variable")
            if "where" in entry and not isinstance(entry["where"], str):
                raise checker.error(f"{ew}.where", "where must be an expression string")
            if "where" in entry:
                _check_expr(entry["where"], checker, f"{ew}.where")
            _check_meta(entry, checker, ew)
        variables.append((target, entries))
    supp = doc.get("supp")
    if supp:
        for qnam, item in supp["variables"].items():
            val = item["value"]
            if isinstance(val, dict):
                name, arg = _entry_op(val, checker, f"supp.variables.{qnam}.value")
                checker.op(name, arg, f"supp.variables.{qnam}.value.{name}", "variable")
            _check_meta(item, checker, f"supp.variables.{qnam}")
    return Spec(
        path=path,
        domain=domain,
        sources=sources,
        steps=steps,
        variables=variables,
        depends_on=list(doc.get("depends_on", [])),
        require_subject_in=doc.get("require_subject_in"),
        supp=supp,
        sort=doc.get("sort"),
        raw=doc,
        additional=additional,
    )


_META_VALIDATOR = Validator(META_SCHEMA, allow_unknown=True)


def _check_meta(entry: dict[str, Any], checker: _Checker, where: str) -> None:
    """The origin overrides of an entry (``origin``, ``source``, ``crf``, ``method``, ``codelist``)."""
    if not any(k in entry for k in META_KEYS):
        return
    if not _META_VALIDATOR.validate({k: entry[k] for k in META_KEYS if k in entry}):
        problems = _flatten_errors(_META_VALIDATOR.errors)
        raise checker.error(f"{where}.{problems[0].split(':', 1)[0]}", "; ".join(problems))
    if "origin" in entry:
        origin = normalize_origin(entry["origin"])
        if origin is None:
            raise checker.error(
                f"{where}.origin",
                f"unknown origin {entry['origin']!r}; expected one of Collected, Derived, Assigned, "
                "Protocol, Predecessor, Not Available, Other",
            )
        if origin == "Predecessor" and not entry.get("source"):
            raise checker.error(f"{where}.source", "a Predecessor origin needs source: DATASET.VARIABLE")
        if "crf" in entry and origin != "Collected":
            raise checker.error(f"{where}.crf", f"crf pages are for Collected values, not {origin}")


def _check_expr(text: str, checker: _Checker, where: str) -> None:
    from cdisc_als.ops import expr

    try:
        expr.parse(text)
    except expr.ExprError as exc:
        raise checker.error(where, str(exc)) from None


def referenced_datasets(spec: Spec) -> set[str]:
    """Domains a spec reads (explicit ``depends_on`` plus those named in op arguments)."""
    found: set[str] = set(spec.depends_on)
    if spec.require_subject_in:
        found.add(spec.require_subject_in)
    for s in spec.sources:
        if s.get("dataset"):
            found.add(s["dataset"].upper())

    def walk(node: Any, op: str | None = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("dataset", "se") and isinstance(v, str):
                    found.add(v.upper())
                walk(v, k if k in REGISTRY else op)
            if op in ("study_day", "baseline_flag", "epoch") and "dataset" not in node and "se" not in node:
                found.add("DM")
        elif isinstance(node, list):
            for v in node:
                walk(v, op)
        elif op == "study_day" and isinstance(node, str):
            found.add("DM")

    for _, entries in spec.variables:
        for e in entries:
            walk(e)
    for name, arg, _ in spec.steps:
        walk({name: arg})
    if spec.supp:
        walk(spec.supp)
    found.discard(spec.domain)
    return found
