"""Answers and reports as HTML for the chat UI: pure functions, no Gradio, so they are tested like any other data.

What a technician must see at a glance, in this order: the safety warnings of the cited procedure (a red banner),
the answer with its [n] markers, any sentence no cited passage supports (highlighted and labelled, never silently
shown as fact), and the sources: one tappable row per citation, "[n] document · section · p. N", that opens to the
quoted line and the whole passage it came from. An abstention says so in plain words and lists the nearest sources.

Everything taken from documents or from the model is HTML-escaped: a manual is data, not markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from copilot.records import Answer, Citation, Passage
from index.records import page_reference

CITE_RE = re.compile(r"\[(\d+)\]")
BANNER_PREFIX = "⚠ "


def where(source: str, section: str | None, page: int | None, page_label: str | None = None) -> str:
    """'pump-manual.md · 6.3 Replacing the seal · p. 8' (or 'p. 27, printed 10-27')."""
    reference = page_reference(page, page_label)
    parts = [source] + ([section] if section else []) + ([reference] if reference else [])
    return " · ".join(parts)


def split_banner(text: str) -> tuple[list[str], str]:
    """(safety lines that lead the text, the rest): `qa` puts "⚠ WARNING: ..." lines in front of the answer."""
    lines = text.split("\n")
    banner = []
    while lines and lines[0].startswith(BANNER_PREFIX):
        banner.append(lines.pop(0)[len(BANNER_PREFIX):])
    return banner, "\n".join(lines).strip()


def _mark_citations(escaped: str) -> str:
    return CITE_RE.sub(r'<sup class="cp-cite">[\1]</sup>', escaped)


def _body(text: str, unsupported: Sequence[str]) -> tuple[str, list[str]]:
    """The answer text as HTML with unsupported sentences highlighted; returns the notes that are not in the text."""
    escaped = html.escape(text)
    elsewhere = []
    for sentence in unsupported:
        needle = html.escape(sentence.strip())
        if needle and needle in escaped:
            escaped = escaped.replace(
                needle, f'<mark class="cp-unsupported" title="No cited passage supports this">⚠ {needle}</mark>', 1)
        else:
            elsewhere.append(sentence)
    return _mark_citations(escaped).replace("\n", "<br>"), elsewhere


def _passage_for(citation: Citation, passages: Sequence[Passage]) -> Passage | None:
    return next((p for p in passages if p.chunk_id == citation.chunk_id), None)


def readable(passage: str) -> str:
    """A passage as plain text for reading: no Markdown emphasis, quote marks or blank-line runs (the words stay)."""
    text = re.sub(r"(?m)^\s*>\s?", "", passage)
    text = re.sub(r"\*\*|__", "", text)
    text = re.sub(r"(?m)^\s*\|?\s*-{3,}[-|\s:]*$\n?", "", text)  # table rule lines
    return re.sub(r"\n\s*\n+", "\n", text).strip()


TRUST_TAGS = {"upload": "uploaded, not verified", "record": "maintenance record"}


def source_html(n: int, source: str, section: str | None, page: int | None, quote: str | None,
                passage: str | None, open_: bool = False, page_label: str | None = None, trust: str = "manual") -> str:
    """One tappable source: the summary names document, section and page (and how far it is trusted, when it is not
    the equipment's manual); opening it shows the quote and passage."""
    inner = ""
    if quote:
        inner += f'<blockquote class="cp-quote">{html.escape(quote)}</blockquote>'
    if passage and passage.strip() != (quote or "").strip():
        inner += f'<div class="cp-passage">{html.escape(readable(passage))}</div>'
    tag = f' <span class="cp-trust">({TRUST_TAGS[trust]})</span>' if trust in TRUST_TAGS else ""
    return (f'<details class="cp-source"{" open" if open_ else ""}><summary><span class="cp-n">[{n}]</span> '
            f"{html.escape(where(source, section, page, page_label))}{tag}</summary>{inner}</details>")


def answer_html(answer: Answer) -> str:
    """The final, checked answer as one chat message (HTML)."""
    banner, text = split_banner(answer.text)
    warnings = list(answer.safety) + list(answer.source_warnings) or banner
    parts = []
    if warnings:
        items = "".join(f"<div>⚠ {html.escape(w)}</div>" for w in warnings)
        parts.append(f'<div class="cp-safety" role="alert">{items}</div>')
    shown = answer.unsupported if answer.route == "rag" else ()
    body, elsewhere = _body(text, shown)
    if answer.causes:  # a ranked list to scan on a phone, each cause opening onto its source
        body = causes_html(answer)
    parts.append(f'<div class="cp-answer{" cp-abstained" if answer.abstained else ""}">{body}</div>')
    for sentence in elsewhere:
        parts.append(f'<div class="cp-unsupported-note">⚠ Not supported by the cited documents: '
                     f"{html.escape(sentence)}</div>")
    if answer.route == "extractive":
        parts.append('<div class="cp-note">The model\'s own wording was not supported by the documents, so this '
                     "answer quotes the documents' lines instead.</div>")
    elif answer.abstained and answer.unsupported:
        parts.append(f'<div class="cp-note">Why: {html.escape("; ".join(answer.unsupported))}</div>')
    if answer.citations:
        rows = "".join(
            source_html(c.n, c.source, c.section, c.page, c.quote, getattr(_passage_for(c, answer.passages), "text",
                                                                               None), page_label=c.page_label,
                        trust=c.trust)
            for c in answer.citations)
        parts.append(f'<div class="cp-sources"><div class="cp-sources-title">Sources — tap to read</div>{rows}</div>')
    elif answer.abstained and answer.passages:
        rows = "".join(source_html(p.n, p.source, p.section, p.page, None, p.text, page_label=p.page_label,
                                   trust=p.trust) for p in answer.passages[:3])
        parts.append(f'<div class="cp-sources cp-nearest"><div class="cp-sources-title">Nearest sources (they do '
                     f"not answer the question)</div>{rows}</div>")
    return "".join(parts)


def causes_html(answer: Answer) -> str:
    """The troubleshoot route's likely causes, most likely first: the cause and its first check on one line, the
    asset's history under it, and its cited rows behind a tap."""
    by_n = {c.n: c for c in answer.citations}
    items = []
    for cause in answer.causes:
        check = f'<div class="cp-check">First check: {html.escape(cause.check)}</div>' if cause.check else ""
        history = f'<div class="cp-evidence">{html.escape(cause.evidence)}</div>' if cause.evidence else ""
        sources = "".join(
            source_html(c.n, c.source, c.section, c.page, c.quote,
                        getattr(_passage_for(c, answer.passages), "text", None), page_label=c.page_label,
                        trust=c.trust)
            for n in (*cause.citations, *cause.evidence_citations) if (c := by_n.get(n)) is not None)
        marks = "".join(f"[{n}]" for n in cause.citations)
        items.append(f"<li><details><summary><b>{html.escape(cause.cause)}</b> {marks}{check}{history}</summary>"
                     f"{sources}</details></li>")
    also = [line for line in answer.text.splitlines() if line.startswith("Also in the documents:")]
    extra = "".join(f"<p>{_mark_citations(html.escape(line))}</p>" for line in also)
    return f'<div>Likely causes, most likely first:</div><ol class="cp-causes">{"".join(items)}</ol>{extra}'


def draft_html(text: str) -> str:
    """The model's words as they arrive; the checked answer replaces them when it is done."""
    return (f'<div class="cp-draft">{_mark_citations(html.escape(text)).replace(chr(10), "<br>")}'
            '<span class="cp-writing"> writing…</span></div>')


def report_markdown(report: dict[str, Any]) -> str:
    """An `AnomalyReport.to_dict()` as Markdown for the sensors tab: summary, events, causes, cited actions."""
    urgency = report.get("urgency", "none")
    lines = [f"### {report.get('asset') or 'Unknown asset'} — urgency: **{urgency}**", "", report.get("summary", "")]
    events = report.get("events", [])
    if events:
        lines += ["", "#### Anomaly windows", "", "| from | to | channels | peak | severity |", "|---|---|---|---|---|"]
        for e in events:
            lines.append(f"| {e['start']} | {e['end']} | {', '.join(e['channels'])} | {e['peak_channel']} = "
                         f"{e['peak_value']:g} (z {e['peak_score']:+.1f}) | {e['severity']} |")
    causes = report.get("likely_causes", [])
    if causes:
        lines += ["", "#### Likely causes", ""]
        for cause in causes:
            name = str(cause.get("failure_mode", "")).replace("_", " ")
            evidence = "; ".join(cause.get("evidence", []))
            lines.append(f"- **{name}** (score {cause.get('score')}): {evidence}")
    actions = report.get("actions", [])
    if actions:
        lines += ["", "#### What to do", ""]
        for number, action in enumerate(actions, 1):
            cite = action.get("citation") or {}
            ref = (where(str(cite.get("source", "")), cite.get("section"), cite.get("page"), cite.get("page_label"))
                   if cite else "")
            lines.append(f"{number}. {action.get('step', '')}" + (f" — *{ref}*" if ref else ""))
    fit = report.get("fit") or {}
    if fit:
        lines.append(f"\n*Baseline: {fit.get('running_samples_fitted')} normal running samples ({fit.get('source')}); "
                     f"detector {report.get('detector')}; {fit.get('stops', 0)} stop(s) seen and not flagged.*")
    for warning in report.get("warnings", []):
        lines.append(f"\n> ⚠ {warning}")
    return "\n".join(lines)
