"""Calibrate the answerability thresholds (copilot/qa/answerability.py) on a QA set, with cross-validated figures.

For every question this replays the no-model route of copilot/qa/spine.py up to the abstention decision (fault-code fast
path, coverage gap, relevance floor, then the answerability check) and keeps the best slot-filling line's key-term
coverage. A threshold then decides each question without re-running retrieval. The one chosen abstains on the
most unanswerable questions while false abstention stays within the target (0.10).

To show how far that choice carries to unseen questions, it is also chosen on one part of the set and measured on
the rest: two halves split by a hash of the question id (each half calibrates the other), and leave-one-family-out
(each equipment manual's questions, and the work-order/log questions, held out in turn).

    .venv/bin/python eval/calibrate_answerability.py [--qa corpus/eval/qa.jsonl] [--index DIR] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.evaluation import load_qa
from copilot.qa import answerability
from copilot.qa import spine as qa

MANUAL_GRID = [round(0.01 * i, 2) for i in range(0, 71)]
# History questions are answered from the named asset's records, which the retriever already limits to that asset
# and dates (a wrong asset or date abstains before this check); their shorthand shares few words with the question.
RECORD_COVERAGE = 0.0
MAX_FALSE_ABSTENTION = 0.10  # the issue 5 target


@dataclass(frozen=True)
class Case:
    """One question reduced to what the threshold decides on."""

    id: str
    family: str
    answerable: bool
    decided: bool | None  # True answered / False abstained before the check (fault code, gap, floor); None: check
    history: bool
    coverage: float  # best slot-filling line's key-term coverage; -1 when no line fills the slot
    close_open: bool = False  # an open question close to its first passage: MIN_OPEN_COVERAGE is enough


def family(item_id: str) -> str:
    return item_id.rsplit("-", 1)[0]


def collect(items: Sequence[dict[str, Any]], retriever: Any) -> list[Case]:
    """Replay copilot/qa/spine.py's decisions before the model for every question (no model)."""
    cases = []
    for item in items:
        question = item["question"]
        plan = retriever.plan(question)
        decided: bool | None = None
        coverage = -1.0
        close_open = False
        if plan.codes and plan.meaning and retriever.code_rows(plan.codes, plan.assets):
            decided = True
        else:
            passages, _ = retriever.retrieve(question)
            if qa._coverage_gap(plan, retriever) or not passages:
                decided = False
            else:
                verdict = qa.assess(question, plan, passages, retriever)
                coverage = verdict.coverage if verdict.line else -1.0
                close_open = not plan.history and verdict.threshold <= answerability.MIN_OPEN_COVERAGE
        cases.append(Case(item["id"], family(item["id"]), bool(item.get("answerable")), decided, plan.history,
                          coverage, close_open))
    return cases


def answered(case: Case, manual: float, record: float) -> bool:
    if case.decided is not None:
        return case.decided
    if case.history:
        return case.coverage >= 0 and case.coverage >= record
    return case.coverage >= 0 and case.coverage >= (min(manual, answerability.MIN_OPEN_COVERAGE)
                                                     if case.close_open else manual)


def rates(cases: Sequence[Case], manual: float, record: float) -> dict[str, float]:
    """False abstention on answerable, abstention on unanswerable, and their error counts."""
    pos = [c for c in cases if c.answerable]
    neg = [c for c in cases if not c.answerable]
    fa = sum(not answered(c, manual, record) for c in pos)
    missed = sum(answered(c, manual, record) for c in neg)
    return {"false_abstention": fa / max(1, len(pos)), "abstain_unanswerable": 1 - missed / max(1, len(neg)),
            "fa_count": fa, "answered_unanswerable": missed, "answerable": len(pos), "unanswerable": len(neg)}


def fit(cases: Sequence[Case], record: float = RECORD_COVERAGE) -> tuple[float, float]:
    """The manual-question threshold that abstains on the most unanswerable questions while false abstention stays
    within the target (MAX_FALSE_ABSTENTION); ties go to the lowest threshold. The history threshold stays fixed."""
    best: tuple[float, float] | None = None  # (abstained, -threshold)
    chosen = MANUAL_GRID[0]
    for manual in MANUAL_GRID:
        r = rates(cases, manual, record)
        if r["false_abstention"] > MAX_FALSE_ABSTENTION:
            continue
        key = (r["abstain_unanswerable"], -manual)
        if best is None or key > best:
            best, chosen = key, manual
    return chosen, record


def held_out(cases: Sequence[Case], folds: dict[str, list[Case]]) -> dict[str, Any]:
    """Fit on everything but each fold, measure on the fold; pool the held-out decisions."""
    fa = missed = pos = neg = 0
    picks = {}
    for name, fold in folds.items():
        train = [c for c in cases if c not in fold]
        manual, record = fit(train)
        picks[name] = [manual, record]
        r = rates(fold, manual, record)
        fa += r["fa_count"]
        missed += r["answered_unanswerable"]
        pos += r["answerable"]
        neg += r["unanswerable"]
    return {"false_abstention": round(fa / max(1, pos), 3), "abstain_unanswerable": round(1 - missed / max(1, neg), 3),
            "thresholds_per_fold": picks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qa", default="corpus/eval/qa.jsonl")
    parser.add_argument("--index", help="index directory (default: the configured one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from copilot.app import Copilot
    from copilot.generation.backends import NoModel

    copilot = Copilot.load(index_dir=args.index, generator=NoModel())
    cases = collect(load_qa(Path(args.qa)), copilot.retriever)
    manual, record = fit(cases)
    halves = {h: [c for c in cases if int(hashlib.sha1(c.id.encode()).hexdigest(), 16) % 2 == h] for h in (0, 1)}
    families = {f: [c for c in cases if c.family == f] for f in sorted({c.family for c in cases})}
    current = (answerability.MIN_COVERAGE, answerability.MIN_RECORD_COVERAGE)
    result = {
        "questions": len(cases),
        "fitted": {"min_coverage": manual, "min_record_coverage": record} | _rounded(rates(cases, manual, record)),
        "configured": {"min_coverage": current[0], "min_record_coverage": current[1]}
        | _rounded(rates(cases, *current)),
        "two_halves_by_id": held_out(cases, {f"half{h}": fold for h, fold in halves.items()}),
        "leave_one_family_out": held_out(cases, families),
        "curve": [{"min_coverage": t} | _rounded(rates(cases, t, record)) for t in MANUAL_GRID[::5]],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    for key in ("fitted", "configured", "two_halves_by_id", "leave_one_family_out"):
        print(f"{key}: {json.dumps(result[key])}")
    for row in result["curve"]:
        print(f"  min_coverage {row['min_coverage']:.2f}: false abstention {row['false_abstention']:.3f}, "
              f"unanswerable abstained {row['abstain_unanswerable']:.3f}")
    return 0


def _rounded(r: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}


if __name__ == "__main__":
    raise SystemExit(main())
