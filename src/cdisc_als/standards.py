"""Access to the curated standards metadata in ``specs/``.

Files (curated by the project, each folder has a README naming the source and version):

- ``specs/<standard>/datasets.csv``: dataset, label, class, structure, keys (space separated)
- ``specs/<standard>/variables.csv``: dataset, order, variable, label, type (Char/Num), role,
  core (Req/Exp/Perm or Req/Cond/Perm), codelist (CT submission value of the codelist, e.g. NY),
  datatype (Define-XML datatype), format (SAS format for ADaM numeric dates)
- ``specs/ct/<package>-<date>.csv``: the subset of a CDISC CT package the project uses,
  columns codelist_code, codelist, codelist_name, extensible, code, submission_value, synonyms,
  definition (truncated), preferred_term
- ``specs/ct/sponsor/*.yaml``: sponsor-defined codelists (not CDISC) and extensions of extensible
  CDISC codelists; read through ``cdisc_als.ct.load_ct``.

Standards are named like ``sdtmig-3.4`` and ``adamig-1.3``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from cdisc_als.dataset import Variable
from cdisc_als.resources import specs_path


@dataclass(frozen=True)
class DatasetMeta:
    """Standard metadata of one dataset (domain or ADaM dataset)."""

    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]

    def variable(self, name: str) -> Variable | None:
        for v in self.variables:
            if v.name == name:
                return v
        return None


class Standard:
    """One implementation guide's metadata (e.g. SDTMIG 3.4), loaded from ``specs/<name>/``."""

    def __init__(self, name: str, root: Path | None = None):
        self.name = name
        self.root = root or specs_path(name)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no standards metadata for {name!r} in {self.root}")
        self._datasets = pd.read_csv(self.root / "datasets.csv", dtype=str, keep_default_na=False)
        self._variables = pd.read_csv(self.root / "variables.csv", dtype=str, keep_default_na=False)

    @property
    def dataset_names(self) -> list[str]:
        return list(self._datasets["dataset"])

    def has_dataset(self, name: str) -> bool:
        """True for a dataset of the standard, including SUPP-- names (SUPPAE -> SUPPQUAL)."""
        try:
            self._resolve(name.upper(), None)
        except KeyError:
            return False
        return True

    def _resolve(self, name: str, like: str | None) -> tuple[str, str | None]:
        """The metadata row to use for ``name`` and the label override, if any."""
        known = set(self._datasets["dataset"])
        if name in known:
            return name, None
        if name.startswith("SUPP") and len(name) in (6, 8) and "SUPPQUAL" in known:
            return "SUPPQUAL", f"Supplemental Qualifiers for {name[4:]}"
        if like is not None and like.upper() in known:
            return like.upper(), None
        raise KeyError(f"{self.name} has no dataset {name}")

    def dataset(self, name: str, like: str | None = None) -> DatasetMeta:
        """Metadata of a dataset; raises KeyError naming the standard when it is unknown.

        ``SUPPAE``, ``SUPPDM``... resolve to the ``SUPPQUAL`` metadata (named and labelled for the
        parent domain). ``like`` names a template for sponsor datasets, e.g.
        ``dataset("ADQSALS", like="BDS")`` returns the generic BDS metadata under the name ADQSALS.
        """
        name = name.upper()
        source, label = self._resolve(name, like)
        r = self._datasets[self._datasets["dataset"] == source].iloc[0]
        vars_ = self._variables[self._variables["dataset"] == source].copy()
        vars_["_o"] = pd.to_numeric(vars_["order"])
        vars_ = vars_.sort_values("_o")
        variables = tuple(
            Variable(
                name=v["variable"],
                label=v["label"],
                type=v["type"] or "Char",
                role=v.get("role") or None,
                core=v.get("core") or None,
                codelist=v.get("codelist") or None,
                datatype=v.get("datatype") or None,
                format=v.get("format") or None,
            )
            for v in vars_.to_dict("records")
        )
        return DatasetMeta(
            name=name,
            label=label or r["label"],
            cls=r["class"],
            structure=r["structure"],
            keys=tuple(r["keys"].split()),
            variables=variables,
        )


@cache
def load_standard(name: str) -> Standard:
    """Load (once) the metadata of a standard such as ``sdtmig-3.4``."""
    return Standard(name)
