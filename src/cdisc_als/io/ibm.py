"""IEEE 754 doubles <-> IBM System/370 doubles, in bulk with numpy integer arithmetic.

SAS transport v5 stores every numeric as an IBM hexadecimal float: 1 sign bit, a 7-bit
base-16 exponent biased by 64 and a 56-bit fraction ``0.f`` (``1/16 <= f < 1``). An IEEE
double has 53 significant bits, so the conversion IEEE -> IBM is *exact* whenever the value is
in range (only left shifts are needed). The IBM range is ``16**-65 <= |x| < 16**63``
(about 5.4e-79 to 7.2e75); values outside it cannot be stored. Missing (NaN) is written as the
SAS missing value ``.``: byte 0x2E followed by seven zero bytes.

Why not a loop over values: a 4-million-row dataset has tens of millions of numbers; this
module converts them as whole arrays (a few integer operations per element, in C).
"""

from __future__ import annotations

import numpy as np

#: Smallest normalized IBM double (16**-65) and the first value too large (16**63).
IBM_MIN = 2.0**-260
IBM_MAX = 2.0**252

_MASK56 = np.uint64((1 << 56) - 1)


def out_of_range(values: np.ndarray) -> np.ndarray:
    """Boolean mask of values that no IBM double can hold (inf, too large, too small non-zero).

    NaN is *not* out of range: it is the SAS missing value.
    """
    mag = np.abs(values)
    with np.errstate(invalid="ignore"):
        return np.isinf(values) | (mag >= IBM_MAX) | ((mag < IBM_MIN) & (mag > 0))


def ieee_to_ibm(values: np.ndarray) -> np.ndarray:
    """IBM doubles of ``values`` as big-endian ``>u8`` (8 bytes per value, ready to write).

    The caller must have rejected values flagged by :func:`out_of_range`; zero and ``-0.0``
    become eight zero bytes (SAS has no negative zero), NaN becomes the missing value ``.``.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bits = x.view(np.int64)
    # |value| = mant * 2**(exp2 - 1075) and 2**(p-1) <= |value| < 2**p with p = exp2 - 1022
    p = ((bits >> 52) & 0x7FF) - 1022
    q = (p + 3) >> 2  # ceil(p / 4): the unbiased base-16 exponent (arithmetic shift)
    shift = (q << 2) - p  # 0..3
    mant = (bits & ((1 << 52) - 1)) | (1 << 52)
    ibm = ((q + 64) << 56) | (mant << (3 - shift))  # 53 bits placed in the 56-bit fraction
    ibm |= bits & np.int64(-(1 << 63))  # sign bit
    ibm[x == 0] = 0
    ibm[np.isnan(x)] = 0x2E << 56
    return ibm.view(np.uint64).astype(">u8")


def ibm_to_ieee(raw: np.ndarray) -> np.ndarray:
    """IEEE doubles from big-endian IBM doubles (``>u8``); SAS missing values become NaN.

    A missing value is a first byte of ``.``, ``_`` or ``A``-``Z`` followed by zero bytes.
    """
    bits = np.asarray(raw).astype(np.uint64)
    first = (bits >> np.uint64(56)).astype(np.int64)
    frac = bits & _MASK56
    missing = (frac == 0) & (
        (first == 0x2E) | (first == 0x5F) | ((first >= 0x41) & (first <= 0x5A))
    )
    exp16 = (first & 0x7F) - 64
    out = np.ldexp(frac.astype(np.float64), (4 * exp16 - 56).astype(np.int32))
    out = np.where(first & 0x80, -out, out)
    out[missing] = np.nan
    return out
