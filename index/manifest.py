"""The index manifest: what was indexed, how, and with which embedder; the guard against mixing embedders."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import IndexMismatchError

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

    @property
    def chunk_count(self) -> int:
        return sum(len(f.chunk_ids) for f in self.files.values())
