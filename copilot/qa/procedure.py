"""A "how do I ..." question answered with the manual's own numbered steps, whole and in order. Pure.

A procedure is where a paraphrase hurts most: the model shortens fifteen steps to two, and the extractive fallback
quotes the one line that shares most words with the question ("A new seal may weep for the first 30 minutes") rather
than the steps. When the question asks for a procedure and one of the first retrieved passages sits in a section
that holds a numbered list, whose heading shares a key term with the question ("6.3 Replacing the mechanical seal"
for "CP-80 mech seal is leaking, how do I put in a new one") and whose heading and steps together cover the key
terms as an answering line must (`answerability.coverage`), the answer is that list: every step of the section, read
from all its chunks (a list is split across chunks, and a chunk boundary can cut a step in two: the longer copy of
each step is kept), each step cited to the chunk it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.qa import answerability
from copilot.qa.lexicon import BULLET_RE, STEP_RE
from copilot.qa.thresholds import THRESHOLDS
from copilot.qa.view import IndexView
from copilot.records import Passage
from index.normalize import tokenize
from index.records import Chunk


@dataclass(frozen=True)
class Step:
    number: int
    text: str
    chunk: Chunk


@dataclass(frozen=True)
class Procedure:
    """A section's numbered steps, in order, and the chunks they were read from (document order)."""

    section: str
    source: str
    steps: tuple[Step, ...]
    chunks: tuple[Chunk, ...]


def numbered_steps(chunks: Sequence[Chunk]) -> tuple[Step, ...]:
    """The first numbered list over a section's chunks (in document order): steps 1..N, each the longest copy seen
    (a chunk boundary can cut a step; the overlap repeats it whole in the next chunk). A list stops where its
    numbering does not go on: a second list restarting at 1, or a gap."""
    best: dict[int, Step] = {}
    for chunk in chunks:
        numbered: list[tuple[int, str]] = []  # this chunk's steps, a bullet right under a step folded into its text
        under_step = False
        for line in chunk.text.splitlines():
            match = STEP_RE.match(line)
            bullet = BULLET_RE.match(line)
            if match:
                numbered.append((int(match.group(1)), match.group(2).strip()))
                under_step = True
            elif bullet and under_step:
                number, text = numbered[-1]
                numbered[-1] = (number, f"{text}{' ' if text.endswith(':') else '; '}{bullet.group(1).strip()}")
            elif line.strip():
                under_step = False  # a paragraph ends the step; a list after it is not part of it
        for number, text in numbered:
            seen = best.get(number)
            if seen is not None and not (seen.text.startswith(text) or text.startswith(seen.text)):
                return _in_order(best)  # another list, numbered afresh
            if seen is None or len(text) > len(seen.text):
                best[number] = Step(number, text, chunk)
    return _in_order(best)


def _in_order(best: Mapping[int, Step]) -> tuple[Step, ...]:
    steps: list[Step] = []
    for number in range(1, THRESHOLDS.max_steps + 1):
        if number not in best:
            break
        steps.append(best[number])
    return tuple(steps)


def find(question: str, passages: Sequence[Passage], view: IndexView, ignore: Iterable[str] = (),
         threshold: float = THRESHOLDS.min_coverage) -> Procedure | None:
    """The numbered steps answering a procedure question, from the section of the first of the first retrieved
    passages (in rank order) whose section holds a numbered list, whose heading shares a key term with the question,
    and whose heading and steps cover `threshold` of the key terms; None when there is none."""
    slot = answerability.requested_slot(question)
    if slot is None or slot.name != "procedure":
        return None
    terms = answerability.key_terms(question, view.idf, ignore, slot)
    if not terms:
        return None
    for passage in sorted(passages, key=lambda p: p.n)[:THRESHOLDS.top_passages]:
        found = view.chunk(passage.chunk_id)
        if found is None or found.kind == "record" or not found.headings or not found.section:
            continue
        heading = set(tokenize(found.section))
        if answerability.coverage(terms, heading) <= 0.0:
            continue
        section = view.section_chunks(found)
        steps = numbered_steps(section)
        said = {t for step in steps for t in tokenize(step.text)}
        if len(steps) >= THRESHOLDS.min_steps and answerability.coverage(terms, said, heading) >= threshold:
            return Procedure(found.section, found.source, steps, tuple(section))
    return None
