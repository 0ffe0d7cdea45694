"""Trial design datasets (TA, TE, TV, TI, TS) built from the ``design:`` section of study.yaml.

Why from study.yaml and not from raw data: the trial design is protocol metadata, known before
the first subject is screened. Writing it once in the study file (arms, elements, the arm-by-epoch
table, planned visits, eligibility criteria, trial summary parameters) lets every stage use the
same facts: DM checks ARMCD against the arms, SE/EPOCH derive from the elements, SV reads the
planned visits, Define-XML reads the visit list.

Each builder checks what it reads and raises ``SpecError`` naming study.yaml and the key path
(``design.trial_arms.PBO-D1[2].etcd``), so a typo in the design is caught before any data is
touched. The builders are plain functions of the study config (``build_ta(config, path)``), and
are registered as ``dataset`` operations (``trial_arms``, ``trial_elements``, ``trial_visits``,
``trial_criteria``, ``trial_summary``) for the mapping specs.

Documented in docs/trial-design.md.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from cerberus import Validator

from cdisc_als.errors import DataError, SpecError
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context, operation

# --------------------------------------------------------------------------- design schema
_STR = {"type": "string"}
_STR_OR_NULL = {"type": "string", "nullable": True}

DESIGN_SCHEMA: dict[str, Any] = {
    "arms": {
        "type": "list",
        "required": True,
        "schema": {
            "type": "dict",
            "schema": {
                "armcd": {"type": "string", "required": True, "maxlength": 20},
                "arm": {"type": "string", "required": True, "maxlength": 200},
                # a truncated arm of a multi-stage assignment (SDTMIG 3.4 DM assumption 4b):
                # allowed in DM, not a row of TA
                "partial": {"type": "boolean"},
            },
        },
    },
    "elements": {
        "type": "list",
        "required": True,
        "schema": {
            "type": "dict",
            "schema": {
                "etcd": {"type": "string", "required": True, "maxlength": 8},
                "element": {"type": "string", "required": True},
                "testrl": {"type": "string", "required": True},
                "teenrl": _STR_OR_NULL,
                "tedur": {"type": "string", "nullable": True, "regex": r"^P.+"},
            },
        },
    },
    "epochs": {"type": "list", "schema": _STR},
    # folder names of unplanned visits (read by the engine's `visit` operation)
    "unscheduled": {"type": "list", "schema": _STR},
    # date cuts for the engine's `epoch` operation (optional; SE is used here)
    "epoch_cuts": {"type": "dict", "allow_unknown": True},
    "trial_arms": {
        "type": "dict",
        "required": True,
        "valuesrules": {
            "type": "list",
            "schema": {
                "type": "dict",
                "schema": {
                    "etcd": {"type": "string", "required": True},
                    "epoch": {"type": "string", "required": True},
                    "branch": _STR_OR_NULL,
                    "trans": _STR_OR_NULL,
                },
            },
        },
    },
    "visits": {
        "type": "list",
        "required": True,
        "schema": {
            "type": "dict",
            "schema": {
                "visitnum": {"type": "number", "required": True},
                "visit": {"type": "string", "required": True},
                "folders": {"type": "list", "schema": {"type": "string"}},
                "visitdy": {"type": "integer", "nullable": True},
                "tvstrl": {"type": "string", "required": True},
                "tvenrl": _STR_OR_NULL,
                "armcd": {"type": ["string", "list"]},
                "epoch": _STR,
                # per-arm variants of a visit: one TV row per arm code with its own rules
                "arms": {
                    "type": "list",
                    "schema": {
                        "type": "dict",
                        "schema": {
                            "armcd": {"type": ["string", "list"], "required": True},
                            "tvstrl": {"type": "string", "required": True},
                            "tvenrl": _STR_OR_NULL,
                        },
                    },
                },
            },
        },
    },
    "criteria": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "ietestcd": {"type": "string", "required": True, "maxlength": 8, "regex": r"^[A-Z][A-Z0-9]*$"},
                "ietest": {"type": "string", "required": True, "maxlength": 200},
                "iecat": {"type": "string", "required": True, "allowed": ["INCLUSION", "EXCLUSION"]},
                "iescat": _STR,
                "tirl": _STR,
                "tivers": {"type": ["string", "number"]},
            },
        },
    },
    "trial_summary": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "parmcd": {"type": "string", "required": True, "maxlength": 8},
                "value": {"type": "string", "nullable": True},
                "nf": _STR,
                "codelist": _STR,
                "ref": _STR,
                "code": _STR,
                "version": _STR,
                "group": _STR,
            },
        },
    },
}


def design_of(config: dict[str, Any], path: str | Path = "study.yaml") -> dict[str, Any]:
    """The checked ``design:`` section of a study config; SpecError naming the key when invalid."""
    design = config.get("design")
    if not isinstance(design, dict):
        raise SpecError(path, "design", "the study has no design: section (arms, elements, ...)")
    key = json.dumps(design, sort_keys=True, default=str)
    if key not in _CHECKED:  # cerberus is slow: check each distinct design once per process
        v = Validator(DESIGN_SCHEMA, allow_unknown=False)
        if not v.validate(design):
            raise SpecError(path, "design", "; ".join(_flatten(v.errors, "design")))
        _CHECKED.add(key)
    return design


_CHECKED: set[str] = set()


def _flatten(errors: Any, prefix: str) -> list[str]:
    out: list[str] = []
    if isinstance(errors, dict):
        for key, val in errors.items():
            sub = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}"
            out.extend(_flatten(val, sub))
    elif isinstance(errors, list):
        for item in errors:
            out.extend(_flatten(item, prefix) if isinstance(item, (dict, list)) else [f"{prefix}: {item}"])
    else:
        out.append(f"{prefix}: {errors}")
    return out


def _study_path(study: Any) -> tuple[dict[str, Any], Path | str]:
    """(config, study.yaml path) of a Study object or a bare config dict."""
    if isinstance(study, dict):
        return study, "study.yaml"
    return study.config, Path(study.path) / "study.yaml"


def _check_unique(codes: list[Any], path: str | Path, key: str, what: str) -> None:
    """SpecError at ``key`` listing (sorted, once each) the codes that occur more than once."""
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise SpecError(path, key, f"{what} defined twice: {dup}")


# --------------------------------------------------------------------------- TE
def build_te(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """TE: one record per planned element."""
    design = design_of(config, path)
    rows = design["elements"]
    codes = [e["etcd"] for e in rows]
    _check_unique(codes, path, "design.elements", "element code(s)")
    return pd.DataFrame(
        {
            "STUDYID": config["studyid"],
            "DOMAIN": "TE",
            "ETCD": codes,
            "ELEMENT": [e["element"] for e in rows],
            "TESTRL": [e["testrl"] for e in rows],
            "TEENRL": [e.get("teenrl") for e in rows],
            "TEDUR": [e.get("tedur") for e in rows],
        }
    )


# --------------------------------------------------------------------------- TA
def arm_table(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """ARMCD -> ARM of every arm, including partial (multi-stage, truncated) arms."""
    design = design_of(config, path)
    arms = pd.DataFrame(design["arms"])
    if "partial" not in arms:
        arms["partial"] = False
    arms["partial"] = arms["partial"].eq(True)
    dup = arms["armcd"][arms["armcd"].duplicated()].tolist()
    if dup:
        raise SpecError(path, "design.arms", f"arm code(s) defined twice: {dup}")
    return arms.rename(columns={"armcd": "ARMCD", "arm": "ARM"})[["ARMCD", "ARM", "partial"]]


def build_ta(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """TA: one record per planned element per arm, in TAETORD order."""
    design = design_of(config, path)
    arms = arm_table(config, path)
    elements = {e["etcd"]: e["element"] for e in design["elements"]}
    epochs = design.get("epochs")
    full_arms = set(arms.loc[~arms["partial"], "ARMCD"])
    arm_name = dict(zip(arms["ARMCD"], arms["ARM"], strict=True))
    records: list[dict[str, Any]] = []
    for armcd, steps in design["trial_arms"].items():
        where = f"design.trial_arms.{armcd}"
        if armcd not in arm_name:
            raise SpecError(path, where, f"arm {armcd!r} is not in design.arms ({sorted(arm_name)})")
        for i, step in enumerate(steps):
            if step["etcd"] not in elements:
                raise SpecError(
                    path, f"{where}[{i}].etcd", f"unknown element {step['etcd']!r}; elements: {sorted(elements)}"
                )
            if epochs and step["epoch"] not in epochs:
                raise SpecError(path, f"{where}[{i}].epoch", f"unknown epoch {step['epoch']!r}; epochs: {epochs}")
            records.append(
                {
                    "ARMCD": armcd,
                    "ARM": arm_name[armcd],
                    "TAETORD": i + 1,
                    "ETCD": step["etcd"],
                    "ELEMENT": elements[step["etcd"]],
                    "TABRANCH": step.get("branch"),
                    "TATRANS": step.get("trans"),
                    "EPOCH": step["epoch"],
                }
            )
    missing = sorted(full_arms - set(design["trial_arms"]))
    if missing:
        raise SpecError(path, "design.trial_arms", f"arm(s) without elements: {missing}")
    frame = pd.DataFrame.from_records(records)
    frame.insert(0, "DOMAIN", "TA")
    frame.insert(0, "STUDYID", config["studyid"])
    frame["TAETORD"] = frame["TAETORD"].astype("int64")
    return frame


# --------------------------------------------------------------------------- TV
def visit_table(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """Planned visits, one row per visit (not per arm): VISITNUM, VISIT, VISITDY, FOLDER(S), ARMCD list.

    ``FOLDERS`` holds the raw EDC folder names of the visit (the engine's ``visit`` operation maps
    them to VISITNUM/VISIT).
    """
    design = design_of(config, path)
    arms = set(arm_table(config, path)["ARMCD"])
    visits = design["visits"]
    _check_unique([v["visitnum"] for v in visits], path, "design.visits", "VISITNUM")
    names = [v["visit"] for v in visits]
    _check_unique(names, path, "design.visits", "VISIT")
    for i, v in enumerate(visits):
        where = f"design.visits[{i}]"
        checks = [(f"{where}.armcd", v.get("armcd"))]
        checks += [(f"{where}.arms[{j}].armcd", a["armcd"]) for j, a in enumerate(v.get("arms") or [])]
        for key, armcds in checks:
            armcds = [armcds] if isinstance(armcds, str) else (armcds or [])
            bad = [a for a in armcds if a not in arms]
            if bad:
                raise SpecError(path, key, f"unknown arm(s) {bad}; arms: {sorted(arms)}")
    return pd.DataFrame(
        {
            "VISITNUM": [float(v["visitnum"]) for v in visits],
            "VISIT": names,
            "VISITDY": pd.array([v.get("visitdy") for v in visits], dtype="Int64"),
            "FOLDERS": [list(v.get("folders") or []) for v in visits],
            "ARMCDS": [
                [v["armcd"]] if isinstance(v.get("armcd"), str) else list(v.get("armcd") or [])
                for v in visits
            ],
            "TVSTRL": [v["tvstrl"] for v in visits],
            "TVENRL": [v.get("tvenrl") for v in visits],
            "EPOCH": [v.get("epoch") for v in visits],
        }
    )


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def build_tv(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """TV: one record per planned visit, or per visit and arm for arm-specific visits.

    A visit with ``armcd`` is planned in those arms only; a visit with ``arms`` variants gets one
    row per arm code of each variant, with the variant's start/end rules.
    """
    visits = visit_table(config, path)
    arm_name = arm_table(config, path).set_index("ARMCD")["ARM"].to_dict()
    variants = []
    for v in design_of(config, path)["visits"]:
        for var in v.get("arms") or []:
            variants.extend(
                {"VISITNUM": float(v["visitnum"]), "ARMCDS": a, "TVSTRL": var["tvstrl"], "TVENRL": var.get("tvenrl")}
                for a in _listed(var["armcd"])
            )
    exploded = visits.explode("ARMCDS")
    if variants:
        var = pd.DataFrame(variants)
        plain = exploded[~exploded["VISITNUM"].isin(var["VISITNUM"])]
        varied = exploded.drop(columns=["ARMCDS", "TVSTRL", "TVENRL"]).drop_duplicates("VISITNUM").merge(
            var, on="VISITNUM"
        )
        exploded = pd.concat([plain, varied], ignore_index=True)
    tv = pd.DataFrame(
        {
            "STUDYID": config["studyid"],
            "DOMAIN": "TV",
            "VISITNUM": exploded["VISITNUM"].astype("float64"),
            "VISIT": exploded["VISIT"],
            "VISITDY": exploded["VISITDY"],
            "ARMCD": exploded["ARMCDS"].where(exploded["ARMCDS"].notna(), None),
            "TVSTRL": exploded["TVSTRL"],
            "TVENRL": exploded["TVENRL"],
        }
    )
    tv.insert(6, "ARM", tv["ARMCD"].map(arm_name))
    return tv.sort_values(["VISITNUM", "ARMCD"], na_position="first", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- TI
def build_ti(config: dict[str, Any], path: str | Path = "study.yaml") -> pd.DataFrame:
    """TI: one record per inclusion/exclusion criterion."""
    design = design_of(config, path)
    crit = design.get("criteria") or []
    if not crit:
        raise SpecError(path, "design.criteria", "no eligibility criteria: TI needs at least one")
    codes = [c["ietestcd"] for c in crit]
    _check_unique(codes, path, "design.criteria", "IETESTCD")
    return pd.DataFrame(
        {
            "STUDYID": config["studyid"],
            "DOMAIN": "TI",
            "IETESTCD": codes,
            "IETEST": [c["ietest"] for c in crit],
            "IECAT": [c["iecat"] for c in crit],
            "IESCAT": [c.get("iescat") for c in crit],
            "TIRL": [c.get("tirl") for c in crit],
            "TIVERS": [None if c.get("tivers") is None else str(c["tivers"]) for c in crit],
        }
    )


# --------------------------------------------------------------------------- TS
TSVAL_MAX = 200  # SAS XPORT v5 character limit; longer values continue in TSVAL1, TSVAL2, ...


def split_text(text: str, width: int = TSVAL_MAX) -> list[str]:
    """Split a long value at word boundaries into pieces of at most ``width`` characters.

    SDTMIG 3.4 (TS assumption): text over 200 characters goes on in TSVAL1..TSVALn.
    """
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)


def _terminology(ctx: Context | None, version: str) -> Any:
    if ctx is not None and ctx.ct is not None:
        return ctx.ct
    from cdisc_als.ct import load_ct, study_terminology

    if ctx is not None and ctx.study is not None:
        return study_terminology(ctx.study)
    return load_ct(version=version)


def build_ts(
    config: dict[str, Any],
    path: str | Path = "study.yaml",
    ct: Any = None,
    derived: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """TS: one record per trial summary parameter value.

    ``ct`` is a ``cdisc_als.ct.Terminology`` (TSPARM names and TSVALCD codes come from it);
    ``derived`` gives the values of parameters written ``value: $derived`` (ACTSUB, SSTDTC,
    SENDTC), computed from the data by the ``trial_summary`` operation.
    """
    design = design_of(config, path)
    entries = design.get("trial_summary") or config.get("trial_summary") or []
    if not entries:
        raise SpecError(path, "design.trial_summary", "no trial summary parameters: TS needs them")
    version = config["standards"]["ct"]
    if ct is None:
        ct = _terminology(None, version)
    derived = derived or {}
    parm_cl = ct.codelist("TSPARMCD")
    known = set(parm_cl.values)
    records: list[dict[str, Any]] = []
    for i, e in enumerate(entries):
        where = f"design.trial_summary[{i}]"
        parmcd = e["parmcd"]
        if parmcd not in known:
            raise SpecError(path, f"{where}.parmcd", f"{parmcd!r} is not in the TSPARMCD codelist (CT {version})")
        value = e.get("value")
        if value == "$derived":
            value = derived.get(parmcd)
        elif isinstance(value, str) and value.startswith("$study."):
            value = config.get(value.split(".", 1)[1])
            if value is not None:
                value = " ".join(str(value).split())
        code = e.get("code")
        ref = e.get("ref")
        cdver = e.get("version")
        if e.get("codelist") and value is not None:
            cl = ct.codelist(e["codelist"])
            terms = cl.terms.set_index("submission_value")["code"]
            if value not in terms.index:
                raise SpecError(
                    path,
                    f"{where}.value",
                    f"{value!r} is not a term of codelist {e['codelist']} (CT {version})",
                )
            code, ref, cdver = str(terms[value]), "CDISC CT", version  # DICTNAM term
        nf = e.get("nf")
        if value is None:
            code = ref = cdver = None
            nf = nf or "NI"  # no information: a $derived value the data could not give
        pieces = split_text(str(value)) if value is not None else [None]
        rec: dict[str, Any] = {
            "TSGRPID": e.get("group"),
            "TSPARMCD": parmcd,
            "TSVAL": pieces[0],
            "TSVALNF": nf if value is None else None,
            "TSVALCD": code,
            "TSVCDREF": ref,
            "TSVCDVER": cdver,
        }
        for k, piece in enumerate(pieces[1:], start=1):
            rec[f"TSVAL{k}"] = piece
        records.append(rec)
    ts = pd.DataFrame.from_records(records)
    ts.insert(0, "STUDYID", config["studyid"])
    ts.insert(1, "DOMAIN", "TS")
    ts.insert(2, "TSSEQ", ts.groupby("TSPARMCD", sort=False).cumcount().astype("float64") + 1)
    ts.insert(5, "TSPARM", ct.decode("TSPARMCD", "TSPARM", ts["TSPARMCD"]))
    extra = sorted((c for c in ts.columns if c.startswith("TSVAL") and c[5:].isdigit()), key=lambda c: int(c[5:]))
    base = ["STUDYID", "DOMAIN", "TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL", *extra,
            "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER"]
    return ts[base]


# --------------------------------------------------------------------------- registered ops
def built(frame: pd.DataFrame) -> pd.DataFrame:
    """A dataset built from metadata or summaries: no raw record behind any row.

    The runner's accounting reads the row-number columns; built rows carry a null (float) row
    number and no source file, so they are never mistaken for raw records.
    """
    frame = frame.copy()
    frame[ROW_COLUMN] = np.nan
    frame[SOURCE_COLUMN] = None
    return frame


_NO_ARG = {"type": ["dict", "boolean", "string"], "nullable": True}


@operation("trial_elements", schema=_NO_ARG, kind="dataset")
def op_trial_elements(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.DataFrame:
    """TE from ``design.elements`` of study.yaml (the working frame is ignored)."""
    config, path = _study_path(ctx.study)
    return built(build_te(config, path))


@operation("trial_arms", schema=_NO_ARG, kind="dataset")
def op_trial_arms(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.DataFrame:
    """TA from ``design.arms``, ``design.elements`` and ``design.trial_arms`` of study.yaml."""
    config, path = _study_path(ctx.study)
    return built(build_ta(config, path))


@operation("trial_visits", schema=_NO_ARG, kind="dataset")
def op_trial_visits(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.DataFrame:
    """TV from ``design.visits`` of study.yaml (one row per arm for arm-specific visits)."""
    config, path = _study_path(ctx.study)
    return built(build_tv(config, path))


@operation("trial_criteria", schema=_NO_ARG, kind="dataset")
def op_trial_criteria(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.DataFrame:
    """TI from ``design.criteria`` of study.yaml."""
    config, path = _study_path(ctx.study)
    return built(build_ti(config, path))


_TS_SCHEMA = {
    "type": "dict",
    "nullable": True,
    "schema": {
        # where the $derived values come from (defaults shown)
        "dm": {"type": "string"},  # dataset with one row per subject (ACTSUB, SSTDTC, SENDTC)
        "actsub": {"type": "string"},  # expression-free rule: count of DM rows with ARMCD present
        "start": {"type": "string"},  # DM date column whose minimum is SSTDTC (RFICDTC)
        "end": {"type": "string"},  # DM date column whose maximum is SENDTC (RFPENDTC)
    },
}


@operation("trial_summary", schema=_TS_SCHEMA, kind="dataset")
def op_trial_summary(ctx: Context, frame: pd.DataFrame, arg: Any) -> pd.DataFrame:
    """TS from ``design.trial_summary``; ``$derived`` values from DM (list DM in depends_on).

    ACTSUB = number of DM subjects with an ARMCD (randomized); SSTDTC = earliest RFICDTC;
    SENDTC = latest RFPENDTC (date part). Column names can be changed in the argument.
    """
    arg = arg if isinstance(arg, dict) else {}
    config, path = _study_path(ctx.study)
    derived: dict[str, str | None] = {}
    try:
        dm = ctx.dataset_frame(arg.get("dm", "DM"))
    except (SpecError, DataError):  # DM not built (nor a raw table): values stay "not derived"
        dm = None
    if dm is not None:
        arm = dm.get(arg.get("actsub", "ARMCD"))
        if arm is not None:
            derived["ACTSUB"] = str(int((arm.notna() & (arm.astype("string").str.strip() != "")).sum()))
        for parm, col, fn in (("SSTDTC", arg.get("start", "RFICDTC"), "min"), ("SENDTC", arg.get("end", "RFPENDTC"), "max")):
            if col in dm:
                d = dm[col].astype("string").str.slice(0, 10)
                d = d[d.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)]
                derived[parm] = getattr(d, fn)() if len(d) else None
    return built(build_ts(config, path, ct=_terminology(ctx, config["standards"]["ct"]), derived=derived))
