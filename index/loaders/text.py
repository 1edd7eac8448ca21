"""Plain text and PDF page text into blocks, with headings recognised by numbering or AsciiDoc markers.

Plain text has no reliable structure, so headings are guessed conservatively: numbered titles ("6.3 Replacing the
seal"), AsciiDoc/setext titles ("== Spindle", a line underlined with ===). Form feeds mark pages.
"""

from __future__ import annotations

import re

from index.records import Block

NUMBERED_HEADING_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\s+([A-Z][^\n]{2,90})$")
ASCIIDOC_HEADING_RE = re.compile(r"^(={1,5})\s+(\S.*)$")
UNDERLINE_RE = re.compile(r"^(={3,}|-{3,}|~{3,})\s*$")


def _heading_level(line: str) -> tuple[int, str] | None:
    stripped = line.strip()
    match = NUMBERED_HEADING_RE.match(stripped)
    if match and not stripped.endswith((".", ",", ";", ":")) and len(stripped.split()) <= 12:
        return match.group(1).count(".") + 2, stripped
    match = ASCIIDOC_HEADING_RE.match(stripped)
    if match:
        return len(match.group(1)), match.group(2).strip()
    return None


def parse_text(text: str, pages: list[str] | None = None, title: str = "") -> tuple[str, tuple[Block, ...]]:
    """Split plain text (or per-page texts, 1-based) into paragraph blocks carrying heading path and page."""
    page_texts = pages if pages is not None else text.split("\f")
    numbered = pages is not None or len(page_texts) > 1
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = [(0, title)] if title else []
    para: list[str] = []
    page: int | None = None

    def flush() -> None:
        body = "\n".join(para).strip()
        if body:
            blocks.append(Block(text=body, page=page, headings=tuple(h for _, h in headings)))
        para.clear()

    for number, page_text in enumerate(page_texts, start=1):
        flush()
        page = number if numbered else None
        lines = page_text.splitlines()
        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if UNDERLINE_RE.match(line.strip()):
                continue
            heading = _heading_level(line)
            if heading is None and line.strip() and UNDERLINE_RE.match(nxt.strip()) and len(line.split()) <= 12:
                heading = (1 if nxt.strip().startswith("=") else 2, line.strip())
            if heading:
                flush()
                level, name = heading
                headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, name)]
                if not title and level <= 1:
                    title = name
                continue
            if not line.strip():
                flush()
                continue
            para.append(line.rstrip())
    flush()
    return title, tuple(blocks)
