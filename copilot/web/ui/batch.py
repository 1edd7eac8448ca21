"""Batch-report tab handlers: open what `copilot batch INPUT --out OUT_DIR` wrote (report.md, report.html,
report.jsonl), from its folder or from uploaded report files.

The HTML report is shown in a sandboxed iframe (`srcdoc`, no scripts): it is a complete page with its own styles,
and sandboxing keeps it from touching the app around it.

A folder typed into the tab is read on the server, so it must lie inside the batch root (`copilot ui --batch-root
DIR`, `server.batch_root`, default the folder `copilot ui` was started in); anything else, symlinks out of it
included, is refused. Uploaded report files are always fine.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError

REPORT_FILES = ("report.md", "report.html", "report.jsonl")
TABLE_LIMIT = 500  # rows shown in the table; the files hold them all


def resolve_in_root(folder: str, root: Path) -> Path:
    """`folder` (absolute, or relative to `root`) resolved, if it lies inside `root`; else a CopilotError."""
    base = root.expanduser().resolve()
    target = (base / Path(folder).expanduser()).resolve()
    if target != base and base not in target.parents:
        raise CopilotError(f"{folder} is outside the batch folder this UI may read ({base.name}/): give a folder "
                           "inside it, upload the report files instead, or restart with `copilot ui --batch-root DIR`")
    return target


def _find_reports(folder: str | None, uploads: Sequence[str | Path] | None, root: Path | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for upload in uploads or []:
        path = Path(upload)
        suffix = path.suffix.lower()
        if suffix in (".md", ".html", ".htm", ".jsonl"):
            found[{".htm": ".html"}.get(suffix, suffix)] = path
    if folder and folder.strip():
        given = folder.strip()
        out = resolve_in_root(given, root if root is not None else Path.cwd())
        if not out.is_dir():
            raise CopilotError(f"no folder {given}: give the --out folder of `copilot batch`")
        for name in REPORT_FILES:
            if (out / name).is_file():
                found.setdefault(Path(name).suffix, out / name)
        if not found:
            raise CopilotError(f"{given} holds no {', '.join(REPORT_FILES)}: run `copilot batch INPUT --out {given}` "
                               "first, or upload the report files")
    if not found:
        raise CopilotError("give the batch output folder or upload report.md / report.html / report.jsonl")
    return found


def _flat(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:300]
    return value


def read_jsonl_rows(path: Path) -> tuple[list[str], list[list[Any]], list[str]]:
    """(columns, rows, problems) of a JSONL report; a bad line is reported, not fatal."""
    records: list[dict[str, Any]] = []
    problems = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                problems.append(f"{path.name} line {number}: not JSON ({exc})")
                continue
            if isinstance(record, dict):
                records.append(record)
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    rows = [[_flat(r.get(c)) for c in columns] for r in records[:TABLE_LIMIT]]
    return columns, rows, problems


def open_batch_report(folder: str | None, uploads: Sequence[str | Path] | None = None, root: Path | None = None
                      ) -> tuple[str, str, dict[str, Any]]:
    """(report Markdown, iframe HTML for the HTML report, table {"headers", "data"}) for the tab's three views.

    `folder` must lie inside `root` (default: the current folder).
    """
    found = _find_reports(folder, uploads, root)
    notes = []
    markdown = found[".md"].read_text(encoding="utf-8", errors="replace") if ".md" in found else ""
    frame = ""
    if ".html" in found:
        page = found[".html"].read_text(encoding="utf-8", errors="replace")
        frame = (f'<iframe class="cp-report-frame" sandbox="" title="batch report" '
                 f'srcdoc="{html.escape(page, quote=True)}"></iframe>')
    table: dict[str, Any] = {"headers": ["record"], "data": [[""]]}
    if ".jsonl" in found:
        columns, rows, problems = read_jsonl_rows(found[".jsonl"])
        notes += problems
        if rows:
            table = {"headers": columns, "data": rows}
    if not markdown:
        shown = ", ".join(p.name for p in found.values())
        markdown = f"Opened {shown}." + ("" if frame else " (no report.md or report.html to show)")
    if notes:
        markdown += "\n\n" + "\n".join(f"> ⚠ {n}" for n in notes)
    return markdown, frame, table
