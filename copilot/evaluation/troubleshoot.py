"""Score symptom questions (eval/troubleshoot_qa.jsonl): is a gold cause ranked first, in the top three, is its row
cited, is an explained symptom wrongly "not covered", is an unexplained one declined.

A listed cause matches a gold cause when it says most of it (the larger of the two shares of shared words is at
least MATCH), or, for a work-order gold, when the cause's evidence cites one of the gold work orders. A gold row is
cited when a citation points at its file and, for a PDF, its page, for a Markdown manual, its section. Each question
is in the development or the test half (a stable hash of its id), and both are reported: thresholds are chosen on
the development half (`copilot eval troubleshoot --split dev`).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

from copilot.app import Copilot
from copilot.records import Answer
from index.normalize import tokenize

MATCH = 0.6
DEFAULT_SET = Path("eval/troubleshoot_qa.jsonl")


def load_set(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_of(question_id: str) -> str:
    return "dev" if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def documents_of(item: dict[str, Any]) -> str:
    """Which document set a question is about: the project's corpus, Marlin's docs (Markdown), or the FAA chapters
    (PDF); from its gold source, or the machine named for a symptom nothing explains."""
    where = f"{(item.get('gold') or {}).get('source', '')} {item.get('machine', '')}".lower()
    if "amtp" in where or "aircraft" in where or "engine" in where and ".md" not in where:
        return "faa_pdf"
    if "__" in where or "marlin" in where or "printer" in where:
        return "marlin_md"
    return "corpus"


def _overlap(said: str, gold: str) -> float:
    a, b = set(tokenize(said)), set(tokenize(gold))
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return max(shared / len(a), shared / len(b))


def _gold_places(gold: dict[str, Any]) -> tuple[str, int | None, str | None]:
    """(file name, PDF page, section) where the gold row is indexed."""
    source = Path(gold.get("indexed_as") or gold["source"]).name
    page = gold.get("indexed_page") if gold.get("indexed_as") else gold.get("page")
    return source, page, None if gold.get("indexed_as") else gold.get("section")


def cause_matches(answer: Answer, n: int, gold: dict[str, Any]) -> bool:
    cause = answer.causes[n]
    said = f"{cause.cause} {cause.check}"
    if any(_overlap(cause.cause, g) >= MATCH or _overlap(said, g) >= MATCH for g in gold.get("causes", ())):
        return True
    wo_ids = set(gold.get("wo_ids") or ())
    if wo_ids:
        cited = {c.section for c in answer.citations if c.n in cause.evidence_citations}
        return bool(cited & wo_ids)
    return False


def row_cited(answer: Answer, gold: dict[str, Any]) -> bool:
    source, page, section = _gold_places(gold)
    wo_ids = set(gold.get("wo_ids") or ())
    for c in answer.citations:
        if wo_ids and c.section in wo_ids:
            return True
        if c.source != source:
            continue
        if page is not None and c.page == page:
            return True
        if section is not None and c.section and (c.section == section or c.section.startswith(section)):
            return True
        if page is None and section is None:
            return True
    return False


def evaluate_troubleshoot(path: Path, copilot: Copilot, *, split: str = "all",
                          limit: int | None = None) -> dict[str, Any]:
    items = [q for q in load_set(path) if split == "all" or split_of(q["id"]) == split][:limit]
    rows = []
    started = time.perf_counter()
    for item in items:
        begin = time.perf_counter()
        answer = copilot.ask(item["question"], asset=item.get("asset"))
        seconds = time.perf_counter() - begin
        gold = item.get("gold")
        listed = len(answer.causes)
        record: dict[str, Any] = {"id": item["id"], "split": split_of(item["id"]), "kind": item["kind"],
                                  "documents": documents_of(item),
                                  "route": answer.route, "causes": listed, "seconds": round(seconds, 3)}
        if gold is None:
            record["declined"] = listed == 0 and (answer.abstained or answer.route != "troubleshoot")
        else:
            hits = [n for n in range(listed) if cause_matches(answer, n, gold)]
            record.update(first=0 in hits, top3=any(n < 3 for n in hits), cited=row_cited(answer, gold),
                          not_covered=listed == 0)
        if not record.get("top3", record.get("declined")):
            record["question"] = item["question"]
            record["listed"] = [c.cause for c in answer.causes[:3]]
            record["answer"] = answer.text[:300]
        rows.append(record)
    explained = [r for r in rows if "first" in r]
    unexplained = [r for r in rows if "declined" in r]

    def share(values: list[bool]) -> float:
        return round(sum(values) / len(values), 3) if values else 0.0

    return {
        "questions": len(rows), "explained": len(explained), "unexplained": len(unexplained), "split": split,
        "gold_first": share([r["first"] for r in explained]),
        "gold_top3": share([r["top3"] for r in explained]),
        "gold_row_cited": share([r["cited"] for r in explained]),
        "false_not_covered": share([r["not_covered"] for r in explained]),
        "unexplained_declined": share([r["declined"] for r in unexplained]),
        "by_kind": {kind: {"questions": len(group), "top3": share([r["top3"] for r in group]),
                           "first": share([r["first"] for r in group])}
                    for kind in sorted({r["kind"] for r in explained})
                    for group in [[r for r in explained if r["kind"] == kind]]},
        "by_documents": {name: {"questions": len(group), "top3": share([r["top3"] for r in group]),
                                "first": share([r["first"] for r in group]),
                                "not_covered": share([r["not_covered"] for r in group])}
                         for name in sorted({r["documents"] for r in explained})
                         for group in [[r for r in explained if r["documents"] == name]]},
        "seconds_p50": round(statistics.median([r["seconds"] for r in rows]), 3) if rows else 0.0,
        "seconds_total": round(time.perf_counter() - started, 1),
        "misses": [r for r in rows if not r.get("top3", r.get("declined"))],
    }
