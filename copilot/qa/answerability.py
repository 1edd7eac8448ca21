"""Does a retrieved passage actually carry what the question asks for? The abstention decision. Pure.

Topical overlap is not an answer. "What's the part number for the suction strainer basket?" retrieves the strainer
section and the spare-parts table, yet neither line names a part number *for the strainer basket*. A near miss like
that must be declined, while "P-103 flow is down and the amps dropped, cause?" must be answered from a
troubleshooting row that shares only a few of its words. Two signals, each explainable in one sentence:

1. **Slot.** What kind of value the question requests (a part number, a torque, a rate with its unit, a pressure, an
   interval, a procedure...). A line answers only when it carries a filler of that kind: a part-number-shaped token,
   a number with a torque unit, and so on. `requested_slot` reads it from the question.
2. **Key-term coverage.** The question's own key terms are its content words minus the words that only phrase the
   request ("part number", "torque", "how often"), minus the asset ids and model names every line of that manual
   shares. Each is weighted by its rarity in the index (idf); a term the documents never use at all weighs as much
   as the rarest term they do, because a manual that never says "labyrinth" cannot state the labyrinth ring's part
   number. Coverage is the weighted share of key terms found in the line together with its section heading.

A question is answerable when some line fills the slot (if one is asked) and covers at least the calibrated share of
the key terms. An open question (no value asked for: a symptom, a cause, a yes/no) is told in the technician's own
words ("wavy ripples echo after every sharp corner"), which the manual rarely shares ("ringing"); when the passage the
retriever ranked first is close to it in meaning (cosine `close_cosine`), a smaller share (`min_open_coverage`) is
asked. `Assessment` says which line, how much it covered, and which key terms nothing carried, so an abstention can
explain itself. The slots and word lists are in copilot/qa/lexicon.py, the thresholds in copilot/qa/thresholds.py,
calibrated by `copilot eval calibrate` (docs/answers.md, "Calibration and cross-validation").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from copilot.qa.lexicon import READING, REQUEST_WORDS, SLOTS, Slot
from copilot.qa.thresholds import THRESHOLDS
from copilot.records import Passage
from index.normalize import QUERY_SYNONYMS, expand_shorthand, tokenize


@dataclass(frozen=True)
class KeyTerm:
    """A question's content term, the forms that count as finding it (stem plus synonyms), and its weight."""

    term: str
    forms: frozenset[str]
    weight: float


@dataclass(frozen=True)
class Assessment:
    """Whether the passages answer the question, and why (the evidence an abstention can cite)."""

    answerable: bool
    coverage: float  # weighted share of key terms the best slot-filling line carries (0..1)
    slot: str | None  # the requested slot, if the question asks for one
    passage: Passage | None  # where the best line is
    line: str  # the best line ("" when no line fills the slot)
    missing: tuple[str, ...]  # key terms found in no retrieved passage
    threshold: float = THRESHOLDS.min_coverage  # the least coverage this question needed (a reply is held to the same)

    def reason(self) -> str:
        """One sentence for the abstention note."""
        what = f"a {self.slot.replace('_', ' ')}" if self.slot else "an answer"
        if not self.line:
            return f"no retrieved passage states {what} for this question"
        gap = f"; nothing mentions {', '.join(self.missing)}" if self.missing else ""
        return f"no retrieved line states {what} about the question's key terms (coverage {self.coverage:.2f}){gap}"


def requested_slot(question: str) -> Slot | None:
    """The kind of value the question asks for, or None for open questions (causes, checks, yes/no)."""
    for slot in SLOTS:
        if slot.ask.search(question):
            return slot
    return None


def key_terms(question: str, idf: Mapping[str, float], ignore: Iterable[str] = (),
              slot: Slot | None = None) -> list[KeyTerm]:
    """The question's key terms with their weights (see the module docstring).

    `ignore` holds terms every line of the relevant documents shares (asset ids, model names): they do not
    discriminate between a line that answers and one that does not.
    """
    skip = set(REQUEST_WORDS) | set(ignore) | (slot.words if slot else set())
    unseen = max(idf.values(), default=1.0)
    terms: dict[str, KeyTerm] = {}
    done: set[str] = set()  # a word seen before adds nothing: each distinct word is tokenized once (linear time)
    for word in expand_shorthand(question).split():
        bare = word.strip(".,;:?!()\"'")
        if bare in done:
            continue
        done.add(bare)
        synonyms = frozenset(t for s in QUERY_SYNONYMS.get(bare, ()) for t in tokenize(s))
        tokens = tokenize(bare)
        for i, term in enumerate(tokens):
            if i and term == re.sub(r"[-.]", "", tokens[i - 1]):  # "kc-3" is also indexed as "kc3": one term
                continue
            compact = re.sub(r"[-.]", "", term)
            if {term, compact} & skip or term in terms or len(term) < 2 and not term.isdigit():
                continue
            forms = frozenset({term, compact}) | synonyms
            seen = [idf[f] for f in forms if f in idf]
            if not seen and READING.fullmatch(term):
                continue
            terms[term] = KeyTerm(term, forms, max(seen) if seen else unseen)
    return list(terms.values())


def coverage(terms: Sequence[KeyTerm], tokens: AbstractSet[str], heading: AbstractSet[str] = frozenset()) -> float:
    """Weighted share of the key terms found among a line's `tokens` (1.0 when the question has no key terms).

    A term found only in the line's section `heading` counts `heading_share` of its weight: "6.3 Replacing the
    mechanical seal" says what every step below it is about, but "3.4 Bolt torques" names no particular bolt.
    """
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 1.0
    found = sum(t.weight if t.forms & tokens else THRESHOLDS.heading_share * t.weight if t.forms & heading else 0.0
                for t in terms)
    return found / total


def fills(slot: Slot | None, line: str) -> bool:
    """Whether a line carries a value of the requested kind (always, when no kind is requested)."""
    return slot is None or slot.fill is None or bool(slot.fill.search(line))


def assess(question: str, lines: Iterable[tuple[str, Passage]], idf: Mapping[str, float], *,
           threshold: float, ignore: Iterable[str] = (), top_cosine: float | None = None) -> Assessment:
    """Judge the candidate (line, passage) pairs: the best slot-filling line's key-term coverage against `threshold`.

    Args:
        lines: candidate answer lines with their passages (extractive.candidate_lines of each passage).
        idf: term rarity over the whole index.
        threshold: the least coverage that counts as answering (calibrated; see the module docstring).
        ignore: terms that do not discriminate (asset ids, model names of the retrieved manuals).
        top_cosine: the cosine of the passage ranked first; an open question it is close to (`close_cosine`) needs
            only `min_open_coverage` (copilot/qa/thresholds.py).
    """
    slot = requested_slot(question)
    if slot is None and top_cosine is not None and top_cosine >= THRESHOLDS.close_cosine:
        threshold = min(threshold, THRESHOLDS.min_open_coverage)
    terms = key_terms(question, idf, ignore, slot)
    best, best_line, best_passage = -1.0, "", None
    found: set[str] = set()
    for text, passage in lines:
        tokens, heading = set(tokenize(text)), set(tokenize(passage.section or ""))
        found |= {t.term for t in terms if t.forms & (tokens | heading)}
        if not fills(slot, text):
            continue
        score = coverage(terms, tokens, heading)
        if score > best:
            best, best_line, best_passage = score, text, passage
    missing = tuple(t.term for t in terms if t.term not in found)
    best = max(best, 0.0)
    return Assessment(bool(best_line) and best >= threshold, round(best, 3), slot.name if slot else None,
                      best_passage, best_line, missing, threshold)


def reply_states(question: str, reply: str, cited: Sequence[Passage], idf: Mapping[str, float], *,
                 threshold: float, ignore: Iterable[str] = ()) -> bool:
    """Whether a written reply fills the requested slot and covers `threshold` of the key terms, counting a term only
    where the reply and one of its `cited` passages both carry it (a reply cannot cover what it only repeats from
    the question); a term in a cited passage's section heading counts half, as for a line (`coverage`)."""
    slot = requested_slot(question)
    if not fills(slot, reply):
        return False
    terms = key_terms(question, idf, ignore, slot)
    said = set(tokenize(reply))
    best = max((coverage(terms, said & set(tokenize(p.text)), set(tokenize(p.section or ""))) for p in cited),
               default=0.0)
    return best >= threshold


def document_terms(passages: Iterable[Passage]) -> set[str]:
    """Terms of the retrieved documents' own names ("norvane-cp80-centrifugal-pump.md": norvane, cp80...).

    Every line of a manual is about the product it is named after, so "the Norvane part number" or "the CP-80"
    in a question does not tell an answering line from a topical one.
    """
    terms: set[str] = set()
    for passage in passages:
        stem = passage.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        terms |= set(tokenize(stem.replace("_", " ").replace("-", " ")))
    return terms
