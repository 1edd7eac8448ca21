"""Technicians' verdicts on answers (helpful / wrong, with an optional correction), kept as JSONL for fine-tuning.

One JSON object a line at `$COPILOT_HOME/feedback.jsonl`. Each record carries everything a training-data builder
needs without the index at hand: the question, the answer as shown, its citations (with their quotes), the chunk ids
of the passages the model saw, the verdict, the technician's correction, and a UTC timestamp.

Feedback is tied to answers the server actually gave: the API hands out an `answer_id` with every answer and keeps
the answer itself (`AnswerLog`, bounded, in memory); a verdict names that id and the record is built from the kept
answer, never from what the client sends back. The UI ties feedback to the answers in the browser session's state.

The file is append-only and no record is ever rewritten: a technician who first taps "wrong" and then types a
correction (or changes their mind) adds a second record, with its own `id` and the same `answer_id` (at most
`server.feedback_per_answer` per answer). `load_feedback` keeps the latest record per answer, which is what a builder
wants; every earlier record stays in the file. Appends from several UI sessions or processes are serialised with a
file lock and written as one `write` each, so concurrent users never interleave half-lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
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
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # this record's own id, never reused
    answer_id: str | None = None  # the answer it rates: records on one answer share it
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise CopilotError(f"feedback verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if not self.question.strip():
            raise CopilotError("feedback needs the question that was answered")

    @classmethod
    def on(cls, answer: Answer, verdict: str, *, correction: str | None = None, asset: str | None = None,
           history: list[list[str]] | None = None, answer_id: str | None = None) -> Feedback:
        """A verdict on an `Answer` as the copilot returned it; `answer_id` groups the verdicts on one answer."""
        record = answer.to_dict()
        return cls(question=answer.question, answer=answer.text, verdict=verdict,
                   citations=record["citations"], passages=[p.chunk_id for p in answer.passages],
                   correction=(correction or "").strip() or None, asset=asset, route=answer.route,
                   abstained=answer.abstained, history=list(history or []), answer_id=answer_id)

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


@dataclass(frozen=True)
class GivenAnswer:
    """An answer this server gave, as kept for feedback: what was asked, with which asset and history."""

    answer: Answer
    asset: str | None
    history: list[list[str]]


class AnswerLog:
    """The last `capacity` answers the server gave, by answer id: what `POST /feedback` may rate.

    In memory and bounded (the oldest is forgotten first), so feedback on an answer from before a restart, or more
    than `capacity` answers ago, is refused. Counts the verdicts per answer to bound the records one answer can add.
    """

    def __init__(self, capacity: int = 1000, per_answer: int = 5) -> None:
        self.capacity = capacity
        self.per_answer = per_answer
        self._answers: OrderedDict[str, GivenAnswer] = OrderedDict()
        self._verdicts: dict[str, int] = {}
        self._lock = threading.Lock()

    def remember(self, answer: Answer, asset: str | None = None,
                 history: Sequence[tuple[str, str]] | None = None) -> str:
        """Keep an answer; returns its new id."""
        answer_id = uuid.uuid4().hex
        with self._lock:
            self._answers[answer_id] = GivenAnswer(answer, asset, [list(turn) for turn in history or []])
            while len(self._answers) > self.capacity:
                forgotten, _ = self._answers.popitem(last=False)
                self._verdicts.pop(forgotten, None)
        return answer_id

    def claim(self, answer_id: str) -> GivenAnswer:
        """The answer to rate, counting one more verdict on it.

        Raises:
            CopilotError: unknown (or forgotten) id, or this answer has had its `per_answer` verdicts already.
        """
        with self._lock:
            given = self._answers.get(answer_id)
            if given is None:
                raise CopilotError(f"no answer with id {answer_id[:40]!r}: feedback can rate only the last "
                                   f"{self.capacity} answers this server gave since it started; ask again")
            count = self._verdicts.get(answer_id, 0)
            if count >= self.per_answer:
                raise CopilotError(f"this answer already has {count} verdicts, the most one answer can get")
            self._verdicts[answer_id] = count + 1
            return given


def load_feedback(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The latest record for each answer (by `answer_id`, else `id`), oldest first; a corrupt line is reported with
    its number. Earlier records on the same answer stay in the file: nothing is overwritten."""
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
            key = record.get("answer_id") or record.get("id") or f"line-{number}"
            latest.pop(key, None)  # re-insert: order follows the latest write
            latest[key] = record
    return list(latest.values())
