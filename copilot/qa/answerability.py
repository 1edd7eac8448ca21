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
retriever ranked first is close to it in meaning (cosine CLOSE_COSINE), a smaller share (MIN_OPEN_COVERAGE) is asked.
`Assessment` says which line, how much it covered, and which key terms nothing carried, so an
abstention can explain itself. Thresholds are calibrated by `eval/calibrate_answerability.py` (README, "Answers").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from copilot.records import Passage
from index.normalize import QUERY_SYNONYMS, expand_shorthand, tokenize

# Least key-term coverage that counts as answering, calibrated on corpus/eval/qa.jsonl with cross-validation by
# `eval/calibrate_answerability.py` (README, "Answers"). Manual questions need a line naming what they ask about;
# history questions ("last time P-102 cavitated?") are answered by the named asset's records, which say it in
# shorthand ("PMP CAVITATING"), and their wrong-asset and wrong-date cases are caught before this check.
MIN_COVERAGE = 0.32
MIN_RECORD_COVERAGE = 0.0
# An open question whose first-ranked passage is this close in meaning needs only MIN_OPEN_COVERAGE. Chosen on the
# corpus, eval/marlin_qa.jsonl and eval/marlin_qa_unanswerable.jsonl (real documentation; its unanswerable open
# questions cover 0.09-0.51 of their key terms, the answerable 0.17-1.0); eval/marlin_qa_blind.jsonl was held out
# (README, "Answers on real documents").
MIN_OPEN_COVERAGE = 0.20
CLOSE_COSINE = 0.50
HEADING_SHARE = 0.5

# A number followed by a unit (no letter glued in front: "P-101" is not 101 of anything).
_NUM = r"(?<![A-Za-z\-])\d+(?:[.,]\d+)?\s*"


@dataclass(frozen=True)
class Slot:
    """A kind of value a question can request: how a question asks for it, and what a line needs to supply it."""

    name: str
    ask: re.Pattern[str]
    fill: re.Pattern[str] | None  # None: no surface form (a procedure, a cause); key terms alone decide
    words: frozenset[str]  # stemmed tokens that phrase the request, not the thing asked about


def _slot(name: str, ask: str, fill: str | None, words: str) -> Slot:
    return Slot(name, re.compile(ask, re.IGNORECASE), re.compile(fill) if fill else None,
                frozenset(t for w in words.split() for t in tokenize(w)))


PART_NUMBER = r"\b(?=[A-Z0-9/-]*\d)(?=[A-Z0-9/-]*[A-Z])[A-Z0-9]{2,}(?:[-/][A-Z0-9]+)+\b"

# Order matters: the first slot whose `ask` matches the question is the one requested.
SLOTS: tuple[Slot, ...] = (
    _slot("po_number", r"\b(po|purchase order) (number|no)", r"\bPO\s*[-#:]?\s*\d{3,}", "po purchase order number"),
    _slot("part_number", r"\bpart (number|no\b|#)|\bp/?n\b|\bwhich .{0,40}\bfits\b|\bpart\b.{0,30}\bfits?\b",
          PART_NUMBER, "part number no fits fit which"),
    _slot("register", r"\b(modbus|register|address)\b", r"\b(register|address)\s*\d+|\b[34]\d{4}\b",
          "modbus register address holds hold"),
    _slot("parameter", r"\b(which|what) parameter\b|\bparameter (sets|for|number)\b",
          r"\b[A-Z]\d{1,2}\.\d{2}\b|\b[a-z]+_[a-z_]+\b|\b[A-Z]{2,}_[A-Z_]+\b", "parameter sets set"),
    # Asking how to calibrate, measure, check or set a quantity asks for the method, whatever the quantity: "how do I
    # calibrate the probe offset" is answered by the calibration steps, since the offset is what they find, and "how
    # do I set the probe z offset" by the command that stores it (a value is asked with "what", "how far").
    _slot("procedure", r"\bhow (do|to|should|can|would)( (i|we|you))? (calibrate|measure|check|adjust|find|determine"
          r"|level|align|tune|test|verify|set|change|configure|enable|disable|save|store|apply|reset|clear)\b",
          None, "procedure steps"),
    _slot("torque", r"\btorque|\bhow tight\b",
          r"N·m|N m\b|\bNm\b|N\.m|\blbf?[ .·-]?ft\b|\bft[ .·-]?lbf?\b|\bin[ .·-]?lb", "torque tight tighten get gets"),
    _slot("flow_rate", r"\b(flow|flush|feed)\s*rate\b|\bl/min\b|\bm³/h\b|\bgpm\b|\bhow much flow\b",
          _NUM + r"(l/min|L/min|l/h|L/h|m³/h|m3/h|gpm|l/s|L/s)", "flow rate l min m3 h gpm need needs"),
    _slot("conductivity", r"\bconductivity\b", r"µS|uS/cm|mS/cm|\bS/m\b|\bcycles\b", "conductivity"),
    _slot("concentration", r"\bppm\b", r"\bppm\b", "ppm"),
    _slot("frequency", r"\bfrequency\b|\bwhat hz\b", r"\bHz\b|\bCPM\b|\b\d(\.\d+)?\s*[x×]\b", "frequency hz"),
    _slot("resistance", r"\bresistance\b.{0,40}\b(read|be|what|value)|\b(what|which)\b.{0,40}\bresistance\b",
          r"Ω|\bohms?\b|megohm", "resistance read reading value"),
    _slot("current", r"\b(what|which|how many)\b.{0,40}\b(current|amps?)\b(?!.{0,20}\b(drop|rise|hunt|fall|low|high))"
          r"|\blocked.rotor current\b", _NUM + r"A\b", "current amps amp"),
    _slot("voltage", r"\b(what|which)\b.{0,20}\bvoltage\b", _NUM + r"(V|kV)\b", "voltage"),
    _slot("weight", r"\bweigh|\bmax(imum)? .{0,20}\bweight\b|\bhow heavy\b", _NUM + r"(kg|t|lb|lbs)\b",
          "weight weigh heavy max maximum take"),
    _slot("pressure", r"\b(what|which|how much|how high|how low)\b.{0,40}\bpressure\b"
          r"|\bpressure\b.{0,25}\b(should|set|setting|limit|be)\b",
          r"\b(bar|mbar|psi|psig|kPa|MPa|Pa|inHg)\b", "pressure use set setting limit"),
    _slot("temperature", r"\b(what|which) (cure )?temp|\bhow hot\b|\btemperature (limit|setpoint)|\bcure temperature"
          r"|\bat what temperature", r"°C|°F|\bdegC\b|\bdeg\b|\b\d+\s*K\b|\bC\b", "temperature hot cure"),
    _slot("capacity", r"\bhow much (oil|grease|fluid|coolant|refrigerant|water)|\bhow many (litres|liters|grams|kg)"
          r"|\bcapacity\b", _NUM + r"(L|l|litres?|liters?|ml|g|kg|gal)\b",
          "much many litres liters grams kg capacity"),
    _slot("interval", r"\bhow often\b|\b(what|which)\b.{0,30}\binterval|\binterval (for|between|of)\b|\bevery how\b"
          r"|\bhow many hours\b|\bhow long (before|between)\b|\b(when|how often) is .{0,30}\bdue\b",
          r"\b(h|hours?|months?|weeks?|days?|years?|yearly|monthly|weekly|daily|annual(ly)?|shifts?)\b",
          "often interval every many hours due"),
    _slot("distance", r"\b(clearance|runout|end ?play|gap|offset|how far|spacing|spaced|apart|distance)\b",
          _NUM + r"(mm|µm|m|in|inch|ft)\b|\bTIR\b", "far apart spacing spaced distance"),
    _slot("procedure", r"\bhow (do|to|should|can|would) (i|we|you)\b|\bprocedure\b|\bwhat are the steps\b"
          r"|\bhow is .{0,40}\b(done|set|adjusted|replaced)\b"
          r"|\bhow to [a-z]|\bsteps? (to|for)\b|\bsteps\?|\bwalk me through\b", None, "procedure steps step walk"),
)

# Words that phrase a request in any question, whatever it asks for. They say nothing about the thing asked about.
REQUEST_WORDS = frozenset(t for w in (
    "what whats which how much many get gets got go goes going need needs use used put make makes take takes "
    "should must tell me know want give show showing value spec specification allowed ok okay right correct "
    "normal just anyway please look see does do done there here one thing "
    # function words a technician's phrasing adds ("about 60 hours", "but only with", "back together")
    "about after before but only still up down out over under back again also then now ever every each other "
    "have has had having am may might will shall been being instead like same time times last first next "
    # how a technician asks for a verdict on what they saw ("is that a problem", "can we keep running", "is the
    # pump finished", "what am I missing"): the manual answers with the limit or the check, never these words
    "problem problems fine finished keep missing miss wrong worry bad good enough read reads reading")
    .split() for t in tokenize(w))

# A number the technician reports ("iron at 62 ppm", "7.4 mm/s", "12k rpm") is a reading to compare with a limit:
# the manual states the limit, not the reading, so a number the index never contains is not a key term.
_READING = re.compile(r"\d+(?:[.,]\d+)?k?")


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
    threshold: float = MIN_COVERAGE  # the least coverage this question needed (a reply is held to the same)

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
    for word in expand_shorthand(question).split():
        bare = word.strip(".,;:?!()\"'")
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
            if not seen and _READING.fullmatch(term):
                continue
            terms[term] = KeyTerm(term, forms, max(seen) if seen else unseen)
    return list(terms.values())


def coverage(terms: Sequence[KeyTerm], tokens: AbstractSet[str], heading: AbstractSet[str] = frozenset()) -> float:
    """Weighted share of the key terms found among a line's `tokens` (1.0 when the question has no key terms).

    A term found only in the line's section `heading` counts HEADING_SHARE of its weight: "6.3 Replacing the
    mechanical seal" says what every step below it is about, but "3.4 Bolt torques" names no particular bolt.
    """
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 1.0
    found = sum(t.weight if t.forms & tokens else HEADING_SHARE * t.weight if t.forms & heading else 0.0
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
        top_cosine: the cosine of the passage ranked first; an open question it is close to (CLOSE_COSINE) needs
            only MIN_OPEN_COVERAGE.
    """
    slot = requested_slot(question)
    if slot is None and top_cosine is not None and top_cosine >= CLOSE_COSINE:
        threshold = min(threshold, MIN_OPEN_COVERAGE)
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
