"""Resume by content hash: what a run already did lives under OUT_DIR/.state and is reused, not redone.

- `files/`: each input file read once per (path, content hash, mapping); a changed file is read again.
- `assets/`: each asset's finished result per key; the key hashes the asset's input files' content, the options that
  shape a report, the index generation and the model, so a changed input or setting redoes only what it touches.
Results are written as soon as each asset finishes (atomic rename), so an interrupted run keeps its finished assets.
The parsed-file cache is a pickle this program wrote into its own output folder; never point `--out` at files from
elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from copilot.batch.inputs import AssetResult, ParsedFile

STATE_VERSION = "batch-3"  # bump when facts, prose or plots change, so old results are not reused


def digest(payload: Any) -> str:
    """A stable sha256 of JSON-able data."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".tmp{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class ResumeState:
    """The resume cache of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / ".state"

    def _file_path(self, relative: str, sha256: str, mapping: str) -> Path:
        return self.root / "files" / f"{digest([STATE_VERSION, relative, sha256, mapping])}.pkl"

    def load_file(self, relative: str, sha256: str, mapping: str) -> ParsedFile | None:
        path = self._file_path(relative, sha256, mapping)
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as handle:
                parsed = pickle.load(handle)  # our own cache file (see module docstring)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # a torn or stale cache entry is redone, not trusted
        return parsed if isinstance(parsed, ParsedFile) else None

    def save_file(self, parsed: ParsedFile, mapping: str) -> None:
        _write_atomic(self._file_path(parsed.source, parsed.sha256, mapping), pickle.dumps(parsed))

    def load_asset(self, key: str) -> AssetResult | None:
        path = self.root / "assets" / f"{key}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return AssetResult(data["asset"], data["record"], data["plots"], data.get("error", ""))
        except (OSError, ValueError, KeyError):
            return None

    def save_asset(self, key: str, result: AssetResult) -> None:
        if result.error:  # a failed asset is tried again next time
            return
        payload = {"asset": result.asset, "record": result.record, "plots": result.plots, "error": result.error}
        _write_atomic(self.root / "assets" / f"{key}.json", json.dumps(payload, ensure_ascii=False).encode())
