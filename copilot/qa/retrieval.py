"""Retriever: question -> numbered Passages, using what the question names (assets, codes, dates, history intent).

Manuals and records are ranked separately and merged, the side the question is about first: "what does E105 mean on
P-103" wants the pump manual's code table, not P-103's alarm log, though both mention E105. A named asset limits the
search to its own documents plus untagged general ones; another asset's records never answer for it. "Last time"
questions put the newest of the matching records first. Passages under the cosine floor are not evidence.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from copilot.config import RetrievalConfig
from copilot.qa.injection import has_instructions, without_instructions
from copilot.qa.query import QueryPlan, plan_query, without_recency
from copilot.qa.symptom_encoder import symptom_encoder_for
from copilot.qa.thresholds import THRESHOLDS
from copilot.qa.view import IndexView, dated_on, in_scope, to_passage
from copilot.records import Passage
from index.config import IndexConfig
from index.records import Chunk, Hit
from index.rescore import (
    BiEncoderRescorer,
    NoRescorer,
    Rescorer,
    canonical_rescorer,
    is_bi_encoder,
    make_rescorer,
    rerank,
)
from index.search import HybridIndex

SIDES = {"manual": ("manual", "table", "text"), "work_order": ("work_order",), "log": ("log",)}


def side_weights(plan: QueryPlan) -> dict[str, float]:
    """How much each kind of document counts for this question: the side it is about 1.0, the others less
    (copilot/qa/thresholds.py)."""
    if not plan.history:
        return dict(THRESHOLDS.manual_sides)
    if plan.events:  # "what was the reading", "when did it trip": the alarm log is the primary record
        return dict(THRESHOLDS.event_sides)
    return dict(THRESHOLDS.history_sides)


class Retriever:
    """Search the index with a query plan and turn hits into numbered passages."""

    def __init__(self, index: HybridIndex, cfg: RetrievalConfig, rescorer: Rescorer | None = None) -> None:
        self.index = index
        self.cfg = cfg
        self.rescorer: Rescorer = rescorer if rescorer is not None else NoRescorer()
        # what the answer routes read of the index (copilot/qa/view.py), without text addressed to the model
        steered = frozenset(c.chunk_id for c in index.chunks if has_instructions(c.text))
        chunks = [replace(c, text=without_instructions(c.text)) if c.chunk_id in steered else c for c in index.chunks]
        symptom_embed = (symptom_encoder_for(cfg.symptom_encoder, index.manifest.embedder)
                         if index.troubles.rows else None)
        self.view = IndexView(chunks, index.idf, index.troubles, index.embed_query, steered,
                              index.parents.parents if index.parents is not None else (), symptom_embed)
        self.known_assets = {a for c in index.chunks for a in c.assets}
        self._scope_masks: dict[frozenset[str], np.ndarray] = {}

    def plan(self, query: str, asset: str | None = None) -> QueryPlan:
        plan = plan_query(query, self.known_assets)
        if asset and asset.upper() not in plan.assets:
            plan = replace(plan, assets=(asset.upper(), *plan.assets))
        return plan

    def hits(self, query: str, *, asset: str | None = None, k: int | None = None) -> list[Hit]:
        """Fused hits for the question, best first (no relevance floor); re-scored when a rescorer is configured."""
        k = k or self.cfg.top_k
        rescoring = self.rescorer.name != "none" and self.cfg.rescore_weight > 0
        fusion_stage = rescoring and self.cfg.rescore_stage == "fusion"
        wanted = max(k, self.cfg.rescore_depth) if rescoring and not fusion_stage else k
        plan = self.plan(query, asset)
        scope = set(plan.assets) if self.cfg.asset_scope else set()
        # "on 7 May 2025": when that day has records (of the named assets), the records searched are that day's
        days = plan.days if plan.history and plan.days and self.view.has_records(plan.assets, plan.days) else ()

        depth = max(wanted * 3, 12)
        in_scope = self._scope_mask(frozenset(scope)) if scope else None
        on_days = self.index.mask_of(partial(dated_on, dates=days)) if days else None
        records = on_days if in_scope is None else in_scope if on_days is None else in_scope & on_days
        scored: dict[str, tuple[float, Hit]] = {}
        for side, weight in side_weights(plan).items():
            recency = plan.recency and side != "manual"
            hits = self.index.search(query, k=depth, doc_types=SIDES[side], candidates=self.cfg.candidates,
                                     mask=in_scope if side == "manual" else records,
                                     keyword_query=without_recency(query) if recency else None,
                                     fusion=self.cfg.fusion, rescorer=self.rescorer if fusion_stage else None,
                                     rescore_weight=self.cfg.rescore_weight, parent_scoring=self.cfg.parent_scoring)
            if recency:
                hits = _newest_first(hits)
            for rank, hit in enumerate(hits):
                newest = THRESHOLDS.vote / (rank + 2) if recency else 0.0  # "last time": the newest-first order
                score = weight * (hit.score + _bonus(hit.chunk, plan)) + newest
                scored[hit.chunk.chunk_id] = (score, hit)
        ordered = sorted(scored.values(), key=lambda sh: (-sh[0], sh[1].chunk.chunk_id))
        seen: set[str] = set()
        unique = []
        for score, hit in ordered:  # the same text indexed from two places fills the context only once
            if hit.chunk.text not in seen:
                seen.add(hit.chunk.text)
                unique.append(replace(hit, score=score))
        if rescoring and not fusion_stage:
            unique = rerank(query, unique[:wanted], self.rescorer, self.cfg.rescore_weight, self.cfg.rescore_depth)
        return unique[:k]

    def _scope_mask(self, scope: frozenset[str]) -> np.ndarray:
        """Which chunks answer for the named assets (theirs or general); kept, as questions keep naming the same."""
        mask = self._scope_masks.get(scope)
        if mask is None:
            if len(self._scope_masks) >= 256:
                self._scope_masks.clear()
            mask = self._scope_masks[scope] = self.index.mask_of(partial(in_scope, scope=scope))
        return mask

    def is_relevant(self, hit: Hit) -> bool:
        """Evidence only above the cosine floor; an exact keyword match (a code, a part number) gets some slack."""
        cosine = hit.dense if hit.dense is not None else 0.0
        if cosine >= self.cfg.min_score:
            return True
        return (hit.ranks.get("keyword", 99) <= THRESHOLDS.keyword_rank
                and cosine >= self.cfg.min_score - THRESHOLDS.keyword_slack)

    def retrieve(self, query: str, *, asset: str | None = None,
                 k: int | None = None) -> tuple[list[Passage], list[Passage]]:
        """(relevant passages numbered [1]..[k], nearest passages regardless of the floor) in rank order."""
        hits = self.hits(query, asset=asset, k=k)
        relevant = [h for h in hits if self.is_relevant(h)]
        return ([to_passage(n, h) for n, h in enumerate(relevant, start=1)],
                [to_passage(n, h) for n, h in enumerate(hits, start=1)])

    def relevant(self, query: str, *, asset: str | None = None, k: int | None = None) -> list[Passage]:
        """Relevant passages numbered [1]..[k] in rank order; empty when nothing clears the floor."""
        return self.retrieve(query, asset=asset, k=k)[0]


def _bonus(chunk: Chunk, plan: QueryPlan) -> float:
    """Votes for a chunk holding a named fault code (two for the code table row defining it), one for a record
    on a named date."""
    bonus = 0.0
    for code in plan.codes:
        if re.search(rf"\b{code}\b", chunk.text):
            bonus += THRESHOLDS.vote
            if plan.meaning and re.search(rf"^\|?\s*{code}\s*\|", chunk.text, re.MULTILINE):
                bonus += THRESHOLDS.vote  # the code table row that defines it
    if dated_on(chunk, plan.dates):
        bonus += THRESHOLDS.vote
    return bonus


def _newest_first(hits: list[Hit]) -> list[Hit]:
    """Among records that match the question's words nearly as well as the best one (`recent_keyword_share` of its
    keyword score), the newest first.

    Closeness is judged on the keyword score, which separates "PM 4000H" from "PM 2000H" where the fused rank
    cannot; hits the keyword side did not find keep their order after the close group.
    """
    if not hits:
        return hits
    best = max((h.keyword or 0.0) for h in hits)
    if best <= 0:
        return hits
    close = [h for h in hits if (h.keyword or 0.0) >= THRESHOLDS.recent_keyword_share * best]
    rest = [h for h in hits if (h.keyword or 0.0) < THRESHOLDS.recent_keyword_share * best]
    close.sort(key=lambda h: (h.chunk.date or "", h.score), reverse=True)
    return close + rest


def load_rescorer(index: HybridIndex, cfg: RetrievalConfig, index_cfg: IndexConfig,
                  reuse: Rescorer | None = None) -> Rescorer:
    """The configured rescorer for this index: a bi-encoder reads the candidate vectors the index stores for it, and
    an index storing another model's vectors is refused. `reuse` (the rescorer of the index this one replaces) keeps
    its loaded model.

    Raises:
        IndexMismatchError: the index stores another re-scorer's vectors.
        EmbedderLoadError: the re-scoring model cannot be found offline.
    """
    from index.embeddings import make_embedder

    name = canonical_rescorer(cfg.rescorer)
    index.manifest.check_rescorer(name, index.location or Path("(in memory)"))
    stored = index.rescore_vectors
    if stored is not None and stored.model != name:
        stored = None  # another model's vectors, with a rescorer that needs none (check_rescorer refused the rest)
    if reuse is not None and reuse.name == name:
        if isinstance(reuse, BiEncoderRescorer):
            return BiEncoderRescorer(reuse.encoder, name, stored)
        if not is_bi_encoder(name):
            return reuse
    return make_rescorer(name, stored, load_encoder=lambda model: make_embedder(
        model, index_cfg.embed_batch_size, None, index_cfg.embed_precision, index_cfg.embed_backend))
