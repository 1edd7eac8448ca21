"""On-disk layout of an index directory and its atomic update.

    DIR/CURRENT      names the live generation (one line)
    DIR/gen-*/       manifest.json, chunks.jsonl, index.faiss, index.pkl, sections.npz
    DIR/.lock        held by the one writer at a time

A writer builds a new generation beside the live one and then replaces CURRENT with `os.replace` (atomic on POSIX),
so a crash or Ctrl-C mid-build leaves the previous index usable; readers never see a half-written index. Every file of
the new generation, and its folder, is fsynced before CURRENT names it, and CURRENT's folder after: a power cut never
leaves a CURRENT that points at files still in the page cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from index.errors import IndexNotFoundError, IndexStoreError

CURRENT = "CURRENT"


def live_generation(index_dir: Path) -> Path:
    """The folder of the live generation, or IndexNotFoundError."""
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(index_dir)
    gen = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (gen / "manifest.json").is_file():
        raise IndexNotFoundError(index_dir)
    return gen


def exists(index_dir: Path) -> bool:
    try:
        live_generation(index_dir)
    except IndexNotFoundError:
        return False
    return True


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder (not yet live)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    return gen


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def flush_generation(gen: Path) -> None:
    """fsync every file under `gen`, then the folders that hold them (deepest first), so all of it is on disk."""
    folders = [gen]
    for path in sorted(gen.rglob("*")):
        if path.is_dir():
            folders.append(path)
        elif path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for folder in reversed(folders):
        _fsync_dir(folder)


def publish(index_dir: Path, gen: Path) -> None:
    """Make `gen` live atomically (its files on disk first), then delete older generations."""
    flush_generation(gen)
    _fsync_dir(index_dir)  # the new generation's entry in the index folder
    tmp = index_dir / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)  # the rename itself
    for old in index_dir.glob("gen-*"):
        if old.is_dir() and old.name != gen.name:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait_s: float = 600.0) -> Iterator[None]:
    """Hold the index's write lock: concurrent builds/syncs queue instead of corrupting each other."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() > deadline:
                    raise IndexStoreError(f"index at {index_dir} is locked by another writer; try again later") from exc
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def discard(gen: Path) -> None:
    """Remove an unpublished generation (after a failed or interrupted build)."""
    shutil.rmtree(gen, ignore_errors=True)
