"""Troubleshooting examples: a symptom in a technician's words -> the likely causes, most likely first, each cited.

Made from the index's troubleshooting rows (index/troubleshooting.py) the way inference meets a symptom question:
the question is asked of the real retriever, and the completion lists the causes that the troubleshooting ranker
(copilot/qa/troubleshoot.py) puts first, as far as their passages are among those retrieved, in the route's own
format ("1. <cause>. First check: <check> [n]."). A row's question is written from its symptom with the machine it
belongs to, in a few phrasings a technician uses. Rows of held-out documents (and their assets) stay held out.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from copilot.generation import prompts
from copilot.qa import troubleshoot
from copilot.qa.query import plan_query
from finetune.examples import Example
from finetune.facts import stable_rng
from index.troubleshooting import TroubleRow

if TYPE_CHECKING:
    from finetune.data import ExampleBuilder

ASKS = ("What should I check?", "What could be wrong?", "Why is that?", "What do I look at first?",
        "What's causing it?")
LEADS = ("{machine}: {symptom}.", "{machine} has {symptom}.", "On {machine}, {symptom}.",
         "We are seeing {symptom} on {machine}.")
MAX_LISTED = 3


def troubleshoot_examples(builder: ExampleBuilder, split: str, total: int) -> list[Example]:
    """Up to `total` symptom questions of `split`, one per troubleshooting row with a documentary cause."""
    view = builder.retriever.view
    rows = [r for r in view.troubles.rows if r.kind in ("table", "fault_code", "fmea", "section")
            and builder.splitter.of_chunk(r.source, r.assets, "manual") == split]
    rows.sort(key=lambda r: hashlib.sha256(f"{r.source}\x1f{r.symptom}\x1f{r.cause}".encode()).hexdigest())
    out: list[Example] = []
    seen: set[str] = set()
    for row in rows:
        if len(out) >= total:
            break
        if row.symptom in seen or row.kind == "fault_code" and not row.symptom.split():
            continue
        seen.add(row.symptom)
        example = _example(builder, row, split)
        if example is not None:
            out.append(example)
    return out


def question_of(row: TroubleRow) -> str:
    """'P-101: crackling noise, low suction pressure, erratic flow. What should I check?'."""
    rng = stable_rng("troubleshoot", f"{row.source}\x1f{row.symptom}")
    machine = rng.choice(row.assets) if row.assets else _model_of(row.source)
    symptom = re.sub(r"\s+", " ", row.symptom.split(":")[0] if row.kind == "section" else row.symptom).strip(" .")
    if symptom[1:2].islower():  # "Crackling noise" -> "crackling noise"; "E102 HIGH VIBRATION" stays
        symptom = symptom[:1].lower() + symptom[1:]
    return f"{rng.choice(LEADS).format(machine=machine, symptom=symptom)} {rng.choice(ASKS)}"


def _model_of(source: str) -> str:
    parts = [p for p in re.split(r"[-_.]", source) if re.search(r"\d", p) and re.search(r"[a-z]", p)]
    return f"the {parts[0].upper()}" if parts else "the machine"


def _example(builder: ExampleBuilder, row: TroubleRow, split: str) -> Example | None:
    question = question_of(row)
    passages = builder.passages(question, split)
    numbers = {p.chunk_id: p.n for p in passages}
    found = troubleshoot.diagnose(question, plan_query(question, set(builder.retriever.view.asset_types)),
                                  builder.retriever.view)
    lines: list[str] = []
    gold: list[int] = []
    keys: list[str] = []
    for ranked in found.causes:
        n = numbers.get(ranked.row.chunk_id)
        if n is None:
            continue
        check = troubleshoot.first_check(ranked.row)
        check = "" if check == ranked.row.cause else check
        line = f"{len(lines) + 1}. {troubleshoot.brief(ranked.row.cause)}"
        line += f". First check: {troubleshoot.brief(check)} [{n}]." if check else f" [{n}]."
        lines.append(line)
        gold.append(n)
        keys.append(_key(ranked.row.cause))
        if len(lines) >= MAX_LISTED:
            break
    if not lines or row.chunk_id not in numbers:
        return None  # the row's own passage was not retrieved: the label would rest on other rows alone
    completion = "Likely causes, most likely first:\n" + "\n".join(lines)
    messages = prompts.qa_messages(question, passages, builder.budget)
    example_id = hashlib.sha256(f"troubleshoot\x1f{question}".encode()).hexdigest()[:12]
    provenance = {"row": f"{row.source}: {row.symptom[:80]}", "source": row.source, "chunk_id": row.chunk_id,
                  "passages": [p.chunk_id for p in passages]}
    return Example(example_id, "troubleshoot", split, messages, completion, True, sorted(set(gold)),
                   keys[:1], provenance)


def _key(cause: str) -> str:
    """The cause's first words, as a reply naming it would have them ("Cavitation", "Misalignment or soft foot")."""
    return re.split(r"[:;,(]", cause)[0].strip()[:40]
