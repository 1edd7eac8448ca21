"""Citations are checked, not trusted: parse [n], drop numbers outside the passages, verify each sentence's support.

A sentence is supported when enough of its content words occur in the passage it cites, every number in it (torque,
pressure, interval, code) appears in that passage, the numbers of a table row all from that one row, and a clause that
copies a passage sentence keeps its polarity (no "NO" made "YES", no "not" dropped). A
sentence the model left uncited is attributed to the passage that supports it best, when one does; otherwise it is
flagged. Pure functions; the patterns and word lists are in copilot/qa/lexicon.py, the shares in thresholds.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from copilot.qa.extractive import is_row, split_row
from copilot.qa.lexicon import (
    AUXILIARIES,
    CITATION_RE,
    CITATION_SEP_RE,
    CLAIM_WORD_RE,
    CLAUSE_RE,
    ENUMERATOR_RE,
    NEGATIONS,
    NUMBER_RE,
    OPPOSITES,
    QUOTE_SPLIT_RE,
    SENTENCE_RE,
    STATED_SPLIT_RE,
)
from copilot.qa.thresholds import THRESHOLDS
from copilot.records import Citation, Passage
from index.normalize import tokenize


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
    candidates = [c for c in QUOTE_SPLIT_RE.split(passage_text) if c.strip()]
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
        if is_row(line):  # "| a | b |", and a PDF's "a | b | c" without outer pipes
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


def _tokens(text: str) -> list[str]:
    return CLAIM_WORD_RE.findall(text.lower().replace("’", "'"))


def altered_claims(sentence: str, passages: Sequence[Passage]) -> list[str]:
    """How a near copy of a passage sentence changed its meaning: "NO" made "YES", or a "not" dropped or added.

    A small model copying "The default value for this parameter is NO." can write "... is YES": every word is in the
    passage (it also says "Can hold the values YES / NO"), so word support passes. Each clause of the sentence that
    copies some passage sentence (at least `near_copy` of its words) must keep that sentence's polarity; when every
    sentence it copies disagrees, the change is returned, e.g. "'no' made 'yes'".
    """
    source = [_tokens(s) for p in passages for s in STATED_SPLIT_RE.split(p.text) if s.strip()]
    changes: list[str] = []
    for clause in CLAUSE_RE.split(CITATION_RE.sub("", sentence)):
        said = _tokens(clause)
        words = set(said)
        if len(words) < THRESHOLDS.near_copy_words:
            continue
        copied = [stated for stated in source if len(words & set(stated)) >= THRESHOLDS.near_copy * len(words)]
        found = [c for c in (_polarity_change(said, stated) for stated in copied) if c]
        if copied and len(found) == len(copied):
            changes.append(found[0])
    return changes


def _negated(tokens: list[str]) -> set[str]:
    """The words a negation applies to: the first word after each "not"/"never" that is not an auxiliary."""
    out = set()
    for i, token in enumerate(tokens):
        if token in NEGATIONS:
            out.update(next(([t] for t in tokens[i + 1:] if t not in AUXILIARIES), []))
    return out


def _polarity_change(said: list[str], stated: list[str]) -> str | None:
    claim, source = set(said), set(stated)
    for group in OPPOSITES:
        here, there = claim & group, source & group
        if here and there and not here & there:
            return f"'{'/'.join(sorted(there))}' made '{'/'.join(sorted(here))}'"
    dropped = _negated(stated) & claim if not claim & NEGATIONS else set()
    if dropped:
        return f"a 'not' dropped before '{min(dropped)}'"
    added = _negated(said) & source if not source & NEGATIONS else set()
    if added:
        return f"a 'not' added before '{min(added)}'"
    return None


def _readable(sentence: str) -> str:
    """A table row the model copied with its pipes ("Efficiency, high fire | 92 %") as a technician reads it:
    "Efficiency, high fire: 92 %"."""
    if "|" not in sentence:
        return sentence
    body, end = re.fullmatch(r"(.*?)\s*([.!?]?)", sentence.strip(), re.DOTALL).groups()  # type: ignore[union-attr]
    cells = [c for c in split_row(body) if c]
    if not cells:
        return sentence
    return (f"{cells[0]}: {'; '.join(cells[1:])}" if len(cells) > 1 else cells[0]) + end


def _header_field(passages: Sequence[Passage]) -> re.Pattern[str] | None:
    """One field of a passage header as the model copies it: a file name, section or page mark, then , : or ;."""
    fields = sorted({p.source for p in passages} | {p.section for p in passages if p.section}
                    | {f"p. {p.page}" for p in passages if p.page is not None}, key=len, reverse=True)
    if not fields:
        return None
    return re.compile(r"\s*(?:\[\d{1,2}\]\s*)?(" + "|".join(map(re.escape, fields)) + r")\s*[,:;]\s*")


def _without_headers(sentence: str, field: re.Pattern[str] | None, sources: AbstractSet[str]) -> str:
    """The sentence less a passage header the model copied in front of it ("Bed_Mesh.md, Adaptive Meshes,
    G-Codes.md, BED_MESH_OFFSET [X=...]: Applies ..."): a leading run of header fields (`_header_field`), removed
    when it names a file of `sources` (a sentence may well begin with words that are also a section's name)."""
    if field is None:
        return sentence
    rest, named_file = sentence, False
    while (match := field.match(rest)) and match.end() < len(rest):
        named_file |= match.group(1) in sources
        rest = rest[match.end():]
    return rest if named_file else sentence


def _cited(sentence: str, k: int) -> tuple[str, list[int]]:
    numbers: list[int] = []
    for group in CITATION_RE.findall(sentence):
        numbers.extend(int(n) for n in CITATION_SEP_RE.split(group))
    valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= k]
    return CITATION_RE.sub("", sentence).strip(), valid


def check(reply: str, passages: Sequence[Passage], question: str = "",
          min_support: float = THRESHOLDS.min_support) -> CheckedAnswer:
    """Map [n] markers to passages, attribute uncited sentences, flag sentences and numbers nothing supports.

    Numbers the question itself states ("P-101 reads 6 L/min") are not claims of the answer and are not checked.
    """
    by_n = {p.n: p for p in passages}
    given = numbers_in(question)
    k = max(by_n) if by_n else 0
    out_sentences: list[str] = []
    citations: dict[int, Citation] = {}
    unsupported: list[str] = []
    header_field, sources = _header_field(passages), {p.source for p in passages}
    for sentence in split_sentences(reply):
        bare, cited = _cited(_without_headers(sentence, header_field, sources), k)
        if not bare or ENUMERATOR_RE.match(bare):  # a step number copied from a list ("2 [1].") says nothing
            continue
        if not cited and by_n:
            best = max(by_n.values(), key=lambda p: support(bare, p.text))
            if support(bare, best.text) >= min_support:
                cited = [best.n]
        supported = [n for n in cited if support(bare, by_n[n].text) >= min_support]
        cited_numbers = set().union(*(numbers_in(by_n[n].text) for n in cited)) if cited else set()
        missing_numbers = numbers_in(bare) - cited_numbers - given
        misplaced = numbers_from_other_rows(bare, [by_n[n] for n in cited]) - given
        altered = altered_claims(bare, [by_n[n] for n in cited])
        if not supported or missing_numbers or misplaced or altered:
            reason = f" (numbers not in cited passage: {', '.join(sorted(missing_numbers))})" if missing_numbers else ""
            if misplaced:
                reason += f" (numbers from another table row: {', '.join(sorted(misplaced))})"
            if altered:
                reason += f" (the cited passage says otherwise: {'; '.join(altered)})"
            unsupported.append(bare + reason)
        for n in cited:
            if n not in citations:
                p = by_n[n]
                citations[n] = Citation(n, p.source, p.page, p.section, p.chunk_id, best_quote(bare, p.text),
                                        p.page_label, p.trust)
        # a sentence ending on the colon of a list the model did not copy ("look for these signs:") ends there
        bare = re.sub(r"\s*:\s*[.]?$", ".", _readable(bare))
        marks = "".join(f" [{n}]" for n in cited)
        if marks and bare[-1] in ".!?":
            out_sentences.append(bare[:-1] + marks + bare[-1])
        else:
            out_sentences.append(bare + marks)
    ordered = tuple(citations[n] for n in sorted(citations))
    return CheckedAnswer(" ".join(out_sentences).strip(), ordered, tuple(unsupported))


def first_failed_sentence(partial: str, passages: Sequence[Passage], question: str = "") -> str | None:
    """The first complete sentence of a reply still being written that `check` rejects, or None.

    `check` judges every sentence on its own, and a sentence is complete once the text after it has begun (the last
    piece may still grow), so a sentence rejected here is rejected in the whole reply: the reply cannot pass and need
    not be written to its end.
    """
    complete = [piece for piece in SENTENCE_RE.split(partial)[:-1] if piece and piece.strip()]
    if not complete:
        return None
    unsupported = check("\n".join(complete), passages, question).unsupported
    return unsupported[0] if unsupported else None
