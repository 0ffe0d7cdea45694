"""Controlled terminology: the curated CDISC CT subset in ``specs/ct/`` plus sponsor codelists.

Why one module: the mapping engine (CT lookup and decode), the validator (value in codelist,
extensible or not) and the Define-XML writer (CodeLists, ExtendedValue, sponsor vs NCI codes) must
all read the same terminology, in the same version, the same way.

Files (see ``specs/ct/README.md``):

- ``specs/ct/sdtm-ct-<version>.csv`` and ``specs/ct/adam-ct-<version>.csv``: one row per term,
  columns codelist_code, codelist, codelist_name, extensible, code, submission_value, synonyms,
  definition, preferred_term (written by ``tools/curate_ct.py``).
- ``specs/ct/sponsor/*.yaml``: ``codelists:`` (sponsor-defined codelists; terms as a list of
  mappings with code/submission_value/synonyms/preferred_term/definition, or a compact
  ``values: {submission value: preferred term}``) and ``extensions:`` (terms added to an
  extensible CDISC codelist; flagged ``extended``).

Lookups are vectorised: ``normalize``/``contains``/``decode`` map the unique values of a Series
once and broadcast the result, so they cost O(unique values), never a Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cdisc_als.errors import SpecError
from cdisc_als.resources import specs_path

DEFAULT_VERSION = "2025-03-28"
TERM_COLUMNS = ["code", "submission_value", "synonyms", "preferred_term", "definition", "extended"]
_PACKAGES = ("sdtm", "adam")


def _split_synonyms(text: str) -> list[str]:
    return [s.strip() for s in str(text).split(";") if s.strip()]


@dataclass(eq=False)
class Codelist:
    """One codelist: CDISC (from the curated CT) or sponsor-defined.

    ``terms`` has the columns code, submission_value, synonyms, preferred_term, definition,
    extended (True for sponsor terms added to an extensible CDISC codelist).
    """

    id: str
    code: str | None
    name: str
    extensible: bool
    sponsor: bool
    terms: pd.DataFrame
    version: str = DEFAULT_VERSION
    external: dict | None = None  # external dictionary (e.g. ISO 3166-1 alpha-3), if any
    datatype: str = "text"  # Define-XML CodeList DataType
    _maps: tuple[dict, dict, dict] | None = field(default=None, repr=False)

    @property
    def values(self) -> list[str]:
        """Submission values in file order."""
        return list(self.terms["submission_value"])

    @property
    def extended_values(self) -> list[str]:
        return list(self.terms.loc[self.terms["extended"], "submission_value"])

    def _lookup_maps(self) -> tuple[dict, dict, dict]:
        """Exact, case-insensitive and synonym (case-insensitive) maps to the submission value.

        A lower-cased value or synonym shared by two different terms is ambiguous and left out,
        so it never silently picks one of them.
        """
        if self._maps is None:
            sv = self.terms["submission_value"].astype(str)
            exact = dict(zip(sv, sv, strict=True))
            lower = _unambiguous(zip(sv.str.lower(), sv, strict=True))
            syn_pairs = (
                (s.lower(), v)
                for v, syns in zip(sv, self.terms["synonyms"], strict=True)
                for s in _split_synonyms(syns)
            )
            synonyms = _unambiguous(syn_pairs)
            self._maps = (exact, lower, synonyms)
        return self._maps

    def normalize(self, series: pd.Series) -> pd.Series:
        """Map values to submission values: exact, then case-insensitive, then synonyms.

        Unmatched values (and missing ones) become NaN; the caller decides how to report them.
        """
        s = pd.Series(series)
        exact, lower, synonyms = self._lookup_maps()
        uniq = pd.unique(s.dropna())
        mapping: dict = {}
        for u in uniq:  # loop over distinct values only, not rows
            key = str(u).strip()
            hit = exact.get(key)
            if hit is None:
                low = key.lower()
                hit = lower.get(low, synonyms.get(low))
            if hit is not None:
                mapping[u] = hit
        out = s.map(mapping)
        return out.astype(object).where(out.notna(), np.nan).rename(s.name)

    def contains(self, series: pd.Series) -> pd.Series:
        """True where the value is exactly a submission value of this codelist."""
        s = pd.Series(series)
        return s.isin(set(self.terms["submission_value"]))

    def decode_map(self) -> dict[str, str]:
        """submission value -> term code."""
        return dict(zip(self.terms["submission_value"], self.terms["code"], strict=True))


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    bad: set[str] = set()
    for k, v in pairs:
        if k in out and out[k] != v:
            bad.add(k)
        out.setdefault(k, v)
    for k in bad:
        del out[k]
    return out


class Terminology:
    """All codelists of one CT version plus sponsor codelists and extensions."""

    def __init__(self, version: str, codelists: dict[str, Codelist]):
        self.version = version
        self._by_id = codelists
        self._by_code = {c.code: c for c in codelists.values() if c.code}

    @property
    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def codelists(self) -> list[Codelist]:
        """Every codelist (CDISC subset and sponsor), sorted by id: what Define-XML may list."""
        return [self._by_id[k] for k in self.ids]

    def __contains__(self, id_or_code: str) -> bool:
        return id_or_code in self._by_id or id_or_code in self._by_code

    def codelist(self, id_or_code: str) -> Codelist:
        """Codelist by submission value id (``NY``) or NCI C-code (``C66742``)."""
        cl = self._by_id.get(id_or_code) or self._by_code.get(id_or_code)
        if cl is None:
            raise KeyError(
                f"codelist {id_or_code!r} is not in CDISC CT {self.version} (curated subset in "
                "specs/ct/) nor in the sponsor codelists; add it to tools/curate_ct.py EXPLICIT "
                "or to specs/ct/sponsor/"
            )
        return cl

    def extended_values(self, codelist_id: str) -> list[str]:
        """Sponsor values added to an extensible CDISC codelist (Define-XML ExtendedValue)."""
        return self.codelist(codelist_id).extended_values

    def decode(self, tc_id: str, tn_id: str, series: pd.Series) -> pd.Series:
        """Map codes of codelist ``tc_id`` to the paired values of ``tn_id`` via the term code.

        E.g. QSTESTCD ``ALSF0101`` -> QSTEST ``ALSF01-Speech``; VSTESTCD ``SYSBP`` -> VSTEST
        ``Systolic Blood Pressure``. Values not in ``tc_id`` (or without a partner term) give NaN.
        """
        tc, tn = self.codelist(tc_id), self.codelist(tn_id)
        code_to_name = dict(zip(tn.terms["code"], tn.terms["submission_value"], strict=True))
        value_to_name = {
            v: code_to_name[c] for v, c in tc.decode_map().items() if c in code_to_name
        }
        s = pd.Series(series)
        out = s.map(value_to_name)
        return out.astype(object).where(out.notna(), np.nan).rename(s.name)


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=TERM_COLUMNS)
    for c in TERM_COLUMNS[:-1]:
        df[c] = df[c].fillna("").astype(str)
    df["extended"] = df["extended"].fillna(False).astype(bool)
    return df.reset_index(drop=True)


def _read_cdisc(version: str) -> dict[str, Codelist]:
    out: dict[str, Codelist] = {}
    for pkg in _PACKAGES:
        path = specs_path("ct", f"{pkg}-ct-{version}.csv")
        if not path.is_file():
            if pkg == "sdtm":
                raise FileNotFoundError(
                    f"no curated CT {version} in {path.parent} (run tools/curate_ct.py --version "
                    f"{version})"
                )
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        df["extended"] = False
        for cid, g in df.groupby("codelist", sort=False):
            if cid in out:
                continue
            head = g.iloc[0]
            out[cid] = Codelist(
                id=cid,
                code=head["codelist_code"] or None,
                name=head["codelist_name"],
                extensible=head["extensible"] == "Yes",
                sponsor=False,
                terms=g[TERM_COLUMNS].reset_index(drop=True),
                version=version,
            )
    return out


def _sponsor_terms(path: Path, entry: dict, extended: bool) -> list[dict]:
    rows: list[dict] = []
    for i, t in enumerate(entry.get("terms") or []):
        if not isinstance(t, dict) or not t.get("submission_value"):
            raise SpecError(
                path, f"{entry.get('codelist')}.terms[{i + 1}]",
                "expected a mapping with a submission_value",
            )
        rows.append(
            {
                "code": str(t.get("code") or t["submission_value"]),
                "submission_value": str(t["submission_value"]),
                "synonyms": "; ".join(t.get("synonyms") or []),
                "preferred_term": str(t.get("preferred_term") or ""),
                "definition": str(t.get("definition") or ""),
                "extended": extended,
            }
        )
    for sv, pt in (entry.get("values") or {}).items():
        rows.append(
            {"code": str(sv), "submission_value": str(sv), "synonyms": "",
             "preferred_term": str(pt or ""), "definition": "", "extended": extended}
        )
    return rows


def _apply_sponsor(path: Path, codelists: dict[str, Codelist], version: str) -> None:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C parser when available
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise SpecError(path, "", f"not valid YAML: {exc}") from exc
    unknown = set(doc) - {"codelists", "extensions"}
    if unknown:
        raise SpecError(path, "top level", f"unknown keys {sorted(unknown)}; "
                        "expected 'codelists' and/or 'extensions'")
    for entry in doc.get("codelists") or []:
        cid = entry.get("codelist")
        if not cid:
            raise SpecError(path, "codelists", "an entry has no 'codelist' id")
        if cid in codelists and not codelists[cid].sponsor:
            raise SpecError(path, cid, f"sponsor codelist clashes with CDISC CT {version}")
        codelists[cid] = Codelist(
            id=cid,
            code=None,
            name=str(entry.get("name") or cid),
            extensible=bool(entry.get("extensible", False)),
            sponsor=True,
            terms=_frame(_sponsor_terms(path, entry, extended=False)),
            version=version,
            external=entry.get("external"),
            datatype=str(entry.get("datatype") or "text"),
        )
    for entry in doc.get("extensions") or []:
        cid = entry.get("codelist")
        base = codelists.get(cid)
        if base is None:
            raise SpecError(path, f"extensions.{cid}", f"codelist is not in CT {version}")
        if not base.extensible:
            raise SpecError(path, f"extensions.{cid}", f"codelist is not extensible in CT {version}")
        added = _frame(_sponsor_terms(path, entry, extended=True))
        clash = set(added["submission_value"]) & set(base.terms["submission_value"])
        if clash:
            raise SpecError(path, f"extensions.{cid}", f"repeats existing values {sorted(clash)}")
        codelists[cid] = Codelist(
            id=base.id, code=base.code, name=base.name, extensible=True, sponsor=base.sponsor,
            terms=pd.concat([base.terms, added], ignore_index=True), version=version,
            external=base.external,
        )


@cache
def _load(version: str, extra: tuple[str, ...]) -> Terminology:
    codelists = _read_cdisc(version)
    sponsor_dir = specs_path("ct", "sponsor")
    files = sorted(sponsor_dir.glob("*.yaml")) if sponsor_dir.is_dir() else []
    for p in [*files, *map(Path, extra)]:
        _apply_sponsor(p, codelists, version)
    return Terminology(version, codelists)


def load_ct(version: str = DEFAULT_VERSION, extra: Iterable[Path | str] = ()) -> Terminology:
    """Load (once per version and extra files) the CT subset plus sponsor codelists.

    ``extra``: study-specific sponsor YAML files (same format as ``specs/ct/sponsor/*.yaml``).
    """
    return _load(version, tuple(str(Path(p).resolve()) for p in extra))


def study_terminology(study: Any) -> Terminology:
    """The CT of a study: ``standards.ct`` of its study.yaml plus the study's own sponsor codelists.

    A study may keep codelists of its own (same format as ``specs/ct/sponsor/*.yaml``) in files
    named by ``codelists:`` in study.yaml, relative to the study folder, so that a new study
    needs no change to the installed package.
    """
    config = getattr(study, "config", None) or {}
    version = (config.get("standards") or {}).get("ct") or DEFAULT_VERSION
    folder = Path(getattr(study, "path", "."))
    extra = [folder / name for name in config.get("codelists") or []]
    for path in extra:
        if not path.is_file():
            raise SpecError(folder / "study.yaml", "codelists", f"codelist file {path} not found")
    return load_ct(version, extra=extra)
