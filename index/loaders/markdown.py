"""Markdown (and HTML, via a conversion to Markdown-like lines) into structural blocks.

Keeps what citations need: the heading path above every block and the page from `<!-- page N -->` markers; keeps a
table whole with its header so the chunker can repeat the header in every piece.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from index.loaders.unwrap import unwrap
from index.records import Block

PAGE_RE = re.compile(r"^\s*<!--\s*page\s+(\d+)\s*-->\s*$", re.IGNORECASE)
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
TABLE_SEP_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
ASSET_ID_RE = re.compile(r"\b[A-Z]{1,3}-\d{3}\b")


FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
# A YAML block in the middle of a file: documentation sites concatenated into one file, one block per page.
INNER_FRONT_MATTER_RE = re.compile(r"^---[ \t]*\n([A-Za-z_][\w-]*:.*\n(?:.*\n)*?)---[ \t]*$", re.MULTILINE)
TEMPLATE_TAG_RE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")  # Jekyll/Liquid tags in documentation sites
# [label](target "title"), ![alt](image) and [label][ref]: the label is what a reader reads; the target is a URL that
# would fill a small embedder's 256-token window and match every query word "docs" or "html".
LINK_RE = re.compile(r"!?\[([^\]\n]*)\](?:\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\)|\[[^\]\n]*\])")
LINE_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
KRAMDOWN_ATTRIBUTES_RE = re.compile(r"\{:[^}\n]*\}")  # "{: .floater.framed}" after an image: styling, not text


INLINE_CODE_RE = re.compile(r"(`+)[^`]*?\1")
# Markup is rewritten only on lines up to this long. The link, code-span and template-tag patterns backtrack, so a
# crafted line of brackets or backticks costs time quadratic in its length (200 kB of "[": 9 minutes); no line of the
# corpus or the evaluated manuals is over 869 characters, and a longer line is data, not prose: kept as it is.
MAX_MARKUP_LINE_CHARS = 2000


def strip_template_tags(text: str) -> str:
    """`text` without Jekyll/Liquid tags (TEMPLATE_TAG_RE), line by line, leaving over-long lines as they are."""
    if "{%" not in text and "{{" not in text:
        return text
    return "\n".join(TEMPLATE_TAG_RE.sub("", line) if len(line) <= MAX_MARKUP_LINE_CHARS else line
                     for line in text.split("\n"))


def plain_links(line: str) -> str:
    """A Markdown line as it reads: links and images by their label, `<br>` as a space, kramdown attribute lists
    dropped (code spans untouched)."""
    if len(line) > MAX_MARKUP_LINE_CHARS:
        return line
    code = [m.span() for m in INLINE_CODE_RE.finditer(line)]

    def label(match: re.Match[str]) -> str:
        inside = any(a < match.start() < b for a, b in code)
        return match.group(0) if inside else match.group(1)

    if "](" in line or "][" in line:  # no link without one: a line of stray brackets costs no search
        line = LINK_RE.sub(label, line)
    return KRAMDOWN_ATTRIBUTES_RE.sub("", LINE_BREAK_TAG_RE.sub(" ", line))


def split_front_matter(text: str) -> tuple[str, str, str]:
    """(title, front matter text, body) of a document with a YAML front-matter block; ('', '', text) without."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return "", "", text
    title = ""
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "title":
            title = value.strip().strip("'\"")
    return title, match.group(1), text[match.end():]


def _inner_front_matter_heading(match: re.Match[str]) -> str:
    """Turn a page's YAML block into a level-1 heading (its title, with its codes) followed by the block's text."""
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t")):
            fields[key.strip().lower()] = value.strip().strip("'\"")
    title = fields.get("title")
    if not title:
        return match.group(0)
    codes = fields.get("codes", "").strip("[] ")
    heading = f"{title} ({codes})" if codes else title
    body = "\n".join(ln for ln in match.group(1).splitlines() if not ln.lower().startswith("title:"))
    return f"# {heading}\n\n{body}\n"


def parse_markdown(text: str) -> tuple[str, tuple[Block, ...]]:
    """Split Markdown into blocks; return (title, blocks). The title is the first level-1 heading, if any."""
    blocks: list[Block] = []
    front_title, front_matter, text = split_front_matter(text)
    text = INNER_FRONT_MATTER_RE.sub(_inner_front_matter_heading, strip_template_tags(text))
    headings: list[tuple[int, str]] = [(0, front_title)] if front_title else []
    page: int | None = None
    title = front_title
    para: list[str] = []
    table: list[str] = []
    in_fence = False

    def path() -> tuple[str, ...]:
        return tuple(h for _, h in headings)

    def flush_para() -> None:
        if para:
            body = unwrap("\n".join(para)).strip()
            if body:
                blocks.append(Block(text=body, page=page, headings=path()))
            para.clear()

    def flush_table() -> None:
        if table:
            blocks.append(_table_block(table, page, path()))
            table.clear()

    lines = text.splitlines()
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if not in_fence:
            line = plain_links(line)
        if line.lstrip().startswith("```"):
            flush_table()
            in_fence = not in_fence
            para.append(line)
            continue
        if in_fence:
            para.append(line)
            continue
        page_match = PAGE_RE.match(line)
        if page_match:
            flush_para()
            flush_table()
            page = int(page_match.group(1))
            continue
        heading = HEADING_RE.match(line)
        if heading:
            flush_para()
            flush_table()
            level, name = len(heading.group(1)), _strip_inline(heading.group(2))
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, name)]
            if level == 1 and not title:
                title = name
            continue
        if _table_row(line, bool(table), lines[i + 1] if i + 1 < len(lines) else ""):
            flush_para()
            table.append(_with_outer_pipes(line.strip()))
            continue
        flush_table()
        if not line.strip():
            flush_para()
            continue
        if line.lstrip().startswith("<!--"):
            continue
        para.append(line)
    flush_para()
    flush_table()
    if not blocks and front_matter.strip():  # documentation pages that keep their content in the front matter
        blocks.append(Block(text=front_matter.strip(), page=None, headings=(front_title,) if front_title else ()))
    return title, tuple(blocks)


def _table_row(line: str, in_table: bool, below: str) -> bool:
    """A pipe-table line: "| a | b |", or GFM's form without outer pipes ("a|b") when it heads a table (the line
    below is the "---|---" separator) or continues one."""
    stripped = line.strip()
    if stripped.startswith("|"):
        return True
    return "|" in stripped and (in_table or bool(TABLE_SEP_RE.match(below.strip())))


def _with_outer_pipes(row: str) -> str:
    """"a|b" as "| a|b |", so every table row reads the same way downstream (a row starts with "|")."""
    if not row.startswith("|"):
        row = "| " + row
    if not row.endswith("|") or row.endswith("\\|"):
        row += " |"
    return row


def _table_block(lines: list[str], page: int | None, headings: tuple[str, ...]) -> Block:
    if len(lines) >= 2 and TABLE_SEP_RE.match(lines[1]):
        header = "\n".join(lines[:2])
        rows = lines[2:]
    else:
        header, rows = None, lines
    return Block(text="\n".join(rows), page=page, headings=headings, kind="table", table_header=header)


EMPHASIS_RE = re.compile(r"(?<![\w*])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*])")


def _strip_inline(text: str) -> str:
    """A heading's text without inline markup: code ticks and emphasis go, but an identifier's own underscores stay
    ("Z_ENDSTOP_SERVO_NR" is an option users search for; as in CommonMark, intraword "_" is not emphasis)."""
    previous = None
    text = text.replace("`", "")
    while previous != text:  # nested emphasis, "**_both_**"
        previous, text = text, EMPHASIS_RE.sub(r"\2", text)
    return text.strip()


def find_assets(blocks: Iterable[Block]) -> tuple[str, ...]:
    """Asset ids named in an 'Applies to' line of the front matter (e.g. `| Applies to | P-101, P-102 |`)."""
    for block in blocks:
        for line in block.text.splitlines():
            if "applies to" in line.lower():
                return tuple(dict.fromkeys(ASSET_ID_RE.findall(line)))
    return ()


class _HtmlToMarkdown(HTMLParser):
    """Just enough HTML to Markdown for manuals saved as web pages: headings, paragraphs, lists, tables."""

    BLOCK_TAGS = {"p", "div", "section", "article", "br", "li", "pre", "blockquote", "dd", "dt"}
    SKIP_TAGS = {"script", "style", "nav", "footer", "head", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.heading_level = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.rows_in_table = 0

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            self.lines.extend([text, ""])
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP_TAGS:
            self.skip_depth += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.heading_level = int(tag[1])
        elif tag == "table":
            self._flush()
            self.rows_in_table = 0
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in self.BLOCK_TAGS and self.row is None:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self.heading_level:
            text = re.sub(r"\s+", " ", "".join(self.current)).strip()
            if text:
                self.lines.extend(["#" * self.heading_level + " " + text, ""])
            self.current = []
            self.heading_level = 0
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip().replace("|", "/"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.lines.append("| " + " | ".join(self.row) + " |")
                if self.rows_in_table == 0:
                    self.lines.append("|" + "---|" * len(self.row))
                self.rows_in_table += 1
            self.row = None
        elif tag == "table":
            self.lines.append("")
        elif tag in self.BLOCK_TAGS and self.row is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.current.append(data)


def html_to_markdown(html: str) -> str:
    """Convert an HTML page to Markdown-like text that `parse_markdown` understands."""
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    parser._flush()
    return "\n".join(parser.lines)
