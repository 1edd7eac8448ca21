"""The FAISS vector store on disk: the only module that imports langchain_community.

Vectors are L2-normalised and searched by inner product, so scores are cosine similarities (langchain's
`*_with_relevance_scores` inverts them for inner product, langchain-community#427: never call it here).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


def _faiss_class() -> Any:
    with warnings.catch_warnings():  # langchain-community warns on import that it is being sunset
        warnings.simplefilter("ignore")
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy
    return FAISS, DistanceStrategy


def new_store(embedder: Embeddings, dimension: int) -> Any:
    """An empty inner-product store of the given dimension."""
    import faiss
    from langchain_community.docstore.in_memory import InMemoryDocstore

    cls, strategy = _faiss_class()
    return cls(
        embedding_function=embedder,
        index=faiss.IndexFlatIP(dimension),
        docstore=InMemoryDocstore(),
        index_to_docstore_id={},
        distance_strategy=strategy.MAX_INNER_PRODUCT,
    )


def add_vectors(store: Any, ids: Sequence[str], texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
    """Add pre-computed vectors under the given chunk ids."""
    if ids:
        store.add_embeddings(list(zip(texts, vectors, strict=True)), metadatas=[{"chunk_id": i} for i in ids],
                             ids=list(ids))


def remove_ids(store: Any, ids: Sequence[str]) -> None:
    """Remove chunk ids from the store (ids not present are ignored)."""
    stored = set(store.index_to_docstore_id.values())
    present = [i for i in ids if i in stored]
    if present:
        store.delete(present)


def get_vectors(store: Any, ids: Sequence[str]) -> dict[str, list[float]]:
    """Stored vectors of the given chunk ids (those present), reconstructed from the FAISS index."""
    if not ids:
        return {}
    row_of = {cid: row for row, cid in store.index_to_docstore_id.items()}
    present = [cid for cid in ids if cid in row_of]
    if not present:
        return {}
    vectors = vectors_of_rows(store, [row_of[cid] for cid in present])
    return {cid: vector.tolist() for cid, vector in zip(present, vectors, strict=True)}


def save_store(store: Any, folder: Path) -> None:
    store.save_local(str(folder))


def load_store(folder: Path, embedder: Embeddings) -> Any:
    """Load a store written by `save_store`."""
    cls, strategy = _faiss_class()
    # allow_dangerous_deserialization unpickles index.pkl: only ever called on an index directory this program wrote
    # (the caller has checked its manifest first).
    return cls.load_local(str(folder), embedder, allow_dangerous_deserialization=True,
                          distance_strategy=strategy.MAX_INNER_PRODUCT)


def search_rows(store: Any, vector: Sequence[float] | Any, k: int,
                allowed_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(FAISS rows, cosines) of the top-k vectors, best first, searched in FAISS itself (not through langchain's
    docstore, whose per-hit lookups cost more than the search); `allowed_rows`, a boolean mask over rows, limits the
    search to those rows without searching deeper."""
    import faiss

    index = store.index
    if index.ntotal == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
    if allowed_rows is None:
        scores, rows = index.search(query, min(k, index.ntotal))
    else:
        bitmap = np.packbits(allowed_rows, bitorder="little")  # must outlive the search: FAISS keeps a pointer
        selector = faiss.IDSelectorBitmap(len(allowed_rows), faiss.swig_ptr(bitmap))
        params = faiss.SearchParameters()
        params.sel = selector
        scores, rows = index.search(query, min(k, index.ntotal), params=params)
    found = rows[0] >= 0  # FAISS pads with -1 when fewer than k rows are allowed
    return rows[0][found], scores[0][found]


def vectors_of_rows(store: Any, rows: Sequence[int]) -> np.ndarray:
    """The stored vectors of the given FAISS rows, one per row."""
    return store.index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
