"""Evaluation harness behind `copilot eval`: retrieval recall against the gold passages of a QA set."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from copilot.config import CopilotConfig
from copilot.errors import CopilotError
from index.records import Chunk


def load_qa(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise CopilotError(f"evaluation set {path} not found")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CopilotError(f"{path} line {number} is not JSON: {exc.msg}") from exc
    return items


def matches_gold(chunk: Chunk, gold: dict[str, Any]) -> bool:
    """A hit is right when it is the gold source and page (or record/section), and holds the gold quote."""
    if chunk.source != gold.get("source"):
        return False
    if gold.get("page") is not None and chunk.page != gold["page"]:
        return False
    quote = " ".join(str(gold.get("quote", "")).split())
    return not quote or quote in " ".join(chunk.text.split()) or (
        chunk.section is not None and gold.get("section") is not None and chunk.section == gold["section"]
        and chunk.doc_type != "manual")


def evaluate_retrieval(qa_path: Path, index_dir: Path, cfg: CopilotConfig, k: int = 5) -> dict[str, Any]:
    """recall@1, recall@k and MRR over the answerable questions (a hit is the chunk holding the gold quote)."""
    from index import HybridIndex, make_embedder

    items = [q for q in load_qa(qa_path) if q.get("answerable") and q.get("gold")]
    if not items:
        raise CopilotError(f"{qa_path} has no answerable questions with gold passages")
    from index.layout import live_generation

    live_generation(index_dir)
    loaded = HybridIndex.load(index_dir, make_embedder(cfg.index.embedder), cfg.index.embedder)
    modes = {"hybrid": None, "dense": "dense", "keyword": "keyword"}
    results: dict[str, Any] = {"questions": len(items), "k": k}
    for name, only in modes.items():
        hits_at_1 = hits_at_k = 0
        reciprocal = 0.0
        started = time.perf_counter()
        for item in items:
            ranked = _ranked(loaded, item["question"], k, only)
            rank = next((r for r, chunk in enumerate(ranked, 1)
                         if any(matches_gold(chunk, g) for g in item["gold"])), None)
            if rank is not None:
                hits_at_k += 1
                hits_at_1 += rank == 1
                reciprocal += 1.0 / rank
        results[name] = {
            "recall@1": round(hits_at_1 / len(items), 3), f"recall@{k}": round(hits_at_k / len(items), 3),
            "mrr": round(reciprocal / len(items), 3),
            "ms_per_query": round(1000 * (time.perf_counter() - started) / len(items), 1),
        }
    return results


def _ranked(loaded: Any, question: str, k: int, only: str | None) -> list[Chunk]:
    import numpy as np

    if only is None:
        return [h.chunk for h in loaded.search(question, k=k)]
    if only == "dense":
        vector = np.asarray(loaded.embedder.embed_query(question), dtype=np.float32)
        return [loaded.by_id[cid] for cid, _ in loaded.dense_ranking(vector, k)]
    return [loaded.by_id[cid] for cid, _ in loaded.keyword_ranking(question, k)]
