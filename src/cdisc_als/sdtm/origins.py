"""Where each SDTM variable came from: Define-XML origin, source, method and codelist.

Why here and not in the template: a reviewer opening define.xml must see, for every variable,
whether it was collected (and on which aCRF page), assigned by the sponsor, derived (and how),
copied from a predecessor or taken from the protocol. The mapping spec already says which
operation produced a variable, so the origin follows from the operation (``OP_ORIGIN``), the
method text from its arguments (``describe``) and the codelist from ``ct``/``decode``/
``hardcode_ct``; a spec may override any of them per variable (``origin:``, ``source:``,
``crf:``, ``method:``, ``codelist:``, see docs/spec-language.md).

Everything here works on spec arguments and on distinct values, never on data rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ORIGIN_TYPES = {
    "collected": "Collected", "crf": "Collected", "derived": "Derived", "assigned": "Assigned",
    "protocol": "Protocol", "predecessor": "Predecessor", "not available": "Not Available",
    "other": "Other",
}  # fmt: skip
# keys a variable entry may carry besides its operation and ``where``
META_KEYS = ("origin", "source", "crf", "method", "codelist", "comment")
META_SCHEMA: dict[str, Any] = {
    "origin": {"type": "string"},
    "source": {"type": "string"},
    "crf": {"anyof": [{"type": "integer", "min": 1}, {"type": "string", "regex": r"^\d+(\s*-\s*\d+)?$"},
                      {"type": "list", "minlength": 1, "schema": {"type": "integer", "min": 1}}]},
    "method": {"type": "string", "empty": False},
    "codelist": {"type": "string", "regex": r"^[A-Za-z0-9_$.-]{1,40}$"},
    "comment": {"type": "string", "empty": False},
}

INHERIT = "inherit"  # takes the origin of the column it reads (Collected for a raw column)
# Default origin of the value an operation produces. ``inherit``: a transformation of one
# collected value (format, terminology, number) keeps the origin of its input.
OP_ORIGIN: dict[str, str] = {
    "copy": INHERIT, "rename": INHERIT, "iso8601": INHERIT, "ct": INHERIT, "value_map": INHERIT,
    "numeric": INHERIT, "coalesce": INHERIT,
    "constant": "Assigned", "hardcode_ct": "Assigned", "decode": "Assigned",
    "seq": "Derived", "study_day": "Derived", "epoch": "Derived", "element_epoch": "Derived",
    "visit": "Derived", "baseline_flag": "Derived", "expr": "Derived", "from_dataset": "Derived",
    "usubjid": "Derived", "concat": "Derived", "arm_code": "Derived", "arm_decode": "Derived",
    "actual_arm": "Derived", "max_of": "Derived", "min_of": "Derived", "round": "Derived",
    # dataset steps: the origin of the columns they create
    "trial_arms": "Protocol", "trial_elements": "Protocol", "trial_visits": "Protocol",
    "trial_criteria": "Protocol", "trial_summary": "Protocol",
    "subject_elements": "Derived", "subject_visits": "Derived",
    "transpose": "Collected", "join": "Collected", "union": "Collected",
    "filter": "Collected", "reject_duplicates": "Collected",
    "compute": INHERIT,  # each column from its own variable operation
}  # fmt: skip
# the ``inherit`` operations and the argument key naming the column they read
_INPUT_KEY = {"copy": None, "rename": None, "iso8601": "date", "ct": "from", "value_map": "from",
              "numeric": None, "coalesce": None}  # fmt: skip


@dataclass
class Meta:
    """Origin metadata of one column (or of one spec entry)."""

    origin: str | None = None
    source: str | None = None  # Predecessor variable (DM.AGE) or "CRF page 3 4"
    method: str | None = None
    codelist: str | None = None
    comment: str | None = None
    forms: tuple[str, ...] = ()  # raw forms (table names) of a Collected value
    pages: tuple[int, ...] | None = None  # explicit aCRF pages (spec ``crf:``)
    summary: str | None = None  # short text of a non-derived entry ("'COMPLETED'", "collected DSREAS")
    explicit: set[str] = field(default_factory=set)  # keys given in the spec

    def key(self) -> tuple:
        return (self.origin, self.source, self.codelist, self.method)


def normalize_origin(value: str) -> str | None:
    """Define-XML origin type of a spec value (case-insensitive; CRF = Collected); None if unknown."""
    return ORIGIN_TYPES.get(str(value).strip().lower())


def entry_meta(entry: dict[str, Any]) -> Meta:
    """The override keys written in one spec entry (origin already checked by the spec loader)."""
    m = Meta()
    if "origin" in entry:
        m.origin = normalize_origin(entry["origin"])
    for k in ("source", "method", "codelist", "comment"):
        if k in entry:
            setattr(m, k, str(entry[k]))
    if "crf" in entry:
        m.pages = parse_pages(entry["crf"])
    m.explicit = {k for k in META_KEYS if k in entry}
    return m


def parse_pages(value: Any) -> tuple[int, ...]:
    """``3`` / ``[12, 13]`` / ``"20-22"`` -> page numbers."""
    if isinstance(value, list):
        return tuple(int(v) for v in value)
    text = str(value).strip()
    if "-" in text:
        a, b = (int(x) for x in text.split("-", 1))
        return tuple(range(a, b + 1))
    return (int(text),)


def acrf_pages(study: Any) -> dict[str, tuple[int, ...]]:
    """study.yaml ``define: acrf: {file, pages: {form: page | [pages]}}`` -> {form (lower): pages}."""
    acrf = (((getattr(study, "config", None) or {}).get("define")) or {}).get("acrf")
    if not isinstance(acrf, dict):
        return {}
    return {str(k).lower(): parse_pages(v) for k, v in (acrf.get("pages") or {}).items()}


def form_name(source_file: str) -> str:
    """Raw form of a source file name (``ae.csv`` -> ``ae``)."""
    return Path(str(source_file)).stem.lower()


def op_codelist(name: str, arg: Any) -> str | None:
    """The codelist an operation actually used for its result."""
    if name in ("ct", "decode", "hardcode_ct") and isinstance(arg, dict):
        return arg.get("codelist")
    return None


def op_inputs(name: str, arg: Any) -> list[str]:
    """Columns whose origin an ``inherit`` operation takes over."""
    if name in ("copy", "rename", "numeric") and isinstance(arg, str):
        return [arg]
    if name == "coalesce" and isinstance(arg, list):
        return [a for a in arg if isinstance(a, str)]
    key = _INPUT_KEY.get(name)
    if key and isinstance(arg, dict) and isinstance(arg.get(key), str):
        return [arg[key]]
    return []


def _cols(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        (name, arg), = list(value.items())[:1]
        inner = op_inputs(name, arg)
        return f"{name} of {_cols(inner)}" if inner else str(name)
    return str(value)


def describe(name: str, arg: Any, target: str, doc: str = "") -> str:
    """Readable derivation text of a ``Derived`` operation from its arguments."""
    if name == "seq":
        by, order = ([arg[0]], list(arg[1:])) if isinstance(arg, list) else (list(arg["by"]), list(arg.get("order", [])))
        text = f"Sequence number (1, 2, ...) within {_cols(by)}"
        return text + (f", ordered by {_cols(order)}" if order else ", in record order")
    if name == "study_day":
        date = arg if isinstance(arg, str) else arg["date"]
        ref = "RFSTDTC" if isinstance(arg, str) else arg.get("ref", "RFSTDTC")
        ds = "DM" if isinstance(arg, str) else arg.get("dataset", "DM")
        return (f"Study day of {date} relative to {ds}.{ref}: {date} - {ref} + 1 on or after the "
                f"reference date, {date} - {ref} before it; no day 0; complete dates only")
    if name == "baseline_flag":
        ref = f"{arg.get('dataset', 'DM')}.{arg.get('ref', 'RFXSTDTC')}"
        when = "before" if arg.get("strict") else "on or before"
        extra = f" among records where {arg['where']}" if arg.get("where") else ""
        return (f"'Y' on the last record with a non-missing {arg['value']} whose {arg['date']} is "
                f"{when} {ref}, within {_cols(arg['by'])}{extra}")
    if name in ("epoch", "element_epoch"):
        date = arg["date"]
        if name == "element_epoch" or arg.get("se"):
            text = f"EPOCH of the subject element (SE) in effect at {date} (SESTDTC <= {date} < SEENDTC)"
            if arg.get("same_day") == "previous":
                text += "; a date-only record on the day an element starts belongs to the element before"
            return text
        cuts = "; ".join(f"{c.get('epoch')} when {date} is before {c.get('before')}" for c in arg.get("cuts", []) if c.get("before"))
        return f"EPOCH from {date} and DM reference dates: {cuts or 'study.yaml design.epoch_cuts'}; otherwise {arg.get('otherwise', '')}".rstrip("; ")
    if name == "visit":
        col = arg if isinstance(arg, str) else arg["from"]
        return (f"{target} of the visit folder {col} per the planned visits (study.yaml design.visits); "
                "unscheduled visits numbered after the last planned visit (+ .01, .02, ...)")
    if name == "expr":
        return f"{target} = {' '.join(str(arg).split())}"
    if name == "round" and isinstance(arg.get("value"), dict) and "expr" in arg["value"]:
        return f"{' '.join(str(arg['value']['expr']).split())}, rounded to {arg.get('digits', 0)} decimals"
    if name == "from_dataset":
        other = arg.get("dataset") or arg.get("table")
        by = arg["by"] if not isinstance(arg["by"], dict) else ", ".join(f"{k} = {v}" for k, v in arg["by"].items())
        where = f" where {arg['where']}" if arg.get("where") else ""
        order = f" (ordered by {_value_text(arg['order'])})" if arg.get("order") else ""
        return f"{arg.get('agg', 'first')} of {_value_text(arg.get('value'))} in {other}{where}{order}, matched by {_cols(by)}"
    if name == "usubjid":
        cols, prefix = (arg, "STUDYID") if isinstance(arg, list) else (arg["columns"], f"'{arg.get('prefix')}'")
        return f"{prefix} and {_cols(cols)} joined with '-'"
    if name == "concat":
        parts = [p.get("value") if isinstance(p, dict) else p for p in arg["parts"]]
        return f"Concatenation of {', '.join(map(str, parts))} separated by '{arg.get('sep', '')}'"
    if name == "coalesce":
        return f"First non-missing value of {_cols(arg)}"
    if name in ("max_of", "min_of"):
        which = "Latest (largest)" if name == "max_of" else "Earliest (smallest)"
        return f"{which} non-missing value of {_cols(arg)} on the record"
    if name == "round":
        return f"{_value_text(arg['value'])} rounded to {arg.get('digits', 0)} decimals (halves away from zero)"
    if name == "arm_code":
        return f"Arm code: the randomized stage codes {_cols(arg['columns'])} joined with '{arg.get('sep', '-')}'"
    if name == "arm_decode":
        return f"Arm description of {arg} from the study arms (study.yaml design.arms)"
    if name == "actual_arm":
        return f"Actual arm code from the treatments given ({arg['dataset']}.{arg['column']}) in date order"
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(first.split()) or f"{name} of {target}"


def combine(entries: list[tuple[Meta, str | None]]) -> Meta:
    """One variable-level Meta from the metadata of its (where-conditioned) entries.

    The same origin everywhere -> that origin; otherwise Derived. Methods of Derived entries are
    joined as ``when <where>: <method>``; a single codelist only when all entries agree.
    """
    metas = [m for m, _ in entries]
    if len(metas) == 1:
        return metas[0]
    origins = {m.origin for m in metas}
    origin = metas[0].origin if len(origins) == 1 else "Derived"
    methods = []
    for m, where in entries:
        text = m.method or m.summary or (f"{m.origin.lower()} value" if m.origin else None)
        if text and (origin == "Derived" or m.method):
            methods.append(f"when {where}: {text}" if where else f"otherwise: {text}")
    codelists = {m.codelist for m in metas}
    sources = {m.source for m in metas}
    forms = tuple(sorted({f for m in metas for f in m.forms}))
    pages = [p for m in metas for p in (m.pages or ())]
    return Meta(
        origin=origin,
        source=sources.pop() if len(sources) == 1 else None,
        method="; ".join(methods) if methods else None,
        codelist=codelists.pop() if len(codelists) == 1 else None,
        comment=next((m.comment for m in metas if m.comment), None),
        forms=forms,
        pages=tuple(sorted(set(pages))) if pages else None,
    )


def finalize(meta: Meta, pages_map: dict[str, tuple[int, ...]]) -> Meta:
    """Fill ``source`` of a Collected value with its aCRF pages (explicit ``crf:`` or the form map)."""
    if meta.origin != "Collected" or meta.source:
        return meta
    pages = meta.pages
    if pages is None and pages_map:
        found = sorted({p for f in meta.forms for p in pages_map.get(f, ())})
        pages = tuple(found) if found else None
    if not pages:
        return meta
    return replace(meta, source="CRF page " + " ".join(str(p) for p in pages), pages=pages)
