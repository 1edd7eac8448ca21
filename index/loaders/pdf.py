"""PDF pages into blocks with their page numbers (pypdf), failing clearly on corrupt or image-only files."""

from __future__ import annotations

import logging
from pathlib import Path

from index.errors import DocumentLoadError
from index.loaders.text import parse_text
from index.records import Block

logger = logging.getLogger(__name__)


def parse_pdf(path: Path) -> tuple[str, tuple[Block, ...]]:
    """Read every page's text; page numbers are the PDF's physical pages, counted from 1."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise DocumentLoadError(path, f"encrypted PDF ({exc}): save an unencrypted copy") from exc
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append(page.extract_text() or "")
            except Exception as exc:  # one damaged page must not lose the rest of the manual
                logger.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
                pages.append("")
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentLoadError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentLoadError(path, f"not a readable PDF ({exc}); re-export it or convert it to text") from exc
    if not any(p.strip() for p in pages):
        raise DocumentLoadError(path, "PDF has no extractable text (scanned images?): run OCR on it first")
    title = meta_title.strip() or path.stem.replace("_", " ")
    return parse_text("", pages=pages, title=title)
