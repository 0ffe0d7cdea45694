"""Define-XML 2.1: build from Dataset metadata, check against the XSD and against the data.

- ``build_define(study, datasets, standard) -> bytes`` and ``write_define_for_folder(study,
  data_dir, out_path)`` (build.py; template ``define/define.xml.j2``, stylesheet
  ``define/define2-1.xsl``)
- ``validate_define(path, schema_dir=None) -> SchemaResult`` (schema.py)
- ``check_define_consistency(define_path, datasets) -> list[Finding]`` (consistency.py)
"""

from __future__ import annotations

from cdisc_als.define.build import (
    build_define,
    detect_standard,
    read_datasets,
    stylesheet_path,
    write_define_for_folder,
)
from cdisc_als.define.consistency import Finding, check_define_consistency
from cdisc_als.define.schema import SchemaResult, find_schema, render_html, validate_define

__all__ = [
    "Finding",
    "SchemaResult",
    "build_define",
    "check_define_consistency",
    "detect_standard",
    "find_schema",
    "read_datasets",
    "render_html",
    "stylesheet_path",
    "validate_define",
    "write_define_for_folder",
]
