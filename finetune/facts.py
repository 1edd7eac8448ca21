"""Facts mined from the indexed corpus, each with technician-style questions and the cited answer it supports.

A Fact is one thing a passage states that a technician asks about: a table row (a torque, a clearance, a fault code),
a manual sentence carrying a number or limit, a work-order record, or a day of alarms. It carries its evidence (the
exact text a passage must contain for the fact to be answerable from it), so labelling a prompt is a substring test,
not a guess. Templates are chosen by a seeded generator per fact: the same corpus always yields the same questions.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from copilot.qa.extractive import is_row, render_row, split_row, table_header
from copilot.qa.lexicon import NUMBER_RE, WARNING_RE
from index.records import Chunk

MODEL_RE = re.compile(r"\b[A-Z]{1,4}-\d{2,5}\b")
LOG_EVENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2} (\d{2}:\d{2}:\d{2}) (\S+) (E\d{3}) (ALARM|TRIP)\b(.*)$")
SKIP_HEADERS = {"field", "rev", "revision", "symbol"}  # document-control tables: nobody asks about them


@dataclass(frozen=True)
class Fact:
    """Something a passage states, the questions that ask for it, and the answer line that states it."""

    fact_id: str
    kind: str  # table | code | sentence | work_order | alarms
    source: str  # the document it comes from (the split unit)
    chunk_id: str
    subject: str  # what it is about (a table row's first cell, a record id): used to build unanswerable twins
    questions: tuple[str, ...]  # phrasings, best first; the builder picks one per example
    answer: str  # the answer line, without its [n] citation
    evidence: tuple[str, ...]  # texts a passage must contain, all of them, to answer the question
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Machine:
    """How technicians name the equipment a manual covers: its model code ('CP-80'), kind ('pump') and asset ids."""

    model: str
    kind: str
    assets: tuple[str, ...]


def stable_rng(*parts: str) -> random.Random:
    """A generator seeded by the parts' text: the same fact always draws the same template."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def machine_of(chunks: Iterable[Chunk]) -> Machine:
    """The model code and kind from a manual's title ('Norvane CP-80 End-Suction Centrifugal Pump: ...')."""
    chunks = list(chunks)
    title = next((c.headings[0] for c in chunks if c.headings), chunks[0].source)
    name = title.split(":")[0]
    model = MODEL_RE.search(name)
    kind = name.split(model.group(0), 1)[1].strip() if model else name
    assets = tuple(sorted({a for c in chunks for a in c.assets}))
    return Machine(model.group(0) if model else name, kind.lower() or "machine", assets)


def _lower_first(text: str) -> str:
    """'Impeller nut' -> 'impeller nut'; an acronym ('NPSH required') keeps its case."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _clean_cell(text: str) -> str:
    return re.sub(r"[*`]", "", text).strip()


def table_facts(chunk: Chunk, machine: Machine) -> Iterator[Fact]:
    """A fact per table row that states a value: a spec, a torque, a clearance, an interval, a fault code."""
    header = table_header(chunk.text)
    if not header or header[0].strip().lower() in SKIP_HEADERS:
        return
    is_code_table = header[0].strip().lower() in ("code", "fault code", "alarm code")
    for line in chunk.text.splitlines():
        if not is_row(line) or split_row(line) == header:
            continue
        cells = [_clean_cell(c) for c in split_row(line)]
        if len(cells) != len(header) or not cells[0]:
            continue
        rng = stable_rng(chunk.chunk_id, line)
        asset = rng.choice(machine.assets) if machine.assets else machine.model
        subject = cells[0]
        answer = render_row(line, header)
        if is_code_table:
            code = subject.split()[0]
            questions = (f"What does {code} mean on {asset}?", f"{code} on the {machine.model}: cause and action?",
                         f"{asset} is showing {code}, what do I check?", f"fault {code} {asset} - what is it")
            yield Fact(_fact_id(chunk, line), "code", chunk.source, chunk.chunk_id, code, _shuffled(questions, rng),
                       answer, (line.strip(),), machine.assets)
            continue
        if not any(NUMBER_RE.search(c) for c in cells[1:]):
            continue
        value_cols = [h for h, c in zip(header[1:], cells[1:], strict=True) if c]
        col = value_cols[0].lower() if len(value_cols) == 1 and value_cols[0].lower() not in ("value", "") else ""
        thing = _lower_first(subject)
        if col:
            questions = (f"What is the {col} for the {thing} on the {machine.model}?",
                         f"{thing} {col} on {asset}?", f"{asset}: what {col} for the {thing}?",
                         f"Need the {col} for the {thing}, {machine.model} {machine.kind}.")
        else:
            questions = (f"What is the {thing} of the {machine.model}?", f"{machine.model} {thing}?",
                         f"{asset} {thing} - what does the manual give?",
                         f"What {thing} does the {machine.model} {machine.kind} have?")
        yield Fact(_fact_id(chunk, line), "table", chunk.source, chunk.chunk_id, subject, _shuffled(questions, rng),
                   answer, (line.strip(),), machine.assets)


def sentence_facts(chunk: Chunk, machine: Machine) -> Iterator[Fact]:
    """A fact per manual sentence that states a number, a limit or an interval (warnings are shown, not asked)."""
    for line in chunk.text.splitlines():
        line = re.sub(r"^\s*(?:\d+\.|[-*])\s+", "", line.strip())
        if not line or is_row(line) or WARNING_RE.match(line) or line.startswith(("#", ">")):
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            words = sentence.split()
            if len(words) < 6 or len(words) > 45 or not NUMBER_RE.search(sentence):
                continue
            topic = _topic(sentence)
            if not topic:
                continue
            rng = stable_rng(chunk.chunk_id, sentence)
            asset = rng.choice(machine.assets) if machine.assets else machine.model
            section = re.sub(r"^[\d.]+\s*", "", chunk.section or "").lower()
            questions = (f"What does the {machine.model} manual say about {topic}?", f"{topic} on {asset}?",
                         f"{asset} {section}: {topic}?" if section else f"{asset}: {topic}?",
                         f"What is the limit or value for {topic} on the {machine.model} {machine.kind}?")
            yield Fact(_fact_id(chunk, sentence), "sentence", chunk.source, chunk.chunk_id, topic,
                       _shuffled(questions, rng), sentence.strip(), (sentence.strip(),), machine.assets)


def work_order_fact(chunk: Chunk) -> Fact | None:
    """One fact per work-order record: what was wrong, why, and what was done, on that asset and day."""
    fields = {k.lower(): v for k, v in chunk.fields.items()}
    asset = chunk.assets[0] if chunk.assets else fields.get("asset", "")
    date = (chunk.date or fields.get("opened", ""))[:10]
    problem = fields.get("problem", "")
    if not (asset and date and problem and fields.get("action")):
        return None
    rng = stable_rng(chunk.chunk_id)
    questions = (f"What was done on {asset} on {date}?", f"{asset} {date} work order: what was the cause?",
                 f"What did the tech find on {asset} on {date}?",
                 f"'{problem}' on {asset}, {date}: what was the fix?")
    parts = [f"{k} {fields[k]}" for k in ("problem", "cause", "action") if fields.get(k)]
    answer = f"{chunk.section} {date}: {'; '.join(parts)}"
    evidence = tuple(fields[k] for k in ("problem", "action"))
    return Fact(_fact_id(chunk, ""), "work_order", chunk.source, chunk.chunk_id, chunk.section or "",
                _shuffled(questions, rng), answer, evidence, (asset,))


def alarm_fact(chunk: Chunk) -> Fact | None:
    """One fact per asset-day of the alarm log that raised alarms or trips."""
    events = [m for m in (LOG_EVENT_RE.match(line.strip()) for line in chunk.text.splitlines()) if m]
    if not events or not chunk.assets or not chunk.date:
        return None
    asset, date = chunk.assets[0], chunk.date[:10]
    rng = stable_rng(chunk.chunk_id)
    questions = (f"What alarms did {asset} raise on {date}?", f"{asset} alarm history {date}?",
                 f"Did {asset} trip or alarm on {date}?", f"What went off on {asset} on {date}?")
    shown = events[:3]
    answer = "; ".join(f"{m.group(3)} {m.group(4)}{m.group(5)} at {m.group(1)}" for m in shown)
    evidence = tuple(m.group(0).strip() for m in shown)
    return Fact(_fact_id(chunk, ""), "alarms", chunk.source, chunk.chunk_id, f"{asset} {date}",
                _shuffled(questions, rng), f"{asset} on {date}: {answer}", evidence, (asset,))


def corpus_facts(chunks: Iterable[Chunk]) -> list[Fact]:
    """Every fact of every indexed chunk, in a stable order."""
    chunks = sorted(chunks, key=lambda c: c.chunk_id)
    manuals: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        if chunk.doc_type == "manual":
            manuals.setdefault(chunk.source, []).append(chunk)
    machines = {source: machine_of(group) for source, group in manuals.items()}
    facts: list[Fact] = []
    for chunk in chunks:
        if chunk.doc_type == "manual":
            facts.extend(table_facts(chunk, machines[chunk.source]))
            facts.extend(sentence_facts(chunk, machines[chunk.source]))
        elif chunk.doc_type == "work_order":
            fact = work_order_fact(chunk)
            facts.extend([fact] if fact else [])
        elif chunk.doc_type == "log":
            fact = alarm_fact(chunk)
            facts.extend([fact] if fact else [])
    unique = {f.fact_id: f for f in facts}  # a table row repeated across chunks is one fact
    return [unique[k] for k in sorted(unique)]


def _topic(sentence: str) -> str:
    """The sentence's subject words without its numbers: 'Tighten the impeller nut to 95 N·m' -> 'impeller nut'."""
    from index.normalize import STOPWORDS

    words = [w.strip(".,;:()") for w in sentence.split()]
    keep = [w for w in words if w and w.lower() not in STOPWORDS and not any(ch.isdigit() for ch in w)
            and len(w) > 2 and w.isascii() and not w.isupper()]
    return " ".join(w.lower() for w in keep[:4])


def _fact_id(chunk: Chunk, text: str) -> str:
    return hashlib.sha256(f"{chunk.source}\x1f{chunk.section}\x1f{text or chunk.chunk_id}".encode()).hexdigest()[:12]


def _shuffled(questions: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    order = list(questions)
    rng.shuffle(order)
    return tuple(order)
