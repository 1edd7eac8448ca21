"""Frozen records shared across the copilot: passages, citations, answers, anomaly events and reports."""

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
    route: str = "rag"  # rag | extractive | procedure | fault_code | count | abstain
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `copilot ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "unsupported": list(self.unsupported),
            "safety": list(self.safety),
            "route": self.route,
            "passages": [
                {"n": p.n, "source": p.source, "path": p.path, "page": p.page, "page_label": p.page_label,
                 "section": p.section, "chunk_id": p.chunk_id, "score": round(p.score, 4)}
                for p in self.passages
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
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
class AnomalyReport:
    """What `Copilot.analyse` returns: the events found in a sensor log and what they suggest."""

    asset: str | None
    window: tuple[str, str]
    channels: tuple[str, ...]
    events: tuple[AnomalyEvent, ...]
    detector: str
    likely_causes: tuple[dict[str, Any], ...] = ()
    actions: tuple[dict[str, Any], ...] = ()
    urgency: str = "none"
    summary: str = ""
    warnings: tuple[str, ...] = ()
    fit: dict[str, Any] = field(default_factory=dict)  # what the detector was fitted on and how it was calibrated
    summary_source: str = "template"  # template | model (a model-written summary whose numbers were verified)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `{asset, window, events, likely_causes, actions, urgency, summary, ...}`."""
        return {
            "asset": self.asset,
            "window": list(self.window),
            "channels": list(self.channels),
            "detector": self.detector,
            "events": [asdict(e) for e in self.events],
            "likely_causes": list(self.likely_causes),
            "actions": list(self.actions),
            "urgency": self.urgency,
            "summary": self.summary,
            "summary_source": self.summary_source,
            "fit": self.fit,
            "warnings": list(self.warnings),
        }
