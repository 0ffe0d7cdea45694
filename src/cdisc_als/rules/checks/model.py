"""Checks on the shape of a submission against the SDTM model: allowed variables per class,
custom-domain prefixes, Findings About parents, label case, dataset size, dataset-level
implications between records (TS parameters) and per-subject record counts in another dataset.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import VARS, concat, empty_hits, hits, meta_hit, operator
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.frame import Target
from cdisc_als.rules.meta import is_associated_persons

PREDICATES = {"type": "list", "required": True, "schema": {"type": "dict"}}
GENERAL = ("EVENTS", "INTERVENTIONS", "FINDINGS", "FINDINGS ABOUT")


@operator("dataset_size", scope="dataset", max_bytes={"type": "integer", "required": True})
def op_dataset_size(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """The dataset file is at most ``max_bytes``: the file size when read from a file, else the
    size it takes as SAS XPORT v5 (rows x record length + 80-byte header records)."""
    size = getattr(t.ds, "file_bytes", None)
    how = "file size"
    if size is None:
        how = "estimated XPT size"
        reclen = 0
        for v in t.ds.variables:  # loop over variables, not rows
            if v.name not in t.frame.columns:
                continue
            if t.is_numeric_col(v.name):
                reclen += 8
            else:  # longest stored value in bytes, by an Arrow kernel (no per-value Python)
                import pyarrow.compute as pc

                longest = pc.max(pc.binary_length(t.arrow(v.name))).as_py()
                reclen += max(int(v.length or 0), int(longest or 1), 1)
        size = len(t) * reclen + 80 * (8 + 2 * len(t.ds.variables))
    if size <= args["max_bytes"]:
        return empty_hits()
    return meta_hit(None, f"{size} bytes ({how})", f"<= {args['max_bytes']} bytes (split the dataset)")


@operator("present_any", scope="dataset", vars=VARS, associated_persons={"type": "list", "schema": {"type": "string"}})
def op_present_any(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """At least one of the listed variables is in the dataset (e.g. a subject identifier); in an
    Associated Persons dataset (AP + domain code, e.g. APMH) ``associated_persons`` instead."""
    names = t.expand(args["vars"])
    if args.get("associated_persons") and is_associated_persons(t.domain):
        names = t.expand(args["associated_persons"])
    if any(v in t.frame.columns for v in names):
        return empty_hits()
    return meta_hit("/".join(names), "none present", f"one of {', '.join(names)} present")


@operator("record_implies", scope="dataset", if_=PREDICATES, then=PREDICATES)
def op_record_implies(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """When a record satisfies ``if`` (predicates as in ``when``), some record satisfies ``then``
    (TS: HLTSUBJI = Y -> an INDIC record with TSVALNF = NA). Findings on the ``if`` records."""
    from cdisc_als.rules.conditions import evaluate

    trigger = mask & evaluate(t, ctx, args["if"])
    if not trigger.any():
        return empty_hits()
    try:
        ok = evaluate(t, ctx, args["then"]).any()
    except NotApplicable:
        ok = False
    if ok:
        return empty_hits()
    want = " and ".join(f"{p['var']} {_pred_text(p)}" for p in args["then"])
    first = args["if"][0]["var"]
    return hits(trigger, t.resolve(first), t.text(first), f"a record with {want}")


def _pred_text(p: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in p.items() if k != "var")


@operator("exclusive_values", scope="dataset", var={"type": "string", "required": True},
          values={"type": "list", "required": True})  # fmt: skip
def op_exclusive_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """At most one of ``values`` occurs in ``var`` on the selected records (TS: AGE or AGETXT)."""
    if not t.has(args["var"]):
        raise NotApplicable("variable absent")
    s = t.text(args["var"])
    on = mask & s.isin([str(v) for v in args["values"]]).to_numpy()
    if s[on].nunique() <= 1:
        return empty_hits()
    return hits(on, t.resolve(args["var"]), s, f"only one of {', '.join(map(str, args['values']))}")


@operator("subject_count", var={"type": "string", "required": True}, dataset={"type": "string", "required": True},
          pattern={"type": "string", "required": True}, min={"type": "integer", "required": True})  # fmt: skip
def op_subject_count(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Each selected subject has at least ``min`` records in ``dataset`` whose ``var`` matches
    ``pattern`` (RACE = MULTIPLE -> two or more SUPPDM RACEn records)."""
    other = ctx.target(args["dataset"])
    if "USUBJID" not in t.columns:
        raise NotApplicable("no USUBJID")
    counts = pd.Series(dtype="int64")
    if other is not None and args["var"] in other.columns and "USUBJID" in other.columns:
        hit = other.text(args["var"]).str.fullmatch(args["pattern"]).fillna(False).to_numpy(dtype=bool)
        counts = other.text("USUBJID")[hit].value_counts()
    subj = t.text("USUBJID")
    n = subj.map(counts).fillna(0).to_numpy()
    return hits(mask & (n < args["min"]), "USUBJID", subj,
                f">= {args['min']} {args['dataset']} records with {args['var']} matching {args['pattern']}")  # fmt: skip


@operator("findings_about_parent", scope="study")
def op_findings_about_parent(ctx: Context, args: dict) -> pd.DataFrame:
    """A Findings About dataset split by parent domain (FACM, FAAE) has that parent in the study."""
    rec = [
        {"dataset": name, "row": pd.NA, "variable": None, "value": name[2:], "expected": f"parent domain {name[2:]} present"}
        for name in ctx.targets
        if len(name) == 4 and name.startswith("FA") and name[2:].isalpha() and name[2:] not in ctx.targets
    ]
    return pd.DataFrame(rec, columns=["dataset", "row", "variable", "value", "expected"])


@operator("custom_prefix", scope="dataset", exceptions={"type": "list", "required": True})
def op_custom_prefix(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """In a custom domain (one the IG does not define), prefixed variables start with DOMAIN."""
    if ctx.meta(t.name) is not None or ctx.meta(t.domain) is not None or "DOMAIN" not in t.columns:
        raise NotApplicable("standard domain")
    domains = set(t.text("DOMAIN").dropna().unique())
    if not domains:
        raise NotApplicable("no DOMAIN value")
    skip = set(args["exceptions"])
    bad = [c for c in t.columns if c not in skip and c[:2] not in domains]
    return concat([meta_hit(c, c[:2], f"prefix {'/'.join(sorted(domains))}") for c in bad])


@cache
def _class_variables(standard: str) -> dict[str, frozenset[str]]:
    """Per general observation class: the ``--`` suffixes and unprefixed names its IG domains use,
    plus the Identifier and Timing variables of every general-class domain (SDTMIG 2.5: any
    Identifier and Timing variable may be added). An approximation of the SDTM Model's lists."""
    from cdisc_als.standards import load_standard

    try:
        std = load_standard(standard)
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return {}
    by_class: dict[str, set[str]] = {c: set() for c in GENERAL}
    shared: set[str] = set()
    for name in std.dataset_names:  # loop over IG domains (metadata), not data
        m = std.dataset(name)
        cls = (m.cls or "").upper()
        if cls not in GENERAL:
            continue
        for v in m.variables:
            key = "--" + v.name[2:] if v.name.startswith(name[:2]) else v.name
            by_class[cls].add(key)
            if (v.role or "").lower() in ("identifier", "timing"):
                shared.add(key)
    by_class["FINDINGS ABOUT"] |= by_class["FINDINGS"]
    return {c: frozenset(v | shared) for c, v in by_class.items()}


@operator("allowed_variables", scope="dataset")
def op_allowed_variables(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every variable is one the IG defines for the domain or one the domain's observation class
    allows (``--`` variables of the class's IG domains, Identifier and Timing variables); any
    other belongs in SUPP--."""
    cls = next((c for c in GENERAL if c in t.classes), None)
    allowed_cls = _class_variables(ctx.standard).get(cls) if cls else None
    own = ctx.meta(t.name) or ctx.meta(t.domain)
    if allowed_cls is None and own is None:
        raise NotApplicable("no metadata for this dataset or class")
    allowed = {v.name for v in own.variables} if own is not None else set()
    if allowed_cls:
        allowed |= {t.resolve(v) for v in allowed_cls}
    bad = [c for c in t.columns if c not in allowed]
    return concat([meta_hit(c, "not in the IG/class variables", "standard variable (else SUPP--)") for c in bad])


SMALL_WORDS = frozenset([  # articles, conjunctions, prepositions (and "is", as in "Is ... Ongoing")
    "a", "an", "the", "and", "or", "but", "nor", "for", "so", "yet", "as", "at", "by", "in", "of", "off",
    "on", "per", "to", "up", "via", "with", "within", "from", "into", "onto", "over", "than", "upon", "vs",
    "versus", "is",
])  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@operator("label_title_case", scope="dataset")
def op_label_title_case(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Variable labels are in title case: every word starts with a capital letter except articles,
    prepositions and conjunctions (SDTMIG 2.6 item 3h); the first word is always capitalized.
    Words are the letter runs of the label, so ``Date/Time`` is two words and ``pH`` must be ``PH``."""
    parts = []
    for v in t.ds.variables:  # loop over variables
        label = (v.label or "").strip()
        words = _WORD.findall(label)
        if not words:
            continue
        lower = [w for i, w in enumerate(words) if w[0].islower() and (i == 0 or w.lower() not in SMALL_WORDS)]
        if lower:
            parts.append(meta_hit(v.name, label, f"title case ({', '.join(lower)} capitalized)"))
    return concat(parts)
