"""Plain text and PDF page text into blocks, with headings recognised by numbering or AsciiDoc markers.

Plain text has no reliable structure, so headings are guessed conservatively: numbered titles ("6.3 Replacing the
seal"), AsciiDoc/setext titles ("== Spindle", a line underlined with ===). Form feeds mark pages.
"""

from __future__ import annotations

import re

from index.loaders.unwrap import unwrap
from index.records import Block

NUMBERED_HEADING_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\s+([A-Z][^\n]{2,90})$")
ASCIIDOC_HEADING_RE = re.compile(r"^(={1,5})\s+(\S.*)$")
UNDERLINE_RE = re.compile(r"^(={3,}|-{3,}|~{3,})\s*$")


# AsciiDoc markup that is not text: document attributes, anchors, block attributes and delimiters, images, comments.
ADOC_DROP_RE = re.compile(r"^(:[\w!-]+:.*|\[\[\[?[^\]]*\]\]\]?|\[[\w\s,=\"'.#%-]*\]"
                          r"|(\*{4,}|={4,}|_{4,}|\+{4,})|\|===|(image|include)::?\S*\[.*\]|//.*)\s*$")
# Listing and literal blocks (code, HAL and INI examples) keep their lines: they become fenced blocks.
ADOC_LISTING_RE = re.compile(r"^(-{4,}|\.{4,})\s*$")
# "Backlash Compensation::" (or "Term:: definition"): a description list item, read as "Term: definition".
ADOC_TERM_RE = re.compile(r"^([^\s:][^:]*?)::(?:\s+(\S.*))?$")
ADOC_ADMONITION_RE = re.compile(r"^\[(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$")
# A table: "|===" delimiters, cells opening with "|" (after an optional spec: "2+|", "a|"), rows as many cells as
# the `cols` attribute ([cols="1,2,2"] or [cols="3*"]) or the first line holds.
ADOC_TABLE_RE = re.compile(r"^\|===\s*$")
ADOC_COLS_RE = re.compile(r"^\[.*\bcols\s*=\s*\"?([^\"\]]+)\"?.*\]\s*$")
ADOC_CELL_RE = re.compile(r"(?:^|(?<=\s))(?:\d+[+*.]\d*|\.\d+\+?)?[aehlmsv]?\|")
ADOC_INLINE = [
    (re.compile(r"\(\(\([^)]*\)\)\)"), ""),  # concealed index term
    (re.compile(r"\(\(([^)]*)\)\)"), r"\1"),  # visible index term
    (re.compile(r"<<[^,>]*,\s*([^>]*)>>"), r"\1"),  # cross reference with a label
    (re.compile(r"<<([^>]*)>>"), r"\1"),
    (re.compile(r"\b(?:link:|https?://)\S*?\[([^\]]+)\]"), r"\1"),  # link with a label
    (re.compile(r"\[\[[^\]]*\]\]"), ""),  # inline anchor
    # A block title (".Wiring diagram") reads as a caption that introduces what follows: "Wiring diagram:".
    (re.compile(r"^\.([A-Za-z].*?)[.:]?\s*$"), r"\1:"),
]


def looks_like_asciidoc(text: str) -> bool:
    """AsciiDoc source (`== Title`, `:attr:` lines, `[[anchor]]`), often saved as .txt."""
    head = text[:20000]
    markup = r"^(:[\w!-]+:(\s.*)?|\[\[[^\]]+\]\]|\[(NOTE|TIP|WARNING|CAUTION|IMPORTANT|source[^\]]*)\])\s*$"
    return bool(re.search(r"^={1,5} \S", head, re.MULTILINE)) and bool(re.search(markup, head, re.MULTILINE))


def asciidoc_to_text(text: str) -> str:
    """AsciiDoc as a reader sees it: markup lines dropped, index terms and anchors removed, links and cross
    references by their label, an admonition block's style ([WARNING]) kept as its first line's "WARNING:", listing
    blocks fenced, and a description list item ("Term::" above its indented definition) read as "Term: definition"."""
    out: list[str] = []
    pending: str | None = None
    term: str | None = None
    in_listing = in_definition = False
    table: list[str] | None = None
    columns: int | None = None
    for line in text.splitlines():
        if ADOC_TABLE_RE.match(line.strip()):
            if table is None:
                table = []
            else:
                out += ["", *_adoc_table(table, columns), ""]
                table, columns = None, None
            continue
        if table is not None:
            table.append(line)
            continue
        cols = ADOC_COLS_RE.match(line.strip())
        if cols:
            columns = _adoc_columns(cols.group(1))
            continue
        if ADOC_LISTING_RE.match(line.strip()):
            in_listing = not in_listing
            out.append("```")
            continue
        if in_listing:
            out.append(line)
            continue
        admonition = ADOC_ADMONITION_RE.match(line.strip())
        if admonition:
            pending = admonition.group(1)
            continue
        if ADOC_DROP_RE.match(line.strip()):
            continue
        if line.strip() == "+":  # a list continuation: the block it attaches reads as a paragraph of its own
            out.append("")
            continue
        for pattern, repl in ADOC_INLINE:
            line = pattern.sub(repl, line)
        if not line.strip():
            in_definition = False
        elif in_definition:
            line = line.strip()  # a definition's lines are indented; they are prose, not a literal block
        dlist = ADOC_TERM_RE.match(line) if not line.startswith((" ", "\t")) else None
        if dlist:
            term, in_definition = dlist.group(1).strip(), True
            if out and out[-1].strip():
                out.append("")  # each item a paragraph of its own, though the list has no blank lines
            if not dlist.group(2):
                continue
            line = dlist.group(2)
        if term and line.strip():
            line, term = f"{term}: {line.strip()}", None
        if pending and line.strip():
            line, pending = f"{pending}: {line.strip()}", None
        out.append(line)
    return "\n".join(out)


def _adoc_columns(spec: str) -> int | None:
    """The number of columns a `cols` attribute gives: "1,2,2" -> 3, "3*" -> 3, "2*,1" -> 3."""
    total = 0
    for part in spec.split(","):
        repeat = re.match(r"\s*(\d+)\*", part)
        total += int(repeat.group(1)) if repeat else 1
    return total or None


def _adoc_table(lines: list[str], columns: int | None) -> list[str]:
    """An AsciiDoc table as Markdown pipe rows: cells may be on one line or one per line, a line that opens no cell
    continues the cell before it, and a first line followed by a blank line is the header (AsciiDoc's implicit
    header), ruled off as Markdown does."""
    cells: list[str] = []
    header = 0
    first = True
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        pieces = ADOC_CELL_RE.split(line.strip())
        lead, opened = pieces[0].strip(), [p.strip() for p in pieces[1:]]
        if lead and cells:
            cells[-1] = f"{cells[-1]} {lead}"
        cells += opened
        if first:
            first = False
            blank_after = n + 1 < len(lines) and not lines[n + 1].strip()
            if len(opened) > 1 and blank_after:
                header = len(opened)
            columns = columns or len(opened) or None
    if not columns or columns < 2:
        return [" ".join(cells)]
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    out = [f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in rows]
    if header == columns:
        out.insert(1, "|" + " --- |" * columns)
    return out


def _heading_level(line: str) -> tuple[int, str] | None:
    stripped = line.strip()
    match = NUMBERED_HEADING_RE.match(stripped)
    if match and not stripped.endswith((".", ",", ";", ":")) and len(stripped.split()) <= 12:
        return match.group(1).count(".") + 2, stripped
    match = ASCIIDOC_HEADING_RE.match(stripped)
    if match:
        return len(match.group(1)), match.group(2).strip()
    return None


def parse_text(text: str, pages: list[str] | None = None, title: str = "",
               page_labels: list[str | None] | None = None) -> tuple[str, tuple[Block, ...]]:
    """Split plain text (or per-page texts, 1-based) into paragraph blocks carrying heading path and page (and the
    page's printed number, from `page_labels`, one per page)."""
    page_texts = pages if pages is not None else text.split("\f")
    numbered = pages is not None or len(page_texts) > 1
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = [(0, title)] if title else []
    para: list[str] = []
    page: int | None = None

    def flush() -> None:
        body = unwrap("\n".join(para)).strip()
        if body:
            label = page_labels[page - 1] if page_labels and page is not None and page <= len(page_labels) else None
            blocks.append(Block(text=body, page=page, headings=tuple(h for _, h in headings), page_label=label))
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
