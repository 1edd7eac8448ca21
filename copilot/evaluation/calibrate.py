"""Calibrate the answerability coverage thresholds (copilot/qa/thresholds.py) on a QA set, with cross-validated figures.

The abstention decision is a threshold on one number per question, the best slot-filling line's key-term coverage
(copilot/qa/answerability.py), so it can be fitted without re-running retrieval for every candidate threshold. For
every question this replays the answer routes of copilot/qa/spine.py that run before the model, up to that decision
(fault code, count, coverage gap, relevance floor, then the answerability check), and keeps the coverage. The
threshold chosen abstains on the most unanswerable questions while false abstention stays within
MAX_FALSE_ABSTENTION, the most a technician should see "not covered" for a question the documents do answer.

A threshold fitted on the questions it is measured on flatters itself; to show how far the choice carries to unseen
questions it is also chosen on one part of the set and measured on the rest: two halves split by a hash of the
question id (each half calibrates the other), and leave-one-family-out (each equipment manual's questions, and the
work-order/log questions, held out in turn). With `--write` the fitted thresholds become the defaults in
copilot/qa/thresholds.py; without it nothing changes.

    copilot eval calibrate [--qa corpus/eval/qa.jsonl] [--index DIR] [--json] [--write]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from copilot.qa import routes, thresholds
from copilot.qa.thresholds import THRESHOLDS

MANUAL_GRID = [round(0.01 * i, 2) for i in range(0, 71)]
# History questions are answered from the named asset's records, which the retriever already limits to that asset
# and dates (a wrong asset or date abstains before this check); their shorthand shares few words with the question.
RECORD_COVERAGE = 0.0
MAX_FALSE_ABSTENTION = 0.10
THRESHOLDS_FILE = Path(thresholds.__file__)


@dataclass(frozen=True)
class Case:
    """One question reduced to what the threshold decides on."""

    id: str
    family: str
    answerable: bool
    decided: bool | None  # True answered / False abstained before the check (fault code, gap, floor); None: check
    history: bool
    coverage: float  # best slot-filling line's key-term coverage; -1 when no line fills the slot
    close_open: bool = False  # an open question close to its first passage: min_open_coverage is enough


def family(item_id: str) -> str:
    return item_id.rsplit("-", 1)[0]


def collect(items: Sequence[dict[str, Any]], retriever: Any) -> list[Case]:
    """Replay the routes copilot/qa/spine.py tries before the model, for every question (no model runs)."""
    cases = []
    for item in items:
        question = item["question"]
        plan = retriever.plan(question)
        q = routes.Question(question, question, plan, retriever.view)
        decided: bool | None = None
        coverage = -1.0
        close_open = False
        if routes.fault_code(q) is not None or routes.count(q) is not None:
            decided = True
        else:
            passages, nearest = retriever.retrieve(question)
            evidence = routes.Evidence(tuple(passages), tuple(nearest), None)
            if routes.coverage_gap(q, evidence) is not None or not passages:
                decided = False
            else:
                verdict = routes.assess(q, passages)
                coverage = verdict.coverage if verdict.line else -1.0
                close_open = not plan.history and verdict.threshold <= THRESHOLDS.min_open_coverage
        cases.append(Case(item["id"], family(item["id"]), bool(item.get("answerable")), decided, plan.history,
                          coverage, close_open))
    return cases


def answered(case: Case, manual: float, record: float) -> bool:
    if case.decided is not None:
        return case.decided
    if case.history:
        return case.coverage >= 0 and case.coverage >= record
    return case.coverage >= 0 and case.coverage >= (min(manual, THRESHOLDS.min_open_coverage)
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
    within MAX_FALSE_ABSTENTION; ties go to the lowest threshold. The history threshold stays fixed."""
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
        fa += int(r["fa_count"])
        missed += int(r["answered_unanswerable"])
        pos += int(r["answerable"])
        neg += int(r["unanswerable"])
    return {"false_abstention": round(fa / max(1, pos), 3), "abstain_unanswerable": round(1 - missed / max(1, neg), 3),
            "thresholds_per_fold": picks}


def calibrate(items: Sequence[dict[str, Any]], retriever: Any) -> dict[str, Any]:
    """The fitted thresholds beside the configured ones, their held-out figures, and the coverage curve."""
    cases = collect(items, retriever)
    manual, record = fit(cases)
    halves = {h: [c for c in cases if int(hashlib.sha1(c.id.encode()).hexdigest(), 16) % 2 == h] for h in (0, 1)}
    families = {f: [c for c in cases if c.family == f] for f in sorted({c.family for c in cases})}
    current = (THRESHOLDS.min_coverage, THRESHOLDS.min_record_coverage)
    return {
        "questions": len(cases),
        "fitted": {"min_coverage": manual, "min_record_coverage": record} | _rounded(rates(cases, manual, record)),
        "configured": {"min_coverage": current[0], "min_record_coverage": current[1]}
        | _rounded(rates(cases, *current)),
        "two_halves_by_id": held_out(cases, {f"half{h}": fold for h, fold in halves.items()}),
        "leave_one_family_out": held_out(cases, families),
        "curve": [{"min_coverage": t} | _rounded(rates(cases, t, record)) for t in MANUAL_GRID[::5]],
    }


def format_calibration(result: Mapping[str, Any]) -> str:
    lines = [f"{key}: {json.dumps(result[key])}"
             for key in ("fitted", "configured", "two_halves_by_id", "leave_one_family_out")]
    lines += [f"  min_coverage {row['min_coverage']:.2f}: false abstention {row['false_abstention']:.3f}, "
              f"unanswerable abstained {row['abstain_unanswerable']:.3f}" for row in result["curve"]]
    return "\n".join(lines)


def write_thresholds(values: Mapping[str, float], path: Path | None = None) -> list[str]:
    """Make `values` the defaults of copilot/qa/thresholds.py (or `path`): each `name: float = value` line is
    rewritten, nothing else. Returns the rewritten lines; raises when a name has no such line (the file was reshaped
    by hand). Takes effect in the next process: THRESHOLDS is read once, on import."""
    path = path or THRESHOLDS_FILE
    text = path.read_text(encoding="utf-8")
    written = []
    for name, value in values.items():
        pattern = re.compile(rf"^(\s+{re.escape(name)}: float = )[-+0-9.eE]+$", re.MULTILINE)
        number = repr(float(value))
        text, count = pattern.subn(rf"\g<1>{number}", text)
        if count != 1:
            raise CopilotError(f"{path}: expected one line '{name}: float = ...', found {count}")
        written.append(f"{name}: float = {number}")
    path.write_text(text, encoding="utf-8")
    return written


def _rounded(r: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
