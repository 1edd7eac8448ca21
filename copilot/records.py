"""Frozen records shared across the copilot: passages, citations, answers, anomaly events, causes, actions and
reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from index.records import record_fields


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as shown to the model, numbered [n] in the prompt."""

    n: int
    chunk_id: str
    text: str
    source: str
    path: str
    page: int | None
    section: str | None
    score: float  # cosine similarity to the question
    doc_type: str = "manual"
    assets: tuple[str, ...] = ()
    page_label: str | None = None  # the page number printed on the page, where the document prints one
    trust: str = "manual"  # manual | record | upload (copilot/qa/trust.py)

    @cached_property
    def fields(self) -> dict[str, str]:
        """A record passage's {column: value}, as its chunk carries them (`index.records.Chunk.fields`)."""
        return record_fields(self.text)

    def header(self) -> str:
        """'[2] pump-manual.md, 6.3 Replacing the seal, p. 8'."""
        where = [self.source]
        if self.section:
            where.append(self.section)
        if self.page is not None:
            where.append(f"p. {self.page}")
        return f"[{self.n}] " + ", ".join(where)


@dataclass(frozen=True)
class Citation:
    """A checked reference from the answer to one passage."""

    n: int
    source: str
    page: int | None
    section: str | None
    chunk_id: str
    quote: str  # the passage sentence that best supports the citing sentence
    page_label: str | None = None  # the page number printed on the page ("10-27"), where the document prints one
    trust: str = "manual"  # how far its source is trusted: manual | record | upload (copilot/qa/trust.py)


@dataclass(frozen=True)
class TroubleCause:
    """One ranked likely cause of a symptom: what to check first, the citations of its row, and the asset's history."""

    cause: str
    check: str  # the document's first check, or its remedy
    citations: tuple[int, ...]  # numbers of the Answer's citations that hold this cause's row
    evidence: str = ""  # "3 of the 4 work orders on P-101 with this symptom found it"
    evidence_citations: tuple[int, ...] = ()  # the work orders counted in `evidence`
    kind: str = "table"  # where the row came from: table | fault_code | fmea | section | figure | page

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "check": self.check, "citations": list(self.citations),
                "evidence": self.evidence, "evidence_citations": list(self.evidence_citations), "kind": self.kind}


@dataclass(frozen=True)
class Answer:
    """What `Copilot.ask` returns: text with [n] markers, checked citations, and how it was made."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    abstained: bool = False
    unsupported: tuple[str, ...] = ()  # answer sentences (or numbers) no cited passage supports
    safety: tuple[str, ...] = ()  # warnings carried by the cited procedures, shown first
    source_warnings: tuple[str, ...] = ()  # sources that disagree on a safety step, rest on uploads alone, or steer
    route: str = "rag"  # rag | extractive | procedure | fault_code | count | troubleshoot | abstain
    timings: dict[str, float] = field(default_factory=dict)
    causes: tuple[TroubleCause, ...] = ()  # the troubleshoot route's ranked likely causes

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `copilot ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "unsupported": list(self.unsupported),
            "safety": list(self.safety),
            "source_warnings": list(self.source_warnings),
            "route": self.route,
            "passages": [
                {"n": p.n, "source": p.source, "path": p.path, "page": p.page, "page_label": p.page_label,
                 "section": p.section, "chunk_id": p.chunk_id, "score": round(p.score, 4), "trust": p.trust}
                for p in self.passages
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "causes": [c.to_dict() for c in self.causes],
        }


@dataclass(frozen=True)
class AnomalyEvent:
    """A contiguous abnormal window on one or more channels: onset, end, peak, direction, severity, channels."""

    start: str  # onset (ISO time of the first abnormal sample)
    end: str  # ISO time of the last abnormal sample
    channels: tuple[str, ...]  # the channels involved, strongest first
    peak_channel: str
    peak_value: float  # the raw reading of the peak channel at its largest deviation
    peak_score: float  # robust z-score of the peak channel there (signed, smoothed signal)
    direction: str  # up | down | mixed | erratic
    severity: str  # low | medium | high
    points: int  # abnormal samples in the window
    peak_time: str = ""
    score: float = 0.0  # the detector's calibrated score at the peak (1.0 = alarm threshold)
    duration_s: float = 0.0
    channel_directions: dict[str, str] = field(default_factory=dict)  # channel -> up | down | erratic
    normal_values: dict[str, float] = field(default_factory=dict)  # channel -> its normal (fit) median
    detector: str = ""
    # Weak evidence on every channel, for the diagnosis: the 10th and 90th percentile over the event of the signed
    # deviation in units of its threshold (1.0 = alarm level), and how far the channel's short-term variability left
    # its normal range (doublings beyond it, either way: fluctuating or frozen; 0 = normal).
    channel_levels: dict[str, tuple[float, float]] = field(default_factory=dict)
    channel_variability: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceRef:
    """Where a report's claim comes from, so a reader can check it: a manual section (with its page) or a past work
    order (its id as the section, no page)."""

    source: str  # the indexed file ("pump-manual.md", "work_orders.csv")
    section: str | None  # the full section title as indexed ("6.3 Replacing the seal"), or the work-order id
    page: int | None = None
    page_label: str | None = None  # the page number printed on the page, where the document prints one

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an action's `citation` in `copilot analyse --json`."""
        return {"source": self.source, "section": self.section, "page": self.page, "page_label": self.page_label}


@dataclass(frozen=True)
class LikelyCause:
    """One ranked failure mode: the FMEA row it comes from, how well the events match its signature, and the
    detector's numbers that say so (the summary may only repeat these)."""

    failure_mode: str
    asset_type: str
    score: float  # weighted Dice overlap of signature and observations (`copilot.anomaly.diagnosis`), >= 0
    evidence: tuple[str, ...]  # one sentence per signature channel that moved (or moved against it)
    manual: str  # the FMEA row's manual and section number, which the repair steps cite
    section: str
    recommended_actions: str  # the FMEA row's steps, split into `RepairAction`s for the top cause
    component: str
    severity: int  # the FMEA severity (1-5): breaks score ties and raises the urgency

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one of `copilot analyse --json`'s `likely_causes`."""
        return {"failure_mode": self.failure_mode, "asset_type": self.asset_type, "score": self.score,
                "evidence": list(self.evidence), "manual": self.manual, "section": self.section,
                "recommended_actions": self.recommended_actions, "component": self.component,
                "severity": self.severity}


@dataclass(frozen=True)
class RepairAction:
    """One repair step with the document it comes from: the top cause's manual section or a similar past work order."""

    step: str
    citation: SourceRef

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one of `copilot analyse --json`'s `actions`."""
        return {"step": self.step, "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class FitSummary:
    """What the detector was fitted on and how it was calibrated (`AnomalyReport.fit`)."""

    source: str  # "fit log" (a separate normal-operation log) | "first rows" (the log's own first rows)
    rows: int  # rows offered for fitting
    running_samples_fitted: int  # of those, running samples kept (off/idle and settling left out)
    detector: str
    window: int  # smoothing window, samples
    state_channels: tuple[str, ...]  # channels that tell running from stopped
    stops: int  # running -> off transitions seen (not flagged)
    off_share: float
    fit_rows_left_out: int  # fit rows trimmed as outliers of the fit window
    upper: tuple[float, ...]  # per-channel alarm thresholds, robust z
    lower: tuple[float, ...]
    drift_pairs: dict[str, str] | None = None  # channel -> its normal partner, when drift detection ran
    warning: str | None = None  # the fit window itself looks abnormal
    asset_type: str | None = None  # set by the report: the asset's type in the FMEA table

    def to_dict(self) -> dict[str, Any]:
        """The `fit` object of `copilot analyse --json` (keys in the order the report has always written them)."""
        data: dict[str, Any] = {"source": self.source, "rows": self.rows}
        if self.drift_pairs is not None:
            data["drift_pairs"] = dict(self.drift_pairs)
        data.update({"running_samples_fitted": self.running_samples_fitted, "detector": self.detector,
                     "window": self.window, "state_channels": list(self.state_channels), "stops": self.stops,
                     "off_share": self.off_share, "fit_rows_left_out": self.fit_rows_left_out,
                     "thresholds": {"upper": list(self.upper), "lower": list(self.lower)}})
        if self.warning is not None:
            data["warning"] = self.warning
        data["asset_type"] = self.asset_type
        return data


@dataclass(frozen=True)
class AnomalyReport:
    """What `Copilot.analyse` returns: the events found in a sensor log and what they suggest."""

    asset: str | None
    window: tuple[str, str]
    channels: tuple[str, ...]
    events: tuple[AnomalyEvent, ...]
    detector: str
    likely_causes: tuple[LikelyCause, ...] = ()  # best first
    actions: tuple[RepairAction, ...] = ()  # the top cause's cited steps, then similar past work orders
    urgency: str = "none"
    summary: str = ""
    warnings: tuple[str, ...] = ()
    fit: FitSummary | None = None  # what the detector was fitted on and how it was calibrated
    summary_source: str = "template"  # template | model (a model-written summary whose numbers were verified)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `{asset, window, events, likely_causes, actions, urgency, summary, ...}`."""
        return {
            "asset": self.asset,
            "window": list(self.window),
            "channels": list(self.channels),
            "detector": self.detector,
            "events": [asdict(e) for e in self.events],
            "likely_causes": [cause.to_dict() for cause in self.likely_causes],
            "actions": [action.to_dict() for action in self.actions],
            "urgency": self.urgency,
            "summary": self.summary,
            "summary_source": self.summary_source,
            "fit": self.fit.to_dict() if self.fit else {},
            "warnings": list(self.warnings),
        }
