"""Write a ``Report`` as report.json, report.html (self-contained) and report.xlsx.

The XLSX follows the layout Pinnacle 21 Community users know: sheets "Dataset Summary",
"Issue Summary" and "Details". HTML and XLSX list at most ``DETAIL_CAP`` findings per rule and
dataset (the JSON has them all) so a report on a large study stays openable.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from cdisc_als import __version__
from cdisc_als.reproducible import normalize_zip_times, now_or_source_date, source_date
from cdisc_als.rules.model import Report

DETAIL_CAP = 1000
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def report_dict(report: Report) -> dict:
    f = report.findings
    return {
        "tool": "cdisc-als",
        "version": __version__,
        "created": now_or_source_date().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "standard": report.standard,
        "define": str(report.define) if report.define else None,
        # a reproducible build (SOURCE_DATE_EPOCH) writes no wall-clock duration
        "seconds": None if source_date() else round(report.seconds, 3),
        "summary": {
            "findings": len(f),
            "error": report.count("error"),
            "warning": report.count("warning"),
            "notice": report.count("notice"),
            "rules": len(report.rules),
            "rules_applied": len(report.rules_run),
            "datasets": len(report.datasets),
            "records_checked": int(sum(report.datasets.values())),
        },
        "datasets": _records(report.dataset_summary()),
        "rules": _records(report.rule_summary()),
        "rules_not_run": report.skipped,
        "findings": _records(f),
    }


def write_json(report: Report, path: Path) -> Path:
    path.write_text(json.dumps(report_dict(report), indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def capped(report: Report) -> pd.DataFrame:
    f = report.findings
    if f.empty:
        return f
    return f.groupby(["rule_id", "dataset"], sort=True, group_keys=False).head(DETAIL_CAP)


_CSS = """
body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef;cursor:pointer;position:sticky;top:0}
tr.error td:first-child{border-left:4px solid #c00}tr.warning td:first-child{border-left:4px solid #e90}
tr.notice td:first-child{border-left:4px solid #39c}
.sum span{display:inline-block;margin-right:1.5em;font-weight:600}
input,select{margin:.3em .6em .3em 0;padding:2px 4px}
"""

_JS = """
function sortTable(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th);
const asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';const b=t.tBodies[0];
const rows=[...b.rows];rows.sort((x,y)=>{const a=x.cells[i].innerText,c=y.cells[i].innerText;
const na=parseFloat(a),nc=parseFloat(c);const r=(!isNaN(na)&&!isNaN(nc))?na-nc:a.localeCompare(c);
return asc?r:-r});rows.forEach(r=>b.appendChild(r));}
function filt(){const q=document.getElementById('q').value.toLowerCase(),
s=document.getElementById('sev').value,d=document.getElementById('ds').value;
for(const r of document.querySelectorAll('#details tbody tr')){
const ok=(!q||r.innerText.toLowerCase().includes(q))&&(!s||r.className===s)&&(!d||r.cells[3].innerText===d);
r.style.display=ok?'':'none';}}
document.addEventListener('DOMContentLoaded',()=>{document.querySelectorAll('th').forEach(
th=>th.addEventListener('click',()=>sortTable(th)));});
"""


def _table(frame: pd.DataFrame, table_id: str = "", sev_col: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for rec in frame.astype("object").where(frame.notna(), "").itertuples(index=False):
        cls = f' class="{html.escape(str(getattr(rec, sev_col)))}"' if sev_col else ""
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in rec)
        body.append(f"<tr{cls}>{cells}</tr>")
    tid = f' id="{table_id}"' if table_id else ""
    return f"<table{tid}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_html(report: Report, path: Path) -> Path:
    d = report_dict(report)
    s = d["summary"]
    details = capped(report)
    shown_note = ""
    if len(details) < len(report.findings):
        shown_note = f"<p>Showing {len(details)} of {len(report.findings)} findings (at most {DETAIL_CAP} per rule and dataset; report.json has all).</p>"
    duration = "" if d["seconds"] is None else f" in {d['seconds']} s"
    ds_opts = "".join(f"<option>{html.escape(n)}</option>" for n in sorted(report.datasets))
    doc = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>cdisc-als validation report</title><style>{_CSS}</style><script>{_JS}</script></head><body>
<h1>Validation report: {html.escape(report.standard)}</h1>
<p>cdisc-als {html.escape(__version__)}, {html.escape(d['created'])}; {s['datasets']} datasets,
{s['records_checked']} records checked, {s['rules']} rules ({s['rules_applied']} applied){duration}.</p>
<p class="sum"><span>errors: {s['error']}</span><span>warnings: {s['warning']}</span><span>notices: {s['notice']}</span></p>
<h2>Dataset summary</h2>{_table(report.dataset_summary())}
<h2>Issue summary</h2>{_table(report.rule_summary(), sev_col="severity")}
<h2>Details</h2>
<div><input id="q" placeholder="filter text" oninput="filt()">
<select id="sev" onchange="filt()"><option value="">all severities</option><option>error</option><option>warning</option><option>notice</option></select>
<select id="ds" onchange="filt()"><option value="">all datasets</option>{ds_opts}</select></div>
{shown_note}{_table(details, "details", sev_col="severity")}
</body></html>"""
    path.write_text(doc, encoding="utf-8")
    return path


def write_xlsx(report: Report, path: Path) -> Path:
    """Pinnacle 21 Community-style workbook: Dataset Summary, Issue Summary, Details (+ Rules)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, frame: pd.DataFrame, headers: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        widths = {"Message": 60, "Label": 40, "Values": 30, "Expected": 30, "Variables": 20, "USUBJID": 18}
        for i, h in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = widths.get(h, 14)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"
        row = []
        for h in headers:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            row.append(c)
        ws.append(row)
        for rec in frame.astype("object").where(frame.notna(), None).itertuples(index=False):
            ws.append(list(rec))

    dsum = report.dataset_summary()
    sheet("Dataset Summary", dsum[["dataset", "label", "records", "error", "warning", "notice"]],
          ["Dataset", "Label", "Records", "Errors", "Warnings", "Notices"])
    isum = report.rule_summary()
    sheet("Issue Summary", isum[["dataset", "rule_id", "cdisc_id", "message", "severity", "count"]],
          ["Dataset", "Rule ID", "CDISC ID", "Message", "Severity", "Found"])
    det = capped(report)
    cols = ["dataset", "rule_id", "cdisc_id", "message", "severity", "usubjid", "seq", "row", "variable", "value", "expected"]
    sheet("Details", det[cols] if len(det) else pd.DataFrame(columns=cols),
          ["Dataset", "Rule ID", "CDISC ID", "Message", "Severity", "USUBJID", "Seq", "Record", "Variables", "Values", "Expected"])
    counts = report.findings.groupby("rule_id").size() if len(report.findings) else pd.Series(dtype=int)
    rules = pd.DataFrame(
        [
            {"rule_id": r.id, "cdisc_id": r.cdisc_id, "severity": r.severity, "message": r.message,
             "applied": report.rules_run.get(r.id, 0), "found": int(counts.get(r.id, 0))}
            for r in report.rules
        ],
        columns=["rule_id", "cdisc_id", "severity", "message", "applied", "found"],
    )
    sheet("Rules", rules, ["Rule ID", "CDISC ID", "Severity", "Message", "Datasets checked", "Found"])
    stamp = now_or_source_date().replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = stamp
    wb.save(path)
    if source_date():
        # openpyxl stamps the save time as "modified" inside docProps/core.xml: pin it too
        when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        pin = {"docProps/core.xml": lambda xml: _MODIFIED.sub(rb"\g<1>" + when + rb"\g<2>", xml)}
        normalize_zip_times(path, stamp, rewrite=pin)
    return path


def write_reports(report: Report, out: Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(report, out / "report.json"), write_html(report, out / "report.html"), write_xlsx(report, out / "report.xlsx")]
