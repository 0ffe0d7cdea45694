"""Read and check the rule files in ``specs/rules/*.yaml``.

A rule file is data written by people, so it is validated before any dataset is touched: the
file layout and each rule with a cerberus schema, then the ``check`` with the schema of its
operator. Any problem raises ``SpecError`` naming the file and the rule id.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from cerberus import Validator

from cdisc_als.errors import SpecError
from cdisc_als.resources import specs_path
from cdisc_als.rules import define_check  # noqa: F401  (registers the define operators)
from cdisc_als.rules.conditions import PREDICATE_SCHEMA, TESTS
from cdisc_als.rules.model import SEVERITIES, Rule
from cdisc_als.rules.operators import OPERATORS

STANDARDS = ["sdtmig-3.4", "adamig-1.3"]
STRLIST = {"type": "list", "schema": {"type": "string"}}

RULE_SCHEMA: dict[str, Any] = {
    "id": {"type": "string", "required": True, "regex": r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"},
    "cdisc_id": {"type": ["string", "list"], "schema": {"type": "string", "regex": r"^(CORE-\d{6}|CG\d{4}|FB\d{4}|TRC\w+|AD\w+|SD\w+)$"}},
    "severity": {"type": "string", "required": True, "allowed": list(SEVERITIES)},
    "standards": {**STRLIST, "allowed": STANDARDS},
    "domains": STRLIST,
    "exclude_domains": STRLIST,
    "classes": STRLIST,
    "message": {"type": "string", "required": True, "empty": False},
    "description": {"type": "string"},
    "when": {"type": "list", "schema": {"type": "dict", "schema": PREDICATE_SCHEMA}},
    "check": {
        "type": "dict",
        "required": True,
        "allow_unknown": True,
        "schema": {"op": {"type": "string", "required": True, "allowed": sorted(OPERATORS)}},
    },
}
FILE_SCHEMA: dict[str, Any] = {
    "description": {"type": "string"},
    "defaults": {
        "type": "dict",
        "schema": {
            k: {kk: vv for kk, vv in RULE_SCHEMA[k].items() if kk != "required"}
            for k in ("severity", "standards", "domains", "exclude_domains", "classes")
        },
    },
    "rules": {"type": "list", "required": True, "schema": {"type": "dict"}},
}


_VALIDATORS: dict[str, Validator] = {}


def _validator(key: str, schema: dict[str, Any]) -> Validator:
    """One cerberus Validator per schema, reused (building one normalizes the schema: slow)."""
    if key not in _VALIDATORS:
        _VALIDATORS[key] = Validator(schema)
    return _VALIDATORS[key]


def _null_keys(preds):
    if not isinstance(preds, list):
        return preds
    return [{("null" if k is None else k): v for k, v in p.items()} if isinstance(p, dict) else p for p in preds]


def rules_dir() -> Path:
    return specs_path("rules")


def load_rule_file(path: str | Path) -> list[Rule]:
    """Parse and validate one rule file; SpecError names the file and rule id on any problem."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(path, "", f"cannot read rule file: {exc}") from exc
    v = _validator("file", FILE_SCHEMA)
    if not isinstance(doc, dict) or not v.validate(doc):
        raise SpecError(path, "", f"bad rule file layout: {v.errors if isinstance(doc, dict) else 'not a mapping'}")
    defaults = doc.get("defaults") or {}
    out = []
    for i, raw in enumerate(doc["rules"]):
        rid = str(raw.get("id", f"#{i + 1}"))
        entry = {**defaults, **raw}
        # YAML reads an unquoted ``null:`` key as None; accept it as the "null" test.
        entry["when"] = _null_keys(entry.get("when") or [])
        if isinstance(entry.get("check"), dict) and "other_when" in entry["check"]:
            entry["check"] = {**entry["check"], "other_when": _null_keys(entry["check"]["other_when"])}
        rv = _validator("rule", RULE_SCHEMA)
        if not rv.validate(entry):
            raise SpecError(path, f"rule {rid}", f"invalid rule: {rv.errors}")
        preds = [("when", p) for p in entry.get("when") or []]
        preds += [("other_when", p) for p in entry["check"].get("other_when") or []]
        for j, (where, pred) in enumerate(preds):
            pv = _validator("predicate", PREDICATE_SCHEMA)
            if not isinstance(pred, dict) or not pv.validate(pred):
                raise SpecError(path, f"rule {rid}", f"{where} predicate {pred!r}: {getattr(pv, 'errors', '')}")
            if sum(1 for k in TESTS if k in pred) != 1:
                raise SpecError(path, f"rule {rid}", f"{where}[{j}] needs exactly one test of {TESTS}")
        check = dict(entry["check"])
        op = OPERATORS[check.pop("op")]
        cv = _validator(f"op:{op.name}", op.schema)
        if not cv.validate(check):
            raise SpecError(path, f"rule {rid}", f"check {op.name}: {cv.errors}")
        cdisc = entry.get("cdisc_id") or []
        out.append(
            Rule(
                id=rid,
                severity=entry["severity"],
                message=entry["message"],
                check={"op": op.name, **cv.document},
                cdisc_ids=[cdisc] if isinstance(cdisc, str) else list(cdisc),
                standards=entry.get("standards") or ["sdtmig-3.4"],
                domains=[d.upper() for d in entry.get("domains") or ["ALL"]],
                exclude_domains=[d.upper() for d in entry.get("exclude_domains") or []],
                classes=[c.upper() for c in entry.get("classes") or ["ALL"]],
                when=entry.get("when") or [],
                description=entry.get("description", ""),
                source_file=path.name,
            )
        )
    return out


def load_rules(paths: list[Path] | None = None) -> list[Rule]:
    """All rules of the given files (default: every ``specs/rules/*.yaml``); ids must be unique."""
    if paths is None:
        return list(_default_rules())
    return _load(tuple(Path(p) for p in paths))


@cache
def _default_rules() -> tuple[Rule, ...]:
    return tuple(_load(tuple(sorted(rules_dir().glob("*.yaml")))))


def _load(paths: tuple[Path, ...]) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for p in paths:
        for r in load_rule_file(p):
            if r.id in seen:
                raise SpecError(p, f"rule {r.id}", f"duplicate rule id (also in {seen[r.id]})")
            seen[r.id] = p.name
            rules.append(r)
    return rules
