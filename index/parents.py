"""Parent windows (small-to-big): small chunks are matched, a larger window around each is scored beside it.

With `index.parent_words` set (0, the default, stores none), every document is chunked twice by the same rules
(`index/chunking.py`): into the chunks that are embedded and searched (`chunk_words`) and into windows of
`parent_words`. A window never spans two sections or two pages either, so each chunk's parent is the window of its own
section and page that shares most of its words, and a parent carries its chunks' page and section: a hit judged on
the parent is judged on the page its matched chunk came from. The parents and their vectors are kept beside the
chunks (`parents.jsonl`, `parents.npy`); how search uses them is `retrieval.parent_scoring` (index/search.py). What
was measured, and why it is not the default: docs/retrieval.md, "Granularity on real documents".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.records import Chunk, Document

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from index.config import IndexConfig

PARENTS_FILE = "parents.jsonl"
PARENT_VECTORS_FILE = "parents.npy"
PARENT_SCORINGS = ("none", "max", "mean", "parent")  # retrieval.parent_scoring (index/search.py)


def _place(chunk: Chunk) -> tuple[str, tuple[str, ...], int | None, str | None]:
    """Where a chunk sits: file, heading path, page, and the record (its date) for log and work-order records."""
    return chunk.path, chunk.headings, chunk.page, chunk.date if chunk.kind == "record" else None


def split_parents(doc: Document, chunks: Sequence[Chunk], cfg: IndexConfig) -> list[tuple[Chunk, tuple[str, ...]]]:
    """The parent windows of one document's `chunks`, each with the ids of its chunks (pure).

    Every chunk gets exactly one parent: the `parent_words` window of the same file, heading path and page that
    shares most words with it (the first such, on a tie). A window no chunk maps to is dropped; a chunk with no
    window in its place (not expected: both cuttings follow the same rules) is its own parent.
    """
    from index.chunking import split_document

    windows = split_document(doc, replace(cfg, chunk_words=cfg.parent_words, parent_words=0))
    by_place: dict[tuple[str, tuple[str, ...], int | None, str | None], list[int]] = {}
    for i, window in enumerate(windows):
        by_place.setdefault(_place(window), []).append(i)
    bags = [Counter(w.text.split()) for w in windows]
    children: dict[int, list[str]] = {}
    own: list[tuple[Chunk, tuple[str, ...]]] = []
    for chunk in chunks:
        candidates = by_place.get(_place(chunk), [])
        if not candidates:
            own.append((chunk, (chunk.chunk_id,)))
            continue
        words = Counter(chunk.text.split())
        best = max(candidates, key=lambda i: (sum((words & bags[i]).values()), -i))
        children.setdefault(best, []).append(chunk.chunk_id)
    return [(windows[i], tuple(ids)) for i, ids in sorted(children.items())] + own


@dataclass(frozen=True)
class ParentWindows:
    """The parent windows of an index, their chunks' ids and their vectors, row for row."""

    parents: tuple[Chunk, ...]
    children: tuple[tuple[str, ...], ...]
    vectors: np.ndarray  # float32, len(parents) x dimension (normalised, as the chunks')

    @cached_property
    def row_of_child(self) -> dict[str, int]:
        """Chunk id -> its parent's row."""
        return {cid: row for row, ids in enumerate(self.children) for cid in ids}

    def lookup(self) -> dict[str, np.ndarray]:
        """Parent id -> vector, for reuse by a sync."""
        return {p.chunk_id: self.vectors[row] for row, p in enumerate(self.parents)}

    def save(self, gen: Path) -> None:
        with open(gen / PARENTS_FILE, "w", encoding="utf-8") as handle:
            for parent, ids in zip(self.parents, self.children, strict=True):
                handle.write(json.dumps({"chunk": parent.to_dict(), "children": list(ids)}, ensure_ascii=False) + "\n")
        np.save(gen / PARENT_VECTORS_FILE, self.vectors)

    @classmethod
    def load(cls, gen: Path) -> ParentWindows | None:
        """The generation's parent windows, or None for an index built without them."""
        if not (gen / PARENTS_FILE).is_file():
            return None
        parents, children = [], []
        with open(gen / PARENTS_FILE, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    data = json.loads(line)
                    parents.append(Chunk.from_dict(data["chunk"]))
                    children.append(tuple(data["children"]))
        vectors = np.load(gen / PARENT_VECTORS_FILE, allow_pickle=False).astype(np.float32)
        return cls(tuple(parents), tuple(children), vectors)


def embed_parents(pairs: Sequence[tuple[Chunk, tuple[str, ...]]], embedder: Embeddings,
                  previous: ParentWindows | None = None) -> ParentWindows:
    """Parent windows with vectors of their context text (heading path and text, as chunks are embedded); a window
    whose id `previous` holds keeps its vector."""
    known = previous.lookup() if previous is not None else {}
    missing = list(dict.fromkeys(p.context_text for p, _ in pairs if p.chunk_id not in known))
    fresh = dict(zip(missing, embedder.embed_documents(missing), strict=True)) if missing else {}
    rows = [known[p.chunk_id] if p.chunk_id in known else np.asarray(fresh[p.context_text], dtype=np.float32)
            for p, _ in pairs]
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)
    return ParentWindows(tuple(p for p, _ in pairs), tuple(ids for _, ids in pairs), vectors)
