"""IndexView: what the answer routes may read of the index, and nothing else (no search, no vectors).

The routes need the chunks in document order, the keyword side's idf (to weigh a question's key terms), the chunks of
a section (a procedure's steps, a cited section's safety notices), the records (counting) and the fault-code rows.
Built once per index by the `Retriever`; the section look-ups are mapped on first use and kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from copilot.qa import extractive
from copilot.qa.injection import has_instructions, without_instructions
from copilot.qa.trust import RECORD_TYPES, trust_of
from copilot.records import Passage
from index.normalize import tokenize
from index.records import Chunk, Hit
from index.troubleshooting import TroubleTable

MANUAL_TYPES = ("manual", "table", "text")


@dataclass(frozen=True, eq=False)
class IndexView:
    """A read-only view of one index generation for the answer routes."""

    chunks: Sequence[Chunk]  # in index (document) order
    idf: Mapping[str, float]  # keyword idf of every token in the index
    troubles: TroubleTable = field(default_factory=lambda: TroubleTable((), np.zeros((0, 0), dtype=np.float32)))
    embed: Callable[[str], np.ndarray] | None = None  # the index's query embedder (cached), for matching rows
    steered: frozenset[str] = frozenset()  # chunks whose text addressed the model, cut out (copilot/qa/injection.py)
    parents: Sequence[Chunk] = ()  # parent windows (index/parents.py), which search may return in their chunks' place
    # the symptom encoder (copilot/qa/symptom_encoder.py): a question -> its tuned vector, in the rows' space; None
    # when off, or when it returns None (it failed to load)
    symptom_embed: Callable[[str], np.ndarray | None] | None = None

    @cached_property
    def steered_rows(self) -> frozenset[int]:
        """Troubleshooting rows whose text addresses the model: never listed as a cause."""
        return frozenset(i for i, r in enumerate(self.troubles.rows)
                         if has_instructions(f"{r.symptom}\n{r.cause}\n{r.check}\n{r.remedy}"))

    @cached_property
    def asset_types(self) -> dict[str, str]:
        """Asset id -> its type, as the work orders record it ("P-101" -> "centrifugal_pump")."""
        types: dict[str, str] = {}
        for chunk in self.records:
            kind = chunk.fields.get("asset_type")
            for asset in chunk.assets:
                if kind:
                    types.setdefault(asset, kind)
        return types

    @cached_property
    def records(self) -> tuple[Chunk, ...]:
        """Work-order and log records, in index order."""
        return tuple(c for c in self.chunks if c.doc_type in RECORD_TYPES)

    @cached_property
    def _by_id(self) -> dict[str, Chunk]:
        return {c.chunk_id: c for c in (*self.parents, *self.chunks)}

    @cached_property
    def _positions_of_section(self) -> dict[tuple[str, str | None], list[int]]:
        positions: dict[tuple[str, str | None], list[int]] = defaultdict(list)
        for position, chunk in enumerate(self.chunks):
            positions[(chunk.source, chunk.section)].append(position)
        return dict(positions)

    @cached_property
    def _steps_sections(self) -> dict[tuple[str, tuple[str, ...]], tuple[Chunk, ...]]:
        members: dict[tuple[str, tuple[str, ...]], list[Chunk]] = defaultdict(list)
        for chunk in self.chunks:
            if chunk.kind != "record" and chunk.headings:
                members[(chunk.path, chunk.headings)].append(chunk)
        return {key: tuple(chunks) for key, chunks in members.items()}

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    def section_chunks(self, chunk: Chunk) -> tuple[Chunk, ...]:
        """The non-record chunks under the same heading path of the same file as `chunk`, in document order."""
        return self._steps_sections.get((chunk.path, chunk.headings), ())

    def section_texts(self, sections: Set[tuple[str, str | None]]) -> list[str]:
        """The texts of every chunk in the given (source, section) pairs, in index order."""
        positions = sorted(p for key in sections for p in self._positions_of_section.get(key, ()))
        return [self.chunks[p].text for p in positions]

    def section_chunk(self, reference: str, words: str) -> Chunk | None:
        """The chunk of a referenced manual section ("pump.md#6.6") that shares most words with `words`."""
        source, _, number = reference.partition("#")
        if not number:
            return None
        wanted = set(tokenize(words))
        found = [c for c in self.chunks if c.source == source and c.section
                 and (c.section == number or c.section.startswith(f"{number} "))]
        return max(found, key=lambda c: len(wanted & set(tokenize(c.text))), default=None)

    def code_rows(self, codes: Sequence[str], assets: Sequence[str] = ()) -> list[tuple[str, Passage]]:
        """For each code, its defining fault-code table row, from the named assets' manuals when assets are named."""
        scope = set(assets)
        found: list[tuple[str, Passage]] = []
        for code in codes:
            candidates = [c for c in self.chunks if c.doc_type in MANUAL_TYPES and code in c.text
                          and in_scope(c, scope)]
            passages = [to_passage(len(found) + 1, Hit(c, 0.0, 1.0)) for c in candidates]
            row = extractive.code_row(code, passages)
            if row is not None:
                found.append(row)
        return found

    def has_records(self, assets: Sequence[str], dates: Sequence[str]) -> bool:
        """Whether any work order or log record of the named assets falls on the named dates."""
        scope = set(assets)
        return any(dated_on(c, dates) and (not scope or scope & set(c.assets)) for c in self.records)


def in_scope(chunk: Chunk, scope: Set[str]) -> bool:
    """A chunk answers for the named assets when it is theirs or general (tagged with no asset)."""
    return not scope or not chunk.assets or bool(scope & set(chunk.assets))


def dated_on(chunk: Chunk, dates: Sequence[str]) -> bool:
    """A record whose date falls on one of `dates` (ISO prefixes: "2024", "2025-05-07")."""
    return bool(chunk.date) and any(str(chunk.date).startswith(d) for d in dates)


def to_passage(n: int, hit: Hit) -> Passage:
    """A hit as the model and the citations see it, numbered [n]."""
    chunk = hit.chunk
    return Passage(
        n=n, chunk_id=chunk.chunk_id, text=without_instructions(chunk.text), source=chunk.source, path=chunk.path,
        page=chunk.page, section=chunk.section, score=hit.dense if hit.dense is not None else 0.0,
        doc_type=chunk.doc_type, assets=chunk.assets, page_label=chunk.page_label,
        trust=trust_of(chunk.path, chunk.doc_type),
    )
