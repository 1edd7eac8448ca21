"""answer(question, retriever, generator, cfg) -> Answer: retrieve, prompt, generate, check citations, or abstain.

Orchestration only: retrieval, prompting and citation checking live in their own modules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from copilot import citations, prompts
from copilot.config import GenerationConfig
from copilot.llm import Generator
from copilot.records import Answer, Passage
from copilot.retrieval import Retriever


def _abstain(question: str, passages: Sequence[Passage], timings: dict[str, float], reason: str = "") -> Answer:
    nearest = "; ".join(p.header()[len(f"[{p.n}] "):] for p in passages[:3])
    text = prompts.NOT_COVERED + (f" Nearest sources: {nearest}." if nearest else "")
    return Answer(question, text, passages=tuple(passages), abstained=True, route="abstain",
                  unsupported=(reason,) if reason else (), timings=timings)


def answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
           history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Answer:
    """Answer from the indexed documents only; say plainly when they do not cover the question."""
    *_, final = stream_answer(question, retriever, generator, cfg, history=history, asset=asset)
    assert isinstance(final, Answer)  # stream_answer always ends with the Answer
    return final


def stream_answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
                  history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Iterator[str | Answer]:
    """Yield text pieces as the model writes them, then the checked Answer (always last)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    passages, nearest = retriever.retrieve(question, asset=asset)
    timings["retrieve_s"] = time.perf_counter() - started
    if not passages:
        timings["total_s"] = time.perf_counter() - started
        yield _abstain(question, nearest, timings, "no passage cleared the relevance floor")
        return
    messages = prompts.qa_messages(question, passages, cfg.context_words, history)
    generate_started = time.perf_counter()
    pieces: list[str] = []
    for piece in generator.stream(messages, max_new_tokens=cfg.max_new_tokens):
        pieces.append(piece)
        yield piece
    reply = "".join(pieces).strip()
    timings["generate_s"] = time.perf_counter() - generate_started
    timings["total_s"] = time.perf_counter() - started
    if not reply or prompts.NOT_COVERED.lower().rstrip(".") in reply.lower():
        yield _abstain(question, passages, timings)
        return
    checked = citations.check(reply, passages)
    if not checked.citations:
        yield _abstain(question, passages, timings, f"model answer not supported by any passage: {reply[:200]}")
        return
    yield Answer(question, checked.text, checked.citations, tuple(passages), abstained=False,
                 unsupported=checked.unsupported, route="rag", timings=timings)
