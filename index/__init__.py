"""Documents -> chunks -> embeddings -> FAISS + BM25 on disk, and hybrid search over them.

Knows nothing about language models or the copilot. Public API: `build_index`, `sync_index`, `HybridIndex`,
`IndexConfig`, `make_embedder`, and the records `Chunk` and `Hit`.
"""

from index.builder import UpdateReport, build_index, sync_index
from index.config import IndexConfig
from index.embeddings import DEFAULT_EMBEDDER, make_embedder, resolve_embedder
from index.errors import DocumentLoadError, EmbedderLoadError, IndexMismatchError, IndexNotFoundError, IndexStoreError
from index.records import Chunk, Hit
from index.search import HybridIndex

__all__ = [
    "DEFAULT_EMBEDDER", "Chunk", "DocumentLoadError", "EmbedderLoadError", "Hit", "HybridIndex", "IndexConfig",
    "IndexMismatchError", "IndexNotFoundError", "IndexStoreError", "UpdateReport", "build_index", "make_embedder",
    "resolve_embedder", "sync_index",
]
