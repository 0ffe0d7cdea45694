"""The operation vocabulary that mapping (SDTM) and derivation (ADaM) specs call by name.

Each family lives in its own module (assign, ct, dates, seq, study_day, visits, transpose, supp,
join, trial design, ADaM derivations, ...) and registers its operations with
``@operation(name, schema=...)``. ``registry.REGISTRY`` is the single place a spec's operation
names are resolved, so the spec checker can list every valid name and check each argument with
the operation's own cerberus schema before any data is touched.
"""

from cdisc_als.ops.registry import REGISTRY, Context, Operation, get_operation, operation

__all__ = ["REGISTRY", "Context", "Operation", "get_operation", "operation"]
