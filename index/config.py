"""IndexConfig: how documents are chunked and embedded. Written into the index manifest so a mismatch is caught."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index import embeddings
from index.backend import check_backend
from index.embeddings import DEFAULT_EMBEDDER
from index.precision import check_precision
from index.rescore import NONE, canonical_rescorer, is_bi_encoder

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

FUSIONS = ("convex", "rrf")  # how hybrid search merges its dense and keyword rankings (index/search.py)
CHUNKER_VERSION = 22  # bump when loading, chunking, chunk ids or what an index holds change: indexes are re-chunked

# The longest chunk, in characters. A normal chunk is `chunk_words` words (the corpus and the evaluated manuals: at most
# 1,221 characters); a longer piece is a line with few spaces (minified HTML, base64, a giant table row), which the
# embedder truncates at 256 tokens anyway. Such a piece is cut at whitespace into pieces this long, never kept whole.
MAX_CHUNK_CHARS = 6000
PROGRESS_EVERY_S = 10.0  # without a terminal, a long build logs one progress line to stderr this often


@dataclass(frozen=True)
class IndexConfig:
    """Chunking and embedding parameters of an index.

    Chunk size is counted in words. 100 words (a procedure step or a few table rows) retrieved best on the corpus
    evaluation set, against 140, 180 and 220 (docs/retrieval.md), and leaves room for 4 passages in a small model's
    prompt.
    """

    chunk_words: int = 100  # chosen by retrieval quality on corpus/eval/qa.jsonl (docs/retrieval.md)
    overlap_words: int = 20
    # Small-to-big (index/parents.py): also cut each document into windows of this many words, each chunk mapped
    # to the window around it, stored with vectors for retrieval.parent_scoring. 0: none (measured, not the default:
    # docs/retrieval.md, "Granularity on real documents").
    parent_words: int = 0
    # Hugging Face id, local path of a sentence-transformers model, or a short name (minilm, mpnet; kept as the full id)
    embedder: str = DEFAULT_EMBEDDER
    embed_batch_size: int = 32
    embed_precision: str = "auto"  # index.precision: bf16 autocast where the hardware has it natively, else fp32
    # index.backend: auto | torch | onnx-int8 | onnx-fp32. auto = onnxruntime int8 on a CPU without native bf16
    # (index/onnx_embed.py: vectors within cosine 0.99 of fp32), torch elsewhere. Recorded in the manifest as
    # information: an index built by one backend is queried by another (the embedder itself must match).
    embed_backend: str = "auto"
    # A bi-encoder (short name or path, e.g. mpnet) whose chunk vectors are stored at ingest for the re-scoring stage
    # (index/rescore.py, retrieval.rescorer): queries then embed only the question. "none": vectors, if the
    # re-scorer needs them, are computed at query time (docs/retrieval.md, "Re-scoring").
    rescorer_vectors: str = "none"
    log_columns: dict[str, str] = field(default_factory=dict)  # role -> column name for work-order CSVs
    # Size caps, each refusing a file with its reason. A PDF's bytes are mostly images, so any file may be this big:
    max_file_mb: float = 64.0
    # Text (a text, Markdown, CSV or log file, or a PDF's extracted text) beyond this is refused: 16 MB is about 2.7M
    # words, some 27,000 chunks, which a 2-core CPU embeds in tens of minutes. Split bigger files, or raise the cap.
    max_text_mb: float = 16.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "embedder", embeddings.canonical_embedder(self.embedder))
        object.__setattr__(self, "rescorer_vectors", canonical_rescorer(self.rescorer_vectors))
        if self.rescorer_vectors != NONE and not is_bi_encoder(self.rescorer_vectors):
            raise ValueError(f"rescorer_vectors must be none or an embedder (a cross-encoder has no vectors to "
                             f"store), got {self.rescorer_vectors!r}")
        if self.chunk_words < 20:
            raise ValueError(f"chunk_words must be >= 20, got {self.chunk_words}")
        if not 0 <= self.overlap_words < self.chunk_words:
            raise ValueError(
                f"overlap_words must be in [0, chunk_words), got {self.overlap_words} "
                f"for chunk_words {self.chunk_words}"
            )
        if self.parent_words and self.parent_words <= self.chunk_words:
            raise ValueError(f"parent_words must be 0 (none) or > chunk_words, got {self.parent_words} "
                             f"for chunk_words {self.chunk_words}")
        check_precision(self.embed_precision)
        check_backend(self.embed_backend)
        if self.embed_batch_size < 1:
            raise ValueError(f"embed_batch_size must be >= 1, got {self.embed_batch_size}")
        if not 0 < self.max_text_mb <= self.max_file_mb:
            raise ValueError(f"max_text_mb must be in (0, max_file_mb], got {self.max_text_mb} "
                             f"for max_file_mb {self.max_file_mb}")

    def load_rescorer_encoder(self, device: str | None = None) -> Embeddings:
        """The embedder whose vectors are stored for re-scoring (batch size, precision and backend as the index's)."""
        return embeddings.make_embedder(self.rescorer_vectors, self.embed_batch_size, device, self.embed_precision,
                                        self.embed_backend)

    def load_embedder(self, device: str | None = None) -> Embeddings:
        """The configured embedder, batch size, precision and backend (index.embeddings.make_embedder)."""
        return embeddings.make_embedder(self.embedder, self.embed_batch_size, device, self.embed_precision,
                                        self.embed_backend)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_text_bytes(self) -> int:
        return int(self.max_text_mb * 1024 * 1024)

    def chunking_params(self) -> dict[str, int]:
        """What decides chunk boundaries and ids (the chunker's version included): a change re-chunks every file."""
        params = {"chunk_words": self.chunk_words, "overlap_words": self.overlap_words, "chunker": CHUNKER_VERSION}
        if self.parent_words:  # only when set, so an index built without parents stays valid as it is
            params["parent_words"] = self.parent_words
        return params
