"""Compare reports: JSON (for scripts and the parity docs), self-contained HTML, console summary.

The HTML has its CSS inline and no scripts or external links, so it opens offline from a
submission folder or a CI artifact.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment

from cdisc_als.compare.engine import CompareResult

RULES = [
    "Variables are matched by name, case-insensitively.",
    "Numbers are equal when both are missing or differ by at most the tolerance (absolute).",
    "Text is compared without trailing blanks.",
    "Missing text (null) equals blank text (\"\") unless strict missing comparison is on.",
    "Number vs text: the text is read as a number; date vs text: the date's ISO 8601 text; "
    "date vs number: SAS days (or seconds) since 1960-01-01.",
    "Without keys, records are matched by row position; duplicate keys are matched in order.",
]


def json_value(value: Any) -> Any:
    """A JSON-safe rendering of one cell (NaN/NaT -> null, dates -> ISO 8601, numpy -> Python)."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(value)
        return None if pd.isna(ts) else ts.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (str, int)) else str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [
        {c: json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _share(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def result_to_dict(result: CompareResult) -> dict[str, Any]:
    """The whole comparison as plain JSON-serialisable data."""
    return {
        "base": result.base_name,
        "compare": result.compare_name,
        "equal": result.equal,
        "keys": result.keys,
        "tolerance": result.tolerance,
        "strict_missing": result.strict_missing,
        "rules": RULES,
        "summary": {
            "records_base": result.n_base,
            "records_compare": result.n_compare,
            "records_matched": result.n_matched,
            "records_only_base": result.n_base_only,
            "records_only_compare": result.n_compare_only,
            "matched_record_share": _share(result.matched_record_share),
            "variables_compared": len(result.variables),
            "variables_with_differences": len(result.differing_variables),
            "cells_compared": result.cells_compared,
            "cells_equal": result.cells_equal,
            "equal_cell_share": _share(result.equal_cell_share),
            "duplicate_key_records_base": result.n_dup_base,
            "duplicate_key_records_compare": result.n_dup_compare,
        },
        "variables_only_base": result.vars_only_base,
        "variables_only_compare": result.vars_only_compare,
        "metadata_differences": [{k: json_value(v) for k, v in d.items()} for d in result.meta_diffs],
        "records_only_base": _records(result.base_only),
        "records_only_compare": _records(result.compare_only),
        "duplicate_keys_base": _records(result.dup_base),
        "duplicate_keys_compare": _records(result.dup_compare),
        "variables": [
            {
                "name": v.name,
                "kinds": [v.base_kind, v.compare_kind],
                "compared": v.n_compared,
                "different": v.n_diff,
                "equal_share": _share(v.equal_share),
                "examples": _records(v.examples),
            }
            for v in result.variables
        ],
    }


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Compare {{ d.base }} vs {{ d.compare }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}
th{background:#eef} .ok{color:#1a7f37;font-weight:bold} .bad{color:#b3261e;font-weight:bold}
.num{text-align:right} small{color:#666}
</style></head><body>
<h1>Dataset comparison: {{ d.base }} (base) vs {{ d.compare }} (compare)</h1>
<p>Result: {% if d.equal %}<span class="ok">EQUAL</span>{% else %}<span class="bad">DIFFERENT</span>{% endif %}
 &mdash; keys: {{ d["keys"]|join(", ") if d["keys"] else "none (row position)" }};
 tolerance {{ d.tolerance }}; strict missing: {{ "yes" if d.strict_missing else "no" }}</p>
<h2>Summary</h2><table>
{% for k, v in d.summary.items() %}<tr><th>{{ k.replace("_", " ") }}</th><td class="num">{{ v }}</td></tr>{% endfor %}
</table>
{% if d.variables_only_base or d.variables_only_compare %}<h2>Variables in one dataset only</h2>
<p>Only in base: {{ d.variables_only_base|join(", ") or "none" }}</p>
<p>Only in compare: {{ d.variables_only_compare|join(", ") or "none" }}</p>{% endif %}
{% if d.metadata_differences %}<h2>Metadata differences</h2>
<table><tr><th>variable</th><th>attribute</th><th>base</th><th>compare</th></tr>
{% for m in d.metadata_differences %}<tr><td>{{ m.variable }}</td><td>{{ m.attribute }}</td><td>{{ m.base }}</td><td>{{ m.compare }}</td></tr>{% endfor %}
</table>{% endif %}
{% for title, rows, n in [("Records only in base", d.records_only_base, d.summary.records_only_base),
                          ("Records only in compare", d.records_only_compare, d.summary.records_only_compare),
                          ("Duplicate keys in base", d.duplicate_keys_base, d.summary.duplicate_key_records_base),
                          ("Duplicate keys in compare", d.duplicate_keys_compare, d.summary.duplicate_key_records_compare)] %}
{% if rows %}<h2>{{ title }} ({{ n }})</h2>{{ table(rows) }}{% if rows|length < n %}<small>first {{ rows|length }} shown</small>{% endif %}{% endif %}
{% endfor %}
<h2>Values by variable</h2>
<table><tr><th>variable</th><th>compared</th><th>different</th><th>equal share</th></tr>
{% for v in d.variables %}<tr><td>{% if v.different %}<a href="#v-{{ v.name }}">{{ v.name }}</a>{% else %}{{ v.name }}{% endif %}</td>
<td class="num">{{ v.compared }}</td><td class="num {{ 'bad' if v.different else '' }}">{{ v.different }}</td><td class="num">{{ v.equal_share }}</td></tr>{% endfor %}
</table>
{% for v in d.variables if v.different %}<h2 id="v-{{ v.name }}">{{ v.name }}: {{ v.different }} difference(s)</h2>
{{ table(v.examples) }}{% if v.examples|length < v.different %}<small>first {{ v.examples|length }} shown</small>{% endif %}
{% endfor %}
<h2>Comparison rules</h2><ul>{% for r in d.rules %}<li>{{ r }}</li>{% endfor %}</ul>
</body></html>
"""

_TABLE = """{% macro table(rows) %}<table><tr>{% for c in rows[0].keys() %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in rows %}<tr>{% for v in r.values() %}<td>{{ "" if v is none else v }}</td>{% endfor %}</tr>{% endfor %}</table>{% endmacro %}"""


def render_html(result: CompareResult) -> str:
    """Self-contained HTML report (inline CSS, no scripts, values HTML-escaped)."""
    env = Environment(autoescape=True)
    return env.from_string(_TABLE + _HTML).render(d=result_to_dict(result))


def write_reports(result: CompareResult, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``compare.json`` and ``compare.html`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jpath, hpath = out / "compare.json", out / "compare.html"
    jpath.write_text(json.dumps(result_to_dict(result), indent=2, ensure_ascii=False), encoding="utf-8")
    hpath.write_text(render_html(result), encoding="utf-8")
    return jpath, hpath


def print_summary(result: CompareResult, console) -> None:
    """A short console summary (the reports carry the details)."""
    from rich.table import Table

    status = "[green]EQUAL[/]" if result.equal else "[red]DIFFERENT[/]"
    console.print(f"compare {result.base_name} vs {result.compare_name}: {status}")
    ecs, mrs = result.equal_cell_share, result.matched_record_share
    console.print(
        f"  records: base {result.n_base}, compare {result.n_compare}, matched {result.n_matched} "
        f"({'-' if mrs is None else f'{mrs:.2%}'}); only base {result.n_base_only}, "
        f"only compare {result.n_compare_only}",
        highlight=False,
    )
    console.print(
        f"  cells: {result.cells_equal}/{result.cells_compared} equal "
        f"({'-' if ecs is None else f'{ecs:.2%}'})",
        highlight=False,
    )
    if result.vars_only_base or result.vars_only_compare:
        console.print(
            f"  variables only in base: {result.vars_only_base}; only in compare: {result.vars_only_compare}",
            highlight=False,
        )
    if result.meta_diffs:
        console.print(f"  metadata differences: {len(result.meta_diffs)}", highlight=False)
    if result.n_dup_base or result.n_dup_compare:
        console.print(
            f"  duplicate-key records: base {result.n_dup_base}, compare {result.n_dup_compare}",
            highlight=False,
        )
    diffs = result.differing_variables
    if diffs:
        table = Table("variable", "different", "compared", title="value differences")
        for v in diffs:
            table.add_row(v.name, str(v.n_diff), str(v.n_compared))
        console.print(table)
