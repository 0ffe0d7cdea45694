"""Controlled terminology as the validator needs it: codelist id -> (values, extensible).

The project's terminology module (``cdisc_als.ct.load_ct``) is used when it exists. Until then,
and in tests, the same information is read from the curated ``specs/ct/*.csv`` files (columns
documented in ``cdisc_als.standards``) or from a DataFrame in that layout. Only *submission
values* count as conformant: CT conformance is an exact, case-sensitive match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc_als.resources import specs_path


@dataclass(frozen=True)
class CodelistInfo:
    id: str
    code: str
    name: str
    extensible: bool
    values: frozenset[str]


class CtAdapter:
    """Lookup of codelists by submission value id (``NY``) or C-code (``C66742``)."""

    def __init__(self, codelists: dict[str, CodelistInfo], version: str = "", term=None):
        self.version = version
        self._term = term  # a cdisc_als.ct.Terminology, asked lazily for codelists not cached
        self._by_key: dict[str, CodelistInfo | None] = {}
        for cl in codelists.values():
            self._by_key[cl.id.upper()] = cl
            if cl.code:
                self._by_key[cl.code.upper()] = cl

    def get(self, key: str | None) -> CodelistInfo | None:
        if not key:
            return None
        k = str(key).upper()
        if k not in self._by_key and self._term is not None:
            try:
                cl = self._term.codelist(key)
                self._by_key[k] = CodelistInfo(
                    id=cl.id,
                    code=getattr(cl, "code", "") or "",
                    name=getattr(cl, "name", "") or "",
                    extensible=bool(cl.extensible),
                    values=frozenset(str(v) for v in cl.values),
                )
            except (KeyError, LookupError, ValueError):
                self._by_key[k] = None
        return self._by_key.get(k)

    def __len__(self) -> int:
        return len({id(v) for v in self._by_key.values()})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, version: str = "") -> CtAdapter:
        """Build from rows with codelist, codelist_code, codelist_name, extensible, submission_value."""
        f = frame.fillna("").astype(str)
        out: dict[str, CodelistInfo] = {}
        for key, grp in f.groupby("codelist", sort=False):
            first = grp.iloc[0]
            ext = str(first.get("extensible", "")).strip().lower() in ("yes", "true", "y", "1")
            out[str(key)] = CodelistInfo(
                id=str(key),
                code=str(first.get("codelist_code", "")),
                name=str(first.get("codelist_name", "")),
                extensible=ext,
                values=frozenset(grp["submission_value"].tolist()),
            )
        return cls(out, version)


def load_ct_adapter(version: str = "2025-03-28") -> CtAdapter | None:
    """The project's terminology for ``version``, or None when none is available."""
    try:
        from cdisc_als.ct import load_ct  # type: ignore[attr-defined]
    except ImportError:
        load_ct = None
    if load_ct is not None:
        try:
            term = load_ct(version=version)
            return _from_terminology(term, version)
        except Exception:  # noqa: BLE001 - fall back to the curated files below
            pass
    try:
        folder = specs_path("ct")
    except FileNotFoundError:
        return None
    files = sorted(Path(folder).glob(f"*{version}*.csv")) if Path(folder).is_dir() else []
    if not files:
        return None
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in files])
    return CtAdapter.from_frame(frame, version)


def _from_terminology(term, version: str) -> CtAdapter:
    """Wrap a ``cdisc_als.ct.Terminology``: codelists are fetched from it on first use."""
    return CtAdapter({}, version, term=term)
