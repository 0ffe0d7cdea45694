"""Coverage of the CDISC CORE catalog by the project's rules (specs/rules/*.yaml).

Reads ``$CDISC_REFERENCE_DIR/core-rules/rules.json`` (the public CORE rule catalog; read only,
never copied) and reports, for SDTMIG 3.4, how many CORE rules apply to the domains the project
builds (DM, AE, EX, QS, DS, SV, SE, SUPP--, TA, TE, TV, TS) or to ALL domains, and which of those
our rule files implement (a rule implements a CORE rule when it names its CORE id). Prints
Markdown; ``--out FILE`` writes it (docs/validation-coverage.md is this output).

    CDISC_REFERENCE_DIR=../shared/reference .venv/bin/python tools/core_coverage.py --out docs/validation-coverage.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cdisc_als.rules.coverage import load_catalog, report


def main() -> int:
    ap = argparse.ArgumentParser(description="CORE catalog coverage of specs/rules")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    catalog = load_catalog()
    if catalog is None:
        print("set CDISC_REFERENCE_DIR to the reference folder (with core-rules/rules.json)", file=sys.stderr)
        return 2
    text = report(catalog)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text.split("## Not implemented")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
