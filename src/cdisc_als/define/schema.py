"""Validate a define.xml against the official Define-XML 2.1 schema, and render it to HTML.

The schema files are CDISC's and are not shipped with the project (house rule: nothing from
public repositories is committed). They are found from an argument or from
``$CDISC_REFERENCE_DIR/schemas/define-2.1/``; when none is available the result says so
plainly instead of pretending the document is valid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from cdisc_als.errors import DataError

SCHEMA_FILE = "define2-1-0.xsd"
_CANDIDATES = (
    Path("cdisc-define-2.1") / SCHEMA_FILE,
    Path(SCHEMA_FILE),
    Path("define-2.1") / "cdisc-define-2.1" / SCHEMA_FILE,
    Path("schemas") / "define-2.1" / "cdisc-define-2.1" / SCHEMA_FILE,
)


@dataclass
class SchemaResult:
    """Outcome of a schema check. ``valid`` is None when no schema was available."""

    path: Path
    schema: Path | None
    valid: bool | None
    errors: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def available(self) -> bool:
        return self.schema is not None


def find_schema(schema_dir: str | Path | None = None) -> Path | None:
    """The define2-1-0.xsd from ``schema_dir`` (a file or folder) or CDISC_REFERENCE_DIR."""
    roots: list[Path] = []
    if schema_dir is not None:
        roots.append(Path(schema_dir))
    elif os.environ.get("CDISC_REFERENCE_DIR"):
        roots.append(Path(os.environ["CDISC_REFERENCE_DIR"]))
    for root in roots:
        if root.is_file() and root.suffix.lower() == ".xsd":
            return root
        for cand in _CANDIDATES:
            if (root / cand).is_file():
                return root / cand
    return None


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def validate_define(path: str | Path, schema_dir: str | Path | None = None) -> SchemaResult:
    """Check ``path`` against the Define-XML 2.1 XSD; errors carry line numbers."""
    path = Path(path)
    schema_path = find_schema(schema_dir)
    if schema_path is None:
        where = f"in {schema_dir}" if schema_dir is not None else "(CDISC_REFERENCE_DIR is not set)"
        return SchemaResult(
            path, None, None, [],
            f"no Define-XML 2.1 schema available {where}: pass schema_dir (folder holding "
            f"cdisc-define-2.1/{SCHEMA_FILE}) or set CDISC_REFERENCE_DIR; the document was NOT "
            "schema-validated",
        )  # fmt: skip
    try:
        doc = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise DataError(path, f"not readable as XML: {exc}") from exc
    schema = _schema(schema_path.resolve())
    valid = schema.validate(doc)
    errors = [f"line {e.line}: {e.message}" for e in schema.error_log]
    msg = "valid against Define-XML 2.1" if valid else f"{len(errors)} schema error(s)"
    return SchemaResult(path, schema_path, bool(valid), errors, msg)


def render_html(define: str | Path | bytes, stylesheet: str | Path | None = None) -> str:
    """Apply our XSLT 1.0 stylesheet (``define/define2-1.xsl``) and return the HTML text."""
    from cdisc_als.define.build import stylesheet_path

    xsl = etree.XSLT(etree.parse(str(stylesheet or stylesheet_path())))
    doc = etree.fromstring(define) if isinstance(define, bytes) else etree.parse(str(define))
    return str(xsl(doc))
