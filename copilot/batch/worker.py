"""One asset's work: facts, sensor anomaly reports, cited recommendations, checked prose and plots.

`AssetWorker.summarise(job)` is the unit the engines run, in a local thread or a Ray actor; it holds one `Copilot`
(index, retriever, generator), built once per worker by a picklable factory. A failure inside one asset's work is
recorded on that asset's result and never stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from copilot.batch import plots
from copilot.batch.inputs import AssetJob, AssetResult
from copilot.batch.narrate import write_prose
from copilot.batch.options import BatchOptions
from copilot.batch.stats import asset_facts
from copilot.errors import CopilotError
from copilot.qa.citations import best_quote, split_sentences
from copilot.qa.view import to_passage
from copilot.records import AnomalyReport, Passage

logger = logging.getLogger(__name__)

MANUAL_TYPES = ("manual", "table", "text")
EVENT_FIELDS = ("start", "end", "channels", "peak_channel", "peak_value", "peak_score", "direction", "severity",
                "points")
CAUSE_FIELDS = ("failure_mode", "component", "score", "evidence", "manual", "section")


@dataclass(frozen=True)
class CopilotFactory:
    """Builds the worker's Copilot from config (picklable, so Ray actors can build their own)."""

    config: Any  # CopilotConfig
    no_llm: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> Any:
        from copilot.app import Copilot
        from copilot.generation.backends import NoModel

        return Copilot.load(self.config, generator=NoModel() if self.no_llm else None,
                            overrides=self.overrides or None)


def _citation(passage: Passage, about: str) -> dict[str, Any]:
    return {"source": passage.source, "section": passage.section, "page": passage.page,
            "page_label": passage.page_label, "chunk_id": passage.chunk_id, "quote": best_quote(about, passage.text)}


def _compact_anomaly(source: str, report: AnomalyReport) -> dict[str, Any]:
    """The batch record's view of one sensor log's report (JSON-ready): its events and top three causes, trimmed."""
    causes = [cause.to_dict() for cause in report.likely_causes[:3]]
    return {
        "source": source, "window": list(report.window), "channels": list(report.channels),
        "events": [{k: getattr(e, k) for k in EVENT_FIELDS} for e in report.events],
        "likely_causes": [{k: cause[k] for k in CAUSE_FIELDS} for cause in causes],
        "actions": [action.to_dict() for action in report.actions],
        "urgency": report.urgency, "summary": report.summary,
    }


class AssetWorker:
    """Summarises assets with one Copilot; `factory` is called on first use."""

    def __init__(self, factory: Callable[[], Any], options: BatchOptions) -> None:
        self.factory = factory
        self.options = options
        self._copilot: Any = None

    @property
    def copilot(self) -> Any:
        if self._copilot is None:
            self._copilot = self.factory()
        return self._copilot

    def summarise(self, job: AssetJob) -> AssetResult:
        """The asset's report record and plots; an unexpected failure becomes the result's `error`."""
        try:
            return self._summarise(job)
        except Exception as exc:  # the batch is an edge: one asset's failure is recorded, the night's run goes on
            logger.warning("asset %s failed: %s", job.asset, exc, exc_info=True)
            return AssetResult(job.asset, {"asset": job.asset, "error": f"{type(exc).__name__}: {exc}",
                                           "sources": job.sources}, error=str(exc))

    def _summarise(self, job: AssetJob) -> AssetResult:
        record = asset_facts(job)
        problems = list(job.problems)
        anomalies = []
        frames: dict[str, pd.DataFrame] = {}
        for series in job.sensors:
            try:
                # the asset's one prose call covers the sensor logs too: no model summary per file
                report = self.copilot.analyse(series.data, asset=job.asset, summarise=False)
            except CopilotError as exc:
                problems.append(f"{series.source}: not analysed ({exc})")
                continue
            except Exception as exc:  # an analysis bug must not lose the asset's other facts
                logger.warning("analysing %s failed", series.source, exc_info=True)
                problems.append(f"{series.source}: not analysed ({type(exc).__name__}: {exc})")
                continue
            anomalies.append(_compact_anomaly(series.source, report))
            frames[series.source] = series.data
        record["anomalies"] = anomalies
        record["counts"]["anomaly_events"] = sum(len(a["events"]) for a in anomalies)
        recommendations, passages = self._recommend(job.asset, record)
        record["recommendations"] = recommendations
        generator = None if self.options.no_llm else self.copilot.generator
        prose = write_prose(record, passages, generator, self.options.max_new_tokens)
        record["summary"] = prose["text"]
        record["summary_source"] = prose["source"]
        record["summary_dropped"] = prose["dropped"]
        record["data_problems"] = sorted(dict.fromkeys(problems))
        record["sources"] = job.sources
        ordered = {k: record[k] for k in ("asset", "period", "summary", "summary_source", "counts", "work_orders",
                                          "alarms", "anomalies", "recommendations", "data_problems", "sources",
                                          "summary_dropped")}
        return AssetResult(job.asset, ordered, self._plots(job.asset, ordered, frames) if self.options.plots else {})

    def _recommend(self, asset: str, record: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Passage]]:
        """Next actions: cited steps of urgent sensor diagnoses, then a manual section per recurring failure and per
        frequent alarm. Returns (recommendations, the distinct passages cited, renumbered [1]..[k])."""
        recommendations: list[dict[str, Any]] = []
        cited: dict[str, Passage] = {}
        for anomaly in record["anomalies"]:
            if anomaly["urgency"] in ("high", "medium") and anomaly["likely_causes"]:
                cause = str(anomaly["likely_causes"][0]["failure_mode"]).replace("_", " ")
                for action in anomaly["actions"][:2]:
                    recommendations.append({"action": f"{action['step']} (sensor log {anomaly['source']}: likely "
                                                      f"{cause}, urgency {anomaly['urgency']})",
                                            "reason": split_sentences(anomaly["summary"])[0].rstrip("."),
                                            "citation": action.get("citation")})
        orders = record.get("work_orders") or {}
        wanted = self.options.recommendations
        for failure in (orders.get("recurring_failures") or [])[:wanted]:
            about = failure["failure"].replace(":", "")
            passage = self._manual_passage(f"{about} troubleshooting: check and correct", asset)
            reason = (f"{failure['count']} work orders from {failure['first']} to {failure['last']}"
                      + (f", cost {failure['cost']:.2f}" if failure.get("cost") else ""))
            if passage is None:
                recommendations.append({"action": f"Review the recurring {failure['failure']} and its root cause; "
                                                  "no manual section in the index covers it",
                                        "reason": reason, "citation": None})
                continue
            cited.setdefault(passage.chunk_id, passage)
            where = passage.section or passage.source
            recommendations.append({"action": f"Check the recurring {failure['failure']} against {passage.source}, "
                                              f"{where}", "reason": reason, "citation": _citation(passage, about)})
        alarms = record.get("alarms") or {}
        for code in (alarms.get("top_codes") or [])[:1]:
            if code["count"] < 3:
                continue
            passage = self._manual_passage(f"{code['code']} {code['message']}", asset)
            reason = f"{code['count']} alarms from {code['first'][:10]} to {code['last'][:10]}"
            if passage is not None:
                cited.setdefault(passage.chunk_id, passage)
            recommendations.append({
                "action": f"Find the cause of the repeated alarm {code['code']} {code['message']}"
                          + (f" ({passage.source}, {passage.section or 'see text'})" if passage else ""),
                "reason": reason, "citation": _citation(passage, code["message"]) if passage else None})
        passages = [replace(p, n=n) for n, p in enumerate(cited.values(), 1)]
        return recommendations, passages

    def _manual_passage(self, query: str, asset: str) -> Passage | None:
        """The best relevant manual passage for the query within the asset's scope, else None."""
        retriever = self.copilot.retriever
        hits = self.copilot.index.search(query, k=3, doc_types=MANUAL_TYPES, candidates=retriever.cfg.candidates,
                                         where=lambda c: not c.assets or asset in c.assets,  # its own or general
                                         fusion=retriever.cfg.fusion)
        return next((to_passage(1, h) for h in hits if retriever.is_relevant(h)), None)

    def _plots(self, asset: str, record: dict[str, Any], frames: dict[str, pd.DataFrame]) -> dict[str, str]:
        drawn: dict[str, str] = {}
        for anomaly in record["anomalies"]:
            frame = frames[anomaly["source"]]
            drawn[f"sensor:{anomaly['source']}"] = plots.sensor_trends(
                frame, anomaly["events"], f"{asset}: {anomaly['source']} ({len(anomaly['events'])} anomaly events "
                                          "shaded)")
        orders = record.get("work_orders") or {}
        if orders.get("failures_per_month"):
            drawn["failures_over_time"] = plots.failures_over_time(orders["failures_per_month"],
                                                                   f"{asset}: corrective work orders over time")
        if orders.get("failure_causes"):
            drawn["pareto"] = plots.pareto(orders["failure_causes"], f"{asset}: Pareto of failure causes")
        return drawn
