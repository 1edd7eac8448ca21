"""Find the files under the given paths and load each into a `Document`, one loader per format.

Formats: Markdown, plain text, PDF, HTML, work-order CSV/JSONL, timestamped event logs. A `.copilotignore` file
(gitignore-style globs, one a line) in a folder excludes paths below it, e.g. a corpus's evaluation questions.
"""

from __future__ import annotations

import errno
import fnmatch
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from index.config import IndexConfig
from index.errors import DocumentLoadError
from index.loaders.encoding import read_text
from index.loaders.logs import parse_log
from index.loaders.markdown import find_assets, html_to_markdown, parse_markdown
from index.loaders.pdf import parse_pdf
from index.loaders.tabular import guess_columns, parse_records, read_table
from index.loaders.text import asciidoc_to_text, looks_like_asciidoc, parse_text
from index.records import Document

logger = logging.getLogger(__name__)

SUFFIXES = {".md", ".markdown", ".txt", ".text", ".adoc", ".asciidoc", ".pdf", ".html", ".htm", ".csv", ".jsonl",
            ".log"}
IGNORE_FILE = ".copilotignore"
DEFAULT_LIMITS = IndexConfig()

__all__ = ["SUFFIXES", "Skipped", "discover", "load_document", "guess_columns", "read_table"]


@dataclass(frozen=True)
class Skipped:
    """A path that was not indexed, and why."""

    path: str
    reason: str


def _ignore_patterns(folder: Path) -> list[str]:
    ignore = folder / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8").splitlines()
    return [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _unusable_link(path: Path) -> str | None:
    """Why a symlink cannot be read ("symlink loop", "broken symlink"), or None when it leads somewhere."""
    try:
        path.stat()
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "broken symlink (its target does not exist)"
    except RuntimeError:  # pathlib's own loop detection on some Python versions
        return "symlink loop"
    return None


def _missing_reason(path: Path) -> str:
    if path.is_symlink():
        return _unusable_link(path) or "no such file or folder"
    return "no such file or folder"


def discover(paths: list[Path]) -> tuple[list[tuple[Path, Path | None]], list[Skipped]]:
    """Expand files and folders into (file, root folder or None if given directly), plus what was skipped and why.

    Symlinked files are read; symlinked folders are not entered (a link to a parent folder would loop forever). A
    symlink that loops or leads nowhere is skipped with a warning naming it.
    """
    found: list[tuple[Path, Path | None]] = []
    skipped: list[Skipped] = []
    for given in paths:
        if not given.exists():
            skipped.append(Skipped(str(given), _missing_reason(given)))
            continue
        if given.is_file():
            if given.suffix.lower() in SUFFIXES:
                found.append((given, None))
            else:
                skipped.append(Skipped(str(given), f"unsupported file type {given.suffix or '(none)'}"))
            continue
        patterns = _ignore_patterns(given)
        for file in sorted(given.rglob("*")):
            rel = file.relative_to(given)
            if any(part.startswith(".") for part in rel.parts):
                continue
            rel_text = rel.as_posix()
            if any(fnmatch.fnmatch(rel_text, pat) or rel_text.startswith(pat + "/") for pat in patterns):
                continue
            if not file.is_file():
                why = _unusable_link(file) if file.is_symlink() else None
                if file.is_symlink() and why is None and file.is_dir():
                    why = "symlink to a folder, not followed (give that folder itself)"
                if why:
                    skipped.append(Skipped(str(file), why))
                    logger.warning("skipped %s: %s", file, why)
                continue
            if file.suffix.lower() in SUFFIXES:
                found.append((file, given))
            else:
                skipped.append(Skipped(str(file), f"unsupported file type {file.suffix or '(none)'}"))
    unique: list[tuple[Path, Path | None]] = []
    seen: set[Path] = set()
    for file, root in found:  # a file reached twice (given directly and inside a folder) is indexed once
        if file.resolve() not in seen:
            seen.add(file.resolve())
            unique.append((file, root))
    return unique, skipped


def _check_size(path: Path, suffix: str, max_file_bytes: int, max_text_bytes: int) -> None:
    size = path.stat().st_size
    limit, what, key = ((max_file_bytes, "files", "max_file_mb") if suffix == ".pdf"
                        else (max_text_bytes, "text files", "max_text_mb"))
    if size > limit:
        raise DocumentLoadError(path, f"file is {size / 2**20:.1f} MB, over the {limit / 2**20:g} MB limit for "
                                      f"{what} (index.{key} in the config): split it, or raise the limit")


def load_document(path: Path, rel_path: str, log_columns: dict[str, str] | None = None, *,
                  max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes,
                  max_text_bytes: int = DEFAULT_LIMITS.max_text_bytes) -> Document:
    """Load one file into a Document; raise DocumentLoadError with the reason when it cannot be used.

    Whatever a file holds, the only error this raises is DocumentLoadError: a parser library's own exception on a
    malformed file becomes the file's reason for failing, so one bad file never stops a build.
    """
    suffix = path.suffix.lower()
    source = path.name
    try:
        _check_size(path, suffix, max_file_bytes, max_text_bytes)
        if suffix in (".md", ".markdown"):
            title, blocks = parse_markdown(read_text(path))
            return Document(source, rel_path, "manual", blocks, title or path.stem, find_assets(blocks[:6]))
        if suffix in (".html", ".htm"):
            title, blocks = parse_markdown(html_to_markdown(read_text(path)))
            return Document(source, rel_path, "manual", blocks, title or path.stem, find_assets(blocks[:6]))
        if suffix == ".pdf":
            title, blocks = parse_pdf(path, max_text_bytes)
            return Document(source, rel_path, "manual", blocks, title, find_assets(blocks[:6]))
        if suffix in (".csv", ".jsonl"):
            title, blocks, doc_type = parse_records(path, log_columns)
            return Document(source, rel_path, doc_type, blocks, title)
        if suffix == ".log":
            parsed = parse_log(path)
            if parsed is not None:
                title, blocks = parsed
                return Document(source, rel_path, "log", blocks, title)
        text = read_text(path)
        if suffix in (".adoc", ".asciidoc") or looks_like_asciidoc(text):
            text = asciidoc_to_text(text)
        stem = path.stem.removesuffix(".adoc").removesuffix(".asciidoc")
        title, blocks = parse_text(text, title=re.sub(r"[_\s]+", " ", stem).strip())
        return Document(source, rel_path, "text", blocks, title, find_assets(blocks[:6]))
    except DocumentLoadError:
        raise
    except OSError as exc:
        raise DocumentLoadError(path, f"cannot read file ({exc.strerror or exc})") from exc
    except Exception as exc:  # a parser's error on a malformed file (pypdf, pandas, html.parser): this file fails
        logger.debug("loading %s failed", path, exc_info=True)
        raise DocumentLoadError(path, f"cannot read this file ({type(exc).__name__}: {str(exc)[:200]})") from exc
