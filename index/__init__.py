"""Documents -> chunks -> embeddings -> FAISS + BM25 on disk, and hybrid search over them.

Knows nothing about language models or the copilot. Public API: `build_index`, `sync_index`, `HybridIndex`,
`IndexConfig`, `make_embedder`, and the records `Chunk` and `Hit`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.builder import UpdateReport, build_index, sync_index
    from index.config import IndexConfig
    from index.embeddings import DEFAULT_EMBEDDER, make_embedder, resolve_embedder
    from index.errors import (
        DocumentLoadError,
        EmbedderLoadError,
        IndexMismatchError,
        IndexNotFoundError,
        IndexStoreError,
    )
    from index.records import Chunk, Hit
    from index.search import HybridIndex

# Exported names load on first use (PEP 562): importing a light module (index.normalize) must not load FAISS.
_EXPORTS = {
    "UpdateReport": "index.builder", "build_index": "index.builder", "sync_index": "index.builder",
    "IndexConfig": "index.config", "DEFAULT_EMBEDDER": "index.embeddings", "make_embedder": "index.embeddings",
    "resolve_embedder": "index.embeddings", "DocumentLoadError": "index.errors", "EmbedderLoadError": "index.errors",
    "IndexMismatchError": "index.errors", "IndexNotFoundError": "index.errors", "IndexStoreError": "index.errors",
    "Chunk": "index.records", "Hit": "index.records", "HybridIndex": "index.search",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")


__all__ = [
    "DEFAULT_EMBEDDER", "Chunk", "DocumentLoadError", "EmbedderLoadError", "Hit", "HybridIndex", "IndexConfig",
    "IndexMismatchError", "IndexNotFoundError", "IndexStoreError", "UpdateReport", "build_index", "make_embedder",
    "resolve_embedder", "sync_index",
]
