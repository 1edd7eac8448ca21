"""The answer routes: each turns a question (and, after retrieval, its evidence) into an Answer, or passes with None.

`copilot/qa/spine.py` tries them in order; the first that answers wins. Before retrieval:
- `fault_code`: "what does E105 mean" is answered from the code table row, no model;
- `count`: "how many ..." over the records is counted by the copilot, each record counted cited.
After retrieval:
- `coverage_gap`: the question names an asset or a date the documents have nothing on -> abstain, saying so;
- `troubleshoot`: a symptom in the technician's words -> the ranked likely causes from the documents'
  troubleshooting rows, each with its first check and the asset's work orders that found it; or, when no row
  explains it, abstain naming the nearest troubleshooting section;
- `nothing_relevant`: no passage clears the relevance floor -> abstain, naming the nearest sources;
- `not_stated`: the passages are on topic but do not state what is asked (answerability) -> abstain, saying why;
- `procedure_steps`: "how do I ..." whose retrieved section holds the manual's numbered steps -> those steps, cited;
- `model_reply`: the model answers from numbered passages; kept only if its citations, numbers and content check out;
- `documents_lines`: otherwise the passages' own best lines answer, cited, led by the line answerability found;
- `abstain`: when even those are missing.
Every route reads the index only through `IndexView` (copilot/qa/view.py).
"""

from __future__ import annotations

import time
from collections.abc import Generator as Gen
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from copilot.config import GenerationConfig
from copilot.generation import prompts
from copilot.generation.backends import Generator, NoModel
from copilot.qa import answerability, citations, extractive, procedure
from copilot.qa import troubleshoot as troubleshooting
from copilot.qa.counting import count_records, describe, listing_line
from copilot.qa.query import QueryPlan
from copilot.qa.thresholds import THRESHOLDS
from copilot.qa.view import IndexView, to_passage
from copilot.records import Answer, Citation, Passage, TroubleCause
from index.normalize import tokenize
from index.records import Chunk, Hit
from index.troubleshooting import TroubleRow


@dataclass(frozen=True)
class Question:
    """A question as the routes see it: as asked, as searched (with the conversation's context), and its plan."""

    text: str  # as asked: what the Answer repeats
    search: str  # as searched: a follow-up carries what it refers to
    plan: QueryPlan
    view: IndexView
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    """What retrieval found: the passages above the relevance floor, the nearest regardless, and the verdict on
    whether they state what is asked (None when there are no passages to judge)."""

    passages: tuple[Passage, ...]
    nearest: tuple[Passage, ...]
    verdict: answerability.Assessment | None


@dataclass(frozen=True)
class Draft:
    """What the model wrote when its reply was not kept: the reply, and whether it declined to answer."""

    reply: str
    declined: bool
    no_model: bool


# -- before retrieval ---------------------------------------------------------------------------------------------

def fault_code(q: Question) -> Answer | None:
    """A question about what a fault code means, answered from the code table row that defines it."""
    if not (q.plan.codes and q.plan.meaning):
        return None
    found = q.view.code_rows(q.plan.codes, q.plan.assets)
    if not found:
        return None
    text = " ".join(f"{row} [{n}]." for n, (row, _) in enumerate(found, 1))
    cites = tuple(citation(n, p, row) for n, (row, p) in enumerate(found, 1))
    causes = tuple(TroubleCause(r.cause, troubleshooting.first_check(r), (n,), kind="fault_code")
                   for n, (row, _) in enumerate(found, 1) for r in q.view.troubles.rows
                   if r.kind == "fault_code" and r.symptom.split()[:1] == [c for c in q.plan.codes if c in row][:1]
                   and r.cause in row)
    return Answer(q.text, text, cites, tuple(p for _, p in found), route="fault_code", causes=causes)


def count(q: Question) -> Answer | None:
    """"How many ...": every record in scope read and counted by the copilot, each one counted cited."""
    counted = count_records(q.search, q.plan, q.view.records) if q.plan.history else None
    if counted is None:
        return None
    found = tuple(to_passage(n, Hit(c, 0.0, 1.0)) for n, c in enumerate(counted.records, 1))
    lines = [listing_line(c) for c in counted.records]
    listing = "; ".join(f"{line} [{n}]" for n, line in enumerate(lines, 1))
    text = f"{describe(counted, q.plan)}" + (f": {listing}." if listing else ".")
    cites = tuple(citation(p.n, p, line) for p, line in zip(found, lines, strict=True))
    note = f"{len(found)}: counted by the copilot over the work orders cited, not stated in any document"
    return Answer(q.text, text, cites, found, route="count", unsupported=(note,))


# -- after retrieval ----------------------------------------------------------------------------------------------

def coverage_gap(q: Question, ev: Evidence) -> Answer | None:
    """The question is about an asset or a date the documents do not have: say so, never answer from a near match."""
    plan = q.plan
    if plan.unknown_assets and not plan.assets:
        return abstain(q, ev.nearest, f"no documents or records for {', '.join(plan.unknown_assets)}")
    if plan.history and plan.dates and not q.view.has_records(plan.assets, plan.dates):
        scope = f" for {', '.join(plan.assets)}" if plan.assets else ""
        return abstain(q, ev.nearest, f"no records dated {', '.join(plan.dates)}{scope}")
    return None


def troubleshoot(q: Question, ev: Evidence) -> Answer | None:
    """A symptom: the likely causes its troubleshooting rows give, best first, each with its first check, cited to
    its row, and the named asset's work orders that found it, counted and cited (copilot/qa/troubleshoot.py)."""
    if not q.view.troubles.rows or not troubleshooting.is_symptom_question(q.search, q.plan):
        return None  # an index with no troubleshooting rows (or from before them) answers symptoms as before
    found = troubleshooting.diagnose(q.search, q.plan, q.view)
    if not troubleshooting.said_as_symptom(q.search, found):
        return None
    if not found.causes:
        near = found.nearest
        chunk = q.view.chunk(near.row.chunk_id) if near is not None else None
        shown: tuple[Passage, ...] = ((to_passage(1, Hit(chunk, 0.0, near.dense)),)
                                      if chunk is not None and near is not None else ())
        shown += tuple(replace(p, n=len(shown) + i) for i, p in enumerate(ev.nearest[:2], 1))
        where = f" (nearest: {near.row.source}, {near.row.section or near.row.page})" if near is not None else ""
        return abstain(q, shown, f"no troubleshooting row explains this symptom{where}")
    passages: list[Passage] = []
    numbers: dict[str, int] = {}
    cites: list[Citation] = []

    def cite(row: TroubleRow, quote: str, chunk: Chunk | None = None) -> tuple[int, ...]:
        chunk = chunk or q.view.chunk(row.chunk_id)
        if chunk is None:
            return ()
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(passages) + 1
            passages.append(to_passage(len(passages) + 1, Hit(chunk, 0.0, 1.0)))
        n = numbers[chunk.chunk_id]
        if all(c.n != n for c in cites):
            cites.append(citation(n, passages[n - 1], quote))
        return (n,)

    causes: list[TroubleCause] = []
    lines = ["Likely causes, most likely first:"]
    for i, ranked in enumerate(found.causes):
        row = ranked.row
        check = troubleshooting.first_check(row)
        check = "" if check == row.cause else check
        numbered = cite(row, " | ".join(x for x in (row.symptom[:200], row.cause, check) if x))
        if row.see:  # an FMEA row names the manual section that describes the repair: cite it too
            section = q.view.section_chunk(row.see, f"{row.symptom} {row.cause} {row.remedy}")
            numbered += cite(row, row.remedy or row.cause, section) if section is not None else ()
        history = found.evidence.get(i, ())
        history_numbers = tuple(n for wo in history for n in cite(wo, f"{wo.symptom} | {wo.cause}"))
        evidence = troubleshooting.evidence_line(history, found.history, q.plan.assets)
        marks = "".join(f"[{n}]" for n in numbered)
        line = f"{i + 1}. {troubleshooting.brief(row.cause)}" + (f". First check: {troubleshooting.brief(check)}"
                                                                  if check else "")
        line += f" {marks}." if marks else "."
        if evidence:
            line += f" {evidence} " + "".join(f"[{n}]" for n in history_numbers) + "."
        lines.append(line)
        causes.append(TroubleCause(row.cause, check, numbered, evidence, history_numbers, row.kind))
    verdict = ev.verdict  # the manual line retrieval found for the question, when the rows' chunks do not hold it
    if (verdict is not None and verdict.answerable and verdict.passage is not None and verdict.line
            and verdict.coverage >= verdict.threshold and verdict.passage.chunk_id not in numbers):
        chunk = q.view.chunk(verdict.passage.chunk_id)
        if chunk is not None:
            marks = "".join(f"[{n}]" for n in cite(found.causes[0].row, verdict.line, chunk))
            lines.append(f"Also in the documents: {troubleshooting.brief(verdict.line, 300)} {marks}.")
    counted = [c.evidence for c in causes if c.evidence]
    note = tuple(f"{e}: counted by the copilot over the work orders cited, not stated in any document" for e in counted)
    return Answer(q.text, "\n".join(lines), tuple(sorted(cites, key=lambda c: c.n)), tuple(passages),
                  route="troubleshoot", unsupported=note, causes=tuple(causes))


def nothing_relevant(q: Question, ev: Evidence) -> Answer | None:
    return None if ev.passages else abstain(q, ev.nearest, "no passage cleared the relevance floor")


def not_stated(q: Question, ev: Evidence) -> Answer | None:
    """A near miss: the passages are on topic but no line states what is asked."""
    if ev.verdict is None or ev.verdict.answerable:
        return None
    return abstain(q, ev.passages, ev.verdict.reason())


def procedure_steps(q: Question, ev: Evidence) -> Answer | None:
    """"How do I ...": the manual's numbered steps, whole and in order, each cited to its chunk. A retrieved passage
    keeps its number; a chunk of the section the retriever did not return is added as a passage after them."""
    if q.plan.history or ev.verdict is None:
        return None
    ignore, _ = coverage_rule(q.plan, ev.passages)
    steps = procedure.find(q.search, ev.passages, q.view, ignore, ev.verdict.threshold)
    if steps is None:
        return None
    number = {p.chunk_id: p.n for p in ev.passages}
    shown = list(ev.passages)
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
        cites.setdefault(n, citation(n, by_n[n], f"{step.number}. {step.text}"))
    return Answer(q.text, "\n".join(lines), tuple(cites[n] for n in sorted(cites)), tuple(shown), route="procedure")


def model_reply(q: Question, ev: Evidence, generator: Generator, cfg: GenerationConfig,
                history: Sequence[tuple[str, str]]) -> Gen[str, None, Answer | Draft]:
    """Stream the model's reply from the numbered passages (yielding its pieces); return the checked Answer when the
    reply is supported and answers the question, else the Draft that was not used."""
    messages = prompts.qa_messages(q.text, ev.passages, cfg.context_words, history)
    generate_started = time.perf_counter()
    pieces: list[str] = []
    watch = DraftWatch(q.text, ev.passages) if cfg.stop_failed_drafts and ev.verdict is not None else None
    stream = generator.stream(messages, max_new_tokens=cfg.max_new_tokens)
    try:
        for piece in stream:
            if not pieces:
                q.timings["first_token_s"] = time.perf_counter() - q.started
            pieces.append(piece)
            yield piece
            if watch is not None and watch.cannot_pass("".join(pieces)):
                q.timings["draft_stopped_s"] = time.perf_counter() - generate_started
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:  # a draft cut short: the backend stops decoding now
            close()
    reply = "".join(pieces).strip()
    q.timings["generate_s"] = time.perf_counter() - generate_started
    declined = prompts.NOT_COVERED.lower().rstrip(".") in reply.lower()
    if not declined and ev.verdict is not None:
        checked = citations.check(reply, ev.passages, q.text)
        cited_numbers = {c.n for c in checked.citations}
        cited = [p for p in ev.passages if p.n in cited_numbers]
        if checked.citations and not checked.unsupported and answers_question(q, checked.text, cited, ev.verdict):
            return Answer(q.text, checked.text, checked.citations, ev.passages, route="rag")
    return Draft(reply, declined, isinstance(generator, NoModel))


class DraftWatch:
    """Whether a reply still being written can no longer be kept, so the model can stop drafting it.

    Two signs are final: the model wrote the "not covered" reply (it declines; nothing after that is kept), or a
    complete sentence fails the citation check (`citations.first_failed_sentence`: the check judges sentences one by
    one, so the whole reply would fail). The last rule of `model_reply`, that the reply answers from the best
    evidence, needs the whole reply and is left to the end. Stopping changes no answer, only the time spent.
    """

    def __init__(self, question: str, passages: Sequence[Passage]) -> None:
        self.question = question
        self.passages = passages
        self.declined = prompts.NOT_COVERED.lower().rstrip(".")
        self.checked = 0  # complete sentences already judged

    def cannot_pass(self, partial: str) -> bool:
        if self.declined in partial.lower():
            return True
        complete = len(citations.SENTENCE_RE.split(partial)) - 1
        if complete <= self.checked:
            return False
        self.checked = complete
        return citations.first_failed_sentence(partial, self.passages, self.question) is not None


def documents_lines(q: Question, ev: Evidence, draft: Draft) -> Answer | None:
    """The passages' own best-matching lines, cited; the line the answerability check found leads."""
    verdict = ev.verdict
    lead = extractive.Line(verdict.line, verdict.passage, verdict.coverage) if verdict and verdict.passage else None
    lines = extractive.supporting_lines(q.search, ev.passages, lead, idf=q.view.idf, ignore=q.plan.assets,
                                        newest_first=q.plan.recency)
    if not lines:
        return None
    if q.plan.history:  # records keep their retrieval order: "last time" put the newest first
        lines.sort(key=lambda line: line.passage.n)
    text = " ".join(f"{line.text.rstrip('.')} [{line.passage.n}]." for line in lines)
    cites = {line.passage.n: citation(line.passage.n, line.passage, line.text) for line in reversed(lines)}
    if draft.declined:
        note = "the model found no answer in the passages; these lines of them match the question"
    else:
        note = (f"model draft not used: {draft.reply[:200]}" if draft.reply
                else "no language model: the documents' own lines" if draft.no_model
                else "model gave no answer")
    return Answer(q.text, text, tuple(cites[n] for n in sorted(cites)), ev.passages, route="extractive",
                  unsupported=(note,))


def abstain(q: Question, passages: Sequence[Passage], reason: str = "") -> Answer:
    """The documents do not cover this; the nearest sources are named."""
    nearest = "; ".join(p.header()[len(f"[{p.n}] "):] for p in passages[:3])
    text = prompts.NOT_COVERED + (f" Nearest sources: {nearest}." if nearest else "")
    return Answer(q.text, text, passages=tuple(passages), abstained=True, route="abstain",
                  unsupported=(reason,) if reason else ())


def model_abstain(q: Question, ev: Evidence, draft: Draft) -> Answer:
    """Neither the model's reply nor the documents' lines answer."""
    reason = "" if draft.declined else f"model answer not supported by the passages: {draft.reply[:200]}"
    return abstain(q, ev.passages, reason)


# -- shared checks ------------------------------------------------------------------------------------------------

def citation(n: int, passage: Passage, quote: str) -> Citation:
    return Citation(n, passage.source, passage.page, passage.section, passage.chunk_id, quote, passage.page_label,
                    passage.trust)


def coverage_rule(plan: QueryPlan, passages: Sequence[Passage]) -> tuple[set[str], float]:
    """(terms that do not discriminate: the named assets and the passages' document names, least coverage)."""
    ignore = {t for name in plan.assets for t in tokenize(name)} | answerability.document_terms(passages)
    return ignore, THRESHOLDS.min_record_coverage if plan.history else THRESHOLDS.min_coverage


def assess(q: Question, passages: Sequence[Passage]) -> answerability.Assessment:
    """Whether the passages carry what the question asks for (copilot/qa/answerability.py), before any model runs."""
    lines = [(text, p) for p in passages for text in extractive.candidate_lines(p)]
    ignore, threshold = coverage_rule(q.plan, passages)
    first = min(passages, key=lambda p: p.n, default=None)  # the passage the retriever ranked first
    return answerability.assess(q.search, lines, q.view.idf, threshold=threshold, ignore=ignore,
                                top_cosine=first.score if first else None)


def answers_question(q: Question, text: str, cited: Sequence[Passage], verdict: answerability.Assessment) -> bool:
    """Whether a model's checked reply answers from the best evidence the passages hold, or the documents' own lines
    should answer instead. Two rules, each the reply-side twin of one the extractive answer already keeps:

    - it cites the passage whose line the answerability check found stating what is asked (the line an extractive
      answer leads with), and for a "last time" question the first record, which the retriever put newest first;
    - it states what is asked by the rule a passage line must meet to be answered at all (`answerability.assess`): a
      value of the requested kind, and the question's key terms, counted only where the cited passages say them too,
      so a reply that repeats the question back is not an answer.
    """
    numbers = {p.n for p in cited}
    if q.plan.history and q.plan.recency and 1 not in numbers:
        return False
    if not q.plan.history and verdict.passage is not None and verdict.passage.n not in numbers:
        return False
    ignore, _ = coverage_rule(q.plan, cited)
    return answerability.reply_states(q.search, text, cited, q.view.idf, threshold=verdict.threshold, ignore=ignore)
