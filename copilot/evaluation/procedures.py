"""How completely "how do I ..." questions get the manual's steps: step recall over a QA set of procedure questions.

A procedure answer that gives two of fifteen steps cites the right section and still fails the technician, so the
score is the share of the gold section's steps the answer gives. For each answerable question the gold section's
numbered steps are read from the index (`copilot.qa.procedure.numbered_steps` over the section's chunks), and a step
counts when the answer holds its first eight words (letters and digits only). Also reported: the route of each
answer, the share citing the gold section, the share giving every step, false abstention, and for unanswerable
questions the share abstained.

    copilot eval procedures [--qa eval/procedure_qa.jsonl] [--index DIR] [--no-llm] [--json]
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from copilot.evaluation import load_qa
from copilot.qa.procedure import numbered_steps

DEFAULT_QA = "eval/procedure_qa.jsonl"


def _words(text: str) -> str:
    """Lower-case words only: a step counts whatever its punctuation or citation marks."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def gold_steps(copilot: Any, source: str, section: str) -> list[str]:
    chunks = [c for c in copilot.index.chunks if c.source == source and c.section == section]
    return [s.text for s in numbered_steps(chunks)]


def evaluate_procedures(path: Path, copilot: Any) -> dict[str, Any]:
    """Step recall and the other figures above for the questions in `path`, answered by `copilot`."""
    questions = load_qa(path)
    routes: Counter[str] = Counter()
    recall, complete, cited, abstained_answerable, abstained_unanswerable = [], 0, 0, 0, 0
    rows = []
    answerable = [q for q in questions if q["answerable"]]
    for q in questions:
        answer = copilot.ask(q["question"])
        routes[answer.route] += 1
        if not q["answerable"]:
            abstained_unanswerable += answer.abstained
            rows.append({"id": q["id"], "route": answer.route, "abstained": answer.abstained})
            continue
        gold = q["gold"][0]
        steps = gold_steps(copilot, gold["source"], gold["section"] or "")
        text = _words(answer.text)
        given = sum(" ".join(_words(step).split()[:8]) in text for step in steps)
        share = given / len(steps) if steps else 0.0
        recall.append(share)
        complete += bool(steps) and given == len(steps)
        cited += any(c.source == gold["source"] and c.section == gold["section"] for c in answer.citations)
        abstained_answerable += answer.abstained
        rows.append({"id": q["id"], "route": answer.route, "steps": len(steps), "given": given,
                     "abstained": answer.abstained})
    unanswerable = len(questions) - len(answerable)
    return {
        "questions": len(questions),
        "answerable": len(answerable),
        "step_recall_mean": round(statistics.fmean(recall), 3) if recall else None,
        "all_steps_given": round(complete / len(answerable), 3) if answerable else None,
        "cited_gold_section": round(cited / len(answerable), 3) if answerable else None,
        "false_abstention": round(abstained_answerable / len(answerable), 3) if answerable else None,
        "abstain_unanswerable": round(abstained_unanswerable / unanswerable, 3) if unanswerable else None,
        "routes": dict(routes),
        "per_question": rows,
    }


def format_procedures(result: Mapping[str, Any]) -> str:
    lines = [f"{key}: {value}" for key, value in result.items() if key != "per_question"]
    lines += [f"  {row}" for row in result["per_question"]]
    return "\n".join(lines)
