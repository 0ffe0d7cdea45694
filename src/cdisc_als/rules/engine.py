"""Run the rules over a set of datasets and collect the findings in a ``Report``.

Loops go over rules and datasets only; every check inside is a column operation on the whole
dataset (see ``operators``). A rule applies to a dataset when the run's standard, the dataset's
domain (``ALL``, ``SUPP--``, a domain code or dataset name) and its class match.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.dataset import Dataset
from cdisc_als.rules.conditions import evaluate
from cdisc_als.rules.context import Context, NotApplicable
from cdisc_als.rules.ct_adapter import CtAdapter, load_ct_adapter
from cdisc_als.rules.frame import Target
from cdisc_als.rules.loader import load_rules
from cdisc_als.rules.meta import (
    MetaLookup,
    dataset_classes,
    domain_of,
    is_associated_persons,
    standard_meta,
)
from cdisc_als.rules.model import FINDING_COLUMNS, Report, Rule
from cdisc_als.rules.operators import HIT_COLUMNS, OPERATORS

AUTO = "auto"


def make_target(ds: Dataset, standard: str, meta: MetaLookup) -> Target:
    adam = standard.startswith("adam")
    domain = ds.name if adam else domain_of(ds)
    relationship = ds.name.startswith("SUPP") or ds.name in ("RELREC", "RELSUB", "RELSPEC")
    # Associated Persons datasets (APMH: DOMAIN APMH) keep the parent domain's prefix (MHTERM)
    prefix = "" if adam or relationship else (domain[2:4] if is_associated_persons(domain) else domain[:2])
    m = None if adam else (meta(ds.name) or meta(domain))
    return Target(ds=ds, prefix=prefix, classes=dataset_classes(ds, domain, m, standard), domain=domain)


def applies(rule: Rule, t: Target) -> bool:
    """Domain/class filter of a rule for one dataset."""
    names = {t.name, t.domain}
    if t.name.startswith("SUPP"):
        names.add("SUPP--")
    if names & set(rule.exclude_domains):
        return False
    if "ALL" not in rule.domains and not names & set(rule.domains):
        return False
    return "ALL" in rule.classes or bool(t.classes & set(rule.classes))


def _annotate(rule: Rule, t: Target, found: pd.DataFrame) -> pd.DataFrame:
    """Add rule metadata, dataset, USUBJID and --SEQ (vectorized over the hit rows)."""
    rows = pd.to_numeric(found["row"], errors="coerce")
    has_row = rows.notna().to_numpy()
    pos = rows.fillna(0).astype("int64").to_numpy()
    n = len(found)

    def pick(var: str | None) -> np.ndarray:
        out = np.full(n, None, dtype=object)
        if var and var in t.columns and has_row.any():
            out[has_row] = t.obj(var)[pos[has_row]]
        return out

    seq_var = f"{t.prefix}SEQ" if t.prefix else ("ASEQ" if "ASEQ" in t.columns else None)
    row_out = np.full(n, None, dtype=object)
    row_out[has_row] = pos[has_row] + 1
    return pd.DataFrame(
        {
            "rule_id": rule.id,
            "cdisc_id": rule.cdisc_id,
            "severity": rule.severity,
            "dataset": t.name,
            "variable": found["variable"].to_numpy(dtype=object),
            "usubjid": pick("USUBJID"),
            "seq": pick(seq_var),
            "row": row_out,
            "value": found["value"].to_numpy(dtype=object),
            "expected": found["expected"].to_numpy(dtype=object),
            "message": rule.message,
        },
        columns=FINDING_COLUMNS,
    )


def validate_datasets(
    datasets: dict[str, Dataset],
    standard: str,
    define: Path | None = None,
    *,
    rules: list[Rule] | None = None,
    ct: CtAdapter | None | str = AUTO,
    meta: MetaLookup | None | str = AUTO,
) -> Report:
    """Check ``datasets`` against every rule of ``standard`` (and ``define`` when given).

    ``rules``, ``ct`` and ``meta`` default to the project's rule files, controlled terminology
    and standards metadata; tests pass their own (``None`` disables CT or metadata checks).
    """
    start = time.perf_counter()
    rules = load_rules() if rules is None else rules
    lookup: MetaLookup = standard_meta(standard) if meta == AUTO else (meta or (lambda name: None))  # type: ignore[assignment]
    ct_adapter = load_ct_adapter() if ct == AUTO else ct
    targets = {name.upper(): make_target(ds, standard, lookup) for name, ds in datasets.items()}
    ctx = Context(standard=standard, targets=targets, ct=ct_adapter, meta=lookup)  # type: ignore[arg-type]
    if define is not None:
        from cdisc_als.rules.define_check import load_define

        ctx.define = load_define(Path(define))
    parts: list[pd.DataFrame] = []
    run: dict[str, int] = {}
    timing: dict[str, float] = {}
    skipped: list[dict[str, str]] = []
    for rule in rules:
        if standard not in rule.standards:
            continue
        t_rule = time.perf_counter()
        op = OPERATORS[rule.check["op"]]
        args: dict[str, Any] = {k: v for k, v in rule.check.items() if k != "op"}
        if op.scope == "study":
            try:
                found = op.func(ctx, args)
            except NotApplicable:
                continue
            run[rule.id] = run.get(rule.id, 0) + 1
            for name, grp in found.groupby("dataset", sort=False):
                t = targets.get(str(name)) or make_target(
                    Dataset(str(name), pd.DataFrame()), standard, lookup
                )
                parts.append(_annotate(rule, t, grp[HIT_COLUMNS].reset_index(drop=True)))
            timing[rule.id] = time.perf_counter() - t_rule
            continue
        for t in targets.values():
            if not applies(rule, t):
                continue
            try:
                mask = evaluate(t, ctx, rule.when)
                found = op.func(t, ctx, args, mask)
            except NotApplicable:
                continue
            except Exception as exc:  # noqa: BLE001 - one broken check must not stop the run
                skipped.append({"rule_id": rule.id, "dataset": t.name, "reason": f"{type(exc).__name__}: {exc}"})
                continue
            run[rule.id] = run.get(rule.id, 0) + 1
            if found is not None and len(found):
                parts.append(_annotate(rule, t, found))
        timing[rule.id] = time.perf_counter() - t_rule
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINDING_COLUMNS)
    findings["row"] = pd.to_numeric(findings["row"], errors="coerce").astype("Int64")
    for col in ("variable", "usubjid", "seq", "value", "expected"):
        findings[col] = findings[col].astype("object").where(findings[col].notna(), None)
    return Report(
        standard=standard,
        findings=findings,
        datasets={t.name: len(t) for t in targets.values()},
        dataset_labels={t.name: t.ds.label for t in targets.values()},
        rules=[r for r in rules if standard in r.standards],
        rules_run=run,
        skipped=skipped,
        define=Path(define) if define else None,
        seconds=time.perf_counter() - start,
        rule_seconds=timing,
    )
