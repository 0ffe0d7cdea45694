"""Render define.xml from the context (jinja2 template in ``define/``) and write it for a folder.

The rendered text is parsed and re-serialised with lxml: that proves it is well-formed XML and
gives one canonical layout, so two builds of the same data are byte-identical.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from lxml import etree

from cdisc_als.dataset import Dataset
from cdisc_als.define.model import build_context
from cdisc_als.errors import DataError
from cdisc_als.resources import define_path

TEMPLATE = "define.xml.j2"
STYLESHEET = "define2-1.xsl"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(define_path())),
        autoescape=True,  # HTML escaping (&, <, >, quotes) is valid XML escaping too
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(context: dict) -> bytes:
    """Template -> canonical UTF-8 XML bytes (well-formedness checked by lxml)."""
    text = _environment().get_template(TEMPLATE).render(c=context)
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(text.encode("utf-8"), parser)
    body = etree.tostring(root.getroottree(), encoding="UTF-8", pretty_print=True)
    if body.startswith(b"<?xml "):  # lxml writes a declaration for non-ASCII-safe encodings
        body = body.split(b"\n", 1)[1]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def build_define(study, datasets: dict[str, Dataset], standard: str) -> bytes:
    """Define-XML 2.1 of ``datasets`` (one standard: ``sdtmig-3.4`` or ``adamig-1.3``)."""
    return render(build_context(study, datasets, standard))


def stylesheet_path() -> Path:
    """Our own XSLT 1.0 stylesheet shipped in ``define/``."""
    return define_path(STYLESHEET)


def detect_standard(study, datasets: dict[str, Dataset]) -> str:
    """ADaM when every dataset is an AD* dataset, else SDTM; versions from study.yaml."""
    std = (getattr(study, "config", None) or {}).get("standards") or {}
    names = list(datasets)
    if names and all(n.upper().startswith("AD") for n in names):
        return std.get("adam") or "adamig-1.3"
    return std.get("sdtm") or "sdtmig-3.4"


def read_datasets(data_dir: Path) -> dict[str, Dataset]:
    """All datasets of a folder: ``cdisc_als.io.read_folder`` when available, else the compare
    loader over xpt (preferred) / Dataset-JSON / parquet files."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "not a folder")
    try:
        from cdisc_als.io.datasets import read_folder
    except ImportError:
        read_folder = None
    if read_folder is not None:
        return read_folder(data_dir)
    from cdisc_als.compare.loading import load_dataset

    out: dict[str, Dataset] = {}
    for suffix in (".xpt", ".json", ".ndjson", ".parquet"):
        for path in sorted(data_dir.glob(f"*{suffix}")):
            name = path.stem.upper()
            if name not in out:
                ds = load_dataset(path)
                ds.name = name
                out[name] = ds
    if not out:
        raise DataError(data_dir, "no datasets (xpt, json, ndjson, parquet) in the folder")
    return out


def merge_metadata(datasets: dict[str, Dataset], metadata: dict[str, Dataset]) -> dict[str, Dataset]:
    """Datasets read from files, with the richer metadata of in-memory Datasets of the same name.

    Transport files carry names, labels, types and lengths only; the mapping/derivation engines
    know origins, sources, methods, comments, codelists, roles, keys and classes. The data (and
    so every measured length) always comes from the files.
    """
    by_name = {k.upper(): v for k, v in (metadata or {}).items()}
    out: dict[str, Dataset] = {}
    for name, ds in datasets.items():
        rich = by_name.get(name.upper())
        if rich is None:
            out[name] = ds
            continue
        known = {v.name.upper(): v for v in rich.variables}
        variables = [
            known[v.name.upper()].copy(name=v.name, type=v.type, length=v.length or known[v.name.upper()].length)
            if v.name.upper() in known else v
            for v in ds.variables
        ]  # fmt: skip
        out[name] = replace(
            ds,
            label=rich.label or ds.label,
            variables=variables,
            cls=rich.cls or ds.cls,
            structure=rich.structure or ds.structure,
            keys=list(rich.keys) or list(ds.keys),
            standard=rich.standard or ds.standard,
            domain=rich.domain or ds.domain,
        )
    return out


def write_define_for_folder(
    study,
    data_dir: Path,
    out_path: Path,
    standard: str | None = None,
    metadata: dict[str, Dataset] | None = None,
) -> Path:
    """Read a folder of datasets, write ``define.xml`` and our stylesheet beside it.

    ``metadata``: the in-memory Datasets the engines produced (optional); their origins, methods,
    codelists and keys are merged onto the data read from the folder (see ``merge_metadata``).
    """
    datasets = read_datasets(Path(data_dir))
    if metadata:
        datasets = merge_metadata(datasets, metadata)
    standard = standard or detect_standard(study, datasets)
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".xml":
        out_path = out_path / "define.xml"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(build_define(study, datasets, standard))
    shutil.copyfile(stylesheet_path(), out_path.parent / STYLESHEET)
    return out_path
