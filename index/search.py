"""Hybrid search over a built index: FAISS cosine + BM25 on normalised tokens, fused into one ranking.

Dense vectors catch paraphrase ("pump screaming" ~ "cavitation noise"); keywords catch exact codes, part numbers,
option names and asset ids ("E103", "80-MS-2", "Z_ENDSTOP_SERVO_NR", "P-101") that embeddings blur. Two fusions:

- "convex" (default): every candidate either side found is scored on both sides, each side's score divided by its
  best candidate's (BM25 and cosine both have 0 as their floor), and the two added with weights
  (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", 2023). A keyword match that stands far
  above the rest keeps its lead even when the embedder missed it.
- "rrf": reciprocal-rank fusion (Cormack et al.), which uses ranks only and so favours chunks both sides rank
  moderately over one that a single side ranks first.

On the project's own evaluation the two tie; on Marlin's documentation convex fusion finds the answer first on more
questions (docs/retrieval.md, "Fusion"). Scores are in first-place units: a keyword side's best candidate is worth
1.0 in either fusion, so votes added downstream (copilot/qa/retrieval.py) mean the same in both. Metadata filters
(asset, document type, source) apply before ranking.
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
from index.config import FUSIONS
from index.manifest import Manifest
from index.normalize import tokenize, tokenize_query
from index.parents import PARENT_SCORINGS, ParentWindows
from index.records import Chunk, Hit
from index.rescore import Rescorer, RescoreVectors
from index.sections import SectionVectors, embed_sections, section_path
from index.troubleshooting import TroubleTable

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

RRF_K = 60  # the constant from Cormack et al.; damps the head of each ranking
# Convex fusion: weight of each side's max-normalised score. Dense at half the keyword side: chosen on corpus/eval and
# eval/marlin_qa.jsonl from 1.5, 1.0, 0.7 and 0.5 (docs/retrieval.md, "Fusion"); 0.5 and 0.7 were within a question
# or two.
DENSE_WEIGHT = 0.5
KEYWORD_WEIGHT = 1.0
# In convex fusion a chunk's dense side is its cosine over the best candidate's plus this times its section's cosine
# over the best section's (index/sections.py); a chunk with no section (no heading, or a log record) counts its own
# in its place. Equal weight (docs/retrieval.md, "Section vectors").
SECTION_WEIGHT = 1.0


class HybridIndex:
    """A loaded index: chunks, their FAISS vectors and a BM25 index, searchable with filters."""

    def __init__(self, chunks: list[Chunk], vectors: Any, embedder: Embeddings, manifest: Manifest,
                 location: Path | None = None, sections: SectionVectors | None = None,
                 troubles: TroubleTable | None = None, rescore_vectors: RescoreVectors | None = None,
                 parents: ParentWindows | None = None) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import
        self.chunks = chunks
        self.by_id = {c.chunk_id: c for c in chunks}
        self.position = {c.chunk_id: i for i, c in enumerate(chunks)}
        self.vectors = vectors
        self.embedder = embedder
        self.manifest = manifest
        self.location = location
        # FAISS row <-> chunk position, so filters are boolean masks and dense search never goes through langchain's
        # docstore (one lookup per hit: most of a filtered query's time when it did)
        self._row_of_position = np.full(len(chunks), -1, dtype=np.int64)
        self._position_of_row = np.full(vectors.index.ntotal, -1, dtype=np.int64)
        for row, chunk_id in vectors.index_to_docstore_id.items():
            if (position := self.position.get(chunk_id)) is not None:
                self._row_of_position[position] = row
                self._position_of_row[row] = position
        self._doc_types = np.array([c.doc_type for c in chunks], dtype=object)
        self.sections = sections if sections is not None else embed_sections(chunks, embedder)
        section_row = self.sections.row_of()
        self._section_of_position = np.array([section_row.get(section_path(c), -1) for c in chunks], dtype=np.int64)
        # troubleshooting rows (index/troubleshooting.py); an index written before they were extracted has none
        self.troubles = troubles if troubles is not None else TroubleTable((), np.zeros((0, 0), dtype=np.float32))
        self._query_cache: dict[str, np.ndarray] = {}
        self.rescore_vectors = rescore_vectors  # a re-scorer's stored chunk vectors (index/rescore.py), if any
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
        self.parents = parents if parents is not None and parents.parents else None  # index/parents.py
        if self.parents is not None:
            self._parent_bm25 = bm25s.BM25()
            self._parent_bm25.index([tokenize(p.context_text) or ["_empty_"] for p in self.parents.parents],
                                    show_progress=False)
            self._section_of_parent = np.array([section_row.get(section_path(p), -1) for p in self.parents.parents],
                                               dtype=np.int64)

    @classmethod
    def load(cls, index_dir: Path, embedder: Embeddings, embedder_id: str) -> HybridIndex:
        """Open the live generation of `index_dir`; refuse an index built with another embedder."""
        gen = layout.live_generation(index_dir)
        manifest = Manifest.load(gen)
        manifest.check_embedder(embedder_id, index_dir)
        sections = SectionVectors.load(gen)
        if sections is None:
            logger.warning("%s was built before section headings were embedded: embedding them now; run "
                           "`copilot index sync PATH...` once to store them", index_dir)
        troubles = TroubleTable.load(gen)
        if troubles is None:
            logger.warning("%s was built before troubleshooting rows were extracted: run `copilot index sync PATH...` "
                           "once so symptom questions can use them", index_dir)
        return cls(read_chunks(gen), store.load_store(gen, embedder), embedder, manifest, index_dir, sections,
                   troubles, RescoreVectors.load(gen), ParentWindows.load(gen))

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, query: str, k: int = 5, *, asset: str | None = None, doc_types: Iterable[str] | None = None,
               sources: Iterable[str] | None = None, where: Callable[[Chunk], bool] | None = None,
               mask: np.ndarray | None = None, candidates: int = 50, keyword_query: str | None = None,
               fusion: str = "convex", rescorer: Rescorer | None = None, rescore_weight: float = 0.0,
               parent_scoring: str = "none") -> list[Hit]:
        """Top-k chunks for `query`, the dense and keyword rankings fused by `fusion` ("convex" or "rrf").

        Filters: `asset` (chunks tagged with that asset), `doc_types`, `sources` (file names or paths), and any
        predicate `where`, or `mask` (a boolean array over `self.chunks`, from `mask_of`, for a filter used in several
        searches); all apply before ranking. `keyword_query`, when given, is what the keyword side matches
        instead of `query` (the question less words that are not content, such as "last" in "last time").
        `candidates` is the depth of each side's ranking; the fused ranking draws on both lists. A `rescorer` with a
        positive `rescore_weight` is a third side of the fusion: every candidate's score over the best candidate's,
        times the weight, is added to the fused score (index/rescore.py; it scores the whole union, so it wants the
        rescorer's vectors stored in the index).
        `parent_scoring` (an index built with `index.parent_words`, index/parents.py): the chunks found are grouped
        by parent window, each window scored by the same fusion on its own vector and BM25, and ranked by the larger
        ("max") or the mean ("mean") of that and its best chunk's fused score, or by the window's alone ("parent");
        the hits are then the windows, with their best chunk's cosine, keyword score and ranks. "none", or an index
        without parents: the chunks themselves.
        """
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if parent_scoring not in PARENT_SCORINGS:
            raise ValueError(f"parent_scoring must be one of {', '.join(PARENT_SCORINGS)}, got {parent_scoring!r}")
        if not self.chunks or not query.strip():
            return []
        allowed = self._filter(asset, doc_types, sources, where)
        if mask is not None:
            allowed = mask if allowed is None else allowed & mask
        vector = self.embed_query(query)
        dense = self.dense_ranking(vector, candidates, allowed)
        bm25 = self.keyword_scores(query if keyword_query is None else keyword_query)
        keyword = self._keyword_top(bm25, candidates, allowed)
        union = list(dict.fromkeys([cid for cid, _ in dense] + [cid for cid, _ in keyword]))
        cosines = dict(dense)
        missing = [cid for cid in union if cid not in cosines]
        if missing:  # found by keywords only: their cosines too (the abstention signal, and convex fusion)
            cosines |= dict(zip(missing, self.cosines(vector, missing), strict=True))
        keyword_score = {cid: score for cid in union if (score := float(bm25[self.position[cid]])) > 0}
        if fusion == "rrf":
            fused = _reciprocal_rank(dense, keyword)
        else:
            dense_side = _with_sections(union, cosines, self.section_cosines(vector, union))
            fused = _convex(union, dense_side, keyword_score)
        if rescorer is not None and rescore_weight > 0:
            third = rescorer.score(query, [self.by_id[cid] for cid in union])
            best = max(third, default=0.0)
            if best > 0:
                fused = {cid: fused[cid] + rescore_weight * max(x, 0.0) / best
                         for cid, x in zip(union, third, strict=True)}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        keyword_rank = {cid: r for r, (cid, _) in enumerate(keyword, start=1)}
        if parent_scoring != "none" and self.parents is not None:
            fused, shown = self._by_parent(query if keyword_query is None else keyword_query, vector, fused,
                                           parent_scoring)
        else:
            shown = {}
        hits = []
        for chunk_id in sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]:
            ranks = {side: rank[chunk_id] for side, rank in (("dense", dense_rank), ("keyword", keyword_rank))
                     if chunk_id in rank}
            hits.append(Hit(shown.get(chunk_id, self.by_id[chunk_id]), fused[chunk_id], cosines[chunk_id],
                            keyword_score.get(chunk_id), ranks))
        return hits

    def _by_parent(self, query: str, vector: np.ndarray, fused: dict[str, float],
                   scoring: str) -> tuple[dict[str, float], dict[str, Chunk]]:
        """One entry per parent window of the fused chunks, keyed by its best chunk's id: the combined score
        (`search`, parent_scoring) and the window to show in that chunk's place. A chunk with no parent stays as it
        is."""
        assert self.parents is not None
        row_of = self.parents.row_of_child
        best: dict[int, str] = {}
        out: dict[str, float] = {}
        for cid, score in sorted(fused.items(), key=lambda item: (-item[1], item[0])):
            row = row_of.get(cid)
            if row is None:
                out[cid] = score
            elif row not in best:
                best[row] = cid
        if not best:
            return out, {}
        rows = list(best)
        keys = [str(row) for row in rows]
        cosines = dict(zip(keys, (self.parents.vectors[rows] @ vector).tolist(), strict=True))
        section_rows = self._section_of_parent[rows]
        found = sorted({int(r) for r in section_rows if r >= 0})
        section_scores = (dict(zip(found, (self.sections.vectors[found] @ vector).tolist(), strict=True))
                          if found else {})
        sections = [section_scores[int(r)] if r >= 0 else None for r in section_rows]
        tokens = tokenize_query(query)
        bm25 = (np.asarray(self._parent_bm25.get_scores(tokens), dtype=float) if tokens
                else np.zeros(len(self.parents.parents)))
        keyword = {key: score for key, row in zip(keys, rows, strict=True) if (score := float(bm25[row])) > 0}
        window = _convex(keys, _with_sections(keys, cosines, sections), keyword)
        shown = {}
        for key, row in zip(keys, rows, strict=True):
            child, parent = fused[best[row]], window[key]
            out[best[row]] = (max(child, parent) if scoring == "max" else parent if scoring == "parent"
                              else (child + parent) / 2)
            shown[best[row]] = self.parents.parents[row]
        return out, shown

    def _filter(self, asset: str | None, doc_types: Iterable[str] | None, sources: Iterable[str] | None,
                where: Callable[[Chunk], bool] | None = None) -> np.ndarray | None:
        """The chunks the filters admit, as a boolean mask over chunk positions (None: no filter)."""
        if asset is None and doc_types is None and sources is None and where is None:
            return None
        allowed = np.ones(len(self.chunks), dtype=bool)
        if doc_types is not None:
            allowed &= np.isin(self._doc_types, list(doc_types))
        if asset is not None or sources is not None or where is not None:
            names = set(sources) if sources is not None else None
            for i in np.flatnonzero(allowed):  # the predicates only see chunks the cheap filters admitted
                c = self.chunks[i]
                allowed[i] = ((asset is None or asset.upper() in c.assets)
                              and (names is None or c.source in names or c.path in names)
                              and (where is None or where(c)))
        return allowed

    def mask_of(self, where: Callable[[Chunk], bool]) -> np.ndarray:
        """A boolean mask over `self.chunks` of the chunks `where` admits (for `search(mask=...)`)."""
        return np.fromiter((where(c) for c in self.chunks), dtype=bool, count=len(self.chunks))

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector; the last few are cached because one question is searched several ways."""
        vector = self._query_cache.get(query)
        if vector is None:
            vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query] = vector
        return vector

    def clear_query_cache(self) -> None:
        self._query_cache.clear()

    def dense_ranking(self, vector: np.ndarray, n: int,
                      allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine) best first, the n best of the chunks `allowed` admits (a mask over positions)."""
        rows_allowed = None
        if allowed is not None:
            rows_allowed = np.zeros(len(self._position_of_row), dtype=bool)
            rows_allowed[self._row_of_position[allowed & (self._row_of_position >= 0)]] = True
        rows, scores = store.search_rows(self.vectors, vector, n, rows_allowed)
        positions = self._position_of_row[rows]
        return [(self.chunks[p].chunk_id, float(s)) for p, s in zip(positions, scores, strict=True) if p >= 0]

    def keyword_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query`'s normalised tokens (zeros when it has none)."""
        tokens = tokenize_query(query)
        if not tokens:
            return np.zeros(len(self.chunks))
        return np.asarray(self.bm25.get_scores(tokens), dtype=float)

    def keyword_ranking(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25) best first, only chunks sharing at least one query token."""
        return self._keyword_top(self.keyword_scores(query), n, allowed)

    def _keyword_top(self, scores: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[str, float]]:
        matching = scores > 0
        if allowed is not None:
            matching &= allowed
        positions = np.flatnonzero(matching)
        best = positions[np.argsort(-scores[positions], kind="stable")[:n]]  # ties: in index order
        return [(self.chunks[p].chunk_id, float(scores[p])) for p in best]

    def cosines(self, vector: np.ndarray, chunk_ids: list[str]) -> list[float]:
        """Cosine similarity of a query vector to the given stored chunks (0.0 for a chunk with no vector)."""
        rows = [int(self._row_of_position[self.position[cid]]) for cid in chunk_ids]
        stored = [r for r in rows if r >= 0]
        if not stored:
            return [0.0] * len(rows)
        scores = dict(zip(stored, (store.vectors_of_rows(self.vectors, stored) @ vector).tolist(), strict=True))
        return [scores[r] if r >= 0 else 0.0 for r in rows]

    def section_cosines(self, vector: np.ndarray, chunk_ids: list[str]) -> list[float | None]:
        """Cosine of a query vector to each chunk's section heading path (None for a chunk with no heading)."""
        rows = [int(self._section_of_position[self.position[cid]]) for cid in chunk_ids]
        found = sorted({r for r in rows if r >= 0})
        if not found:
            return [None] * len(chunk_ids)
        scores = dict(zip(found, (self.sections.vectors[found] @ vector).tolist(), strict=True))
        return [scores[r] if r >= 0 else None for r in rows]

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
            "sections": len(self.sections.paths),
            "troubleshooting_rows": len(self.troubles.rows),
            "rescorer_vectors": self.manifest.rescorer,
            "troubleshooting_rows_by_source": self.troubles.counts(),
            "skipped": self.manifest.skipped,
            "updated": self.manifest.updated,
        }


def _reciprocal_rank(dense: list[tuple[str, float]], keyword: list[tuple[str, float]]) -> dict[str, float]:
    """Sum over the two rankings of (k + 1) / (k + rank): a first place is worth 1.0."""
    fused: dict[str, float] = {}
    for ranking in (dense, keyword):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + (RRF_K + 1) / (RRF_K + rank)
    return fused


def _with_sections(union: list[str], cosines: dict[str, float], sections: list[float | None]) -> dict[str, float]:
    """The dense side of convex fusion: a chunk's cosine over the best candidate's plus SECTION_WEIGHT times its
    section's cosine over the best section's; a chunk with no section counts its own in its place."""
    top_chunk = max((max(cosines[cid], 0.0) for cid in union), default=0.0) or 1.0
    top_section = max((max(x, 0.0) for x in sections if x is not None), default=0.0) or 1.0
    dense = {}
    for chunk_id, section in zip(union, sections, strict=True):
        own = max(cosines[chunk_id], 0.0) / top_chunk
        dense[chunk_id] = own + SECTION_WEIGHT * (own if section is None else max(section, 0.0) / top_section)
    return dense


def _convex(union: list[str], cosines: dict[str, float], keyword: dict[str, float]) -> dict[str, float]:
    """Weighted sum of each side's score over its best candidate's; a side with no positive score adds nothing."""
    top_cosine = max((cosines[cid] for cid in union), default=0.0)
    top_keyword = max(keyword.values(), default=0.0)
    fused = {}
    for chunk_id in union:
        dense = max(cosines[chunk_id], 0.0) / top_cosine if top_cosine > 0 else 0.0
        lexical = keyword.get(chunk_id, 0.0) / top_keyword if top_keyword > 0 else 0.0
        fused[chunk_id] = DENSE_WEIGHT * dense + KEYWORD_WEIGHT * lexical
    return fused
