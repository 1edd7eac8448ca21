"""The index manifest: what was indexed, how, and with which embedder; the guard against mixing embedders."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import IndexMismatchError
from index.rescore import is_bi_encoder

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"


@dataclass
class FileEntry:
    """One indexed file: its content hash and the chunks it produced."""

    path: str  # path as shown in citations (relative to the folder it was found in)
    sha256: str
    size: int
    chunk_ids: list[str]
    doc_type: str


@dataclass
class Manifest:
    """Everything needed to trust, reuse or incrementally update an index."""

    embedder: str
    dimension: int
    chunking: dict[str, int]
    files: dict[str, FileEntry] = field(default_factory=dict)  # key: absolute file path
    skipped: list[dict[str, str]] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    updated: str = ""
    # the bi-encoder whose chunk vectors are stored for re-scoring (index/rescore.py, `rescore.npz`); "none": none
    rescorer: str = "none"
    # what computed the vectors (index.embeddings.embedder_backend: torch, torch-bf16, onnx-int8; "a+b" after a sync
    # by another backend): information only, as the backends' vectors agree to cosine >= 0.99; "" in older indexes
    embed_backend: str = ""

    def save(self, folder: Path) -> None:
        data = asdict(self)
        (folder / MANIFEST_FILE).write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        data: dict[str, Any] = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {folder} has format {data.get('format_version')}, this version reads {FORMAT_VERSION}: "
                "rebuild it with `copilot index build`"
            )
        data["files"] = {k: FileEntry(**v) for k, v in data.get("files", {}).items()}
        return cls(**data)

    def check_embedder(self, embedder: str, where: Path) -> None:
        """Refuse to mix vectors of two embedding models."""
        if self.embedder != embedder:
            raise IndexMismatchError(
                f"index at {where} was built with embedder {self.embedder!r} (dimension {self.dimension}), but "
                f"{embedder!r} is configured: use the same embedder (--embedder {self.embedder}) or rebuild the "
                "index with `copilot index build`"
            )

    def check_rescorer(self, rescorer: str, where: Path) -> None:
        """Refuse to re-score with one model against candidate vectors another model stored (no stored vectors, or
        a rescorer that stores none, is fine: vectors are then computed at query time or not needed)."""
        if self.rescorer != "none" and is_bi_encoder(rescorer) and self.rescorer != rescorer:
            raise IndexMismatchError(
                f"index at {where} stores re-scorer vectors of {self.rescorer!r}, but {rescorer!r} is configured as "
                f"retrieval.rescorer: use the same re-scorer (retrieval.rescorer: {self.rescorer}) or rebuild the "
                f"index with index.rescorer_vectors: {rescorer}"
            )

    def backends_after(self, backend: str, embedded: int) -> str:
        """The manifest's embed_backend once `embedded` new vectors from `backend` are added beside the old ones."""
        old = [b for b in self.embed_backend.split("+") if b] or ["unknown"]  # an index older than this field
        return "+".join(old + [backend] if embedded and backend not in old else old)

    @property
    def chunk_count(self) -> int:
        return sum(len(f.chunk_ids) for f in self.files.values())
