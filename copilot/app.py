"""The Copilot facade and composition root: builds embedder, index, retriever and generator from config, once.

Everything heavy is created here and passed down; tests build a Copilot from fakes with `Copilot(...)` directly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from copilot.anomaly.report import build_report
from copilot.anomaly.sensors import read_sensor_csv, read_sensor_frame
from copilot.config import CopilotConfig, load_config
from copilot.generation.backends import Generator, make_generator
from copilot.qa import spine as qa
from copilot.qa.retrieval import Retriever, load_rescorer
from copilot.records import AnomalyReport, Answer
from index.records import Hit
from index.rescore import Rescorer
from index.search import HybridIndex

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

ASSET_IN_NAME_RE = re.compile(r"\b([A-Za-z]{1,3})[-_]?(\d{3})\b")


class Copilot:
    """Ask questions of the indexed documents; analyse sensor logs. Build with `Copilot.load()`."""

    def __init__(self, cfg: CopilotConfig, index: HybridIndex, generator: Generator,
                 rescorer: Rescorer | None = None) -> None:
        self.cfg = cfg
        self.index = index
        self.generator = generator
        if rescorer is None:  # the configured re-scoring model (none by default), loaded once here
            rescorer = load_rescorer(index, cfg.retrieval, cfg.index)
        self.retriever = Retriever(index, cfg.retrieval, rescorer)

    @classmethod
    def load(cls, config: str | Path | CopilotConfig | None = None, *, index_dir: str | Path | None = None,
             model: str | None = None, no_adapter: bool = False, generator: Generator | None = None,
             embedder: Embeddings | None = None, overrides: dict[str, Any] | None = None) -> Copilot:
        """Build everything from config once. The language model itself loads lazily, on the first question.

        Args:
            config: a CopilotConfig, a YAML path, or None for defaults.
            index_dir, model: shortcuts for the `index_dir` and `generation.model` settings.
            no_adapter: run the base model without the LoRA adapter.
            generator, embedder: pre-built components (tests pass fakes).
        Raises:
            IndexNotFoundError, IndexMismatchError, ModelLoadError, EmbedderLoadError, ConfigError.
        """
        from copilot.generation.models import resolve_adapter, resolve_language_model
        from index.layout import live_generation

        extra = dict(overrides or {})
        if index_dir is not None:
            extra["index_dir"] = str(index_dir)
        if model is not None:
            extra["generation.model"] = model
        if isinstance(config, CopilotConfig):
            cfg = load_config(None, {**_flatten(config), **extra}) if extra else config
        else:
            cfg = load_config(config, extra)
        if no_adapter and cfg.generation.adapter:
            cfg = replace(cfg, generation=replace(cfg.generation, adapter=None))
        live_generation(cfg.index_dir)  # a missing index is reported before any model is loaded
        if embedder is None:
            embedder = cfg.index.load_embedder()
        index = HybridIndex.load(cfg.index_dir, embedder, cfg.index.embedder)
        if generator is None:
            model_path = None if cfg.generation.backend == "openai" else resolve_language_model(cfg.generation.model)
            generator = make_generator(cfg.generation, model_path, resolve_adapter(cfg.generation))
        return cls(cfg, index, generator)

    def ask(self, question: str, history: Sequence[tuple[str, str]] | None = None,
            asset: str | None = None) -> Answer:
        """Answer from the documents with checked citations, or abstain saying the documents do not cover it."""
        return qa.answer(question, self.retriever, self.generator, self.cfg.generation,
                         history=history or (), asset=asset)

    def stream(self, question: str, history: Sequence[tuple[str, str]] | None = None,
               asset: str | None = None) -> Iterator[str | Answer]:
        """Like `ask`, yielding text as it is generated and the checked Answer last."""
        return qa.stream_answer(question, self.retriever, self.generator, self.cfg.generation,
                                history=history or (), asset=asset)

    def search(self, query: str, k: int = 5, asset: str | None = None) -> list[Hit]:
        """Hybrid search without generation."""
        return self.index.search(query, k=k, asset=asset, candidates=self.cfg.retrieval.candidates,
                                 fusion=self.cfg.retrieval.fusion)

    def analyse(self, data: str | Path | pd.DataFrame, asset: str | None = None, *,
                fit: str | Path | pd.DataFrame | None = None, fit_rows: int | None = None,
                detector: str | None = None, plot: str | Path | None = None, summarise: bool = True
                ) -> AnomalyReport:
        """Detect anomalies in a sensor log and rank likely failure modes with cited repair actions.

        Args:
            data: a sensor CSV path, or a DataFrame (a timestamp column or a DatetimeIndex; wide or long form).
            asset: the asset id (default: from the file name), used to find its type and past work orders.
            fit: a normal-operation log (path or DataFrame) to fit the detector on; else `fit_rows`, else the
                configured share of the first rows.
            detector: robust | pca | gru | ensemble (default: `anomaly.detector` of the config).
            plot: write a PNG of the channels with the anomaly windows shaded (`copilot.anomaly.plot.plot_report`).
            summarise: let the language model word the summary from the evidence (checked; templated otherwise).
        Raises:
            SensorDataError: unreadable log, or too few normal rows to fit on.
        """
        if isinstance(data, pd.DataFrame):
            frame = read_sensor_frame(data)
        else:
            frame = read_sensor_csv(data)
            asset = asset or asset_from_name(Path(data).stem)
        cfg = self.cfg.anomaly
        if fit_rows is not None:
            cfg = replace(cfg, fit_rows=fit_rows)
        if detector is not None:
            cfg = replace(cfg, detector=detector)
        normal = None
        if fit is not None:
            fit_frame = read_sensor_frame(fit, "fit frame") if isinstance(fit, pd.DataFrame) else read_sensor_csv(fit)
            normal = fit_frame.data
        report = build_report(frame, asset, cfg, self.index, self.retriever,
                              self.generator if summarise else None, fit=normal)
        if plot is not None:
            from copilot.anomaly.plot import plot_report

            plot_report(frame, report, plot)
        return report


def asset_from_name(name: str) -> str | None:
    """'P-101', 'p101_2025' -> 'P-101'; None when the name carries no asset id."""
    match = ASSET_IN_NAME_RE.search(name)
    return f"{match.group(1).upper()}-{match.group(2)}" if match else None


def _flatten(cfg: CopilotConfig) -> dict[str, Any]:
    from dataclasses import asdict

    flat: dict[str, Any] = {"index_dir": str(cfg.index_dir)}
    for section in ("index", "retrieval", "generation", "anomaly"):
        for key, value in asdict(getattr(cfg, section)).items():
            flat[f"{section}.{key}"] = value
    return flat
