"""A `Copilot` shared by many users at once: the one object behind the Gradio UI and the HTTP API.

Why it exists: a web front end serves several technicians from one loaded model and one index, and the index can
change under it (a document uploaded in the UI, `copilot index sync` run in a terminal). This class makes that safe:

- Index updates go through `index.builder.sync_index`, which writes a new generation and swaps it in atomically under
  the index's writer lock, so two uploads never corrupt the index; they queue.
- The live `Copilot` is an immutable snapshot that is *replaced*, never mutated: a reload builds a new `HybridIndex`
  and `Copilot` beside the old one and swaps one reference under a lock. An answer in flight keeps the snapshot it
  started with, so nobody sees a half-loaded index.
- A change made by another process is noticed by comparing the index's `CURRENT` generation on each request (a read
  of one small file); the first request after it reloads while the others carry on with the previous snapshot.
- Generation is limited to `generation_slots` at a time: on a 2-core CPU two answers decoding in parallel are each
  slower than one after the other, so extra requests wait their turn instead of thrashing.

Per-user conversation state lives in the front ends (Gradio's session state, the HTTP request body), never here.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from copilot.app import Copilot
from copilot.errors import CopilotError
from copilot.records import AnomalyReport, Answer
from index.builder import UpdateReport, file_sha256, sync_index
from index.errors import IndexStoreError
from index.layout import live_generation
from index.loaders import Skipped
from index.records import Hit
from index.search import HybridIndex

logger = logging.getLogger(__name__)

UPLOADS = "uploads"
SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class ServiceConfig:
    """How the shared copilot is served."""

    generation_slots: int = 1  # answers decoded at once; more wait in line (2 CPU cores: one at a time is fastest)
    uploads_dir: Path | None = None  # where uploaded documents are kept (default: INDEX_DIR/uploads)

    def __post_init__(self) -> None:
        if self.generation_slots < 1:
            raise ValueError(f"generation_slots must be >= 1, got {self.generation_slots}")


def safe_file_name(name: str) -> str:
    """An uploaded file's name without folders or odd characters: "CP-80 manual (v2).md" -> "CP-80 manual v2.md"."""
    base = re.split(r"[\\/]", name)[-1].strip()
    cleaned = SAFE_NAME_RE.sub("", base).strip(" .")
    return cleaned or "upload"


def ensure_port_free(host: str, port: int) -> None:
    """Fail early, in one line, when the UI or API cannot listen on host:port (before any model is loaded)."""
    if not 0 < port < 65536:
        raise CopilotError(f"port {port} is not a TCP port: use 1-65535")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CopilotError(f"cannot listen on {host}:{port} ({exc.strerror}): is it already running? "
                               "Choose another with --port") from exc


class CopilotService:
    """Thread-safe access to a `Copilot` whose index may be updated while it serves."""

    def __init__(self, copilot: Copilot, config: ServiceConfig | None = None) -> None:
        self.config = config or ServiceConfig()
        self._copilot = copilot
        self._generation = self._live_generation_name()
        self._reload_lock = threading.Lock()
        self._ingest_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.config.generation_slots)

    # --- the live snapshot -------------------------------------------------------------------------------------

    @property
    def index_dir(self) -> Path:
        return Path(self._copilot.cfg.index_dir)

    @property
    def uploads_dir(self) -> Path:
        return self.config.uploads_dir or self.index_dir / UPLOADS

    def _live_generation_name(self) -> str | None:
        try:
            return live_generation(Path(self._copilot.cfg.index_dir)).name
        except IndexStoreError:
            return None

    @property
    def copilot(self) -> Copilot:
        """The current snapshot; reloads first when another process changed the index (unless a reload is running)."""
        if self._live_generation_name() != self._generation and self._reload_lock.acquire(blocking=False):
            try:
                self._reload_locked()
            finally:
                self._reload_lock.release()
        return self._copilot

    def reload(self) -> bool:
        """Load the index's live generation if it is not the one being served; True when it swapped."""
        with self._reload_lock:
            return self._reload_locked()

    def _reload_locked(self) -> bool:
        old = self._copilot
        for attempt in range(3):  # a concurrent writer may delete the generation being read: read the new one
            name = self._live_generation_name()
            if name == self._generation:
                return False
            try:
                index = HybridIndex.load(self.index_dir, old.index.embedder, old.cfg.index.embedder)
            except (OSError, IndexStoreError) as exc:
                if attempt == 2:
                    raise
                logger.info("index changed while reloading (%s); retrying", exc)
                continue
            self._copilot = Copilot(old.cfg, index, old.generator)
            self._generation = name
            logger.info("reloaded index %s (%d chunks)", name, len(index))
            return True
        return False

    # --- reading ---------------------------------------------------------------------------------------------------

    def assets(self) -> list[str]:
        """Asset ids the index knows (tagged on some chunk), sorted."""
        return sorted(self.copilot.retriever.known_assets)

    def ask(self, question: str, history: Sequence[tuple[str, str]] | None = None,
            asset: str | None = None) -> Answer:
        """`Copilot.ask`, waiting for a free generation slot."""
        final: Answer | None = None
        for piece in self.stream(question, history, asset):
            if isinstance(piece, Answer):
                final = piece
        if final is None:
            raise CopilotError("the answer pipeline ended without an answer")
        return final

    def stream(self, question: str, history: Sequence[tuple[str, str]] | None = None,
               asset: str | None = None) -> Iterator[str | Answer]:
        """`Copilot.stream` within a generation slot: text pieces, then the checked Answer."""
        if not question or not question.strip():
            raise CopilotError("the question is empty: type what you want to know")
        copilot = self.copilot
        with self._slots:
            yield from copilot.stream(question.strip(), history=history, asset=asset or None)

    def search(self, query: str, k: int = 5, asset: str | None = None, doc_types: Sequence[str] | None = None,
               sources: Sequence[str] | None = None) -> list[Hit]:
        """Hybrid search with the same filters as `copilot search`."""
        copilot = self.copilot
        return copilot.index.search(query, k=k, asset=asset or None, doc_types=doc_types, sources=sources,
                                    candidates=copilot.cfg.retrieval.candidates, fusion=copilot.cfg.retrieval.fusion)

    def analyse(self, data: str | Path | pd.DataFrame, asset: str | None = None,
                fit_rows: int | None = None) -> AnomalyReport:
        """`Copilot.analyse` within a generation slot (the model words the summary); `fit_rows` is per call."""
        if fit_rows is not None and fit_rows < 1:
            raise CopilotError(f"fit_rows must be a positive number of rows, got {fit_rows}")
        copilot = self.copilot
        with self._slots:
            return copilot.analyse(data, asset=asset or None, fit_rows=fit_rows)

    def stats(self) -> dict[str, Any]:
        """What `copilot index stats` prints."""
        return self.copilot.index.stats()

    def documents(self) -> list[dict[str, Any]]:
        """Every indexed file: its name as cited, document type and chunk count, in name order."""
        files = self.copilot.index.manifest.files.values()
        return sorted(({"path": f.path, "type": f.doc_type, "chunks": len(f.chunk_ids)} for f in files),
                      key=lambda row: row["path"])

    # --- writing -----------------------------------------------------------------------------------------------

    def add_documents(self, files: Sequence[str | Path], progress: bool = False) -> UpdateReport:
        """Copy uploaded files into the uploads folder and add them to the index incrementally.

        Files the indexer skips or cannot read are reported with the reason and not kept. A file uploaded again
        under the same name replaces the earlier one (its chunks are re-indexed). Uploads queue behind each other
        and behind any other writer of the index (its file lock); answers keep being served from the previous
        snapshot meanwhile, and the new one is swapped in when the index is written.
        """
        if not files:
            raise CopilotError("no files given: choose one or more manuals or logs to add")
        with self._ingest_lock:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            copilot = self._copilot
            known = set(copilot.index.manifest.files)
            by_hash = {entry.sha256: (key, entry.path) for key, entry in copilot.index.manifest.files.items()}
            stored: list[Path] = []
            refused: list[Skipped] = []
            for given in files:
                source = Path(given)
                if not source.is_file():
                    refused.append(Skipped(source.name, "the uploaded file is missing; upload it again"))
                    continue
                target = self.uploads_dir / safe_file_name(source.name)
                same = by_hash.get(file_sha256(source))
                if same is not None and same[0] != str(target.resolve()):  # the same bytes are indexed already
                    refused.append(Skipped(source.name, f"already indexed as {same[1]}"))
                    continue
                shutil.copyfile(source, target)
                stored.append(target)
            report = sync_index([self.uploads_dir], self.index_dir, lambda: copilot.index.embedder,
                                copilot.cfg.index, progress=progress)
            report.skipped = [s for s in report.skipped if Path(s.path) in stored] + refused
            for dropped in report.skipped + report.failed:  # keep only what is indexed
                path = Path(dropped.path)
                # A bad new version of an indexed file stays: the index keeps its previous chunks until it is fixed.
                if path.parent == self.uploads_dir and str(path.resolve()) not in known:
                    path.unlink(missing_ok=True)
            self.reload()
        return report


def report_dict(report: UpdateReport) -> dict[str, Any]:
    """An index update as JSON: what was added, updated, skipped or failed (with why), and the CLI's summary line."""
    return {
        "added": report.added, "updated": report.updated, "removed": report.removed, "unchanged": report.unchanged,
        "skipped": [{"path": Path(s.path).name, "reason": s.reason} for s in report.skipped],
        "failed": [{"path": Path(s.path).name, "reason": s.reason} for s in report.failed],
        "chunks_embedded": report.chunks_embedded, "total_chunks": report.total_chunks,
        "seconds": round(report.seconds, 3), "summary": report.summary(),
    }
