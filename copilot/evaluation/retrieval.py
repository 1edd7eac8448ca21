"""Retrieval quality on a QA set: recall@1/5/10, MRR and nDCG@10 for dense, keyword, hybrid and copilot.

`hybrid` is the two fused by the configured fusion (retrieval.fusion, convex by default), and `hybrid_rrf` or
`hybrid_convex` by the other one, side by side; `copilot` is what `copilot ask` uses: hybrid plus the query plan
(named assets, fault codes, dates, history intent; see copilot/qa/retrieval.py). Variants of the copilot's retrieval
config (`--variant NAME:rescorer=mpnet,rescore_weight=1.0`, e.g. a re-scoring stage) are scored as `copilot+NAME` rows
beside it, on the same loaded index.

A retrieved chunk is a hit when it holds the gold quote, or comes from the gold source and the gold page (for records
without pages, the gold section, i.e. the work-order id). This is stricter than "any chunk of the gold file" for logs,
where a file-level match would be meaningless.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from copilot.config import CopilotConfig, RetrievalConfig
from copilot.errors import CopilotError
from copilot.evaluation import load_qa
from index.config import FUSIONS
from index.records import Chunk

CUTOFFS = (1, 5, 10)


def _squash(text: str) -> str:
    return " ".join(text.split())


def matches_gold(chunk: Chunk, gold: dict[str, Any]) -> bool:
    """True when the chunk holds the gold quote, or is the gold source at the gold page (or record), or within the
    gold section (the section itself or one of its subsections: its heading path names the section)."""
    quote = _squash(str(gold.get("quote") or ""))
    if quote and chunk.source == gold.get("source") and quote in _squash(chunk.text):
        return True
    if chunk.source != gold.get("source"):
        return False
    if gold.get("page") is not None:
        return chunk.page == gold["page"]
    section = gold.get("section")
    return section is not None and (chunk.section == section or section in chunk.headings)


def first_hit_rank(ranked: list[Chunk], golds: list[dict[str, Any]]) -> int | None:
    return next((r for r, chunk in enumerate(ranked, 1) if any(matches_gold(chunk, g) for g in golds)), None)


def score_ranks(ranks: list[int | None]) -> dict[str, float]:
    """recall@k, MRR and nDCG@10 (binary relevance, one relevant item) from first-hit ranks."""
    n = len(ranks)
    out = {f"recall@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 3) for k in CUTOFFS}
    out["mrr"] = round(sum(1.0 / r for r in ranks if r is not None) / n, 3)
    out["ndcg@10"] = round(sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n, 3)
    return out


def parse_variant(text: str, base: RetrievalConfig) -> tuple[str, RetrievalConfig]:
    """`NAME:KEY=VALUE,KEY=VALUE` (retrieval config keys) -> (NAME, the config with those values).

    Raises:
        CopilotError: a malformed item, an unknown key or an invalid value, naming it.
    """
    import yaml

    name, sep, body = text.partition(":")
    if not sep or not name.strip():
        raise CopilotError(f"bad --variant {text!r}: use NAME:KEY=VALUE[,KEY=VALUE...], e.g. "
                           "mpnet:rescorer=mpnet,rescore_weight=1.0")
    known = {f.name for f in dataclasses.fields(RetrievalConfig)}
    values: dict[str, Any] = {}
    for item in filter(None, (x.strip() for x in body.split(","))):
        key, eq, value = item.partition("=")
        if not eq or key.strip() not in known:
            raise CopilotError(f"bad --variant item {item!r}: KEY=VALUE with KEY one of {', '.join(sorted(known))}")
        values[key.strip()] = yaml.safe_load(value)
    try:
        return name.strip(), dataclasses.replace(base, **values)
    except (TypeError, ValueError) as exc:
        raise CopilotError(f"invalid --variant {text!r}: {exc}") from exc


def evaluate_retrieval(qa_path: Path, index_dir: Path, cfg: CopilotConfig,
                       variants: dict[str, RetrievalConfig] | None = None) -> dict[str, Any]:
    """Score dense-only, keyword-only, hybrid and copilot retrieval, and each copilot variant (`copilot+NAME`), on
    the answerable questions of a QA file."""
    from index import HybridIndex
    from index.layout import live_generation

    items = [q for q in load_qa(qa_path) if q.get("answerable") and q.get("gold")]
    if not items:
        raise CopilotError(f"{qa_path} has no answerable questions with gold passages")
    live_generation(index_dir)
    loaded = HybridIndex.load(index_dir, cfg.index.load_embedder(), cfg.index.embedder)
    depth = max(CUTOFFS)
    results: dict[str, Any] = {"questions": len(items), "index": str(index_dir), "chunks": len(loaded)}
    misses: list[dict[str, Any]] = []
    from copilot.qa.retrieval import Retriever, load_rescorer

    retriever = Retriever(loaded, cfg.retrieval, load_rescorer(loaded, cfg.retrieval, cfg.index))
    retrievers = {"copilot": retriever}
    loaded_rescorers = {retriever.rescorer.name: retriever.rescorer}
    for name, variant in (variants or {}).items():
        rescorer = load_rescorer(loaded, variant, cfg.index, reuse=loaded_rescorers.get(variant.rescorer))
        loaded_rescorers.setdefault(rescorer.name, rescorer)
        retrievers[f"copilot+{name}"] = Retriever(loaded, variant, rescorer)
    # Questions answered from documents (manuals, tables) and from records (work orders, logs) are scored apart too:
    # a documentation set without records is compared with the first kind.
    records = {c.source for c in loaded.chunks if c.doc_type in ("work_order", "log")}
    kinds = ["records" if item["gold"][0].get("source") in records else "documents" for item in items]
    by_kind: dict[str, dict[str, Any]] = {kind: {"questions": kinds.count(kind)} for kind in sorted(set(kinds))}
    for mode in modes(cfg, variants):
        loaded.clear_query_cache()  # each mode pays for embedding its questions: ms/query compares
        chosen = retrievers.get(mode, retriever)
        clear = getattr(chosen.rescorer, "clear_cache", None)
        if clear is not None:
            clear()  # and for the re-scorer's vectors computed at query time
        ranks: list[int | None] = []
        started = time.perf_counter()
        for item in items:
            rank = first_hit_rank(_ranked(loaded, chosen, item["question"], depth, mode, cfg), item["gold"])
            ranks.append(rank)
            if mode == "copilot" and (rank is None or rank > 5):
                misses.append({"id": item.get("id"), "question": item["question"], "rank": rank})
        results[mode] = score_ranks(ranks) | {
            "ms_per_query": round(1000 * (time.perf_counter() - started) / len(items), 1)}
        if mode.startswith("copilot") and hasattr(chosen.rescorer, "embedded"):
            results[mode]["rescore_embedded_per_query"] = round(chosen.rescorer.embedded / len(items), 1)
        for kind, scores in by_kind.items():
            scores[mode] = score_ranks([r for r, k in zip(ranks, kinds, strict=True) if k == kind])
    results["by_gold_kind"] = by_kind
    results["copilot_misses_at_5"] = misses
    return results


def modes(cfg: CopilotConfig, variants: dict[str, RetrievalConfig] | None = None) -> tuple[str, ...]:
    """The rankings scored, in report order: each side alone, both fusions, the copilot's, then its variants."""
    other = next(f for f in FUSIONS if f != cfg.retrieval.fusion)
    return ("dense", "keyword", "hybrid", f"hybrid_{other}", "copilot", *(f"copilot+{n}" for n in variants or {}))


def _ranked(loaded: Any, retriever: Any, question: str, k: int, mode: str, cfg: CopilotConfig) -> list[Chunk]:
    if mode.startswith("copilot"):
        return [h.chunk for h in retriever.hits(question, k=k)]
    if mode.startswith("hybrid"):
        fusion = mode.partition("_")[2] or cfg.retrieval.fusion
        return [h.chunk for h in loaded.search(question, k=k, candidates=cfg.retrieval.candidates, fusion=fusion)]
    if mode == "dense":
        vector = np.asarray(loaded.embedder.embed_query(question), dtype=np.float32)
        return [loaded.by_id[cid] for cid, _ in loaded.dense_ranking(vector, k)]
    return [loaded.by_id[cid] for cid, _ in loaded.keyword_ranking(question, k)]
