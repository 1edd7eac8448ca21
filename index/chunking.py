"""Structure-aware chunking: documents' blocks -> chunks that keep heading path and page, and tables whole.

Rules: a chunk never spans two sections or two pages (its citation must be exact); paragraphs of one section and page
are packed up to `chunk_words`; a long paragraph is cut into overlapping word windows at sentence ends where
possible; a table is cut between rows and every piece repeats the table header; a log record is its own chunk.
Chunk ids hash the content, so they stay stable when other parts of a file change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from index.config import IndexConfig
from index.records import Block, Chunk, Document

SENTENCE_END_RE = re.compile(r"(?<=[.!?;:])\s+|\n+")


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
    return _to_chunks(doc, pieces)


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


def _windows(text: str, cfg: IndexConfig) -> list[str]:
    """Cut text longer than chunk_words into overlapping windows, preferring sentence boundaries."""
    if _words(text) <= cfg.chunk_words:
        return [text]
    sentences = [s for s in SENTENCE_END_RE.split(text) if s.strip()]
    windows: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        while len(words) > cfg.chunk_words:  # a run-on "sentence" (a log, a list without stops)
            if current:
                windows.append(" ".join(current))
                current = current[-cfg.overlap_words:] if cfg.overlap_words else []
            take = cfg.chunk_words - len(current)
            current.extend(words[:take])
            words = words[take:]
            windows.append(" ".join(current))
            current = current[-cfg.overlap_words:] if cfg.overlap_words else []
        if current and len(current) + len(words) > cfg.chunk_words:
            windows.append(" ".join(current))
            current = current[-cfg.overlap_words:] if cfg.overlap_words else []
        current.extend(words)
    if current and (not windows or " ".join(current) not in windows[-1]):
        windows.append(" ".join(current))
    return windows


def _slug(text: str) -> str:
    match = re.match(r"^(\d+(?:\.\d+)*)\b", text)
    if match:
        return match.group(1)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "s"


def _to_chunks(doc: Document, pieces: list[tuple[Block, str]]) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for block, text in pieces:
        headings = block.headings or ((doc.title,) if doc.title else ())
        # The deepest heading is the section, unless it is just the document's own title.
        section = headings[-1] if headings and (len(headings) > 1 or headings[0] != doc.title) else None
        digest = hashlib.sha1(f"{section}\x1f{block.page}\x1f{text}".encode()).hexdigest()[:10]
        chunk_id = f"{doc.path}#{_slug(section or 'doc')}:{digest}"
        ordinal = 2
        while chunk_id in seen:  # identical text twice in one section: keep both, with distinct ids
            chunk_id = f"{doc.path}#{_slug(section or 'doc')}:{digest}-{ordinal}"
            ordinal += 1
        seen.add(chunk_id)
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
            )
        )
    return chunks
