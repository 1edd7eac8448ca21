"""How far a source is trusted: `manual` (the equipment's documents), `record` (work orders and logs) or `upload`.

A file added through the UI or `POST /index` lands in the index's `uploads/` folder and is an `upload` until the user
promotes it (`copilot index promote`, which moves it to `documents/`): anyone who can reach the server can upload, so
an upload never outranks the equipment's manual on a safety step (copilot/qa/safety.py). The level is read from where
the file sits and what it holds, so it needs no state of its own and holds for indexes built before it existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from copilot.errors import CopilotError

Trust = Literal["manual", "record", "upload"]
UPLOADS = "uploads"  # the index's folder for uploaded files (copilot/web/service.py)
PROMOTED = "documents"  # where `copilot index promote` moves an upload the user vouches for
RECORD_TYPES = ("work_order", "log")


def trust_of(path: str, doc_type: str) -> Trust:
    """The trust level of an indexed file from its indexed path ("uploads/bulletin.md") and document type."""
    if path.replace("\\", "/").split("/", 1)[0] == UPLOADS:
        return "upload"
    return "record" if doc_type in RECORD_TYPES else "manual"


def promote(index_dir: Path, names: Sequence[str]) -> list[Path]:
    """Move the named uploads (file names in INDEX/uploads) to INDEX/documents, where they count as the equipment's
    documents; the caller syncs both folders. Nothing moves unless every name is found and free at its new place."""
    uploads, documents = index_dir / UPLOADS, index_dir / PROMOTED
    moves = []
    for name in names:
        source = uploads / Path(name).name
        if not source.is_file():
            held = sorted(p.name for p in uploads.iterdir() if p.is_file()) if uploads.is_dir() else []
            raise CopilotError(f"no upload named {Path(name).name} in {uploads}; uploads there: "
                               f"{', '.join(held) or 'none'}")
        if (documents / source.name).exists():
            raise CopilotError(f"{documents / source.name} exists already: rename the upload first")
        moves.append(source)
    documents.mkdir(parents=True, exist_ok=True)
    return [source.replace(documents / source.name) for source in moves]
