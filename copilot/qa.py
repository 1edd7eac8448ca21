"""answer(question, retriever, generator, cfg) -> Answer: the routes from a question to a trustworthy answer.

1. Fault-code fast path: a question about what a code means is answered from the code table row, no model.
2. Retrieval; nothing above the relevance floor -> abstain, naming the nearest sources.
   Passages on topic that do not state what is asked (copilot/answerability.py) -> abstain, saying why.
3. A procedure question ("how do I ...", "steps to ...") whose retrieved section holds the manual's numbered steps
   is answered with those steps, whole and in order, each cited (copilot/procedure.py), no model.
4. The model answers from numbered passages; citations and numbers are checked against the passages.
5. A reply that is not supported (no valid citation, or a number no cited passage contains), or that does not itself
   state what is asked (the answerability rule applied to the reply), is replaced by the passages' own
   best-matching lines, cited, led by the line the answerability check found.
Safety warnings of the cited sections always come first. Orchestration only: the pieces live in their modules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from copilot import answerability, citations, extractive, procedure, prompts
from copilot.config import GenerationConfig
from copilot.counting import count_records, describe, listing_line
from copilot.llm import Generator, NoModel
from copilot.query import QueryPlan, contextual_query
from copilot.records import Answer, Citation, Passage
from copilot.retrieval import Retriever, to_passage
from index.normalize import tokenize
from index.records import Hit


def _abstain(question: str, passages: Sequence[Passage], timings: dict[str, float], reason: str = "") -> Answer:
    nearest = "; ".join(p.header()[len(f"[{p.n}] "):] for p in passages[:3])
    text = prompts.NOT_COVERED + (f" Nearest sources: {nearest}." if nearest else "")
    return Answer(question, text, passages=tuple(passages), abstained=True, route="abstain",
                  unsupported=(reason,) if reason else (), timings=timings)


def _citation(n: int, passage: Passage, quote: str) -> Citation:
    return Citation(n, passage.source, passage.page, passage.section, passage.chunk_id, quote, passage.page_label)


def _with_safety(answer: Answer, retriever: Retriever) -> Answer:
    """Put the DANGER/WARNING/CAUTION lines of the cited sections in front of the answer."""
    cited = {(c.source, c.section) for c in answer.citations if c.section}
    texts = [c.text for c in retriever.index.chunks if (c.source, c.section) in cited]
    warnings = extractive.safety_lines(texts)
    if not warnings:
        return answer
    banner = "\n".join(f"⚠ {w}" for w in warnings)
    return Answer(answer.question, f"{banner}\n{answer.text}", answer.citations, answer.passages, answer.abstained,
                  answer.unsupported, tuple(warnings), answer.route, answer.timings)


def _procedure_answer(question: str, steps: procedure.Procedure, passages: Sequence[Passage],
                      timings: dict[str, float]) -> Answer:
    """The section's steps, numbered as in the manual, each cited to its chunk: a retrieved passage keeps its number,
    a chunk of the section the retriever did not return is added as a passage after them."""
    number = {p.chunk_id: p.n for p in passages}
    shown = list(passages)
    for chunk in steps.chunks:
        if chunk.chunk_id not in number and any(s.chunk is chunk for s in steps.steps):
            number[chunk.chunk_id] = len(shown) + 1
            shown.append(to_passage(len(shown) + 1, Hit(chunk, 0.0, None)))
    by_n = {p.n: p for p in shown}
    lines = [f"The steps of {steps.section}:"]
    cites: dict[int, Citation] = {}
    for step in steps.steps:
        n = number[step.chunk.chunk_id]
        lines.append(f"{step.number}. {step.text.rstrip('.')} [{n}].")
        cites.setdefault(n, _citation(n, by_n[n], f"{step.number}. {step.text}"))
    return Answer(question, "\n".join(lines), tuple(cites[n] for n in sorted(cites)), tuple(shown),
                  route="procedure", timings=timings)


def _coverage_gap(plan: QueryPlan, retriever: Retriever) -> str:
    """Why the indexed documents cannot answer: an unknown asset, or no record on the dates asked about."""
    if plan.unknown_assets and not plan.assets:
        return f"no documents or records for {', '.join(plan.unknown_assets)}"
    if plan.history and plan.dates and not retriever.has_records(plan):
        return f"no records dated {', '.join(plan.dates)}" + (f" for {', '.join(plan.assets)}" if plan.assets else "")
    return ""


def _coverage_rule(plan: QueryPlan, passages: Sequence[Passage]) -> tuple[set[str], float]:
    """(terms that do not discriminate: the named assets and the passages' document names, least coverage)."""
    ignore = {t for name in plan.assets for t in tokenize(name)} | answerability.document_terms(passages)
    return ignore, answerability.MIN_RECORD_COVERAGE if plan.history else answerability.MIN_COVERAGE


def assess(question: str, plan: QueryPlan, passages: Sequence[Passage],
           retriever: Retriever) -> answerability.Assessment:
    """Whether the passages carry what the question asks for (copilot/answerability.py), before any model runs."""
    lines = [(text, p) for p in passages for text in extractive.candidate_lines(p)]
    ignore, threshold = _coverage_rule(plan, passages)
    first = min(passages, key=lambda p: p.n, default=None)  # the passage the retriever ranked first
    return answerability.assess(question, lines, retriever.index.idf, threshold=threshold, ignore=ignore,
                                top_cosine=first.score if first else None)


def answers_question(question: str, plan: QueryPlan, text: str, cited: Sequence[Passage],
                     verdict: answerability.Assessment, retriever: Retriever) -> bool:
    """Whether a model's checked reply answers from the best evidence the passages hold, or the documents' own lines
    should answer instead. Two rules, each the reply-side twin of one the extractive answer already keeps:

    - it cites the passage whose line the answerability check found stating what is asked (the line an extractive
      answer leads with), and for a "last time" question the first record, which the retriever put newest first;
    - it states what is asked by the rule a passage line must meet to be answered at all (`answerability.assess`): a
      value of the requested kind, and the question's key terms, counted only where the cited passages say them too,
      so a reply that repeats the question back is not an answer.
    """
    numbers = {p.n for p in cited}
    if plan.history and plan.recency and 1 not in numbers:
        return False
    if not plan.history and verdict.passage is not None and verdict.passage.n not in numbers:
        return False
    ignore, _ = _coverage_rule(plan, cited)
    return answerability.reply_states(question, text, cited, retriever.index.idf, threshold=verdict.threshold,
                                      ignore=ignore)


def answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
           history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Answer:
    """Answer from the indexed documents only; say plainly when they do not cover the question."""
    *_, final = stream_answer(question, retriever, generator, cfg, history=history, asset=asset)
    if not isinstance(final, Answer):  # stream_answer always ends with the Answer
        raise TypeError("stream_answer ended without an Answer")
    return final


def stream_answer(question: str, retriever: Retriever, generator: Generator, cfg: GenerationConfig, *,
                  history: Sequence[tuple[str, str]] = (), asset: str | None = None) -> Iterator[str | Answer]:
    """Yield text pieces as the answer is written, then the checked Answer (always last).

    The pieces are the model's draft as it decodes, for a responsive display; the final Answer is authoritative. When
    the draft fails the checks, the Answer carries the documents' own lines instead, and a UI replaces the draft.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    search_text = contextual_query(question, history)  # follow-ups are searched with what they refer to
    plan = retriever.plan(search_text, asset)
    if plan.codes and plan.meaning:
        found = retriever.code_rows(plan.codes, plan.assets)
        if found:
            text = " ".join(f"{row} [{n}]." for n, (row, _) in enumerate(found, 1))
            rows = tuple(p for _, p in found)
            row_cites = tuple(_citation(n, p, row) for n, (row, p) in enumerate(found, 1))
            timings["total_s"] = time.perf_counter() - started
            final = _with_safety(Answer(question, text, row_cites, rows, route="fault_code", timings=timings),
                                 retriever)
            yield final.text
            yield final
            return
    counted = count_records(search_text, plan, retriever.index.chunks) if plan.history else None
    if counted is not None:  # "how many ...": read every record in scope, cite each one counted
        found_records = tuple(to_passage(n, Hit(c, 0.0, 1.0)) for n, c in enumerate(counted.records, 1))
        record_lines = [listing_line(c) for c in counted.records]
        listing = "; ".join(f"{line} [{n}]" for n, line in enumerate(record_lines, 1))
        text = f"{describe(counted, plan)}" + (f": {listing}." if listing else ".")
        record_cites = tuple(_citation(p.n, p, line) for p, line in zip(found_records, record_lines, strict=True))
        timings["total_s"] = time.perf_counter() - started
        note = (f"{len(found_records)}: counted by the copilot over the work orders cited, not stated in any "
                "document",)
        final = Answer(question, text, record_cites, found_records, route="count", unsupported=note, timings=timings)
        yield final.text
        yield final
        return
    passages, nearest = retriever.retrieve(search_text, asset=asset)
    timings["retrieve_s"] = time.perf_counter() - started
    gap = _coverage_gap(plan, retriever)
    if gap:  # the question is about an asset or a date the records do not have: say so, never a near match
        timings["total_s"] = time.perf_counter() - started
        yield _abstain(question, nearest, timings, gap)
        return
    if not passages:
        timings["total_s"] = time.perf_counter() - started
        yield _abstain(question, nearest, timings, "no passage cleared the relevance floor")
        return
    verdict = assess(search_text, plan, passages, retriever)
    if not verdict.answerable:  # a near miss: the passages are on topic but do not state what is asked
        timings["total_s"] = time.perf_counter() - started
        yield _abstain(question, passages, timings, verdict.reason())
        return
    ignore, _ = _coverage_rule(plan, passages)
    steps = None if plan.history else procedure.find(search_text, passages, retriever.index.chunks,
                                                     retriever.index.idf, ignore, verdict.threshold)
    if steps is not None:  # "how do I ...": the manual's numbered steps, whole, each cited
        timings["total_s"] = time.perf_counter() - started
        final = _with_safety(_procedure_answer(question, steps, passages, timings), retriever)
        yield final.text
        yield final
        return
    messages = prompts.qa_messages(question, passages, cfg.context_words, history)
    generate_started = time.perf_counter()
    pieces: list[str] = []
    for piece in generator.stream(messages, max_new_tokens=cfg.max_new_tokens):
        if not pieces:
            timings["first_token_s"] = time.perf_counter() - started
        pieces.append(piece)
        yield piece
    reply = "".join(pieces).strip()
    timings["generate_s"] = time.perf_counter() - generate_started
    declined = prompts.NOT_COVERED.lower().rstrip(".") in reply.lower()
    if not declined:
        checked = citations.check(reply, passages, question)
        cited_numbers = {c.n for c in checked.citations}
        cited = [p for p in passages if p.n in cited_numbers]
        if checked.citations and not checked.unsupported and answers_question(search_text, plan, checked.text,
                                                                               cited, verdict, retriever):
            timings["total_s"] = time.perf_counter() - started
            yield _with_safety(Answer(question, checked.text, checked.citations, tuple(passages), route="rag",
                                      timings=timings), retriever)
            return
    # The model declined, or its reply is not fully supported: the documents' own lines answer instead. The
    # answerability check above already found a line that states what is asked; it leads, with the next best line.
    lead = extractive.Line(verdict.line, verdict.passage, verdict.coverage) if verdict.passage else None
    lines = extractive.supporting_lines(search_text, passages, lead, idf=retriever.index.idf, ignore=plan.assets,
                                        newest_first=plan.recency)
    timings["total_s"] = time.perf_counter() - started
    if not lines:
        reason = "" if declined else f"model answer not supported by the passages: {reply[:200]}"
        yield _abstain(question, passages, timings, reason)
        return
    if plan.history:  # records keep their retrieval order: "last time" put the newest first
        lines.sort(key=lambda line: line.passage.n)
    text = " ".join(f"{line.text.rstrip('.')} [{line.passage.n}]." for line in lines)
    cites = {line.passage.n: _citation(line.passage.n, line.passage, line.text) for line in reversed(lines)}
    yield "\n" + text
    if declined:
        draft = "the model found no answer in the passages; these lines of them match the question"
    else:
        draft = (f"model draft not used: {reply[:200]}" if reply
                 else "no language model: the documents' own lines" if isinstance(generator, NoModel)
                 else "model gave no answer")
    yield _with_safety(Answer(question, text, tuple(cites[n] for n in sorted(cites)), tuple(passages),
                              route="extractive", unsupported=(draft,), timings=timings), retriever)
