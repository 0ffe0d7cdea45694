"""Time-to-event parameters (ADTTE): admiral's ``derive_param_tte`` with event and censor sources.

For each subject of ``dataset_adsl`` (after ``filter``): among the *event* sources the earliest
date wins; if the subject has no event, the *latest* censoring date wins. Ties between sources
are broken by their order in the spec. The record gets STARTDT, ADT, CNSR (0 for events, the
source's ``censor`` value, >= 1, for censorings) and the source's ``set_values_to`` (EVNTDESC,
CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ, ...). A subject with neither an event nor a censoring date
gets no record and is listed in the log (a spec should always have a censoring source that every
subject has, e.g. the last known alive date).
"""

from __future__ import annotations

import pandas as pd

from cdisc_als.adam.common import (
    NAMES,
    SUBJECT_KEYS,
    VALUES,
    as_datetime,
    compute,
    get_frame,
    log_source,
    mask,
    pick,
    require_columns,
    set_values_to,
)
from cdisc_als.ops.registry import Context, operation

SOURCE = {
    "type": "dict",
    "schema": {
        "dataset": {"type": "string", "required": True},
        "filter": {"type": "string"},
        "date": {"type": "string", "required": True},
        "censor": {"type": "integer", "min": 0},
        "set_values_to": VALUES,
    },
}


@operation(
    "derive_param_tte",
    schema={
        "type": "dict",
        "schema": {
            "dataset_adsl": {"type": "string", "default": "ADSL"},
            "filter": {"type": "string"},
            "subject_keys": {**NAMES, "default": SUBJECT_KEYS},
            "start_date": {"type": "string", "required": True},
            "events": {"type": "list", "schema": SOURCE, "required": True, "minlength": 1},
            "censors": {"type": "list", "schema": SOURCE, "default": []},
            "set_values_to": {**VALUES, "required": True},
        },
    },
    kind="dataset",
)
def derive_param_tte(ctx: Context, frame: pd.DataFrame, arg: dict) -> pd.DataFrame:
    """One time-to-event record per subject; appended to the working frame when it already holds
    parameter records (a column PARAMCD), otherwise it replaces the (subject-level) frame."""
    keys = arg["subject_keys"]
    adsl = get_frame(ctx, arg["dataset_adsl"], frame)
    require_columns(ctx, adsl, keys, f"dataset {arg['dataset_adsl']}")
    adsl = adsl[mask(ctx, adsl, arg.get("filter"))]
    subjects = adsl[keys].drop_duplicates().reset_index(drop=True)
    start = compute(ctx, adsl, {"STARTDT": arg["start_date"]})["STARTDT"]
    subjects = subjects.merge(
        pd.DataFrame({**{k: adsl[k].to_numpy() for k in keys}, "STARTDT": as_datetime(start).to_numpy()}).drop_duplicates(keys),
        on=keys, how="left",
    )

    def collect(sources: list[dict], is_event: bool) -> pd.DataFrame:
        parts = []
        for i, src in enumerate(sources, start=1):
            data = get_frame(ctx, src["dataset"], adsl, required=False)
            if data is None:
                continue
            require_columns(ctx, data, keys, f"dataset {src['dataset']}")
            data = data[mask(ctx, data, src.get("filter"))]
            vals = compute(ctx, data, {"ADT": src["date"], **(src.get("set_values_to") or {})})
            vals["ADT"] = as_datetime(vals["ADT"]).dt.normalize()
            piece = pd.concat([data[keys].reset_index(drop=True), vals.reset_index(drop=True)], axis=1)
            piece["CNSR"] = 0.0 if is_event else float(src.get("censor", 1))
            piece["__src"] = float(i)
            parts.append(piece[piece["ADT"].notna()])
        if not parts:
            return pd.DataFrame(columns=keys + ["ADT", "CNSR", "__src"])
        allp = pd.concat(parts, ignore_index=True)
        allp = allp.merge(subjects[keys], on=keys, how="inner")
        order = ["ADT", "__src"] if is_event else ["desc(ADT)", "__src"]
        return pick(allp, keys, order, "first")

    events = collect(arg["events"], True)
    censors = collect(arg["censors"], False)
    censors = censors.merge(events[keys].assign(__ev=True), on=keys, how="left")
    censors = censors[censors["__ev"].isna()].drop(columns="__ev")
    chosen = pd.concat([events, censors], ignore_index=True)
    result = subjects.merge(chosen.drop(columns="__src"), on=keys, how="left")
    none = result["ADT"].isna()
    if none.any():
        ctx.log.add_rows(
            "warning", "adam", log_source(ctx),
            "subject has neither an event nor a censoring date; no time-to-event record",
            result.loc[none, keys[-1]], field="ADT", target=ctx.domain,
        )
        result = result[~none]
    set_values_to(ctx, result, arg["set_values_to"])
    result = result.reset_index(drop=True)
    if "PARAMCD" in frame.columns and len(frame):
        return pd.concat([frame, result], ignore_index=True)
    return result

