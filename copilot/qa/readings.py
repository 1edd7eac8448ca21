"""What a symptom says each quantity is doing (high, low or normal), and whether a row says the same.

"airend outlet temp reading high but oil temp is right where it always is" holds two readings: airend outlet
temperature high, oil temperature normal. Troubleshooting tables tell causes apart by exactly such readings
("Airend temperature high, oil temperature normal | Low oil level or thermostatic valve stuck" against "Oil and
airend temperatures rising together | Fouled cooler"), and a technician often says what was already found normal
("we checked the take-up tension and it's in spec, what else?"): a row whose symptom or cause says the same goes
up; one that contradicts it (a cause "tension too low") goes down. The state words are in copilot/qa/lexicon.py;
the quantities are read from the text and matched by their idf-weighted shared words, so no list of quantities is
kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from copilot.qa.lexicon import READING_FILLER, READING_JOIN, READING_NEGATION_RE, READING_SPLIT_RE, STATE_WORDS
from index.normalize import tokenize


@dataclass(frozen=True)
class Reading:
    """One quantity and what the text says it does: "high", "low" or "normal"."""

    quantity: frozenset[str]
    state: str


@lru_cache(maxsize=8192)
def readings(text: str) -> tuple[Reading, ...]:
    """The readings a text states, clause by clause.

    A clause with a state and no quantity ("... and it's in spec") reads the quantity of the clause before it. A
    single word with no state, joined by "and" / "or" to the next clause, shares its state ("oil and airend
    temperatures rising", not "pump running and pressure normal"). A negated clause ("not making full power") states
    nothing."""
    found: list[Reading] = []
    previous: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()  # a stateless clause joined to the next
    parts = READING_SPLIT_RE.split(text)
    for clause, joint in zip(parts[::2], [*parts[1::2], ""], strict=True):
        clause = clause.strip()
        states = [(name, match) for name, pattern in STATE_WORDS.items() if (match := pattern.search(clause))]
        rest = clause
        for _, match in states:
            rest = rest.replace(match.group(0), " ")
        quantity = frozenset(t for t in tokenize(rest) if len(t) > 1 and not t[0].isdigit() and t not in READING_FILLER)
        if not states:
            joined = joint.lower() in READING_JOIN and len(clause.split()) == 1  # a conjoined noun, not a clause
            pending = pending | quantity if joined else frozenset()
            previous = quantity or previous
            continue
        if len(states) == 1 and not READING_NEGATION_RE.search(clause):
            found.append(Reading(pending | quantity if quantity else previous, states[0][0]))
        previous = quantity or previous
        pending = frozenset()
    return tuple(r for r in found if r.quantity)


def agreement(asked: Sequence[Reading], said: Sequence[Reading], idf: Mapping[str, float], *,
              match: float) -> tuple[float, float]:
    """How far a row's readings agree with the question's, in [-1, 1]: for each of the question's readings, the
    row's reading of the same quantity (the most of the smaller side's idf weight shared, at least `match`) adds its
    share when the states agree and takes it away when they differ; nothing when the row reads no such quantity."""
    agree = differ = 0.0
    for question in asked:
        best: tuple[float, str] | None = None
        for row in said:
            shared = question.quantity & row.quantity
            if not shared:
                continue
            share = _weight(shared, idf) / min(_weight(question.quantity, idf), _weight(row.quantity, idf))
            if share >= match and (best is None or (share, row.state == question.state)
                                   > (best[0], best[1] == question.state)):
                best = (share, row.state)  # a tie goes to the reading that agrees: a contradiction must be clear
        if best is not None and best[1] == question.state:
            agree += best[0]
        elif best is not None:
            differ += best[0]
    return min(agree, 1.0), min(differ, 1.0)


def _weight(tokens: frozenset[str], idf: Mapping[str, float]) -> float:
    return sum(idf.get(t, 1.0) for t in tokens) or 1.0
