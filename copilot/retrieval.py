"""Retriever: question -> numbered Passages from the hybrid index, with asset preference and a relevance floor.

With an asset given, that asset's manuals and logs are preferred but not exclusive: a pump question on P-101 should
still find the generic pump procedure when P-101's own records say nothing.
"""

from __future__ import annotations

from copilot.config import RetrievalConfig
from copilot.records import Passage
from index.records import Hit
from index.search import HybridIndex

ASSET_BONUS = 1.0 / 61  # one first-place RRF vote: enough to lift an asset's own passage over near ties


class Retriever:
    """Search the index and turn hits into numbered passages."""

    def __init__(self, index: HybridIndex, cfg: RetrievalConfig) -> None:
        self.index = index
        self.cfg = cfg

    def hits(self, query: str, *, asset: str | None = None, k: int | None = None) -> list[Hit]:
        """Fused hits, asset-preferred when an asset is given, best first (no relevance floor)."""
        k = k or self.cfg.top_k
        hits = self.index.search(query, k=max(k * 4, 20), candidates=self.cfg.candidates)
        if asset and self.cfg.asset_boost:
            own = self.index.search(query, k=k, asset=asset, candidates=self.cfg.candidates)
            merged = {h.chunk.chunk_id: h for h in hits}
            merged.update({h.chunk.chunk_id: h for h in own})

            def boosted(hit: Hit) -> float:
                return hit.score + (ASSET_BONUS if asset.upper() in hit.chunk.assets else 0.0)

            hits = sorted(merged.values(), key=lambda h: (-boosted(h), h.chunk.chunk_id))
        return hits[:k]

    def is_relevant(self, hit: Hit) -> bool:
        """Evidence only above the cosine floor; an exact keyword match (a code, a part number) gets some slack."""
        cosine = hit.dense if hit.dense is not None else 0.0
        if cosine >= self.cfg.min_score:
            return True
        return hit.ranks.get("keyword", 99) <= 2 and cosine >= self.cfg.min_score - 0.1

    def retrieve(self, query: str, *, asset: str | None = None,
                 k: int | None = None) -> tuple[list[Passage], list[Passage]]:
        """(relevant passages numbered [1]..[k], nearest passages regardless of the floor) in rank order."""
        hits = self.hits(query, asset=asset, k=k)
        relevant = [h for h in hits if self.is_relevant(h)]
        return ([to_passage(n, h) for n, h in enumerate(relevant, start=1)],
                [to_passage(n, h) for n, h in enumerate(hits, start=1)])

    def search(self, query: str, *, asset: str | None = None, k: int | None = None) -> list[Passage]:
        """Relevant passages numbered [1]..[k] in rank order; empty when nothing clears the floor."""
        return self.retrieve(query, asset=asset, k=k)[0]


def to_passage(n: int, hit: Hit) -> Passage:
    chunk = hit.chunk
    return Passage(
        n=n, chunk_id=chunk.chunk_id, text=chunk.text, source=chunk.source, path=chunk.path, page=chunk.page,
        section=chunk.section, score=hit.dense if hit.dense is not None else 0.0, doc_type=chunk.doc_type,
        assets=chunk.assets,
    )
