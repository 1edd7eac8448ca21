"""Answer quality on a QA set: gold citations, keyword recall, abstention, numeric fidelity, latency.

- cited_gold: share of answerable questions whose answer cites a gold passage (source and page, or record).
- keyword_recall: share of answerable questions whose answer mentions every gold keyword.
- abstain_unanswerable: share of unanswerable questions the copilot declined to answer (higher is better).
- false_abstention: share of answerable questions it declined (lower is better).
- unflagged_bad_numbers: answers stating a number that none of their cited passages contains, not flagged.
- discarded_generate_share: the share of the model's generation time spent on drafts the checks did not keep.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import Any

from copilot.evaluation import load_qa
from copilot.evaluation.retrieval import matches_gold
from copilot.qa.citations import numbers_in
from copilot.records import Answer
from index.records import Chunk


def _cited_chunks(answer: Answer, by_id: dict[str, Chunk]) -> list[Chunk]:
    return [by_id[c.chunk_id] for c in answer.citations if c.chunk_id in by_id]


def bad_numbers(answer: Answer, by_id: dict[str, Chunk]) -> set[str]:
    """Numbers stated in the answer text that no cited passage contains (the question's own numbers excepted)."""
    if answer.abstained:
        return set()
    # Safety banners are quoted verbatim from the cited sections (not from the cited chunk itself): not claims.
    body = "\n".join(line for line in answer.text.splitlines() if not line.startswith("⚠"))
    text = re.sub(r"\[\d+\]", "", re.sub(r"(?m)^\s*\d{1,2}\.\s", "", body))  # a list's own numbering is no claim
    # a cited section named by its number ("The steps of 6.5 Aligning the coupling:") is a reference, not a claim
    cited = " ".join(f"{c.section or ''}\n{c.text}" for c in _cited_chunks(answer, by_id))
    return numbers_in(text) - numbers_in(answer.question) - numbers_in(cited)


def evaluate_qa(qa_path: Path, copilot: Any, limit: int | None = None) -> dict[str, Any]:
    """Ask every question of the file and score the answers."""
    items = load_qa(qa_path)[:limit]
    by_id = copilot.index.by_id
    answerable = [q for q in items if q.get("answerable")]
    unanswerable = [q for q in items if not q.get("answerable")]
    cited_gold = keyword_hits = false_abstain = abstain_ok = unflagged = 0
    latencies: list[float] = []
    first_tokens: list[float] = []
    generate_s = discarded_s = 0.0  # model time in all, and on drafts the checks did not keep
    drafts = stopped = 0
    routes: dict[str, int] = {}
    failures: list[dict[str, Any]] = []
    for item in items:
        started = time.perf_counter()
        answer = copilot.ask(item["question"])
        latencies.append(time.perf_counter() - started)
        if "first_token_s" in answer.timings:
            first_tokens.append(answer.timings["first_token_s"])
        routes[answer.route] = routes.get(answer.route, 0) + 1
        generate_s += answer.timings.get("generate_s", 0.0)
        if "generate_s" in answer.timings and answer.route != "rag":
            drafts += 1
            discarded_s += answer.timings["generate_s"]
            stopped += "draft_stopped_s" in answer.timings
        bad = bad_numbers(answer, by_id)
        flagged = any(n in " ".join(answer.unsupported) for n in bad)
        unflagged += bool(bad) and not flagged
        if not item.get("answerable"):
            abstain_ok += answer.abstained
            if not answer.abstained:
                failures.append({"id": item["id"], "kind": "answered_unanswerable", "answer": answer.text[:160]})
            continue
        if answer.abstained:
            false_abstain += 1
            failures.append({"id": item["id"], "kind": "false_abstention"})
            continue
        cites_gold = any(matches_gold(chunk, g) for chunk in _cited_chunks(answer, by_id) for g in item["gold"])
        cited_gold += cites_gold
        text = answer.text.lower()
        keyword_hits += all(k.lower() in text for k in item.get("keywords", []))
        if not cites_gold:
            failures.append({"id": item["id"], "kind": "no_gold_citation", "answer": answer.text[:160]})
    n_ans, n_un = max(1, len(answerable)), max(1, len(unanswerable))
    return {
        "questions": len(items), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "generator": getattr(copilot.generator, "name", "?"),
        "cited_gold": round(cited_gold / n_ans, 3),
        "keyword_recall": round(keyword_hits / n_ans, 3),
        "abstain_unanswerable": round(abstain_ok / n_un, 3),
        "false_abstention": round(false_abstain / n_ans, 3),
        "unflagged_bad_numbers": unflagged,
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "first_token_p50_s": round(statistics.median(first_tokens), 3) if first_tokens else None,
        "routes": routes,
        "generate_s": round(generate_s, 1),
        "discarded_drafts": drafts,
        "discarded_drafts_stopped_early": stopped,
        "discarded_generate_share": round(discarded_s / generate_s, 3) if generate_s else None,
        "failures": failures,
    }
