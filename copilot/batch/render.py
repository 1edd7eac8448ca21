"""Write a run's reports: report.jsonl (one record per asset), report.md, and a self-contained report.html.

The same writers serve the whole run (OUT_DIR/) and each asset (OUT_DIR/assets/<asset>/). Output is a function of
the records only (no clock, no host names), so the same input gives byte-identical reports.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.records import page_reference

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1000px;color:#222;
line-height:1.4;padding:0 1em}h1{font-size:1.5em}h2{border-bottom:2px solid #2980b9;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin-bottom:.3em}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f4f6f8}
.num{text-align:right}.prose{background:#f4f9fd;border-left:4px solid #2980b9;padding:.5em 1em}
.bad{color:#a93226}.muted{color:#777;font-size:.85em}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
nav a{margin-right:.8em}
"""


def slug(asset: str) -> str:
    """A safe folder name for an asset id ("P-101" stays, "Line 3/A" -> "Line_3_A")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", asset).strip("._") or "asset"


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _cite(citation: dict[str, Any] | None) -> str:
    if not citation:
        return "no citation"
    parts = [str(citation.get("source"))]
    if citation.get("section"):
        parts.append(str(citation["section"]))
    if (reference := page_reference(citation.get("page"), citation.get("page_label"))) is not None:
        parts.append(reference)
    return ", ".join(parts)


def _asset_markdown(record: dict[str, Any]) -> list[str]:
    asset = record["asset"]
    lines = [f"## {asset}", ""]
    if record.get("error"):
        return lines + [f"**Not summarised:** {record['error']}", ""]
    period, counts = record["period"], record["counts"]
    lines += [f"Period {period['from']} to {period['to']}. Work orders {counts['work_orders']} "
              f"({counts['failures']} corrective), alarms {counts['alarms']}, trips {counts['trips']}, "
              f"sensor logs {counts['sensor_files']}, anomaly events {counts['anomaly_events']}.", "",
              f"> {record['summary']} *({record['summary_source']})*", ""]
    orders = record.get("work_orders")
    if orders:
        lines += [f"Cost total: {_money(orders['cost_total'])}; downtime: "
                  f"{'n/a' if orders['downtime_h_total'] is None else orders['downtime_h_total']} h.", ""]
        if orders["recurring_failures"]:
            lines += ["### Recurring failures", "", "| failure | count | first | last | mean days between | cost |",
                      "|---|---:|---|---|---:|---:|"]
            lines += [f"| {f['failure']} | {f['count']} | {f['first']} | {f['last']} | "
                      f"{'' if f['mean_days_between'] is None else f['mean_days_between']} | {_money(f['cost'])} |"
                      for f in orders["recurring_failures"]]
            lines.append("")
        if orders["top_systems"]:
            lines += ["### Top systems", "", "| system | work orders | share | cost |", "|---|---:|---:|---:|"]
            lines += [f"| {s['system']} | {s['count']} | {s['share']:.1%} | {_money(s['cost'])} |"
                      for s in orders["top_systems"][:5]]
            lines.append("")
        lines.append("Top components: " + (", ".join(f"{c['component']} ({c['count']})"
                                                     for c in orders["top_components"][:5]) or "none") + ".")
        lines.append("Top actions: " + (", ".join(f"{a['action']} ({a['count']})"
                                                  for a in orders["top_actions"][:5]) or "none") + ".")
        lines.append("")
    alarms = record.get("alarms")
    if alarms and alarms["top_codes"]:
        lines += ["### Alarms", "", "| code | message | count | first | last |", "|---|---|---:|---|---|"]
        lines += [f"| {c['code']} | {c['message']} | {c['count']} | {c['first']} | {c['last']} |"
                  for c in alarms["top_codes"][:5]]
        lines.append("")
    for anomaly in record.get("anomalies", []):
        lines += [f"### Sensor log {anomaly['source']}", "", anomaly["summary"], ""]
        for event in anomaly["events"][:10]:
            lines.append(f"- {event['start']} .. {event['end']}: {', '.join(event['channels'])} {event['direction']}, "
                         f"peak {event['peak_channel']} = {event['peak_value']:.2f} ({event['severity']})")
        if anomaly["events"]:
            lines.append("")
    if record["recommendations"]:
        lines += ["### Recommended next actions", ""]
        lines += [f"{n}. {r['action'].rstrip('.')}. *Why:* {r['reason'].rstrip('.')}. "
                  f"*Source:* {_cite(r.get('citation'))}" for n, r in enumerate(record["recommendations"], 1)]
        lines.append("")
    if record["data_problems"]:
        lines += ["### Data problems", ""] + [f"- {p}" for p in record["data_problems"]] + [""]
    return lines


def _inputs_markdown(inputs: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["## Input files", "", "| file | kind | records | assets | note |", "|---|---|---:|---|---|"]
    for item in inputs:
        assets = ", ".join(item["assets"][:6]) + (" ..." if len(item["assets"]) > 6 else "")
        lines.append(f"| {item['source']} | {item['kind']} | {item['records']} | {assets} | {item['reason']} |")
    return lines + [""]


def render_markdown(title: str, records: Sequence[dict[str, Any]], inputs: Sequence[dict[str, Any]],
                    notes: Sequence[str] = ()) -> str:
    failed = [i for i in inputs if i["kind"] == "failed"]
    lines = [f"# {title}", "", f"{len(records)} asset(s) from {len(inputs)} file(s)"
             + (f"; **{len(failed)} file(s) failed**" if failed else "") + ".", ""]
    for item in failed:
        lines.append(f"- **failed** {item['source']}: {item['reason']}")
    lines += [f"- **note** {note}" for note in notes]
    if failed or notes:
        lines.append("")
    for record in records:
        lines += _asset_markdown(record)
    lines += _inputs_markdown(inputs)
    return "\n".join(lines).rstrip() + "\n"


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class=\"num\">{_e(v)}</td>" if i in numeric else f"<td>{_e(v)}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(data: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _asset_html(record: dict[str, Any], plots: dict[str, str]) -> str:
    asset = record["asset"]
    out = [f'<h2 id="{_e(slug(asset))}">{_e(asset)}</h2>']
    if record.get("error"):
        return "".join(out) + f'<p class="bad">Not summarised: {_e(record["error"])}</p>'
    period, counts = record["period"], record["counts"]
    out.append(f"<p>Period {_e(period['from'])} to {_e(period['to'])}. Work orders {counts['work_orders']} "
               f"({counts['failures']} corrective), alarms {counts['alarms']}, trips {counts['trips']}, sensor logs "
               f"{counts['sensor_files']}, anomaly events {counts['anomaly_events']}.</p>")
    out.append(f'<p class="prose">{_e(record["summary"])} <span class="muted">({_e(record["summary_source"])})'
               "</span></p>")
    orders = record.get("work_orders")
    if orders:
        out.append(f"<p>Cost total: {_e(_money(orders['cost_total']))}; downtime: "
                   f"{_e('n/a' if orders['downtime_h_total'] is None else orders['downtime_h_total'])} h.</p>")
        if orders["recurring_failures"]:
            out.append("<h3>Recurring failures</h3>" + _table(
                ["failure", "count", "first", "last", "mean days between", "cost"],
                [[f["failure"], f["count"], f["first"], f["last"], f["mean_days_between"] or "",
                  _money(f["cost"])] for f in orders["recurring_failures"]], numeric=(1, 4, 5)))
        if orders["top_systems"]:
            out.append("<h3>Top systems</h3>" + _table(
                ["system", "work orders", "share", "cost"],
                [[s["system"], s["count"], f"{s['share']:.1%}", _money(s["cost"])] for s in orders["top_systems"][:5]],
                numeric=(1, 2, 3)))
        out.append("<p>Top components: " + _e(", ".join(f"{c['component']} ({c['count']})"
                                                         for c in orders["top_components"][:5]) or "none")
                   + ".<br>Top actions: " + _e(", ".join(f"{a['action']} ({a['count']})"
                                                         for a in orders["top_actions"][:5]) or "none") + ".</p>")
    if "failures_over_time" in plots:
        out.append(_img(plots["failures_over_time"], f"{asset} failures over time"))
    if "pareto" in plots:
        out.append(_img(plots["pareto"], f"{asset} Pareto of failure causes"))
    alarms = record.get("alarms")
    if alarms and alarms["top_codes"]:
        out.append("<h3>Alarms</h3>" + _table(["code", "message", "count", "first", "last"],
                                              [[c["code"], c["message"], c["count"], c["first"], c["last"]]
                                               for c in alarms["top_codes"][:5]], numeric=(2,)))
    for anomaly in record.get("anomalies", []):
        out.append(f"<h3>Sensor log {_e(anomaly['source'])}</h3><p>{_e(anomaly['summary'])}</p>")
        key = f"sensor:{anomaly['source']}"
        if key in plots:
            out.append(_img(plots[key], f"{asset} {anomaly['source']} trends"))
    if record["recommendations"]:
        items = "".join(f"<li>{_e(r['action'].rstrip('.'))}. <i>Why:</i> {_e(r['reason'].rstrip('.'))}. <i>Source:</i> "
                        f"{_e(_cite(r.get('citation')))}</li>" for r in record["recommendations"])
        out.append(f"<h3>Recommended next actions</h3><ol>{items}</ol>")
    if record["data_problems"]:
        out.append("<h3>Data problems</h3><ul>" + "".join(f"<li>{_e(p)}</li>" for p in record["data_problems"])
                   + "</ul>")
    return "".join(out)


def render_html(title: str, records: Sequence[dict[str, Any]], plots: dict[str, dict[str, str]],
                inputs: Sequence[dict[str, Any]], notes: Sequence[str] = ()) -> str:
    """One page with its own styles and every plot inline (data: URIs): it opens anywhere, offline."""
    failed = [i for i in inputs if i["kind"] == "failed"]
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
           f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>",
           f"<p>{len(records)} asset(s) from {len(inputs)} file(s)"
           + (f'; <span class="bad">{len(failed)} file(s) failed</span>' if failed else "") + ".</p>"]
    if failed:
        out.append("<ul>" + "".join(f'<li class="bad">{_e(i["source"])}: {_e(i["reason"])}</li>' for i in failed)
                   + "</ul>")
    if notes:
        out.append("<ul>" + "".join(f"<li>{_e(note)}</li>" for note in notes) + "</ul>")
    if len(records) > 1:
        out.append("<nav>" + "".join(f'<a href="#{_e(slug(r["asset"]))}">{_e(r["asset"])}</a>' for r in records)
                   + "</nav>")
    out += [_asset_html(r, plots.get(r["asset"], {})) for r in records]
    out.append("<h2>Input files</h2>" + _table(
        ["file", "kind", "records", "assets", "note"],
        [[i["source"], i["kind"], i["records"], ", ".join(i["assets"][:6]), i["reason"]] for i in inputs],
        numeric=(2,)))
    out.append("</body></html>\n")
    return "\n".join(out)


def write_reports(folder: Path, title: str, records: Sequence[dict[str, Any]], plots: dict[str, dict[str, str]],
                  inputs: Sequence[dict[str, Any]], notes: Sequence[str] = ()) -> None:
    """report.jsonl, report.md and report.html in `folder`; `notes` (duplicates counted once, links not followed)
    head the run's report."""
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "report.jsonl", records)
    (folder / "report.md").write_text(render_markdown(title, records, inputs, notes), encoding="utf-8")
    (folder / "report.html").write_text(render_html(title, records, plots, inputs, notes), encoding="utf-8")
