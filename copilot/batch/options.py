"""BatchOptions: what `copilot batch` was asked to do, checked when created."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class BatchOptions:
    """Options of one batch run. Everything that changes a report is part of the resume key (`fingerprint`)."""

    workers: int = 2  # local threads, or Ray actors (each with its own copilot)
    engine: str = "local"  # local | ray (RAY_ADDRESS selects a cluster; unset starts a local Ray)
    since: str | None = None  # ISO date: only records on or after it
    asset: str | None = None  # only this asset
    no_llm: bool = False  # facts and templated prose only
    plots: bool = True
    max_new_tokens: int = 64  # one short paragraph per asset: SmolLM2-135M writes ~17 tokens/s on 2 cores
    recommendations: int = 4  # recurring failures looked up in the manuals per asset

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {self.workers}")
        if self.engine not in ENGINES:
            raise ValueError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.since is not None:
            try:
                date.fromisoformat(self.since)
            except ValueError as exc:
                raise ValueError(f"--since must be a date like 2024-01-31, got {self.since!r}") from exc
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")

    def fingerprint(self) -> dict[str, object]:
        """The options that shape a report (not workers or engine: they must not change it)."""
        return {"since": self.since, "no_llm": self.no_llm, "plots": self.plots,
                "max_new_tokens": self.max_new_tokens, "recommendations": self.recommendations}
