"""Typed records that flow through ingestion: a loaded document's blocks, the chunks cut from them, search hits.

Frozen dataclasses rather than dicts so a misspelt field fails loudly and every stage states what it consumes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Block:
    """One structural unit of a document: a paragraph, a list, a table or a log record.

    `headings` is the path of headings above the block (document title first); `table_header` holds the header and
    separator lines of a table so that every chunk cut from it can repeat them.
    """

    text: str
    page: int | None
    headings: tuple[str, ...]
    kind: str = "text"  # text | table | record
    table_header: str | None = None
    assets: tuple[str, ...] = ()  # for log records: the asset the record is about
    date: str | None = None  # for log records: ISO date
    page_label: str | None = None  # the page number printed on the page ("10-27"), where the document prints one


@dataclass(frozen=True)
class Document:
    """A loaded file: where it came from, what kind it is, and its blocks in reading order."""

    source: str  # file name, shown in citations
    path: str  # path as given to the indexer (relative to the corpus root where possible)
    doc_type: str  # manual | work_order | log | text
    blocks: tuple[Block, ...]
    title: str = ""
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage with everything a citation needs."""

    chunk_id: str
    text: str
    source: str
    path: str
    doc_type: str
    page: int | None
    section: str | None
    headings: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    date: str | None = None  # ISO date for log records, used by the batch job and recency filters
    kind: str = "text"
    page_label: str | None = None  # the page number printed on the page ("10-27"), where the document prints one

    @property
    def context_text(self) -> str:
        """The text that is embedded and keyword-indexed: heading path, then the passage."""
        path = " > ".join(h for h in self.headings if h)
        return f"{path}\n{self.text}" if path else self.text

    @cached_property
    def fields(self) -> dict[str, str]:
        """A record's {column: value} (work orders, tables: the `column: value` lines its loader wrote); parsed once."""
        return record_fields(self.text)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        data = dict(data)
        data["headings"] = tuple(data.get("headings") or ())
        data["assets"] = tuple(data.get("assets") or ())
        return cls(**data)


@dataclass(frozen=True)
class Hit:
    """A chunk found by search, with its fused score and the scores of each retriever that found it."""

    chunk: Chunk
    score: float  # reciprocal-rank-fusion score (higher is better)
    dense: float | None = None  # cosine similarity, when the vector search found it
    keyword: float | None = None  # BM25 score, when the keyword search found it
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a search hit (`copilot search --json`, `GET /search`)."""
        chunk = self.chunk
        return {"source": chunk.source, "path": chunk.path, "page": chunk.page, "page_label": chunk.page_label,
                "section": chunk.section, "chunk_id": chunk.chunk_id, "score": round(self.score, 5),
                "cosine": None if self.dense is None else round(self.dense, 4), "text": chunk.text}


def record_fields(text: str) -> dict[str, str]:
    """The {column: value} of a record block's text (the `column: value` lines the tabular loader writes)."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def page_reference(page: int | None, label: str | None = None) -> str | None:
    """How a citation names a page: 'p. 27', or 'p. 27, printed 10-27' where the document prints its own page
    numbers (a handbook's "chapter-page"), so the page can be found in the PDF viewer and on paper alike."""
    if page is None:
        return None
    return f"p. {page}" + (f", printed {label}" if label and label != str(page) else "")
