"""Count questions over the work orders: "how many emergency jobs on P-103 in 2024?", "C-202 oil filter changes in
2024 - how many?". Answered from the records themselves, never from a sample of retrieved passages: every record of
the named assets and dates is read, filtered by job type (emergency, corrective, PM, inspection) and by the question's
topic phrase, and each counted record is cited.

The topic phrase is what remains of the question once the counting words, job types, assets and dates are taken out
("oil filter"); a record matches when its normalised text holds those words in order ("C/O OIL FLTR" counts as an oil
filter change). When the question has a topic and no record matches it, the count route steps aside (the records may
say it in words the phrase does not catch) rather than answer "none". The word lists are in copilot/qa/lexicon.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.qa.lexicon import (
    COUNTED_RE,
    DATE_NUMBER_RE,
    HOW_MANY_RE,
    JOB_TYPES,
    MONTH_WORDS,
    QUANTITY_RE,
    RECORD_WORDS,
    REPLACED_STEMS,
    REPLACING_RE,
)
from copilot.qa.query import QueryPlan
from copilot.qa.view import dated_on
from index.normalize import tokenize
from index.records import Chunk


@dataclass(frozen=True)
class Count:
    """The records a count question asks for, oldest first, and how they were chosen."""

    records: tuple[Chunk, ...]
    job_type: str | None
    topic: tuple[str, ...]


def is_count_question(question: str) -> bool:
    """"how many jobs / times / changes ..." or "... changes in 2024 - how many?"; not "how many litres"."""
    match = HOW_MANY_RE.search(question)
    if not match or (match.group(1) and QUANTITY_RE.fullmatch(match.group(1))):
        return False
    return bool(COUNTED_RE.search(question))


def topic_of(question: str, plan: QueryPlan) -> tuple[str, ...]:
    """The question's topic words (normalised, in order) once counting words, types, assets and dates are removed."""
    text = question
    for asset in plan.assets:
        text = re.sub(re.escape(asset), " ", text, flags=re.IGNORECASE)
    text = DATE_NUMBER_RE.sub(" ", text)
    text = MONTH_WORDS.sub(" ", text)
    for _, pattern in JOB_TYPES:
        text = pattern.sub(" ", text)
    text = RECORD_WORDS.sub(" ", text)
    return tuple(tokenize(text))


def job_type_of(question: str) -> str | None:
    return next((code for code, pattern in JOB_TYPES if pattern.search(question)), None)


def _holds_phrase(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(tokens[i:i + n]) == list(phrase) for i in range(len(tokens) - n + 1))


def count_records(question: str, plan: QueryPlan, chunks: Sequence[Chunk]) -> Count | None:
    """The work orders a count question asks for; None when it is not one this route can answer (no asset or date
    to scope it, or a topic no record states). With no job type and no topic, every record in scope counts."""
    if not is_count_question(question) or not (plan.assets or plan.dates):
        return None
    job_type = job_type_of(question)
    topic = topic_of(question, plan)
    scope = set(plan.assets)
    pool = [c for c in chunks if c.doc_type == "work_order" and (not scope or scope & set(c.assets))
            and (not plan.dates or dated_on(c, plan.dates))]
    if job_type:
        pool = [c for c in pool if c.fields.get("wo_type", "").upper() == job_type]
    if topic:
        pool = [c for c in pool if _holds_phrase(tokenize(c.text), topic)]
        if REPLACING_RE.search(question):
            pool = [c for c in pool if REPLACED_STEMS & set(tokenize(c.fields.get("action", c.text)))]
        if not pool:
            return None
    return Count(tuple(sorted(pool, key=lambda c: (c.date or "", c.section or ""))), job_type, topic)


def describe(count: Count, plan: QueryPlan) -> str:
    """'1 emergency (EM) work order for P-103 in 2024' ..."""
    what = " ".join(count.topic) if count.topic else ""
    kind = {"EM": "emergency (EM)", "CM": "corrective (CM)", "PM": "preventive (PM)", "INSP": "inspection (INSP)"}
    parts = [str(len(count.records))]
    if count.job_type:
        parts.append(kind[count.job_type])
    parts.append("work order" + ("" if len(count.records) == 1 else "s"))
    if what:
        parts.append(f"recording {what}")
    if plan.assets:
        parts.append(f"for {', '.join(plan.assets)}")
    if plan.dates:
        parts.append(f"in {', '.join(plan.dates)}")
    return " ".join(parts)


def listing_line(chunk: Chunk) -> str:
    """'WO-24-0101 2024-08-02 (EM): BRG TEMP HI 92.2 C' for one counted record."""
    fields = chunk.fields
    kind = f" ({fields['wo_type']})" if fields.get("wo_type") else ""
    what = fields.get("problem") or fields.get("action") or chunk.text.splitlines()[0]
    return f"{chunk.section or ''} {(chunk.date or '')[:10]}{kind}: {what}".strip()
