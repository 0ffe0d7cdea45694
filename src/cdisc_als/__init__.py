"""cdisc-als: raw clinical trial data to CDISC SDTM and ADaM, validated, as SAS XPORT v5 and Define-XML 2.1."""

__version__ = "0.1.0"
