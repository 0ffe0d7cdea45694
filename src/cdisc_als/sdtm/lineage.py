"""Track the origin of every column while a spec runs, for Define-XML (``Variable.origin`` ...).

The runner tells the ``Tracker`` about each dataset step (which columns it created) and each
variable (which spec entry set which record). The tracker works out, per output variable, the
origin, the aCRF pages, the method text and the codelist (``cdisc_als.sdtm.origins``), and, where
records of one variable came from entries with different metadata (QSTEST decoded with MAS01TN
for the Ashworth records and ALSF01TN for the ALSFRS-R ones), value-level metadata keyed by the
variable that tells those records apart (QSCAT, QSTESTCD, ...). Work is per column and per
distinct value, never per row.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cdisc_als.ops import expr
from cdisc_als.ops.registry import INTERNAL_COLUMNS, REGISTRY, SOURCE_COLUMN
from cdisc_als.sdtm.origins import (
    INHERIT,
    META_KEYS,
    OP_ORIGIN,
    Meta,
    acrf_pages,
    combine,
    describe,
    entry_meta,
    finalize,
    form_name,
    normalize_origin,
    op_codelist,
    op_inputs,
)

MAX_VALUE_LEVEL = 500  # distinct key values beyond which no value-level metadata is kept
_VERB = {
    "iso8601": "ISO 8601 date/time of", "ct": "Controlled terminology value of",
    "value_map": "Recoded value of", "numeric": "Numeric value of",
    "coalesce": "First non-missing value of", "copy": "Same as", "rename": "Same as",
}  # fmt: skip
_HIDDEN = "__entry__"


def op_name(entry: dict[str, Any]) -> str:
    """The operation of a spec entry (the one key that is neither ``where`` nor a metadata key)."""
    return next(k for k in entry if k != "where" and k not in META_KEYS)


class Tracker:
    """Origins of the columns of one spec's working frame."""

    def __init__(self, spec: Any, study: Any, ct: Any = None):
        self.spec = spec
        self.study = study
        self.ct = ct
        self.cols: dict[str, Meta] = {}
        self.entries: dict[str, list[tuple[Meta, str | None]]] = {}
        self.multi: set[str] = set()
        self.pages = acrf_pages(study)
        self._codes: tuple | None = None  # ((id, len) of the frame, source codes, source names)

    # ------------------------------------------------------------------ steps
    def start(self, frame: pd.DataFrame) -> None:
        """A spec reading one built dataset (``from: {dataset: DM}``): its columns are Predecessors."""
        sources = self.spec.sources
        if len(sources) == 1 and sources[0].get("dataset"):
            ds = sources[0]["dataset"].upper()
            renamed = {v: k for k, v in (sources[0].get("rename") or {}).items()}
            for c in frame.columns:
                if c not in INTERNAL_COLUMNS:
                    self.cols[c] = Meta("Predecessor", source=f"{ds}.{renamed.get(c, c)}")

    def step(self, name: str, arg: Any, before: list[str], frame: pd.DataFrame) -> None:
        """Columns a dataset step created get the step's origin."""
        old = set(before)
        new = [c for c in frame.columns if c not in old and c not in INTERNAL_COLUMNS]
        if not new:
            return
        if name == "compute":  # columns computed by variable operations
            for c, entry in arg.items():
                if c in new and isinstance(entry, dict):
                    op = op_name(entry)
                    self.cols[c] = override(self.op_meta(op, entry[op], c, frame, None), entry)
            return
        if name == "transpose":
            self.cols[arg["name"]] = Meta("Assigned")  # the test codes written in the spec
            return  # the value column holds collected values (forms from the records)
        if name == "join":
            cols = arg.get("columns") or []
            new_to_old = {v: k for k, v in cols.items()} if isinstance(cols, dict) else {c: c for c in cols}
            for c in new:
                if arg.get("dataset"):
                    self.cols[c] = Meta("Predecessor", source=f"{arg['dataset'].upper()}.{new_to_old.get(c, c)}")
                else:
                    self.cols[c] = Meta("Collected", forms=(form_name(arg["table"]),))
            return
        origin = OP_ORIGIN.get(name, "Derived")
        if origin == "Collected":
            return
        method = _step_method(name, arg) if origin == "Derived" else None
        for c in new:
            if origin == "Derived" and c in ("STUDYID", "DOMAIN", "RDOMAIN"):
                self.cols[c] = Meta("Assigned")
            elif origin == "Derived" and c.endswith("SEQ"):
                self.cols[c] = Meta("Derived", method=f"Sequence number (1, 2, ...) of the records within USUBJID ({name})")
            else:
                self.cols[c] = Meta(origin, method=method)

    # ------------------------------------------------------------------ variables
    def variable(self, target: str, entries: list[dict[str, Any]], frame: pd.DataFrame, chosen: np.ndarray) -> None:
        """Record the metadata of ``target`` from its entries (``chosen``: entry index per record)."""
        metas: list[tuple[Meta, str | None]] = []
        for i, entry in enumerate(entries):
            name = op_name(entry)
            meta = override(self.op_meta(name, entry[name], target, frame, chosen == i), entry)
            if meta.origin == "Collected" and not meta.forms and meta.pages is None:  # declared Collected
                meta = replace(meta, forms=self._forms(frame, chosen == i))
            metas.append((meta, entry.get("where")))
        self.entries[target] = metas
        self.cols[target] = combine(metas)
        if len({m.key() for m, _ in metas}) > 1:
            frame[_HIDDEN + target] = chosen
            self.multi.add(target)

    def op_meta(self, name: str, arg: Any, target: str, frame: pd.DataFrame, mask: np.ndarray | None) -> Meta:
        """Default metadata of the value operation ``name`` produced for the records in ``mask``."""
        default = OP_ORIGIN.get(name, "Derived")
        codelist = self._codelist(op_codelist(name, arg))
        if default != INHERIT:
            method = self._explain(describe(name, arg, target, REGISTRY[name].doc if name in REGISTRY else ""),
                                   name, arg) if default == "Derived" else None
            return Meta(default, method=method, codelist=codelist, summary=_summary(name, arg))
        ins = op_inputs(name, arg)
        known = [self.cols[c] for c in ins if c in self.cols]
        if not known:  # read straight from the raw form(s)
            return Meta("Collected", codelist=codelist, forms=self._forms(frame, mask), summary=_summary(name, arg))
        first = known[0]
        if first.origin == "Collected" and ins[0] in self.entries:  # a mapped target: forms of these records
            first = replace(first, forms=self._forms(frame, mask) or first.forms)
        if len(known) == len(ins) and len({k.origin for k in known}) == 1:
            if name in ("copy", "rename"):
                if first.origin == "Derived" and not ins[0].startswith("_") and ins[0] != target:
                    return Meta("Derived", method=f"Same as {ins[0]}", codelist=codelist or first.codelist)
                return replace(first, codelist=codelist or first.codelist, explicit=set())
            if first.origin == "Collected":
                return Meta("Collected", codelist=codelist, forms=first.forms)
            if first.origin in ("Assigned", "Protocol"):
                return Meta(first.origin, codelist=codelist)
        method = self._explain(f"{_VERB.get(name, name)} {', '.join(ins)}", name, arg)
        return Meta("Derived", method=method, codelist=codelist)

    def _explain(self, text: str, name: str, arg: Any) -> str:
        """Append what the helper columns (``_X``) a derivation reads stand for."""
        cols = expr.columns(arg) if name == "expr" and isinstance(arg, str) else op_inputs(name, arg)
        notes = []
        for c in dict.fromkeys(cols):
            m = self.cols.get(c)
            if c.startswith("_") and m is not None:
                what = m.method or m.source or (f"{m.origin.lower()} value" if m.origin else None)
                if what:
                    notes.append(f"{c}: {what}")
        return text + (f" (where {'; '.join(notes)})" if notes else "")

    def _forms(self, frame: pd.DataFrame, mask: np.ndarray | None) -> tuple[str, ...]:
        """Raw forms of the records in ``mask`` (source file codes factorized once per frame)."""
        if SOURCE_COLUMN not in frame.columns:
            return ()
        key = (id(frame), len(frame))
        if self._codes is None or self._codes[0] != key:
            codes, names = pd.factorize(frame[SOURCE_COLUMN])
            self._codes = (key, codes, names)
        codes, names = self._codes[1], self._codes[2]
        used = np.unique(codes if mask is None else codes[mask])
        return tuple(sorted({form_name(names[c]) for c in used if c >= 0}))

    def _codelist(self, cid: str | None) -> str | None:
        """A C-code (C74457) becomes the codelist's submission value (RACE) when CT knows it."""
        if not cid or not re.fullmatch(r"C\d+", cid):
            return cid
        ct = self.ct
        if ct is None:
            try:
                from cdisc_als.ct import study_terminology

                ct = self.ct = study_terminology(self.study)
            except (ImportError, FileNotFoundError, OSError):
                return cid
        try:
            return ct.codelist(cid).id
        except KeyError:
            return cid

    # ------------------------------------------------------------------ results
    def variables(self, frame: pd.DataFrame, targets: list[str]) -> dict[str, dict[str, Any]]:
        """{variable: Variable fields} for ``conform_dataset(origins=...)``."""
        out: dict[str, dict[str, Any]] = {}
        for t in targets:
            meta = finalize(self.cols.get(t) or Meta("Derived"), self.pages)
            fields = as_fields(meta)
            if t in self.multi:
                vl = self._value_level(frame, t)
                if vl is not None:
                    fields["value_level"] = vl
                    if len({v.get("codelist") for v in vl["values"].values()}) > 1:
                        fields["codelist"] = None  # different lists per record group: value level only
            out[t] = fields
        return out

    def _value_level(self, frame: pd.DataFrame, target: str) -> dict[str, Any] | None:
        """Value-level metadata of ``target`` keyed by the first candidate variable that separates
        records of different metadata (one metadata per distinct key value)."""
        chosen = frame[_HIDDEN + target].to_numpy()
        metas = [finalize(m, self.pages) if not m.source else m for m, _ in self.entries[target]]
        # entries may lack forms/pages per record group: recompute forms from the records they set
        present = frame[target].notna().to_numpy() & (chosen >= 0)
        p = self.spec.domain[:2]
        if target.endswith(("TESTCD", "TEST")):
            candidates = [f"{p}CAT", f"{p}SCAT", f"{p}TESTCD"]
        else:
            candidates = [f"{p}TESTCD", f"{p}CAT", f"{p}SCAT", f"{p}PARMCD"]
        keys = [m.key() for m in metas]
        for cand in candidates:
            if cand == target or cand not in frame.columns or cand.startswith("_"):
                continue
            pairs = pd.DataFrame({"k": frame[cand].to_numpy()[present], "e": chosen[present]}).dropna().drop_duplicates()
            if pairs.empty or pairs["k"].nunique() > MAX_VALUE_LEVEL:
                continue
            pairs["m"] = [keys[e] for e in pairs["e"]]  # loop over distinct (key, entry) pairs only
            if (pairs.drop_duplicates(["k", "m"]).groupby("k").size() > 1).any():
                continue  # one key value holds records of different metadata: not this key
            values = {}
            for k, e in zip(pairs["k"], pairs["e"], strict=True):
                if str(k) not in values:
                    values[str(k)] = _value_fields(metas[e])
            return {"by": cand, "values": dict(sorted(values.items()))}
        return None

    def supp_items(self, frame: pd.DataFrame, supp: dict[str, Any]) -> dict[str, Meta]:
        """Metadata of each SUPP-- QNAM value (the column or operation it was split from)."""
        out: dict[str, Meta] = {}
        for qnam, item in supp["variables"].items():
            value = item["value"]
            if isinstance(value, str):
                meta = self.op_meta("copy", value, qnam, frame, None)
            else:
                name = op_name(value)
                meta = self.op_meta(name, value[name], qnam, frame, None)
            out[qnam] = finalize(override(meta, item), self.pages)
        return out


def override(meta: Meta, entry: dict[str, Any]) -> Meta:
    """``meta`` with the spec's explicit ``origin``/``source``/``crf``/``method``/``codelist``."""
    spec = entry_meta(entry)
    if not spec.explicit:
        return meta
    out = replace(meta, explicit=spec.explicit)
    if spec.origin and spec.origin != meta.origin:
        out = replace(out, origin=spec.origin, source=None, forms=meta.forms if spec.origin == "Collected" else (),
                      method=None if spec.origin != "Derived" else meta.method)
    for k in ("source", "method", "codelist", "comment"):
        if getattr(spec, k) is not None:
            out = replace(out, **{k: getattr(spec, k)})
    if spec.pages is not None:
        out = replace(out, pages=spec.pages, source=None)
    return out


def as_fields(meta: Meta) -> dict[str, Any]:
    """Variable fields of a Meta (a method only for Derived values or when written in the spec)."""
    fields: dict[str, Any] = {
        "origin": meta.origin,
        "source": meta.source if meta.origin in ("Collected", "Predecessor") else None,
        "method": meta.method if (meta.origin == "Derived" or "method" in meta.explicit) else None,
    }
    if meta.codelist:
        fields["codelist"] = meta.codelist
    if meta.comment:
        fields["comment"] = meta.comment
    return fields


def _value_fields(meta: Meta) -> dict[str, Any]:
    f = as_fields(meta)
    f.setdefault("codelist", None)
    return f


def _summary(name: str, arg: Any) -> str | None:
    """Short text of an assigned or collected entry, for the method of a mixed variable."""
    if name == "constant":
        return f"'{arg}'"
    if name == "hardcode_ct" and isinstance(arg, dict):
        return f"'{arg.get('value')}' (codelist {arg.get('codelist')})"
    ins = op_inputs(name, arg)
    if ins:
        cl = op_codelist(name, arg)
        return f"collected {', '.join(ins)}" + (f" (codelist {cl})" if cl else "")
    return None


def _step_method(name: str, arg: Any) -> str:
    if name == "subject_elements":
        return ("Elements of the subject's actual arm (DM." + str(arg.get("arm", "ACTARMCD"))
                + ") from the trial arms (TA); each element starts at its first dated record and ends "
                "where the next starts, the last at the end of participation")
    if name == "subject_visits":
        return "One record per visit of the subject, from the dated visit records"
    doc = REGISTRY[name].doc if name in REGISTRY else ""
    return " ".join((doc or name).split("\n\n")[0].split())


def qorig(meta: Meta, item: dict[str, Any], supp: dict[str, Any]) -> str:
    """SUPP-- QORIG text: the item's ``origin`` as written; else, for a collected value, the supp's
    ``qorig`` (default CRF); else the Define-XML origin of the value (Derived, Assigned, ...)."""
    if item.get("origin"):
        return str(item["origin"])
    if meta.origin == "Collected":
        return supp.get("qorig") or "CRF"
    return meta.origin or "Derived"


def qeval(meta: Meta, item: dict[str, Any], supp: dict[str, Any]) -> str | None:
    """SUPP-- QEVAL: the item's ``eval``, else the supp's ``qeval`` for collected (subjective) values."""
    if item.get("eval"):
        return item["eval"]
    return supp.get("qeval") if meta.origin == "Collected" else None


def supp_origins(domain: str, supp: dict[str, Any], items: dict[str, Meta]) -> dict[str, dict[str, Any]]:
    """Variable fields of SUPP<domain>: keys from the parent, QVAL by QNAM at value level."""
    idvar = supp.get("idvar")
    out: dict[str, dict[str, Any]] = {
        "STUDYID": {"origin": "Predecessor", "source": f"{domain}.STUDYID"},
        "USUBJID": {"origin": "Predecessor", "source": f"{domain}.USUBJID"},
        "IDVARVAL": ({"origin": "Predecessor", "source": f"{domain}.{idvar}"} if idvar else {"origin": "Assigned"}),
    }
    for v in ("RDOMAIN", "IDVAR", "QNAM", "QLABEL", "QORIG", "QEVAL"):
        out[v] = {"origin": "Assigned"}
    combined = combine([(m, None) for m in items.values()])
    qval = as_fields(combined)
    if len(items) > 1:
        qval["source"] = None
        qval["method"] = ("Per QNAM, see the value-level metadata of QVAL" if qval["origin"] == "Derived" else None)
    qval["value_level"] = {"by": "QNAM", "values": {q: _value_fields(m) for q, m in sorted(items.items())}}
    out["QVAL"] = qval
    return out


__all__ = ["Tracker", "normalize_origin", "op_name", "qeval", "qorig", "supp_origins"]
