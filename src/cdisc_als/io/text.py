"""ASCII transliteration for the optional ``transliterate=True`` of the XPT writer.

SAS transport v5 files for the FDA must be ASCII. By default a non-ASCII value is an error (a
sponsor should see it); on request, typographic characters are mapped to their ASCII
equivalents (curly quotes, dashes, non-breaking space, ...) and accents are removed by Unicode
decomposition (``é`` -> ``e``). Anything still non-ASCII after that is still an error.
"""

from __future__ import annotations

import pandas as pd

_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2026": "...", "\u2022": "*",
    "\u00b5": "u", "\u03bc": "u", "\u00b0": " deg", "\u00b1": "+/-", "\u00d7": "x",
    "\u2264": "<=", "\u2265": ">=", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE",
    "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L",
    "\u00ae": "(R)", "\u00a9": "(C)", "\u2122": "(TM)",
}  # fmt: skip
_TABLE = str.maketrans(_MAP)


def transliterate(values: pd.Series) -> pd.Series:
    """ASCII look-alikes of ``values`` (strings); characters without one are kept (and fail later)."""
    mapped = values.str.translate(_TABLE).str.normalize("NFKD")
    return mapped.str.replace(r"[\u0300-\u036f]", "", regex=True)


def transliterate_text(text: str) -> str:
    """:func:`transliterate` for one string (labels)."""
    return str(transliterate(pd.Series([text], dtype=object)).iloc[0])
