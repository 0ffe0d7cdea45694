"""SDTM -> ADaM: declarative specs (one YAML per dataset) run by one engine of named derivations.

Entry point: ``derive_study(study, sdtm, log) -> {name: Dataset}``. The derivations are
registered operations (``cdisc_als.ops.registry``) named like admiral's derive_* functions;
see ``docs/adam-derivations.md`` for the vocabulary and the spec format.
"""

from cdisc_als.adam.runner import derive_spec, derive_specs, derive_study, load_specs
from cdisc_als.adam.spec import AdamSpec, load_spec

__all__ = ["AdamSpec", "derive_spec", "derive_specs", "derive_study", "load_spec", "load_specs"]
