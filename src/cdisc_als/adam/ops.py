"""Import every ADaM derivation module so that its operations are in the shared registry."""

from cdisc_als.adam import (  # noqa: F401
    derive_bds,
    derive_dates,
    derive_flags,
    derive_locf,
    derive_merged,
    derive_periods,
    derive_tte,
)
