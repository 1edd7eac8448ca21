"""Fit the re-scoring stage's weights offline: the copilot's first-stage top 30 per question, re-sorted by
first + w x (chunk cosine over best + s x section cosine over best) / best, for a grid of w, s and depth.

The mpnet vectors of the candidates are read from an index that stores them (`index.rescorer_vectors: mpnet`), else
embedded for the candidates only;
section vectors (the heading path, or the section's text: its heading path and its chunks' text, as far as the model
reads) are embedded once per set and cached under --cache. Reports recall@1 / @5 and MRR (to rank 10, as
`copilot eval retrieval`) per set and the mean over the sets named with --fit. docs/retrieval.md, "Re-scoring":

    python bench/rescore_grid.py --set corpus=corpus/eval/qa.jsonl:/tmp/corpus-rs \\
        --set marlin40=eval/marlin_qa.jsonl:/tmp/marlin-rs --set blind60=eval/marlin_qa_blind.jsonl:/tmp/marlin-rs \\
        --set faa=eval/faa_qa.jsonl:/tmp/faa-rs --fit corpus,marlin40,faa
"""

from __future__ import annotations

import argparse
import itertools
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from copilot.config import RetrievalConfig
from copilot.evaluation import load_qa
from copilot.evaluation.retrieval import matches_gold
from copilot.qa.retrieval import Retriever
from index import HybridIndex
from index.config import IndexConfig
from index.embeddings import MPNET_EMBEDDER
from index.records import Chunk
from index.rescore import BiEncoderRescorer
from index.sections import section_path

DEPTH = 30
WEIGHTS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 100.0)  # 100: the rescorer's order alone
SECTION_WORDS = 300  # mpnet reads 384 tokens; a section's text beyond that is not seen anyway


def section_key(chunk: Chunk) -> tuple[str, str]:
    return chunk.source, section_path(chunk)


def section_text(chunks: list[Chunk]) -> str:
    """A section's heading path and its chunks' words, in order, overlaps dropped roughly (first 300 words)."""
    words: list[str] = []
    for chunk in chunks:
        words += chunk.text.split()
        if len(words) > SECTION_WORDS * 2:
            break
    path = " > ".join(h for h in chunks[0].headings if h)
    return f"{path}\n{' '.join(words[:SECTION_WORDS])}"


def collect(qa: Path, index_dir: Path, encoder: Any, cache: Path) -> dict[str, Any]:
    """Per question: first-stage candidates (scores, gold flags, mpnet vectors) and the section vectors."""
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    cfg = IndexConfig()
    loaded = HybridIndex.load(index_dir, cfg.load_embedder(), cfg.embedder)
    # the stored vectors when the index has them, else embedded now (only the candidates)
    rescorer = BiEncoderRescorer(encoder, MPNET_EMBEDDER, loaded.rescore_vectors)
    retriever = Retriever(loaded, RetrievalConfig())
    by_section: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in loaded.chunks:
        if section_path(chunk):
            by_section.setdefault(section_key(chunk), []).append(chunk)
    items = [q for q in load_qa(qa) if q.get("answerable") and q.get("gold")]
    questions = []
    wanted: set[tuple[str, str]] = set()
    for item in items:
        hits = retriever.hits(item["question"], k=DEPTH)
        chunks = [h.chunk for h in hits]
        wanted.update(section_key(c) for c in chunks if section_path(c))
        questions.append({
            "id": item.get("id"), "first": np.array([h.score for h in hits]),
            "gold": np.array([any(matches_gold(c, g) for g in item["gold"]) for c in chunks]),
            "chunk": rescorer.vectors(chunks),
            "sections": [section_key(c) if section_path(c) else None for c in chunks],
            "query": np.asarray(encoder.embed_query(item["question"]), dtype=np.float32)})
    keys = sorted(wanted)
    paths = encoder.embed_documents([k[1] for k in keys])
    texts = encoder.embed_documents([section_text(by_section[k]) for k in keys])
    data = {"questions": questions, "path": dict(zip(keys, np.asarray(paths, dtype=np.float32), strict=True)),
            "text": dict(zip(keys, np.asarray(texts, dtype=np.float32), strict=True))}
    cache.write_bytes(pickle.dumps(data))
    return data


def ranks(data: dict[str, Any], weight: float, section: str, share: float, depth: int) -> list[int | None]:
    out: list[int | None] = []
    for q in data["questions"]:
        first, gold = q["first"].copy(), q["gold"]
        n = min(depth, len(first))
        if weight > 0 and n:
            own = np.maximum(q["chunk"][:n] @ q["query"], 0)
            score = own / (own.max() or 1.0)
            if share > 0:
                sec = np.array([max(float(data[section][k] @ q["query"]), 0.0) if k is not None else np.nan
                                for k in q["sections"][:n]])
                top = np.nanmax(sec) if np.isfinite(sec).any() else 1.0
                sec = np.where(np.isnan(sec), score * (top or 1.0), sec) / (top or 1.0)  # no section: its own
                score = score + share * sec
            score = score / (score.max() or 1.0)
            head = first[:n] + weight * score
            order = sorted(range(n), key=lambda i: -head[i]) + list(range(n, len(first)))
        else:
            order = list(range(len(first)))
        out.append(next((r for r, i in enumerate(order, 1) if gold[i]), None))
    return out


def scores(found: list[int | None]) -> tuple[float, float, float]:
    n = len(found)
    return (sum(1 for r in found if r == 1) / n, sum(1 for r in found if r is not None and r <= 5) / n,
            sum(1 / r for r in found if r is not None and r <= 10) / n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=QA:INDEX")
    parser.add_argument("--fit", required=True, help="comma-separated set names the weights are chosen on")
    parser.add_argument("--cache", default="/tmp/rs/grid-cache")
    args = parser.parse_args()
    from index.embeddings import make_embedder

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    encoder = None
    sets: dict[str, dict[str, Any]] = {}
    for spec in args.set:
        name, _, rest = spec.partition("=")
        qa, _, index_dir = rest.partition(":")
        if encoder is None and not (cache / f"{name}.pkl").is_file():  # only when a set is not cached yet
            encoder = make_embedder("mpnet")
        sets[name] = collect(Path(qa), Path(index_dir), encoder, cache / f"{name}.pkl")
    fit = args.fit.split(",")
    grid = [(0.0, "path", 0.0, DEPTH)] + [
        (w, kind, share, depth) for w, kind, share, depth in itertools.product(
            WEIGHTS, ("path", "text"), (0.0, 0.5, 1.0), (20, 30))
        if not (share == 0 and kind == "text")]
    rows = []
    for w, kind, share, depth in grid:
        per = {name: scores(ranks(data, w, kind, share, depth)) for name, data in sets.items()}
        mean = tuple(float(np.mean([per[n][i] for n in fit])) for i in range(3))
        rows.append((mean, w, kind, share, depth, per))
    rows.sort(key=lambda r: (-r[0][0], -r[0][2]))
    names = list(sets)
    print("weight section share depth | fit mean r@1 r@5 mrr | " + " | ".join(names))
    for mean, w, kind, share, depth, per in [r for r in rows if r[1] == 0] + rows[:25]:
        cells = " | ".join(f"{per[n][0]:.3f} {per[n][1]:.3f} {per[n][2]:.3f}" for n in names)
        print(f"{w:6} {kind:5} {share:4} {depth:3} | {mean[0]:.3f} {mean[1]:.3f} {mean[2]:.3f} | {cells}")


if __name__ == "__main__":
    main()
