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
- Sizes are capped (`ServerConfig`: question, history, upload files) with `LimitError` (HTTP 413), and a caller whose
  client went away can stop an answer: `stream`, `ask` and `analyse` take a `cancelled` callable that is polled while
  waiting for a slot and between streamed pieces.

Per-user conversation state lives in the front ends (Gradio's session state, the HTTP request body), never here.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from copilot.app import Copilot
from copilot.config import ServerConfig
from copilot.errors import CopilotError
from copilot.qa.retrieval import load_rescorer
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
ABSOLUTE_PATH_RE = re.compile(r"(?<![\w:/.~-])(?:/[^\s'\"/:]+)+/([^\s'\"/]+)")
SLOT_POLL_S = 0.2


class LimitError(CopilotError):
    """A request over one of the configured size limits (`ServerConfig`); the API answers it with 413."""


class Cancelled(CopilotError):
    """The caller gave up (its client disconnected, or the server is stopping) before the work was done."""


def hide_paths(text: str) -> str:
    """A message without absolute server paths: each one is shortened to its file name (URLs are left alone)."""
    return ABSOLUTE_PATH_RE.sub(lambda m: m.group(1), text)


@dataclass(frozen=True)
class ServiceConfig:
    """How the shared copilot is served."""

    generation_slots: int = 1  # answers decoded at once; more wait in line (2 CPU cores: one at a time is fastest)
    uploads_dir: Path | None = None  # where uploaded documents are kept (default: INDEX_DIR/uploads)
    limits: ServerConfig = field(default_factory=ServerConfig)  # question, history and upload size caps

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
        self.stopping = threading.Event()  # set on shutdown: work in flight stops at its next check

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
            rescorer = load_rescorer(index, old.cfg.retrieval, old.cfg.index, reuse=old.retriever.rescorer)
            self._copilot = Copilot(old.cfg, index, old.generator, rescorer)
            self._generation = name
            logger.info("reloaded index %s (%d chunks)", name, len(index))
            return True
        return False

    # --- reading ---------------------------------------------------------------------------------------------------

    def assets(self) -> list[str]:
        """Asset ids the index knows (tagged on some chunk), sorted."""
        return sorted(self.copilot.retriever.known_assets)

    def ask(self, question: str, history: Sequence[tuple[str, str]] | None = None,
            asset: str | None = None, cancelled: Callable[[], bool] | None = None) -> Answer:
        """`Copilot.ask`, waiting for a free generation slot.

        Raises:
            LimitError: the question or history is over its limit.
            Cancelled: `cancelled()` turned true before the answer was complete.
        """
        final: Answer | None = None
        for piece in self.stream(question, history, asset, cancelled=cancelled):
            if isinstance(piece, Answer):
                final = piece
        if final is None:
            raise Cancelled("the question was cancelled before it was answered")
        return final

    def check_question(self, question: str, history: Sequence[tuple[str, str]] | None = None) -> None:
        """Refuse an empty question, or one (or a history) over the configured length, before any work is done."""
        if not question or not question.strip():
            raise CopilotError("the question is empty: type what you want to know")
        limits = self.config.limits
        if len(question) > limits.max_question_chars:
            raise LimitError(f"the question is {len(question)} characters; the limit is {limits.max_question_chars} "
                             "(server.max_question_chars): ask about one thing at a time")
        told = sum(len(q) + len(a) for q, a in history or ())
        if told > limits.max_history_chars:
            raise LimitError(f"the conversation history is {told} characters; the limit is "
                             f"{limits.max_history_chars} (server.max_history_chars): start a new conversation")

    def _take_slot(self, cancelled: Callable[[], bool] | None) -> bool:
        """Wait for a generation slot; False when the caller gave up (or the server is stopping) while waiting."""
        while not self._slots.acquire(timeout=SLOT_POLL_S):
            if self.stopping.is_set() or (cancelled is not None and cancelled()):
                return False
        return True

    def stream(self, question: str, history: Sequence[tuple[str, str]] | None = None,
               asset: str | None = None, cancelled: Callable[[], bool] | None = None) -> Iterator[str | Answer]:
        """`Copilot.stream` within a generation slot: text pieces, then the checked Answer.

        When `cancelled()` turns true (checked while waiting for the slot and between pieces) the stream ends without
        an Answer and the slot is freed; a model decoding in a thread of its own may finish its current reply.
        """
        self.check_question(question, history)
        copilot = self.copilot
        if not self._take_slot(cancelled):
            return
        try:
            pieces = copilot.stream(question.strip(), history=history, asset=asset or None)
            try:
                for piece in pieces:
                    yield piece
                    if self.stopping.is_set() or (cancelled is not None and cancelled()):
                        logger.info("answer cancelled: the client went away")
                        return
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
        finally:
            self._slots.release()

    def search(self, query: str, k: int = 5, asset: str | None = None, doc_types: Sequence[str] | None = None,
               sources: Sequence[str] | None = None) -> list[Hit]:
        """Hybrid search with the same filters as `copilot search`."""
        copilot = self.copilot
        return copilot.index.search(query, k=k, asset=asset or None, doc_types=doc_types, sources=sources,
                                    candidates=copilot.cfg.retrieval.candidates, fusion=copilot.cfg.retrieval.fusion)

    def analyse(self, data: str | Path | pd.DataFrame, asset: str | None = None,
                fit_rows: int | None = None, cancelled: Callable[[], bool] | None = None) -> AnomalyReport:
        """`Copilot.analyse` within a generation slot (the model words the summary); `fit_rows` is per call.

        `cancelled` is checked while waiting for the slot; an analysis that has started runs to its end (detection
        takes seconds on a capped file, the summary at most `generation.max_new_tokens`).
        """
        if fit_rows is not None and fit_rows < 1:
            raise CopilotError(f"fit_rows must be a positive number of rows, got {fit_rows}")
        copilot = self.copilot
        if not self._take_slot(cancelled):
            raise Cancelled("the analysis was cancelled before it started")
        try:
            return copilot.analyse(data, asset=asset or None, fit_rows=fit_rows)
        finally:
            self._slots.release()

    def public_path(self, path: str | Path) -> str:
        """A path as shown to clients: relative to the index's parent folder ("uploads/x.md"), else the file name."""
        given = Path(path)
        if not given.is_absolute():
            return str(given)
        for base in (self.uploads_dir.parent, self.index_dir):
            try:
                return str(given.relative_to(base))
            except ValueError:
                continue
        return given.name

    def stats(self) -> dict[str, Any]:
        """What `copilot index stats` prints, without absolute server paths (the index is named by its folder)."""
        stats = dict(self.copilot.index.stats())
        if stats.get("location"):
            stats["location"] = Path(str(stats["location"])).name
        stats["skipped"] = [{**s, "path": self.public_path(s["path"])} if isinstance(s, dict) and "path" in s else s
                            for s in stats.get("skipped") or []]
        return stats

    def documents(self) -> list[dict[str, Any]]:
        """Every indexed file: its name as cited, document type and chunk count, in name order."""
        files = self.copilot.index.manifest.files.values()
        return sorted(({"path": f.path, "type": f.doc_type, "chunks": len(f.chunk_ids)} for f in files),
                      key=lambda row: row["path"])

    # --- writing -----------------------------------------------------------------------------------------------

    def add_documents(self, files: Sequence[str | Path], progress: bool = False,
                      names: Sequence[str] | None = None) -> UpdateReport:
        """Copy uploaded files into the uploads folder and add them to the index incrementally.

        Args:
            files: the uploaded files (temporary copies).
            names: the names the user gave them (default: the files' own names); used for the stored name.

        Files the indexer skips or cannot read are reported with the reason and not kept. A file uploaded again
        under exactly the same name replaces the earlier one (its chunks are re-indexed); two files whose names
        only sanitise alike ("manual.md", "manual?.md") are both kept, the second as "manual-2.md". If indexing
        fails, the uploads folder is put back as it was (new files removed, replaced ones restored), so one bad file
        never blocks later uploads. Uploads queue behind each other and behind any other writer of the index (its
        file lock); answers keep being served from the previous snapshot meanwhile.

        Raises:
            LimitError: too many files, or a file or all of them together over the configured size.
        """
        if not files:
            raise CopilotError("no files given: choose one or more manuals or logs to add")
        given_names = list(names) if names is not None else [Path(f).name for f in files]
        self.check_upload([Path(f) for f in files], given_names)
        with self._ingest_lock, tempfile.TemporaryDirectory(prefix="copilot-replaced-") as backup:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            copilot = self._copilot
            known = set(copilot.index.manifest.files)
            by_hash = {entry.sha256: (key, entry.path) for key, entry in copilot.index.manifest.files.items()}
            stored: list[Path] = []
            replaced: dict[Path, Path] = {}  # target in uploads/ -> its previous version, kept in `backup`
            refused: list[Skipped] = []
            for given, name in zip(files, given_names, strict=True):
                source = Path(given)
                if not source.is_file():
                    refused.append(Skipped(name, "the uploaded file is missing; upload it again"))
                    continue
                target = self._upload_target(name, {p.name for p in stored})
                same = by_hash.get(file_sha256(source))
                if same is not None and same[0] != str(target.resolve()):  # the same bytes are indexed already
                    refused.append(Skipped(name, f"already indexed as {same[1]}"))
                    continue
                if target.exists():
                    replaced[target] = Path(backup) / f"{len(replaced)}-{target.name}"
                    shutil.copy2(target, replaced[target])
                shutil.copyfile(source, target)
                stored.append(target)
            try:
                report = sync_index([self.uploads_dir], self.index_dir, lambda: copilot.index.embedder,
                                    copilot.cfg.index, progress=progress)
            except BaseException:
                self._put_back(stored, replaced)
                raise
            report.skipped = [s for s in report.skipped if Path(s.path) in stored] + refused
            for dropped in report.skipped + report.failed:  # keep only what is indexed
                path = Path(dropped.path)
                if path.parent != self.uploads_dir:
                    continue
                if path in replaced:  # a bad new version: the index keeps the previous one, and so does uploads/
                    shutil.copy2(replaced[path], path)
                elif str(path.resolve()) not in known:
                    path.unlink(missing_ok=True)
            self.reload()
        return report

    def check_upload(self, files: Sequence[Path], names: Sequence[str]) -> None:
        """Refuse an upload with too many files, or a file or all together over the configured size (`LimitError`)."""
        limits = self.config.limits
        if len(files) > limits.max_upload_files:
            raise LimitError(f"{len(files)} files in one upload; the limit is {limits.max_upload_files} "
                             "(server.max_upload_files): upload them in smaller groups")
        total = 0
        for file, name in zip(files, names, strict=True):
            size = file.stat().st_size if file.is_file() else 0
            total += size
            if size > limits.max_upload_bytes:
                raise LimitError(f"{safe_file_name(name)} is {size / 2**20:.1f} MB; one file may be at most "
                                 f"{limits.max_upload_bytes / 2**20:.1f} MB (server.max_upload_bytes)")
        if total > limits.max_request_upload_bytes:
            raise LimitError(f"the files together are {total / 2**20:.1f} MB; one upload may be at most "
                             f"{limits.max_request_upload_bytes / 2**20:.1f} MB (server.max_request_upload_bytes)")

    def _upload_target(self, name: str, taken: set[str]) -> Path:
        """Where an upload is stored: its sanitised name, unless that is taken by another file of this upload, or by
        an earlier file that had another name ("manual?.md" after "manual.md"): then "manual-2.md", "-3", ..."""
        cleaned = safe_file_name(name)
        exact = cleaned == re.split(r"[\\/]", name)[-1].strip()  # an exact re-upload updates the earlier file
        target = self.uploads_dir / cleaned
        if cleaned not in taken and (exact or not target.exists()):
            return target
        stem, suffix = Path(cleaned).stem, Path(cleaned).suffix
        number = 2
        while f"{stem}-{number}{suffix}" in taken or (self.uploads_dir / f"{stem}-{number}{suffix}").exists():
            number += 1
        return self.uploads_dir / f"{stem}-{number}{suffix}"

    @staticmethod
    def _put_back(stored: Sequence[Path], replaced: dict[Path, Path]) -> None:
        """Undo the copies of a failed upload: remove new files, restore the previous version of replaced ones."""
        for path in stored:
            if path in replaced:
                shutil.copy2(replaced[path], path)
            else:
                path.unlink(missing_ok=True)


def report_dict(report: UpdateReport) -> dict[str, Any]:
    """An index update as JSON: what was added, updated, skipped or failed (with why), and the CLI's summary line."""
    return {
        "added": report.added, "updated": report.updated, "removed": report.removed, "unchanged": report.unchanged,
        "skipped": [{"path": Path(s.path).name, "reason": s.reason} for s in report.skipped],
        "failed": [{"path": Path(s.path).name, "reason": s.reason} for s in report.failed],
        "chunks_embedded": report.chunks_embedded, "total_chunks": report.total_chunks,
        "seconds": round(report.seconds, 3), "summary": report.summary(),
    }
