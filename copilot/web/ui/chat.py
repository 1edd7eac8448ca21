"""Chat tab handlers: plain functions over a `CopilotService`, testable without a browser or Gradio.

A conversation is per browser session (`ChatSession`, kept in Gradio's session state, never shared between users).
The chat display is a list of `{"role", "content"}` messages; each assistant message that holds an answer is linked to
its `Turn`, so a thumbs-up or a correction is saved against the right question and answer.

Streaming: the model's words are shown as they arrive, then the checked `Answer` replaces the draft (it may differ:
an unsupported draft is swapped for the documents' own cited lines).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from copilot.errors import USER_ERRORS
from copilot.records import Answer
from copilot.web.feedback import Feedback, FeedbackStore
from copilot.web.service import CopilotService
from copilot.web.ui.render import answer_html, draft_html

ALL_ASSETS = "All assets"
SEARCHING = '<div class="cp-draft">Searching the documents…</div>'
Messages = list[dict[str, Any]]
FEEDBACK_PER_ANSWER = 5  # as server.feedback_per_answer: a stuck finger cannot grow the feedback file without end


@dataclass
class Turn:
    """One question and the checked answer it got."""

    question: str
    answer: Answer
    asset: str | None
    message_index: int  # position of the answer in the chat display
    verdicts: int = 0  # feedback records saved on this answer (bounded by FEEDBACK_PER_ANSWER)


@dataclass
class ChatSession:
    """One user's conversation; lives in that browser session's state only."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs for follow-up questions."""
        return [(t.question, t.answer.text) for t in self.turns]

    def turn_at(self, message_index: int) -> Turn | None:
        return next((t for t in self.turns if t.message_index == message_index), None)


def asset_value(choice: str | None) -> str | None:
    """The asset selector's value as an asset id, or None for all assets."""
    return None if not choice or choice == ALL_ASSETS else choice


def asset_choices(service: CopilotService) -> list[str]:
    return [ALL_ASSETS, *service.assets()]


def add_question(message: str, chat: Messages | None) -> tuple[str, Messages, str]:
    """Show the question at once (before the answer queues): (cleared textbox, chat, the question to answer)."""
    chat = list(chat or [])
    question = (message or "").strip()
    if question:
        chat += [{"role": "user", "content": question}, {"role": "assistant", "content": SEARCHING}]
    return "", chat, question


def answer_question(service: CopilotService, question: str, chat: Messages | None, session: ChatSession | None,
                    asset_choice: str | None) -> Iterator[tuple[Messages, ChatSession]]:
    """Stream the answer into the last assistant message; the checked answer replaces the draft at the end."""
    chat = list(chat or [])
    session = session or ChatSession()
    if not question:
        yield list(chat), session
        return
    if not chat or chat[-1].get("role") != "assistant":
        chat += [{"role": "user", "content": question}, {"role": "assistant", "content": SEARCHING}]
    asset = asset_value(asset_choice)
    draft = ""
    try:
        for piece in service.stream(question, session.history(), asset):
            if isinstance(piece, Answer):
                chat[-1] = {"role": "assistant", "content": answer_html(piece)}
                session.turns.append(Turn(question, piece, asset, len(chat) - 1))
                yield list(chat), session
                return
            draft += piece
            chat[-1] = {"role": "assistant", "content": draft_html(draft)}
            yield list(chat), session
    except USER_ERRORS as exc:  # a domain error is shown in the chat, one line, and the page stays usable
        chat[-1] = {"role": "assistant", "content": f'<div class="cp-error">⚠ {exc}</div>'}
        yield list(chat), session


def save_feedback(store: FeedbackStore, session: ChatSession | None, message_index: int | None, verdict: str,
                  correction: str | None = None, *, limit: int = FEEDBACK_PER_ANSWER,
                  max_correction_chars: int = 4000) -> str:
    """Record a verdict on the answer shown at `message_index` (None: the latest answer); returns a status line.

    Each verdict is a new record with the answer's stable `answer_id`, so a later correction or a changed mind
    supersedes the earlier one for a training builder while both stay in the file; at most `limit` per answer.
    """
    if session is None or not session.turns:
        return "Ask a question first: there is no answer to rate yet."
    turn = session.turns[-1] if message_index is None else session.turn_at(message_index)
    if turn is None:
        return "That message is not an answer; rate the copilot's answers."
    if correction and len(correction) > max_correction_chars:
        return f"That correction is {len(correction)} characters; keep it under {max_correction_chars}."
    if turn.verdicts >= limit:
        return f"This answer already has {turn.verdicts} verdicts; ask again to rate a new answer."
    number = session.turns.index(turn)
    history = [[q, a] for q, a in session.history()[:number]]
    store.append(Feedback.on(turn.answer, verdict, correction=correction, asset=turn.asset, history=history,
                             answer_id=f"{session.id}-{number}"))
    turn.verdicts += 1
    if verdict == "helpful":
        return "Thanks — marked helpful."
    if correction and correction.strip():
        return "Thanks — your correction was saved for the next training round."
    return "Marked wrong. If you know the right answer, type it below and press *Send correction*."
