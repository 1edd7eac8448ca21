"""How completely "how do I ..." questions get the manual's steps: step recall over a QA set of procedure questions.

For each answerable question the gold section's numbered steps are read from the index (`copilot.qa.procedure
.numbered_steps` over the section's chunks), and the answer is scored by the share of those steps it gives: a step
counts when the answer holds its first eight words (letters and digits only). Also reported: the route of each
answer, the share citing the gold section, the share giving every step, false abstention, and for unanswerable
questions the share abstained.

    .venv/bin/python eval/procedure_steps.py [--qa eval/procedure_qa.jsonl] [--index DIR] [--no-llm] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from copilot import Copilot, load_config
from copilot.evaluation import load_qa
from copilot.qa.procedure import numbered_steps


def _words(text: str) -> str:
    """Lower-case words only: a step counts whatever its punctuation or citation marks."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def gold_steps(copilot: Copilot, source: str, section: str) -> list[str]:
    chunks = [c for c in copilot.index.chunks if c.source == source and c.section == section]
    return [s.text for s in numbered_steps(chunks)]


def evaluate(copilot: Copilot, questions: list[dict[str, Any]]) -> dict[str, Any]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", default="eval/procedure_qa.jsonl")
    parser.add_argument("--index", default=None, help="index directory (default $COPILOT_HOME/index)")
    parser.add_argument("--no-llm", action="store_true", help="no language model: the documents' own lines")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    overrides = {"index_dir": args.index} if args.index else {}
    generator = None
    if args.no_llm:
        from copilot.generation.backends import NoModel

        generator = NoModel()
    copilot = Copilot.load(load_config(None, overrides), generator=generator)
    result = evaluate(copilot, load_qa(Path(args.qa)))
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for key, value in result.items():
        if key != "per_question":
            print(f"{key}: {value}")
    for row in result["per_question"]:
        print(f"  {row}")


if __name__ == "__main__":
    main()
