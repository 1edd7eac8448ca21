"""Hybrid search over a built index: FAISS cosine + BM25 on normalised tokens, fused by reciprocal rank.

Dense vectors catch paraphrase ("pump screaming" ~ "cavitation noise"); keywords catch exact codes, part numbers and
asset ids ("E103", "80-MS-2", "P-101") that embeddings blur. Reciprocal-rank fusion needs no score calibration
between the two. Metadata filters (asset, document type, source) apply before ranking.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index import layout, store
from index.builder import read_chunks
from index.manifest import Manifest
from index.normalize import tokenize, tokenize_query
from index.records import Chunk, Hit

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

RRF_K = 60  # the constant from Cormack et al.; damps the head of each ranking


class HybridIndex:
    """A loaded index: chunks, their FAISS vectors and a BM25 index, searchable with filters."""

    def __init__(self, chunks: list[Chunk], vectors: Any, embedder: Embeddings, manifest: Manifest,
                 location: Path | None = None) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import
        self.chunks = chunks
        self.by_id = {c.chunk_id: c for c in chunks}
        self.position = {c.chunk_id: i for i, c in enumerate(chunks)}
        self.vectors = vectors
        self.embedder = embedder
        self.manifest = manifest
        self.location = location
        self._row_of: dict[str, int] | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self.bm25 = bm25s.BM25()
        tokens = [tokenize(c.context_text) or ["_empty_"] for c in chunks]
        if chunks:
            self.bm25.index(tokens, show_progress=False)
        frequency: dict[str, int] = {}
        for chunk_tokens in tokens:
            for token in set(chunk_tokens):
                frequency[token] = frequency.get(token, 0) + 1
        # Inverse document frequency of every token, for weighting question words by how telling they are.
        self.idf = {t: math.log((len(chunks) + 1) / (n + 0.5)) for t, n in frequency.items()}

    @classmethod
    def load(cls, index_dir: Path, embedder: Embeddings, embedder_id: str) -> HybridIndex:
        """Open the live generation of `index_dir`; refuse an index built with another embedder."""
        gen = layout.live_generation(index_dir)
        manifest = Manifest.load(gen)
        manifest.check_embedder(embedder_id, index_dir)
        return cls(read_chunks(gen), store.load_store(gen, embedder), embedder, manifest, index_dir)

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, query: str, k: int = 5, *, asset: str | None = None, doc_types: Iterable[str] | None = None,
               sources: Iterable[str] | None = None, where: Callable[[Chunk], bool] | None = None,
               candidates: int = 50, keyword_query: str | None = None) -> list[Hit]:
        """Top-k chunks for `query` by reciprocal-rank fusion of dense and keyword rankings.

        Filters: `asset` (chunks tagged with that asset), `doc_types`, `sources` (file names or paths), and any
        predicate `where`; all apply before ranking. `keyword_query`, when given, is what the keyword side matches
        instead of `query` (the question less words that are not content, such as "last" in "last time").
        """
        if not self.chunks or not query.strip():
            return []
        allowed = self._filter(asset, doc_types, sources, where)
        vector = self.embed_query(query)
        dense = self.dense_ranking(vector, candidates, allowed)
        keyword = self.keyword_ranking(query if keyword_query is None else keyword_query, candidates, allowed)
        fused: dict[str, float] = {}
        for ranking in (dense, keyword):
            for rank, (chunk_id, _) in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        dense_score = dict(dense)
        keyword_score = dict(keyword)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense)}
        keyword_rank = {cid: r for r, (cid, _) in enumerate(keyword)}
        ordered = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        hits = []
        for chunk_id in ordered:
            ranks = {}
            if chunk_id in dense_rank:
                ranks["dense"] = dense_rank[chunk_id] + 1
            if chunk_id in keyword_rank:
                ranks["keyword"] = keyword_rank[chunk_id] + 1
            cosine = dense_score.get(chunk_id)
            if cosine is None:  # found by keywords only: still report its cosine, the abstention signal
                cosine = self.cosine(vector, chunk_id)
            hits.append(Hit(self.by_id[chunk_id], fused[chunk_id], cosine, keyword_score.get(chunk_id), ranks))
        return hits

    def _filter(self, asset: str | None, doc_types: Iterable[str] | None, sources: Iterable[str] | None,
                where: Callable[[Chunk], bool] | None = None) -> set[str] | None:
        if asset is None and doc_types is None and sources is None and where is None:
            return None
        types = set(doc_types) if doc_types is not None else None
        names = set(sources) if sources is not None else None
        return {
            c.chunk_id for c in self.chunks
            if (asset is None or asset.upper() in c.assets)
            and (types is None or c.doc_type in types)
            and (names is None or c.source in names or c.path in names)
            and (where is None or where(c))
        }

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector; the last few are cached because one question is searched several ways."""
        vector = self._query_cache.get(query)
        if vector is None:
            vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query] = vector
        return vector

    def dense_ranking(self, vector: np.ndarray, n: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine) best first; with a filter, searches deep enough to fill n allowed hits."""
        depth = n if allowed is None else len(self.chunks)
        ranked = store.search_vector(self.vectors, vector, depth)
        if allowed is not None:
            ranked = [(cid, s) for cid, s in ranked if cid in allowed]
        return ranked[:n]

    def keyword_ranking(self, query: str, n: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25) best first, only chunks sharing at least one query token."""
        tokens = tokenize_query(query)
        if not tokens:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=float)
        order = np.argsort(-scores, kind="stable")
        ranked = []
        for i in order:
            if scores[i] <= 0:
                break
            chunk_id = self.chunks[int(i)].chunk_id
            if allowed is None or chunk_id in allowed:
                ranked.append((chunk_id, float(scores[i])))
                if len(ranked) >= n:
                    break
        return ranked

    def cosine(self, vector: np.ndarray, chunk_id: str) -> float:
        """Cosine similarity of a query vector to one stored chunk (its vector reconstructed from FAISS)."""
        if self._row_of is None:
            self._row_of = {v: k for k, v in self.vectors.index_to_docstore_id.items()}
        row = self._row_of.get(chunk_id)
        if row is None:
            return 0.0
        return float(np.dot(self.vectors.index.reconstruct(int(row)), vector))

    def stats(self) -> dict[str, Any]:
        """Counts by document type and source, for `copilot index stats`."""
        by_type: dict[str, int] = {}
        for chunk in self.chunks:
            by_type[chunk.doc_type] = by_type.get(chunk.doc_type, 0) + 1
        return {
            "location": str(self.location) if self.location else None,
            "embedder": self.manifest.embedder,
            "dimension": self.manifest.dimension,
            "chunking": self.manifest.chunking,
            "files": len(self.manifest.files),
            "chunks": len(self.chunks),
            "chunks_by_type": by_type,
            "skipped": self.manifest.skipped,
            "updated": self.manifest.updated,
        }
