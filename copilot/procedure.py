"""A "how do I ..." question answered with the manual's own numbered steps, whole and in order. Pure.

A procedure is where a paraphrase hurts most: the model shortens fifteen steps to two, and the extractive fallback
quotes the one line that shares most words with the question ("A new seal may weep for the first 30 minutes") rather
than the steps. When the question asks for a procedure and a retrieved passage sits in a section whose heading names
what is asked ("6.3 Replacing the mechanical seal" for "how do I replace the mechanical seal on the CP-80") and
which holds a numbered list, the answer is that list: every step of the section, read from all its chunks (a list is
split across chunks, and a chunk boundary can cut a step in two: the longer copy of each step is kept), each step
cited to the chunk it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot import answerability
from copilot.records import Passage
from index.normalize import tokenize
from index.records import Chunk

# A numbered step: "3. Fit the setting clips ..." or "3) Fit ...", at the start of a line.
STEP_RE = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*)$")
MIN_STEPS = 3
MAX_STEPS = 30
# Least share of the question's key terms (by weight) the section heading must name: the heading says what the
# steps do, so "replace", "mechanical" and "seal" must be in "Replacing the mechanical seal", most of them at least.
MIN_HEADING_COVERAGE = 0.6
# How far down the retrieved passages a procedure section is looked for.
TOP_PASSAGES = 3


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
        for line in chunk.text.splitlines():
            match = STEP_RE.match(line)
            if not match:
                continue
            number, text = int(match.group(1)), match.group(2).strip()
            seen = best.get(number)
            if seen is not None and not (seen.text.startswith(text) or text.startswith(seen.text)):
                return _in_order(best)  # another list, numbered afresh
            if seen is None or len(text) > len(seen.text):
                best[number] = Step(number, text, chunk)
    return _in_order(best)


def _in_order(best: Mapping[int, Step]) -> tuple[Step, ...]:
    steps: list[Step] = []
    for number in range(1, MAX_STEPS + 1):
        if number not in best:
            break
        steps.append(best[number])
    return tuple(steps)


def find(question: str, passages: Sequence[Passage], chunks: Iterable[Chunk], idf: Mapping[str, float],
         ignore: Iterable[str] = ()) -> Procedure | None:
    """The numbered steps answering a procedure question, from the section of one of the first retrieved passages
    whose heading names most of the question's key terms; None when no such section holds a numbered list."""
    slot = answerability.requested_slot(question)
    if slot is None or slot.name != "procedure":
        return None
    terms = answerability.key_terms(question, idf, ignore, slot)
    if not terms:
        return None
    by_section: dict[tuple[str, tuple[str, ...]], list[Chunk]] = {}
    for chunk in chunks:
        if chunk.kind != "record" and chunk.headings:
            by_section.setdefault((chunk.path, chunk.headings), []).append(chunk)
    index_of = {c.chunk_id: c for group in by_section.values() for c in group}
    for passage in sorted(passages, key=lambda p: p.n)[:TOP_PASSAGES]:
        found = index_of.get(passage.chunk_id)
        if found is None or not found.section:
            continue
        if answerability.coverage(terms, set(tokenize(found.section))) < MIN_HEADING_COVERAGE:
            continue
        section = by_section[(found.path, found.headings)]
        steps = numbered_steps(section)
        if len(steps) >= MIN_STEPS:
            return Procedure(found.section, found.source, steps, tuple(section))
    return None
