"""Citations are checked, not trusted: parse [n], drop numbers outside the passages, verify each sentence's support.

A sentence is supported when enough of its content words occur in the passage it cites, and every number in it
(torque, pressure, interval, code) appears in that passage, the numbers of a table row all from that one row. A
sentence the model left uncited is attributed to the passage that supports it best, when one does; otherwise it is
flagged. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.records import Citation, Passage
from index.normalize import tokenize

CITATION_RE = re.compile(r"\s*\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
# A number as a claim: not part of an identifier such as CP-80, P-101, E105 or M12.
NUMBER_RE = re.compile(r"(?<![\w.\-/])(\d+(?:[.,]\d+)*)(?![\w\-])")
MIN_SUPPORT = 0.5  # share of a sentence's content tokens found in the cited passage


@dataclass(frozen=True)
class CheckedAnswer:
    """The answer text with valid [n] markers only, its citations, and the sentences nothing supports."""

    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.split(text.strip()) if s and s.strip()]


def numbers_in(text: str) -> set[str]:
    """The numbers a text states as claims (thousands separators dropped), identifiers excluded."""
    return {n.replace(",", "") for n in NUMBER_RE.findall(text)}


def support(sentence: str, passage_text: str) -> float:
    """Share of the sentence's content tokens that occur in the passage (0..1)."""
    words = set(tokenize(CITATION_RE.sub("", sentence)))
    if not words:
        return 1.0
    return len(words & set(tokenize(passage_text))) / len(words)


def best_quote(sentence: str, passage_text: str, limit: int = 220) -> str:
    """The passage sentence (or table row) that shares most words with the answer sentence."""
    candidates = [c for c in re.split(r"(?<=[.!?])\s+|\n+", passage_text) if c.strip()]
    if not candidates:
        return passage_text[:limit]
    target = set(tokenize(sentence))
    best = max(candidates, key=lambda c: (len(target & set(tokenize(c))), -len(c)))
    return best.strip()[:limit]


def numbers_from_other_rows(sentence: str, passages: Sequence[Passage]) -> set[str]:
    """Numbers a sentence takes from table rows other than the row it mostly quotes.

    A small model rendering a table row ("winding_temp_c: alarm 135 °C") can pick a value from the row below ("alarm
    90 °C"); every number is then in the passage and the plain number check passes. A number the cited passages hold
    only in table rows must come from the one row that holds most of the sentence's numbers; numbers also found in
    prose are left to the plain check (prose sentences are legitimately combined).
    """
    claimed = numbers_in(sentence)
    rows: list[set[str]] = []
    prose: set[str] = set()
    for line in (line for p in passages for line in p.text.splitlines()):
        if line.lstrip().startswith("|"):
            rows.append(numbers_in(line))
        else:
            prose |= numbers_in(line)
    if not claimed or not rows:
        return set()
    table_only = (claimed & set().union(*rows)) - prose
    if len(table_only) < 2:
        return set()
    main = max(rows, key=lambda row: len(row & table_only))
    return table_only - main


def _cited(sentence: str, k: int) -> tuple[str, list[int]]:
    numbers: list[int] = []
    for group in CITATION_RE.findall(sentence):
        numbers.extend(int(n) for n in re.split(r"\s*[,;]\s*", group))
    valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= k]
    return CITATION_RE.sub("", sentence).strip(), valid


def check(reply: str, passages: Sequence[Passage], question: str = "",
          min_support: float = MIN_SUPPORT) -> CheckedAnswer:
    """Map [n] markers to passages, attribute uncited sentences, flag sentences and numbers nothing supports.

    Numbers the question itself states ("P-101 reads 6 L/min") are not claims of the answer and are not checked.
    """
    by_n = {p.n: p for p in passages}
    given = numbers_in(question)
    k = max(by_n) if by_n else 0
    out_sentences: list[str] = []
    citations: dict[int, Citation] = {}
    unsupported: list[str] = []
    for sentence in split_sentences(reply):
        bare, cited = _cited(sentence, k)
        if not bare:
            continue
        if not cited and by_n:
            best = max(by_n.values(), key=lambda p: support(bare, p.text))
            if support(bare, best.text) >= min_support:
                cited = [best.n]
        supported = [n for n in cited if support(bare, by_n[n].text) >= min_support]
        cited_numbers = set().union(*(numbers_in(by_n[n].text) for n in cited)) if cited else set()
        missing_numbers = numbers_in(bare) - cited_numbers - given
        misplaced = numbers_from_other_rows(bare, [by_n[n] for n in cited]) - given
        if not supported or missing_numbers or misplaced:
            reason = f" (numbers not in cited passage: {', '.join(sorted(missing_numbers))})" if missing_numbers else ""
            if misplaced:
                reason += f" (numbers from another table row: {', '.join(sorted(misplaced))})"
            unsupported.append(bare + reason)
        for n in cited:
            if n not in citations:
                p = by_n[n]
                citations[n] = Citation(n, p.source, p.page, p.section, p.chunk_id, best_quote(bare, p.text))
        marks = "".join(f" [{n}]" for n in cited)
        if marks and bare[-1] in ".!?":
            out_sentences.append(bare[:-1] + marks + bare[-1])
        else:
            out_sentences.append(bare + marks)
    ordered = tuple(citations[n] for n in sorted(citations))
    return CheckedAnswer(" ".join(out_sentences).strip(), ordered, tuple(unsupported))
