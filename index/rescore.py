"""Re-scoring: a second relevance model over the first stage's best candidates (query + candidates -> scores).

MiniLM + BM25 put the gold section in the top five for most real questions but often under a sibling at rank 2-5
(docs/retrieval.md, "A second, blind Marlin set"). A stronger model is too slow to rank every chunk on a CPU, but not
to score the few dozen the first stage keeps. This module is that stage, as a seam of its own:

- `Rescorer` is the contract: `score(query, candidates)` returns one number per candidate, higher is better, with 0 as
  the floor (a cosine below 0 or a cross-encoder's sigmoid), so the stage can divide by the best candidate's score and
  add it to the first stage's in the same "first place" units as the fusion (index/search.py).
- `BiEncoderRescorer`: any sentence-transformers embedder (all-mpnet-base-v2 by the short name `mpnet`). Candidate
  vectors come from the index when it stores them (`index.rescorer_vectors`, written at ingest into `rescore.npz`),
  else they are computed at query time and kept in memory.
- `CrossEncoderRescorer`: a local sentence-transformers CrossEncoder folder (`cross-encoder:PATH`, or a folder whose
  config names a *ForSequenceClassification model). None ships offline today; pointing the config at one is enough.

`rerank` mixes the scores into the first stage's ranking. Which rescorer, how deep and at what weight is
`retrieval.rescorer` / `rescore_depth` / `rescore_weight` (copilot/config.py); the measurements are in
docs/retrieval.md, "Re-scoring".
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.embeddings import canonical_embedder
from index.errors import EmbedderLoadError, IndexMismatchError
from index.records import Chunk, Hit

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

NONE = "none"
CROSS_ENCODER_PREFIX = "cross-encoder:"
RESCORE_FILE = "rescore.npz"


class Rescorer(Protocol):
    """Scores candidates for a query: one float per candidate, higher is better, 0 the floor."""

    name: str  # what an index manifest's stored vectors are compared with ("none" for no model)

    def score(self, query: str, candidates: list[Chunk]) -> list[float]: ...


def canonical_rescorer(name: str | None) -> str:
    """`none`, `cross-encoder:<path>`, or a bi-encoder's full id (short names as for embedders: mpnet -> full id)."""
    if name is None or not name.strip() or name.strip().lower() in (NONE, "off", "false"):
        return NONE
    name = name.strip()
    if name.lower().startswith(CROSS_ENCODER_PREFIX):
        return CROSS_ENCODER_PREFIX + name[len(CROSS_ENCODER_PREFIX):].strip()
    if _is_cross_encoder_folder(Path(name).expanduser()):
        return CROSS_ENCODER_PREFIX + name
    return canonical_embedder(name)


def is_bi_encoder(name: str) -> bool:
    """Whether a canonical rescorer name is an embedder, whose candidate vectors an index can store."""
    return name != NONE and not name.startswith(CROSS_ENCODER_PREFIX)


def _is_cross_encoder_folder(folder: Path) -> bool:
    """A local transformers folder with a sequence-classification head (what sentence-transformers' CrossEncoder
    saves); an embedder folder has a plain encoder."""
    config = folder / "config.json"
    if not config.is_file():
        return False
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError):
        return False
    return any(str(a).endswith("ForSequenceClassification") for a in architectures)


def text_key(chunk: Chunk) -> str:
    """What a stored vector is checked against: the hash of the text the rescorer embeds."""
    return hashlib.sha1(chunk.context_text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class RescoreVectors:
    """One bi-encoder's vectors of an index's chunks, stored beside them (`rescore.npz`), row for row with `ids`."""

    model: str
    ids: tuple[str, ...]
    keys: tuple[str, ...]  # text_key of each chunk when it was embedded
    vectors: np.ndarray  # float32, len(ids) x dimension, L2-normalised

    def lookup(self) -> dict[str, tuple[str, int]]:
        return {cid: (key, row) for row, (cid, key) in enumerate(zip(self.ids, self.keys, strict=True))}

    def save(self, gen: Path) -> None:
        np.savez(gen / RESCORE_FILE, model=np.array(self.model), ids=np.array(self.ids, dtype=str),
                 keys=np.array(self.keys, dtype=str), vectors=self.vectors.astype(np.float32))

    @classmethod
    def load(cls, gen: Path) -> RescoreVectors | None:
        file = gen / RESCORE_FILE
        if not file.is_file():
            return None
        with np.load(file, allow_pickle=False) as data:
            return cls(str(data["model"]), tuple(str(i) for i in data["ids"]), tuple(str(k) for k in data["keys"]),
                       np.asarray(data["vectors"], dtype=np.float32))


def embed_rescore_vectors(chunks: Sequence[Chunk], encoder: Embeddings, model: str,
                          previous: RescoreVectors | None = None, batch: int = 256) -> RescoreVectors:
    """Vectors of every chunk's context text by `encoder`, reusing `previous` rows of the same model and text."""
    known = previous.lookup() if previous is not None and previous.model == model else {}
    keys = [text_key(c) for c in chunks]
    missing = [i for i, (c, key) in enumerate(zip(chunks, keys, strict=True)) if known.get(c.chunk_id, ("",))[0] != key]
    order = sorted(missing, key=lambda i: len(chunks[i].context_text))  # similar lengths batch with little padding
    fresh: dict[int, np.ndarray] = {}
    for start in range(0, len(order), batch):
        part = order[start:start + batch]
        embedded = encoder.embed_documents([chunks[i].context_text for i in part])
        fresh.update(zip(part, np.asarray(embedded, dtype=np.float32), strict=True))
    if chunks and previous is not None:
        rows = [fresh[i] if i in fresh else previous.vectors[known[c.chunk_id][1]] for i, c in enumerate(chunks)]
    else:
        rows = [fresh[i] for i in range(len(chunks))]
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)
    logger.info("re-scorer %s: embedded %d chunks (%d kept)", model, len(missing), len(chunks) - len(missing))
    return RescoreVectors(model, tuple(c.chunk_id for c in chunks), tuple(keys), vectors)


class NoRescorer:
    """The first stage's order as it is."""

    name = NONE

    def score(self, query: str, candidates: list[Chunk]) -> list[float]:
        return [0.0] * len(candidates)


class BiEncoderRescorer:
    """Cosine of the query to each candidate by a (stronger) sentence embedder.

    Candidates' vectors are read from `stored` when it holds the chunk with the same text, else embedded now and kept
    (up to `cache_size` chunks), so a question asked several ways pays for each passage once.
    """

    def __init__(self, encoder: Embeddings, name: str, stored: RescoreVectors | None = None,
                 cache_size: int = 20_000) -> None:
        if stored is not None and stored.model != name:
            raise IndexMismatchError(f"stored re-scorer vectors are {stored.model!r}, not {name!r}")
        self.encoder = encoder
        self.name = name
        self.stored = stored
        self._stored = stored.lookup() if stored is not None else {}
        self._cache: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}
        self.cache_size = cache_size
        self.embedded = 0  # candidates embedded at query time (the cost stored vectors save)

    def vectors(self, candidates: list[Chunk]) -> np.ndarray:
        """One normalised vector per candidate."""
        out: list[np.ndarray | None] = []
        todo: list[int] = []
        for i, chunk in enumerate(candidates):
            key = text_key(chunk)
            found = self._stored.get(chunk.chunk_id)
            if found is not None and found[0] == key and self.stored is not None:
                out.append(self.stored.vectors[found[1]])
            elif (cached := self._cache.get(key)) is not None:
                out.append(cached)
            else:
                out.append(None)
                todo.append(i)
        if todo:
            embedded = np.asarray(self.encoder.embed_documents([candidates[i].context_text for i in todo]),
                                  dtype=np.float32)
            self.embedded += len(todo)
            if len(self._cache) + len(todo) > self.cache_size:
                self._cache.clear()
            for i, vector in zip(todo, embedded, strict=True):
                out[i] = vector
                self._cache[text_key(candidates[i])] = vector
        filled = [v for v in out if v is not None]  # every row is filled by now
        return np.vstack(filled) if filled else np.zeros((0, 0), dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget the vectors computed at query time (an evaluation times each variant from cold)."""
        self._cache.clear()
        self._queries.clear()
        self.embedded = 0

    def query_vector(self, query: str) -> np.ndarray:
        vector = self._queries.get(query)
        if vector is None:
            if len(self._queries) >= 256:
                self._queries.clear()
            vector = self._queries[query] = np.asarray(self.encoder.embed_query(query), dtype=np.float32)
        return vector

    def score(self, query: str, candidates: list[Chunk]) -> list[float]:
        if not candidates:
            return []
        cosines = self.vectors(candidates) @ self.query_vector(query)
        return [max(float(c), 0.0) for c in cosines]


class CrossEncoderRescorer:
    """A cross-encoder reads the query and each candidate together: one relevance probability per pair."""

    def __init__(self, model: Any, name: str, batch_size: int = 16) -> None:
        self.model = model  # anything with sentence-transformers' CrossEncoder.predict(pairs, ...)
        self.name = name
        self.batch_size = batch_size

    def score(self, query: str, candidates: list[Chunk]) -> list[float]:
        if not candidates:
            return []
        scores = np.asarray(self.model.predict([(query, c.context_text) for c in candidates],
                                               batch_size=self.batch_size, show_progress_bar=False), dtype=np.float64)
        if scores.ndim == 2:  # a two-label head: the "relevant" column
            scores = scores[:, -1]
        if scores.min() < 0 or scores.max() > 1:  # logits: squash, so 0 is the floor as the contract says
            scores = 1.0 / (1.0 + np.exp(-scores))
        return [float(s) for s in scores]


def load_cross_encoder(path: str, device: str | None = None) -> Any:
    """sentence-transformers' CrossEncoder from a local folder (no hub)."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise EmbedderLoadError(f"cross-encoder {path!r} not found: give a local folder of a sentence-transformers "
                                "CrossEncoder model (retrieval.rescorer: cross-encoder:PATH)")
    try:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(str(folder), device=device or "cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise EmbedderLoadError(f"cross-encoder at {folder} failed to load: {exc}") from exc


def make_rescorer(name: str, stored: RescoreVectors | None = None,
                  load_encoder: Callable[[str], Embeddings] | None = None,
                  load_cross: Callable[[str], Any] = load_cross_encoder) -> Rescorer:
    """The configured rescorer. A bi-encoder uses `stored` vectors of the same model; another model's are refused.

    Raises:
        IndexMismatchError: the index stores vectors of another model than the configured bi-encoder.
        EmbedderLoadError: the model cannot be found offline.
    """
    name = canonical_rescorer(name)
    if name == NONE:
        return NoRescorer()
    if name.startswith(CROSS_ENCODER_PREFIX):
        return CrossEncoderRescorer(load_cross(name[len(CROSS_ENCODER_PREFIX):]), name)
    if stored is not None and stored.model != name:
        raise IndexMismatchError(
            f"the index stores re-scorer vectors of {stored.model!r}, but retrieval.rescorer is {name!r}: set "
            f"retrieval.rescorer to {stored.model!r}, or rebuild the index with index.rescorer_vectors: {name}")
    if load_encoder is None:
        from index.embeddings import make_embedder

        load_encoder = make_embedder
    return BiEncoderRescorer(load_encoder(name), name, stored)


def rerank(query: str, hits: list[Hit], rescorer: Rescorer, weight: float, depth: int) -> list[Hit]:
    """The first `depth` hits re-sorted by their score plus `weight` x the rescorer's score over the best candidate's;
    the hits beyond `depth` follow in their order. With weight 0 or no rescorer the order is unchanged."""
    if weight <= 0 or rescorer.name == NONE or not hits:
        return hits
    head, tail = hits[:depth], hits[depth:]
    scores = rescorer.score(query, [h.chunk for h in head])
    best = max(scores, default=0.0)
    if best <= 0:
        return hits
    mixed = [replace(h, score=h.score + weight * max(s, 0.0) / best) for h, s in zip(head, scores, strict=True)]
    mixed.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
    return mixed + tail
