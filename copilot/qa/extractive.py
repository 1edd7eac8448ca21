"""Answers assembled from the passages themselves: fault-code rows, best-matching lines, safety warnings. Pure.

A 135M model misquotes numbers; a technician needs the torque exactly as the manual states it. These functions pick
the lines of the retrieved passages that answer the question and render table rows readably with their headers,
so an answer can always fall back to the documents' own words, cited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.qa import answerability
from copilot.qa.lexicon import LINE_SENTENCE_RE, LIST_NUMBER_RE, TABLE_RULE_RE, WARNING_RE
from copilot.qa.thresholds import THRESHOLDS
from copilot.records import Passage
from index.normalize import tokenize, tokenize_query


@dataclass(frozen=True)
class Line:
    """One candidate answer line: its text as shown, the passage it comes from, and its score."""

    text: str
    passage: Passage
    score: float


def split_row(row: str) -> list[str]:
    """Cells of a pipe-table row ('| a | b |' or 'a | b' as extracted from a PDF)."""
    return [c.strip() for c in row.strip().strip("|").split("|")]


def is_row(line: str) -> bool:
    return line.count("|") >= 2 and not TABLE_RULE_RE.fullmatch(line)


def table_header(text: str) -> list[str] | None:
    """The header cells of the first table in a passage (the chunker repeats it at the top of table chunks)."""
    for line in text.splitlines():
        if is_row(line):
            return split_row(line)
    return None


def render_row(row: str, header: list[str] | None) -> str:
    """'| Seal gland nuts | M12 | 35 N·m |' -> 'Seal gland nuts: Thread M12; Torque 35 N·m'."""
    cells = split_row(row)
    if not header or len(header) != len(cells):
        return "; ".join(c for c in cells if c)
    rest = [f"{name} {value}" for name, value in zip(header[1:], cells[1:], strict=True) if value]
    return f"{cells[0]}: {'; '.join(rest)}" if rest else cells[0]


def render_record(passage: Passage) -> str:
    """A work-order record as a technician reads it: id, date, problem, cause, action, parts."""
    fields = {key.lower(): value for key, value in passage.fields.items()}
    parts = [passage.section or "", fields.get("closed", fields.get("opened", ""))[:10]]
    head = " ".join(p for p in parts if p)
    body = "; ".join(f"{k} {fields[k]}" for k in ("problem", "cause", "action", "parts") if fields.get(k))
    return f"{head}: {body}" if body else passage.text.splitlines()[0]


def candidate_lines(passage: Passage) -> Iterable[str]:
    """Sentences and table rows of a passage, table rows rendered with their header; a record as one line."""
    if passage.doc_type == "work_order":
        yield render_record(passage)
        return
    header = table_header(passage.text)
    for line in passage.text.splitlines():
        line = line.strip()
        if not line or WARNING_RE.match(line):
            continue
        if is_row(line):
            if header and split_row(line) == header:
                continue
            yield render_row(line, header)
        else:
            for sentence in LINE_SENTENCE_RE.split(LIST_NUMBER_RE.sub("", line)):
                if len(sentence.split()) >= THRESHOLDS.min_sentence_words:
                    yield sentence.strip()


def best_lines(question: str, passages: Sequence[Passage], limit: int = 2,
               idf: Mapping[str, float] | None = None, ignore: Iterable[str] = ()) -> list[Line]:
    """The lines covering most of the question's rare words (weighted by `idf`) that fill the slot it asks for.

    Score: the idf-weighted share of the question's content tokens the line contains (0..1), a little less for
    later passages. Tokens in `ignore` (the asset ids the question names) do not count: every line of that asset's
    manual would match them.
    """
    skip = {t for name in ignore for t in tokenize(name)}
    wanted = {t for t in tokenize_query(question) if t not in skip}
    if not wanted:
        return []
    weight = (lambda t: idf.get(t, 1.0)) if idf else (lambda t: 1.0)
    total = sum(weight(t) for t in wanted)
    slot = answerability.requested_slot(question)
    lines: list[Line] = []
    for rank, passage in enumerate(passages):
        topic = set(tokenize(passage.section or "")) if passage.doc_type in ("manual", "text") else set()
        for text in candidate_lines(passage):
            if not answerability.fills(slot, text):
                continue
            said = set(tokenize(text))
            if not wanted & said:
                continue
            covered = wanted & (said | topic)
            score = sum(weight(t) for t in covered) / total - THRESHOLDS.later_passage_penalty * rank
            lines.append(Line(text, passage, score))
    lines.sort(key=lambda line: -line.score)
    chosen: list[Line] = []
    for line in lines:
        if all(line.text != c.text for c in chosen):
            chosen.append(line)
        if len(chosen) == limit:
            break
    return chosen


def code_row(code: str, passages: Sequence[Passage]) -> tuple[str, Passage] | None:
    """The fault-code table row defining `code`, rendered with its header, and the passage holding it."""
    pattern = re.compile(rf"^\|?\s*{re.escape(code)}\s*\|", re.MULTILINE)
    for passage in passages:
        for line in passage.text.splitlines():
            if pattern.match(line.strip()):
                return render_row(line, table_header(passage.text)), passage
    return None


def supporting_lines(question: str, passages: Sequence[Passage], lead: Line | None = None, *,
                     idf: Mapping[str, float] | None = None, ignore: Iterable[str] = (), newest_first: bool = False,
                     limit: int = 2, second_passage_share: float = THRESHOLDS.second_passage_share) -> list[Line]:
    """The lines an extractive answer quotes: `lead` (the line the answerability check found) and the best others.

    With `newest_first` (a "last time" question) the first passage's record, the newest match, is always quoted.
    The best line of a passage not yet quoted is added when it scores at least `second_passage_share` of the best
    line: when several passages state the answer (a spec table and the procedure step), all of them are cited.
    """
    candidates = best_lines(question, passages, limit=8, idf=idf, ignore=ignore)
    chosen: list[Line] = [lead] if lead is not None else []
    if newest_first and passages:
        newest = next(iter(candidate_lines(passages[0])), None)
        if newest is not None and all(newest != c.text for c in chosen):
            chosen.insert(0, Line(newest, passages[0], 0.0))
    for line in candidates:
        if len(chosen) >= limit:
            break
        if all(line.text != c.text for c in chosen):
            chosen.append(line)
    top = max([c.score for c in chosen] + [0.0])
    cited = {c.passage.chunk_id for c in chosen}
    other = next((c for c in candidates if c.passage.chunk_id not in cited), None)
    if chosen and other is not None and other.score >= second_passage_share * top:
        chosen.append(other)
    return chosen
