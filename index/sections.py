"""Section vectors: the embedding of every heading path, so a chunk is matched on its text and on where it sits.

"saving and loading the bed leveling mesh" names a section ("Automatic Bed Leveling > Saving and Loading") far better
than it paraphrases the section's text ("After a G29 the leveling data is only stored in RAM. Use M500 ..."), whose
cosine to the question is 0.52 where the heading path's is much higher. Technicians navigate manuals by their headings
and ask in the same words, so the dense side of the hybrid search scores a chunk by its own cosine plus its section's,
each over the best among the candidates (`index/search.py`). Each distinct heading path is embedded once per index (a
few hundred short strings for a manual set) and kept beside the chunks in `sections.npz`; a sync embeds only paths it
has not seen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.records import Chunk

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

SECTIONS_FILE = "sections.npz"


def section_path(chunk: Chunk) -> str:
    """What is embedded for a chunk's section: its heading path, document title first; "" for a chunk with no
    heading, and for a log or work-order record, whose path is its file, asset and date rather than a topic."""
    if chunk.kind == "record":
        return ""
    return " > ".join(h for h in chunk.headings if h)


@dataclass(frozen=True)
class SectionVectors:
    """Distinct heading paths and their normalised vectors, row for row."""

    paths: tuple[str, ...]
    vectors: np.ndarray  # float32, len(paths) x dimension

    def row_of(self) -> dict[str, int]:
        return {path: row for row, path in enumerate(self.paths)}

    def save(self, gen: Path) -> None:
        np.savez(gen / SECTIONS_FILE, paths=np.array(self.paths, dtype=str), vectors=self.vectors)

    @classmethod
    def load(cls, gen: Path) -> SectionVectors | None:
        """The generation's section vectors, or None for an index written before they existed."""
        file = gen / SECTIONS_FILE
        if not file.is_file():
            return None
        with np.load(file, allow_pickle=False) as data:
            return cls(tuple(str(p) for p in data["paths"]), np.asarray(data["vectors"], dtype=np.float32))


def embed_sections(chunks: Sequence[Chunk], embedder: Embeddings,
                   previous: SectionVectors | None = None) -> SectionVectors:
    """Vectors of every distinct heading path of `chunks`, reusing those `previous` already holds."""
    paths = tuple(sorted({p for c in chunks if (p := section_path(c))}))
    known = previous.row_of() if previous is not None else {}
    missing = [p for p in paths if p not in known]
    fresh = dict(zip(missing, embedder.embed_documents(missing), strict=True)) if missing else {}
    rows = [np.asarray(fresh[p], dtype=np.float32) if p in fresh else previous.vectors[known[p]]  # type: ignore[union-attr]
            for p in paths]
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)
    if missing:
        logger.info("embedded %d new section headings (%d kept)", len(missing), len(paths) - len(missing))
    return SectionVectors(paths, vectors)
