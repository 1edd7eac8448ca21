"""PDF pages into blocks with their page numbers (pypdf), failing clearly on corrupt or image-only files."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from index.errors import DocumentLoadError
from index.loaders.text import parse_text
from index.records import Block

logger = logging.getLogger(__name__)


DECRYPT_HINT = ("decrypt a copy (`qpdf --decrypt in.pdf out.pdf`, with `--password=PASSWORD` if it has one) and index "
                "that")


def _encrypted(path: Path, why: str, exc: BaseException | None = None) -> DocumentLoadError:
    detail = f" ({exc})" if exc is not None and str(exc) else ""
    return DocumentLoadError(path, f"encrypted PDF: {why}{detail}; {DECRYPT_HINT}")


def parse_pdf(path: Path, max_text_bytes: int | None = None) -> tuple[str, tuple[Block, ...]]:
    """Read every page's text; page numbers are the PDF's physical pages, counted from 1.

    An encrypted PDF is read when it opens without a password (permissions only, as vendors often ship manuals);
    one that needs a password, or a cipher pypdf cannot run, fails as "encrypted PDF" with how to decrypt it.
    Any other pypdf error fails the file as "not a readable PDF". Text beyond `max_text_bytes` (UTF-8) is refused.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:
                raise _encrypted(path, "its AES cipher needs the `cryptography` package", exc) from exc
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise _encrypted(path, "its encryption is not supported", exc) from exc
            if not opened:
                raise _encrypted(path, "it needs a password to open")
        pages = []
        size = 0
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except (DependencyError, FileNotDecryptedError):
                raise
            except Exception as exc:  # one damaged page must not lose the rest of the manual
                logger.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
                text = ""
            size += len(text.encode("utf-8", errors="replace"))
            if max_text_bytes is not None and size > max_text_bytes:
                raise DocumentLoadError(path, f"PDF text is over the {max_text_bytes / 2**20:g} MB limit for text "
                                              f"(index.max_text_mb in the config) by page {number}: split the PDF, "
                                              "or raise the limit")
            pages.append(text)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentLoadError:
        raise
    except DependencyError as exc:  # AES: raised inside PdfReader() without the `cryptography` package
        raise _encrypted(path, "its AES cipher needs the `cryptography` package (pip install cryptography)",
                         exc) from exc
    except FileNotDecryptedError as exc:
        raise _encrypted(path, "it needs a password to open", exc) from exc
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise DocumentLoadError(path, f"not a readable PDF ({type(exc).__name__}: {str(exc)[:200]}); re-export it "
                                      "or convert it to text") from exc
    if not any(p.strip() for p in pages):
        raise DocumentLoadError(path, "PDF has no extractable text (scanned images?): run OCR on it first")
    title = str(meta_title).strip() or path.stem.replace("_", " ")
    texts, labels = page_labels(pages)
    return parse_text("", pages=texts, title=title, page_labels=labels)


# A printed page label: "27", "10-27", "A-3", "6.14" (its last number counts the pages).
_LABEL_RE = re.compile(r"(?:[A-Z]?\d{0,3}[-–.])?(\d{1,4})")


def page_labels(pages: list[str]) -> tuple[list[str], list[str | None]]:
    """(page texts without their printed page numbers, each page's printed number or None): "10-27 When the magneto
    check..." is page 27 of a chapter-10 PDF, printed "10-27", which is what a technician with the paper handbook
    looks up; citations show both.

    A label is recognised by its count: on at least 60% of the pages (and three or more), the first (or last) word's
    last number is the page's own number plus one fixed offset. Only those words are removed, so a page that happens to
    begin with a number keeps it.
    """
    cleaned = list(pages)
    labels: list[str | None] = [None] * len(pages)
    for position in (0, -1):
        words = [p.split() for p in cleaned]
        offsets = {}
        for number, page_words in enumerate(words, start=1):
            match = _LABEL_RE.fullmatch(page_words[position]) if page_words else None
            if match:
                offsets[number] = int(match.group(1)) - number
        if not offsets:
            continue
        common = max(set(offsets.values()), key=list(offsets.values()).count)
        labelled = [n for n, off in offsets.items() if off == common]
        if len(labelled) < 3 or len(labelled) < 0.6 * len(pages):
            continue
        for number in labelled:
            text = cleaned[number - 1]
            label = words[number - 1][position]
            cleaned[number - 1] = (text.lstrip()[len(label):] if position == 0
                                   else text.rstrip()[: -len(label)])
            labels[number - 1] = labels[number - 1] or label
    return cleaned, labels
