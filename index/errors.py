"""Errors raised by the index package.

`index` knows nothing about the copilot, so it has its own small hierarchy; `copilot.errors` re-exports these and the
CLI treats them as domain errors (exit code 1, one line on stderr).
"""

from __future__ import annotations


class IndexStoreError(Exception):
    """Base class of every error the index package raises on bad input or bad state."""


class IndexNotFoundError(IndexStoreError):
    """No index at the given directory."""

    def __init__(self, path: object) -> None:
        super().__init__(
            f"no index found at {path}: build one with `copilot index build corpus/ --index {path}`"
        )


class IndexMismatchError(IndexStoreError):
    """The index on disk was built with another embedder (or another format) than the one configured."""


class DocumentLoadError(IndexStoreError):
    """One input file could not be read (corrupt PDF, undecodable text, unusable CSV)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class EmbedderLoadError(IndexStoreError):
    """The configured embedding model cannot be found or loaded offline."""


class MissingPathError(IndexStoreError):
    """A path given to build or sync does not exist: nothing is written, so a typo never empties an index."""
