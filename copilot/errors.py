"""The copilot's error hierarchy. Library code raises these; only the edges (CLI, UI, batch) catch them.

Every message says what is wrong and what to do next. Index errors come from `index.errors` and are re-exported.
"""

from __future__ import annotations

from index.errors import (
    DocumentLoadError,
    EmbedderLoadError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
)


class CopilotError(Exception):
    """Base class of the copilot's domain errors."""


class ModelLoadError(CopilotError):
    """A language model cannot be found or loaded offline."""


class SensorDataError(CopilotError):
    """A sensor file cannot be used: no timestamp column, no numeric channel, nothing parsable."""


class ConfigError(CopilotError):
    """A configuration file or override is invalid."""


class GenerationError(CopilotError):
    """A generator backend failed (an unreachable endpoint, a malformed reply)."""


# Everything the CLI reports as a one-line domain error (exit code 1).
USER_ERRORS: tuple[type[Exception], ...] = (CopilotError, IndexStoreError)

__all__ = [
    "USER_ERRORS", "ConfigError", "CopilotError", "DocumentLoadError", "EmbedderLoadError", "GenerationError",
    "IndexMismatchError", "IndexNotFoundError", "IndexStoreError", "ModelLoadError", "SensorDataError",
]
