"""Sensor log -> AnomalyReport: detection, likely failure modes from the indexed FMEA table, cited repair actions, and
a summary the language model writes from that evidence only (checked; templated when it invents).

The FMEA table and the asset register are read from the index itself (any indexed FMEA-style table with
`failure_mode` and `signature` columns works), so the report cites what the user indexed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from copilot.anomaly.detection import Detection, run_detection
from copilot.anomaly.diagnosis import (
    FailureMode,
    failure_mode_from_record,
    observations_from_events,
    rank_failure_modes,
    weak_evidence,
)
from copilot.anomaly.sensors import SensorFrame
from copilot.anomaly.summary import write_summary
from copilot.config import AnomalyConfig
from copilot.generation.backends import Generator
from copilot.qa.retrieval import Retriever
from copilot.records import AnomalyEvent, AnomalyReport, LikelyCause, RepairAction, SourceRef
from index.search import HybridIndex


def fmea_rows(index: HybridIndex) -> list[FailureMode]:
    """FMEA rows found among the index's table records."""
    rows = []
    for chunk in index.chunks:
        if chunk.kind == "record" and "signature: " in chunk.text:
            row = failure_mode_from_record(chunk.fields)
            if row is not None:
                rows.append(row)
    return rows


def asset_type_of(asset: str | None, index: HybridIndex, rows: list[FailureMode], channels: list[str]) -> str | None:
    """The asset's type from indexed work orders (an `asset_type` column), else the FMEA type whose channels fit."""
    if asset:
        for chunk in index.chunks:
            if chunk.doc_type == "work_order" and asset in chunk.assets:
                kind = chunk.fields.get("asset_type")
                if kind:
                    return kind
    return asset_type_from_channels(rows, channels)


def asset_type_from_channels(rows: list[FailureMode], channels: list[str]) -> str | None:
    """The FMEA asset type whose signature channels the log has most of (ties: the more specific type)."""
    overlap: dict[str, set[str]] = {}
    for row in rows:
        overlap.setdefault(row.asset_type, set()).update(ch for ch, _ in row.signature if ch in channels)
    if not overlap:
        return None
    kind, found = max(overlap.items(), key=lambda kv: (len(kv[1]), kv[0]))
    return kind if found else None


def section_citation(index: HybridIndex, manual: str, section: str) -> SourceRef:
    """The citation of a manual section by its number, as indexed (PDF or Markdown): source, full section title,
    page and the page number printed on it; the FMEA row's own names when the index does not hold the section."""
    stem = re.sub(r"\.(md|pdf|txt|html?)$", "", manual)
    for chunk in index.chunks:
        if chunk.source.rsplit(".", 1)[0] == stem and chunk.section and re.match(
                rf"^{re.escape(section)}\b", chunk.section):
            return SourceRef(source=chunk.source, section=chunk.section, page=chunk.page,
                             page_label=chunk.page_label)
    return SourceRef(source=manual, section=section, page=None, page_label=None)


def urgency_of(events: list[AnomalyEvent], causes: Sequence[LikelyCause], window_end: str) -> str:
    """high: a high-severity event on a severe failure mode, or one still active at the end of the log; medium:
    any medium or high event; low: only low events; none: no event."""
    if not events:
        return "none"
    severities = {e.severity for e in events}
    top_severity = causes[0].severity if causes else 3
    ongoing = any(e.end == window_end and e.severity == "high" for e in events)
    if "high" in severities and (top_severity >= 4 or ongoing):
        return "high"
    return "medium" if severities - {"low"} else "low"


def diagnose(events: list[AnomalyEvent], rows: list[FailureMode], asset_type: str | None, channels: list[str],
             top: int = 3) -> list[LikelyCause]:
    """Likely failure modes for these events, best first, each with its score and evidence."""
    if not events:
        return []
    observed, evidence = observations_from_events(events)
    levels, variability = weak_evidence(events)
    return rank_failure_modes(observed, rows, asset_type, top=top, available=channels, evidence_text=evidence,
                              levels=levels, variability=variability)


def cited_actions(causes: Sequence[LikelyCause], asset: str | None, index: HybridIndex,
                  fusion: str = "convex") -> list[RepairAction]:
    """Repair steps of the top cause cited to its manual section, then the most similar past work orders (searched
    with the configured `fusion`, retrieval.fusion)."""
    actions: list[RepairAction] = []
    for cause in causes[:1]:
        citation = section_citation(index, cause.manual, cause.section)
        for step in re.split(r";\s*|\.\s+", cause.recommended_actions):
            if step.strip():
                actions.append(RepairAction(step=step.strip().rstrip("."), citation=citation))
        query = f"{cause.failure_mode} {cause.component}".replace("_", " ")
        for hit in index.search(query, k=2, asset=asset, doc_types=["work_order"], fusion=fusion) if asset else []:
            fields = hit.chunk.fields
            action = fields.get("action") or hit.chunk.text.splitlines()[0]
            actions.append(RepairAction(step=f"Compare with past work order {hit.chunk.section}: {action}",
                                        citation=SourceRef(source=hit.chunk.source, section=hit.chunk.section)))
    return actions


def build_report(frame: SensorFrame, asset: str | None, cfg: AnomalyConfig, index: HybridIndex,
                 retriever: Retriever | None = None, generator: Generator | None = None,
                 fit: pd.DataFrame | None = None, detection: Detection | None = None) -> AnomalyReport:
    """Detect, diagnose, cite, summarise. Numbers come from the detector; the model only words them.

    Args:
        generator: writes the summary from the evidence (checked); None gives the templated summary.
        fit: a normal-operation frame to fit the detector on (else the first rows of the log).
        detection: a detection already run on `frame` (the plot and the report then share it).
    """
    data = frame.data
    found = detection if detection is not None else run_detection(data, cfg, fit)
    events = found.events
    window = (data.index[0].isoformat(), data.index[-1].isoformat())
    rows = fmea_rows(index)
    kind = asset_type_of(asset, index, rows, list(data.columns))
    causes = diagnose(events, rows, kind, list(data.columns))
    actions = cited_actions(causes, asset, index, retriever.cfg.fusion if retriever is not None else "convex")
    urgency = urgency_of(events, causes, window[1])
    summary, source, rejected = write_summary(generator, asset, window, events, causes, urgency,
                                              found.states.stops, sorted({r.failure_mode for r in rows}),
                                              actions=actions)
    warnings = list(frame.warnings)
    if found.fit_info.warning:
        warnings.append(found.fit_info.warning)
    if rejected:
        warnings.append(f"model summary not used ({rejected}); templated summary instead")
    return AnomalyReport(asset=asset, window=window, channels=tuple(data.columns), events=tuple(events),
                         detector=found.detector, likely_causes=tuple(causes), actions=tuple(actions),
                         urgency=urgency, summary=summary, warnings=tuple(warnings),
                         fit=replace(found.fit_info, asset_type=kind),
                         summary_source=source)
