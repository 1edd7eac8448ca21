"""Sensor log -> AnomalyReport: events, likely failure modes from the indexed FMEA table, cited repair actions.

Every number in the report comes from the detector or the documents; the summary is assembled from those facts.
The FMEA table and the asset register are read from the index itself (any indexed FMEA-style table with
`failure_mode` and `signature` columns works), so the report cites what the user indexed.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.anomaly import channel_directions, detect
from copilot.config import AnomalyConfig
from copilot.diagnosis import FailureMode, failure_mode_from_record, rank_failure_modes, summarise_observations
from copilot.records import AnomalyReport
from copilot.retrieval import Retriever
from copilot.sensors import SensorFrame
from index.loaders.tabular import record_fields
from index.search import HybridIndex

URGENCY_TEXT = {"high": "act now", "medium": "plan a repair this week", "low": "watch", "none": "no action"}


def fmea_rows(index: HybridIndex) -> list[FailureMode]:
    """FMEA rows found among the index's table records."""
    rows = []
    for chunk in index.chunks:
        if chunk.kind == "record" and "signature: " in chunk.text:
            row = failure_mode_from_record(record_fields(chunk.text))
            if row is not None:
                rows.append(row)
    return rows


def asset_type_of(asset: str | None, index: HybridIndex, rows: list[FailureMode], channels: list[str]) -> str | None:
    """The asset's type from indexed work orders (an `asset_type` column), else the FMEA type whose channels fit."""
    if asset:
        for chunk in index.chunks:
            if chunk.doc_type == "work_order" and asset in chunk.assets:
                kind = record_fields(chunk.text).get("asset_type")
                if kind:
                    return kind
    overlap: dict[str, int] = {}
    for row in rows:
        overlap[row.asset_type] = overlap.get(row.asset_type, 0) + sum(ch in channels for ch, _ in row.signature)
    best = max(overlap.items(), key=lambda kv: kv[1], default=(None, 0))
    return best[0] if best[1] > 0 else None


def _section_page(index: HybridIndex, manual: str, section: str) -> tuple[str, int | None, str | None]:
    """(source, page, full section title) of a manual section number, as indexed (PDF or Markdown)."""
    stem = re.sub(r"\.(md|pdf|txt|html?)$", "", manual)
    for chunk in index.chunks:
        if chunk.source.rsplit(".", 1)[0] == stem and chunk.section and re.match(
                rf"^{re.escape(section)}\b", chunk.section):
            return chunk.source, chunk.page, chunk.section
    return manual, None, section


def build_report(frame: SensorFrame, asset: str | None, cfg: AnomalyConfig, index: HybridIndex,
                 retriever: Retriever) -> AnomalyReport:
    """Detect, diagnose and cite (no language model; numbers come from the detector)."""
    data = frame.data
    events = detect(data, cfg)
    window = (data.index[0].isoformat(), data.index[-1].isoformat())
    observed = summarise_observations([(channel_directions(data, e, cfg), e.severity) for e in events])
    rows = fmea_rows(index)
    kind = asset_type_of(asset, index, rows, list(data.columns))
    causes = rank_failure_modes(observed, rows, kind) if observed else []
    actions: list[dict[str, Any]] = []
    for cause in causes[:1]:
        source, page, section = _section_page(index, str(cause["manual"]), str(cause["section"]))
        for step in re.split(r";\s*|\.\s+", str(cause["recommended_actions"])):
            if step.strip():
                actions.append({"step": step.strip().rstrip("."),
                                "citation": {"source": source, "section": section, "page": page}})
        query = f"{cause['failure_mode']} {cause['component']}".replace("_", " ")
        for hit in index.search(query, k=2, asset=asset, doc_types=["work_order"]) if asset else []:
            fields = record_fields(hit.chunk.text)
            action = fields.get("action") or hit.chunk.text.splitlines()[0]
            actions.append({"step": f"Compare with past work order {hit.chunk.section}: {action}",
                            "citation": {"source": hit.chunk.source, "section": hit.chunk.section, "page": None}})
    severities = {e.severity for e in events}
    top_severity = int(str(causes[0]["severity"])) if causes else 3
    urgency = ("high" if "high" in severities and top_severity >= 3 else "medium" if severities - {"low"}
               else "low" if events else "none")
    summary = _summary(asset, window, events, causes, urgency)
    return AnomalyReport(asset=asset, window=window, channels=tuple(data.columns), events=tuple(events),
                         detector="robust-baseline", likely_causes=tuple(causes), actions=tuple(actions),
                         urgency=urgency, summary=summary, warnings=tuple(frame.warnings))


def _summary(asset: str | None, window: tuple[str, str], events: list[Any], causes: list[dict[str, Any]],
             urgency: str) -> str:
    name = asset or "this asset"
    if not events:
        return f"No anomalies on {name} between {window[0]} and {window[1]}."
    first = events[0]
    parts = [f"{len(events)} anomaly event(s) on {name} from {first.start}; strongest on {first.peak_channel} "
             f"(peak {first.peak_value:.2f}, robust z {first.peak_score:+.1f}, {first.severity})."]
    if causes:
        top = causes[0]
        parts.append(f"Most likely: {str(top['failure_mode']).replace('_', ' ')} (score {top['score']}, evidence: "
                     f"{', '.join(top['evidence'])}); see {top['manual']} section {top['section']}.")
    parts.append(f"Urgency: {urgency} ({URGENCY_TEXT[urgency]}).")
    return " ".join(parts)
