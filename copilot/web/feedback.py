"""Technicians' verdicts on answers (helpful / wrong, with an optional correction), kept as JSONL for fine-tuning.

One JSON object a line at `$COPILOT_HOME/feedback.jsonl`. Each record carries everything a training-data builder
needs without the index at hand: the question, the answer as shown, its citations (with their quotes), the chunk ids
of the passages the model saw, the verdict, the technician's correction, and a UTC timestamp.

The file is append-only: a technician who first taps "wrong" and then types a correction (or changes their mind) adds
a second record with the same `id`. `load_feedback` keeps the latest record per id, which is what a builder wants.
Appends from several UI sessions or processes are serialised with a file lock and written as one `write` each, so
concurrent users never interleave half-lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from copilot.config import copilot_home
from copilot.errors import CopilotError
from copilot.records import Answer

VERDICTS = ("helpful", "wrong")
FEEDBACK_FILE = "feedback.jsonl"


def default_feedback_path() -> Path:
    """`$COPILOT_HOME/feedback.jsonl`."""
    return copilot_home() / FEEDBACK_FILE


@dataclass(frozen=True)
class Feedback:
    """One verdict on one answer, self-contained for building supervised fine-tuning examples."""

    question: str
    answer: str
    verdict: str  # helpful | wrong
    citations: list[dict[str, Any]] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)  # chunk ids the model was shown, in prompt order [1]..[k]
    correction: str | None = None  # what the answer should have said, in the technician's words
    asset: str | None = None
    route: str = "rag"
    abstained: bool = False
    history: list[list[str]] = field(default_factory=list)  # earlier (question, answer) turns of the conversation
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise CopilotError(f"feedback verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if not self.question.strip():
            raise CopilotError("feedback needs the question that was answered")

    @classmethod
    def on(cls, answer: Answer, verdict: str, *, correction: str | None = None, asset: str | None = None,
           history: list[list[str]] | None = None, feedback_id: str | None = None) -> Feedback:
        """A verdict on an `Answer` as the copilot returned it."""
        record = answer.to_dict()
        extra: dict[str, Any] = {"id": feedback_id} if feedback_id else {}
        return cls(question=answer.question, answer=answer.text, verdict=verdict,
                   citations=record["citations"], passages=[p.chunk_id for p in answer.passages],
                   correction=(correction or "").strip() or None, asset=asset, route=answer.route,
                   abstained=answer.abstained, history=list(history or []), **extra)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackStore:
    """Append-only JSONL of `Feedback`, safe for several threads and processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_feedback_path()
        self._lock = threading.Lock()

    def append(self, feedback: Feedback) -> Feedback:
        """Write one record as one line; returns it."""
        line = (json.dumps(feedback.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        return feedback

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(load_feedback(self.path))


def load_feedback(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The latest record for each answer (by `id`), oldest first; a corrupt line is reported with its number."""
    file = Path(path) if path is not None else default_feedback_path()
    if not file.is_file():
        return []
    latest: dict[str, dict[str, Any]] = {}
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise CopilotError(f"{file} line {number} is not JSON ({exc}); remove or fix that line") from exc
            latest.pop(record.get("id", f"line-{number}"), None)  # re-insert: order follows the latest write
            latest[record.get("id", f"line-{number}")] = record
    return list(latest.values())
