"""FDA technical rules for SAS XPORT v5: names, labels, 200 bytes, ASCII (Arrow string kernels).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_als.rules.checks.base import (
    concat,
    empty_hits,
    hits,
    meta_hit,
    operator,
)
from cdisc_als.rules.context import Context
from cdisc_als.rules.frame import Target


@operator("var_name", scope="dataset", max={"type": "integer", "default": 8})
def op_var_name(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Variable names: at most ``max`` characters, upper-case letters, digits, underscore, no leading digit."""
    n = args.get("max", 8)
    pat = re.compile(r"^[A-Z_][A-Z0-9_]*$")
    bad = [c for c in t.columns if len(str(c)) > n or not pat.match(str(c))]
    return concat([meta_hit(c, c, f"<= {n} characters, A-Z 0-9 _ not starting with a digit") for c in bad])


@operator("var_label", scope="dataset", max={"type": "integer", "default": 40})
def op_var_label(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Variable labels: present, at most ``max`` characters, ASCII."""
    n = args.get("max", 40)
    parts = []
    for v in t.ds.variables:
        if v.name not in t.frame.columns:
            continue
        lab = v.label or ""
        if not lab.strip() or len(lab) > n or not lab.isascii():
            parts.append(meta_hit(v.name, lab, f"label of 1-{n} ASCII characters"))
    return concat(parts)


@operator("dataset_name", scope="dataset", max={"type": "integer", "default": 8})
def op_dataset_name(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Dataset name: at most ``max`` characters, letters and digits, starting with a letter."""
    n = args.get("max", 8)
    ok = len(t.name) <= n and re.match(r"^[A-Z][A-Z0-9]*$", t.name)
    return empty_hits() if ok else meta_hit(None, t.name, f"<= {n} characters A-Z 0-9")


@operator("dataset_label", scope="dataset", max={"type": "integer", "default": 40})
def op_dataset_label(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Dataset label: present, at most ``max`` characters, ASCII."""
    n = args.get("max", 40)
    lab = t.ds.label or ""
    ok = lab.strip() and len(lab) <= n and lab.isascii()
    return empty_hits() if ok else meta_hit(None, lab, f"dataset label of 1-{n} ASCII characters")


def _char_vars(t: Target) -> list[str]:
    return [c for c in t.columns if not pd.api.types.is_numeric_dtype(t.frame[c]) and not pd.api.types.is_datetime64_any_dtype(t.frame[c])]


@operator("char_values", scope="record", check={"type": "string", "allowed": ["bytes", "ascii", "leading_space", "dot"], "required": True}, max={"type": "integer", "default": 200})
def op_char_values(t: Target, ctx: Context, args: dict, mask: np.ndarray) -> pd.DataFrame:
    """Every character value: <= ``max`` bytes / ASCII only / no leading space / not just '.'.

    Uses Arrow string kernels (one C pass per column); values are shown only for the hits.
    """
    import pyarrow.compute as pc

    kind = args["check"]
    limit = args.get("max", 200)
    parts = []
    for c in _char_vars(t):
        arr = t.arrow(c)
        if kind == "bytes":
            bad = pc.greater(pc.binary_length(arr), limit)
            exp = f"<= {limit} bytes"
        elif kind == "ascii":
            bad = pc.invert(pc.string_is_ascii(arr))
            exp = "ASCII characters only"
        elif kind == "leading_space":
            bad = pc.match_substring_regex(arr, r"^\s+\S")
            exp = "no leading spaces"
        else:
            bad = pc.equal(pc.utf8_trim_whitespace(arr), ".")
            exp = "not '.'"
        flags = pc.fill_null(bad, False).to_numpy(zero_copy_only=False).astype(bool)
        if flags.any():
            raw = t.raw(c)
            parts.append(hits(mask & flags, c, raw, exp))
    return concat(parts)
