"""The check operators rule files may use, one module per family; importing the package registers
them all in ``base.OPERATORS``."""

from cdisc_als.rules.checks import (  # noqa: F401  (each module registers its operators)
    base,
    consistency,
    dates,
    model,
    presence,
    relations,
    study,
    technical,
    values,
)
