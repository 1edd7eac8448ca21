"""Documents tab handlers: upload manuals and logs into the index, list what is indexed and what was skipped and why.

Uploads are added incrementally (`CopilotService.add_documents`: only the new files are read and embedded, the
live index is swapped atomically), so the chat keeps answering while a manual is being indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from copilot.web.service import CopilotService, report_dict

Progress = Callable[[float, str], None]
INDEXED_COLUMNS = ["document", "type", "chunks"]
SKIPPED_COLUMNS = ["file", "why it was not indexed"]


def indexed_rows(service: CopilotService) -> list[list[Any]]:
    """One row per indexed file: its name as cited, document type, chunk count."""
    return [[d["path"], d["type"], d["chunks"]] for d in service.documents()]


def skipped_rows(service: CopilotService) -> list[list[str]]:
    """Files the last index update skipped or could not read, with the reason."""
    return [[Path(s["path"]).name, s["reason"]] for s in service.copilot.index.manifest.skipped]


def upload_documents(service: CopilotService, files: Sequence[str | Path] | None,
                     progress: Progress | None = None) -> tuple[str, list[list[Any]], list[list[str]]]:
    """Index the uploaded files; returns (status Markdown, indexed rows, skipped rows of this upload)."""
    if not files:
        return "Choose one or more manuals or logs first (md, txt, pdf, html, csv, jsonl, log).", \
            indexed_rows(service), []
    if progress:
        progress(0.05, f"Reading {len(files)} file(s)…")
    report = report_dict(service.add_documents(list(files), progress=progress is not None))
    if progress:
        progress(1.0, "Index updated")
    lines = [f"**Index updated in {report['seconds']:.1f} s**: {len(report['added'])} added, "
             f"{len(report['updated'])} updated, {len(report['unchanged'])} unchanged; "
             f"{report['chunks_embedded']} passages embedded, {report['total_chunks']} in the index."]
    lines += [f"- added: {name}" for name in report["added"]]
    lines += [f"- updated: {name}" for name in report["updated"]]
    refused = report["skipped"] + report["failed"]
    if refused:
        lines.append(f"\n**{len(refused)} file(s) not indexed** — see the list below.")
    return "\n".join(lines), indexed_rows(service), [[r["path"], r["reason"]] for r in refused]
