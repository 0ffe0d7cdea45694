"""The operation vocabulary that mapping (SDTM) and derivation (ADaM) specs call by name.

Each family lives in its own module (assign, ct, dates, derive, visits, steps, trial design, ...)
and registers its operations with ``@operation(name, schema=...)``. Every module of this package
is imported here, so an engineer adding a family only adds a file. ``registry.REGISTRY`` is the
single place a spec's operation names are resolved, so the spec checker can list every valid name
and check each argument with the operation's own cerberus schema before any data is touched.
"""

import importlib
import pkgutil

from cdisc_als.ops.registry import REGISTRY, Context, Operation, get_operation, operation

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "registry":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["REGISTRY", "Context", "Operation", "get_operation", "operation"]
