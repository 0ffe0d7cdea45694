"""Allow `python -m cdisc_als ...` (same as the `cdisc-als` console script)."""

from cdisc_als.cli import main

main()
