"""Raw EDC tables -> SDTM datasets, driven by the study's declarative mapping specs.

Entry point: ``map_study(study, raw_dir, log) -> {name: Dataset}``. The spec language is
documented in docs/spec-language.md; ``load_spec`` checks one spec file without reading data.
"""

from cdisc_als.sdtm.runner import AccountingError, map_study, run_spec
from cdisc_als.sdtm.spec import Spec, load_spec

__all__ = ["AccountingError", "Spec", "load_spec", "map_study", "run_spec"]
