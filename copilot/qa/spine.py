"""answer(question, retriever, generator, cfg) -> Answer: the path from a question to a trustworthy answer.

The routes (copilot/qa/routes.py) are tried in order and the first that answers wins: a fault code's table row, a
count over the records, then after retrieval an abstention (nothing on that asset or date, nothing relevant, nothing
that states what is asked), the manual's numbered steps, the model's checked reply, the documents' own cited lines.
This function only orders them; one place finishes every answer: its timings, and the safety notices of the sections
it cites in front (copilot/qa/safety.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from copilot.config import GenerationConfig
from copilot.generation.backends import Generator
from copilot.qa import routes
from copilot.qa.query import contextual_query
from copilot.qa.retrieval import Retriever
from copilot.qa.safety import with_safety
from copilot.records import Answer

QUIET = ("abstain", "count")  # answers that carry no safety banner: an abstention, a count of work-order records


def stream_answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
                  history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Iterator[str | Answer]:
    """Yield text pieces as the answer is written, then the checked Answer (always last).

    The pieces are the model's draft as it decodes, for a responsive display; the final Answer is authoritative. When
    the draft fails the checks, the Answer carries the documents' own lines instead, and a UI replaces the draft.
    """
    search = contextual_query(question, history)  # follow-ups are searched with what they refer to
    q = routes.Question(question, search, retriever.plan(search, asset), retriever.view)
    answer = routes.fault_code(q) or routes.count(q)
    drafted = False
    if answer is None:
        passages, nearest = retriever.retrieve(search, asset=asset)
        q.timings["retrieve_s"] = time.perf_counter() - q.started
        ev = routes.Evidence(tuple(passages), tuple(nearest), routes.assess(q, passages) if passages else None)
        answer = (routes.coverage_gap(q, ev) or routes.troubleshoot(q, ev) or routes.nothing_relevant(q, ev)
                  or routes.not_stated(q, ev) or routes.procedure_steps(q, ev))
        if answer is None:
            reply = yield from routes.model_reply(q, ev, generator, cfg, history)
            drafted = isinstance(reply, routes.Draft)
            answer = reply if isinstance(reply, Answer) else (routes.documents_lines(q, ev, reply)
                                                               or routes.model_abstain(q, ev, reply))
    yield from finish(q, answer, drafted)


def finish(q: routes.Question, answer: Answer, drafted: bool) -> Iterator[str | Answer]:
    """Time the answer, put its safety notices first, and show its text unless the model already streamed it."""
    q.timings["total_s"] = time.perf_counter() - q.started
    final = answer if answer.route in QUIET else with_safety(answer, q.view)
    final = replace(final, timings=q.timings)
    if drafted and not final.abstained:  # the documents' lines replace a draft the UI has shown
        yield "\n" + answer.text
    elif final.route not in ("abstain", "rag"):
        yield final.text
    yield final


def answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
           history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Answer:
    """Answer from the indexed documents only; say plainly when they do not cover the question."""
    *_, final = stream_answer(question, retriever, generator, cfg, history=history, asset=asset)
    if not isinstance(final, Answer):  # stream_answer always ends with the Answer
        raise TypeError("stream_answer ended without an Answer")
    return final
