"""Structure-aware chunking: documents' blocks -> chunks that keep heading path and page, and tables whole.

Rules: a chunk never spans two sections or two pages (its citation must be exact); paragraphs of one section and page
are packed up to `chunk_words`; a long paragraph is cut into overlapping word windows at sentence ends where
possible; a table is cut between rows and every piece repeats the table header; a log record is its own chunk. A piece
still longer than MAX_CHUNK_CHARS (a line with few spaces: base64, minified HTML, a giant table row) is cut at
whitespace into pieces that long, so no input makes an unbounded chunk.
Chunk ids hash the content, so they stay stable when other parts of a file change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from index.config import MAX_CHUNK_CHARS, IndexConfig
from index.records import Block, Chunk, Document

SENTENCE_END_RE = re.compile(r"(?<=[.!?;])\s+")


def split_document(doc: Document, cfg: IndexConfig) -> list[Chunk]:
    """Cut one document into chunks (pure)."""
    pieces: list[tuple[Block, str]] = []  # (block carrying the metadata, chunk text)
    pending: list[Block] = []

    def pending_words() -> int:
        return sum(_words(b.text) for b in pending)

    def flush() -> None:
        if pending:
            pieces.append((pending[0], "\n\n".join(b.text for b in pending)))
            pending.clear()

    for block in doc.blocks:
        if pending and (block.headings, block.page) != (pending[0].headings, pending[0].page):
            flush()
        if block.kind == "record":
            flush()
            pieces.extend((block, text) for text in _windows(block.text, cfg))
        elif block.kind == "table":
            rows = [r for r in block.text.splitlines() if r.strip()]
            header = block.table_header or ""
            first_row = _words(rows[0]) if rows else 0
            if pending and pending_words() + _words(header) + first_row > cfg.chunk_words:
                flush()  # the lead-in text does not fit beside the first rows: let it stand alone
            lead = "\n\n".join(b.text for b in pending)
            first_budget = cfg.chunk_words - pending_words()
            for number, group in enumerate(_row_groups(rows, _words(header), first_budget, cfg.chunk_words)):
                body = "\n".join(([header] if header else []) + group)
                if number == 0 and lead:
                    pieces.append((pending[0], lead + "\n\n" + body))
                else:
                    pieces.append((block, body))
            pending.clear()
        else:
            if pending and pending_words() + _words(block.text) > cfg.chunk_words:
                flush()
            if _words(block.text) > cfg.chunk_words:
                flush()
                pieces.extend((block, text) for text in _windows(block.text, cfg))
            else:
                pending.append(block)
    flush()
    return _to_chunks(doc, [(block, part) for block, text in pieces for part in _bounded(text, MAX_CHUNK_CHARS)])


def split_documents(docs: Iterable[Document], cfg: IndexConfig) -> list[Chunk]:
    """Cut many documents into chunks, in order."""
    return [chunk for doc in docs for chunk in split_document(doc, cfg)]


def _words(text: str) -> int:
    return len(text.split())


def _row_groups(rows: list[str], header_words: int, first_budget: int, budget: int) -> list[list[str]]:
    """Pack table rows into groups that fit the chunk size beside the repeated header; a huge row stands alone."""
    groups: list[list[str]] = [[]]
    used, limit = header_words, first_budget
    for row in rows:
        words = _words(row)
        if groups[-1] and used + words > limit:
            groups.append([])
            used, limit = header_words, budget
        groups[-1].append(row)
        used += words
    return groups


def _units(text: str) -> list[tuple[str, str]]:
    """(separator, unit) pairs: each line, cut at sentence ends; the separator keeps the line structure."""
    units: list[tuple[str, str]] = []
    for line in text.splitlines():
        for i, sentence in enumerate(s for s in SENTENCE_END_RE.split(line.strip()) if s.strip()):
            units.append(("\n" if i == 0 else " ", sentence.strip()))
    return units


def _windows(text: str, cfg: IndexConfig) -> list[str]:
    """Cut text longer than chunk_words into overlapping windows at sentence and line ends, keeping line breaks
    (a table row extracted from a PDF stays one line)."""
    if _words(text) <= cfg.chunk_words:
        return [text]
    units: list[tuple[str, str]] = []
    for sep, sentence in _units(text):  # a run-on unit longer than a chunk is cut into word slices
        words = sentence.split()
        for start in range(0, len(words), cfg.chunk_words):
            units.append((sep if start == 0 else " ", " ".join(words[start:start + cfg.chunk_words])))
    windows: list[str] = []
    current: list[tuple[str, str]] = []
    for unit in units:
        if current and sum(_words(u) for _, u in current) + _words(unit[1]) > cfg.chunk_words:
            windows.append(_join(current))
            carry: list[tuple[str, str]] = []
            for previous in reversed(current):  # overlap: whole trailing units up to overlap_words
                if sum(_words(u) for _, u in carry) + _words(previous[1]) > cfg.overlap_words:
                    break
                carry.insert(0, previous)
            current = carry
        current.append(unit)
    if current:
        windows.append(_join(current))
    return windows


def _bounded(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, each cut at the last whitespace before the limit (or at the
    limit, when the second half of the piece has none); `[text]` when it is short enough."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window = text[start:start + limit + 1]
        cut = max(window.rfind(" "), window.rfind("\n"))
        if cut < limit // 2:
            cut = limit
        piece = text[start:start + cut].strip()
        if piece:
            pieces.append(piece)
        start += cut
    rest = text[start:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _join(units: list[tuple[str, str]]) -> str:
    return "".join((sep if i else "") + unit for i, (sep, unit) in enumerate(units)).strip()


def _slug(text: str) -> str:
    match = re.match(r"^(\d+(?:\.\d+)*)\b", text)
    if match:
        return match.group(1)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "s"


def _to_chunks(doc: Document, pieces: list[tuple[Block, str]]) -> list[Chunk]:
    chunks: list[Chunk] = []
    copies: dict[str, int] = {}  # id -> how many chunks carry it so far (a count: a file of repeats stays linear)
    for block, text in pieces:
        headings = block.headings or ((doc.title,) if doc.title else ())
        # The deepest heading is the section; text before the first heading is cited to the document's title.
        section = headings[-1] if headings else None
        # The id hashes everything that is embedded (heading path and text) plus the page, so an unchanged id means
        # an unchanged vector: sync reuses it instead of embedding again.
        digest = hashlib.sha1("\x1f".join([*headings, str(block.page), text]).encode()).hexdigest()[:10]
        chunk_id = f"{doc.path}#{_slug(section or 'doc')}:{digest}"
        copies[chunk_id] = copies.get(chunk_id, 0) + 1
        if copies[chunk_id] > 1:  # identical text twice in one section: keep both, with distinct ids (-2, -3...)
            chunk_id = f"{chunk_id}-{copies[chunk_id]}"
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                text=text,
                source=doc.source,
                path=doc.path,
                doc_type=doc.doc_type,
                page=block.page,
                section=section,
                headings=headings,
                assets=block.assets or doc.assets,
                date=block.date,
                kind=block.kind,
                page_label=block.page_label,
            )
        )
    return chunks
