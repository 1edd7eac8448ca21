"""The FAISS vector store on disk: the only module that imports langchain_community.

Vectors are L2-normalised and searched by inner product, so scores are cosine similarities (langchain's
`*_with_relevance_scores` inverts them for inner product, langchain-community#427: never call it here).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    return {cid: store.index.reconstruct(int(row_of[cid])).tolist() for cid in ids if cid in row_of}


def save_store(store: Any, folder: Path) -> None:
    store.save_local(str(folder))


def load_store(folder: Path, embedder: Embeddings) -> Any:
    """Load a store written by `save_store`."""
    cls, strategy = _faiss_class()
    # allow_dangerous_deserialization unpickles index.pkl: only ever called on an index directory this program wrote
    # (the caller has checked its manifest first).
    return cls.load_local(str(folder), embedder, allow_dangerous_deserialization=True,
                          distance_strategy=strategy.MAX_INNER_PRODUCT)


def search_vector(store: Any, vector: Sequence[float] | Any, k: int) -> list[tuple[str, float]]:
    """Top-k (chunk_id, cosine) for a normalised query vector."""
    if store.index.ntotal == 0:
        return []
    k = min(k, store.index.ntotal)
    results = store.similarity_search_with_score_by_vector(list(vector), k=k)
    return [(doc.metadata["chunk_id"], float(score)) for doc, score in results]
