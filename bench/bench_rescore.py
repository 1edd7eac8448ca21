"""What the re-scoring stage costs a query: the copilot's retrieval alone, re-scored with candidate vectors computed at
query time (cold: nothing kept from earlier questions), and re-scored with the vectors the index stores. Medians of
`--runs` passes over the same questions, side by side in one process (docs/retrieval.md, "Re-scoring"):

    python bench/bench_rescore.py --index /tmp/marlin-rs --qa eval/marlin_qa.jsonl --limit 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from copilot.config import RetrievalConfig
from copilot.evaluation import load_qa
from copilot.qa.retrieval import Retriever
from index import HybridIndex
from index.config import IndexConfig
from index.embeddings import make_embedder
from index.rescore import BiEncoderRescorer, canonical_rescorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, help="an index that stores the re-scorer's vectors")
    parser.add_argument("--qa", default="eval/marlin_qa.jsonl")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rescorer", default="mpnet")
    parser.add_argument("--depth", type=int, default=RetrievalConfig.rescore_depth)
    parser.add_argument("--backend", default="torch", help="index.embed_backend for both models (torch: fp32 here)")
    args = parser.parse_args()
    cfg = IndexConfig(embed_backend=args.backend)
    loaded = HybridIndex.load(Path(args.index), cfg.load_embedder(), cfg.embedder)
    name = canonical_rescorer(args.rescorer)
    encoder = make_embedder(name, backend=args.backend)
    stored = loaded.rescore_vectors if loaded.rescore_vectors is not None and loaded.rescore_vectors.model == name \
        else None
    questions = [q["question"] for q in load_qa(Path(args.qa)) if q.get("answerable")][:args.limit]
    rescoring = RetrievalConfig(rescorer=name, rescore_depth=args.depth)  # the fitted weight
    variants = {"first stage": (RetrievalConfig(), None),
                "re-scored, vectors at query time": (rescoring, BiEncoderRescorer(encoder, name)),
                "re-scored, stored vectors": (rescoring, BiEncoderRescorer(encoder, name, stored) if stored else None)}
    encoder.embed_query("warm up")
    timings: dict[str, list[float]] = {v: [] for v in variants}
    tails: dict[str, list[float]] = {v: [] for v in variants}  # each run's p95 over the questions
    for _ in range(args.runs):
        for label, (retrieval, rescorer) in variants.items():
            if retrieval.rescorer != "none" and rescorer is None:
                continue  # the index stores no vectors of this model
            retriever = Retriever(loaded, retrieval, rescorer)
            per = []
            for question in questions:
                loaded.clear_query_cache()
                if isinstance(rescorer, BiEncoderRescorer):
                    rescorer.clear_cache()  # cold: each question pays for its own candidates
                started = time.perf_counter()
                retriever.hits(question, k=10)
                per.append(1000 * (time.perf_counter() - started))
            timings[label].append(statistics.median(per))
            tails[label].append(sorted(per)[min(len(per) - 1, round(0.95 * (len(per) - 1)))])
    print(json.dumps({"index": args.index, "questions": len(questions), "depth": args.depth,
                      "median_ms_per_query": {k: round(statistics.median(v), 1) for k, v in timings.items() if v},
                      "p95_ms_per_query": {k: round(statistics.median(v), 1) for k, v in tails.items() if v},
                      "runs_ms": {k: [round(x, 1) for x in v] for k, v in timings.items()}}, indent=1))


if __name__ == "__main__":
    main()
