"""Configuration: one frozen dataclass per concern, defaults in code, then a YAML file, then CLI overrides.

Environment variables are used only for locations (`COPILOT_HOME`). The language model id appears here and nowhere
else (`GenerationConfig.model`); the embedder id lives in `index.embeddings`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from copilot.errors import ConfigError
from index.config import FUSIONS, IndexConfig
from index.parents import PARENT_SCORINGS
from index.rescore import canonical_rescorer

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
RESCORE_STAGES = ("rerank", "fusion")  # where retrieval.rescorer's scores enter (copilot/qa/retrieval.py)


def copilot_home() -> Path:
    """Where models, caches and the default index live: $COPILOT_HOME or ~/.cache/maintenance-copilot."""
    return Path(os.environ.get("COPILOT_HOME", "~/.cache/maintenance-copilot")).expanduser()


@dataclass(frozen=True)
class RetrievalConfig:
    """How many passages the model sees and when retrieval counts as having found nothing."""

    top_k: int = 4
    candidates: int = 50  # depth of each ranking before fusion
    min_score: float = 0.30  # cosine similarity; below this a passage is not evidence
    asset_scope: bool = True  # a named asset limits the search to its own documents plus untagged general ones
    fusion: str = "convex"  # convex (weighted max-normalised scores) | rrf (reciprocal rank); index/search.py
    # Re-scoring stage (index/rescore.py): none | mpnet | an embedder id or folder | cross-encoder:PATH (a local
    # sentence-transformers CrossEncoder). Off by default: measured in docs/retrieval.md, "Re-scoring".
    rescorer: str = "none"
    # rerank: the copilot's fused top `rescore_depth` re-sorted by score + weight x rescore/best; fusion: a third side
    # of the convex fusion over every candidate (wants the vectors stored: index.rescorer_vectors)
    rescore_stage: str = "rerank"
    # fitted on the corpus, Marlin 40 and the FAA set, reported on Marlin blind (docs/retrieval.md, "Re-scoring")
    rescore_depth: int = 20
    rescore_weight: float = 0.3  # in first-place units, as the fusion's sides and the copilot's votes
    # Small-to-big over an index built with index.parent_words (index/parents.py): none | max | mean | parent, how a
    # parent window's own score joins its best chunk's (index/search.py). Measured, not the default (docs/retrieval.md,
    # "Granularity on real documents"); an index without parents ignores it.
    parent_scoring: str = "none"
    # The symptom encoder the troubleshoot route can match a symptom with, beside the index's embedder
    # (copilot/qa/symptom_encoder.py): none | bundled | the folder of an adapter from `copilot finetune symptoms`.
    # Off by default: it gains on the corpus it was trained on and not on the real documents (docs/troubleshooting.md,
    # "The symptom encoder").
    symptom_encoder: str = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rescorer", canonical_rescorer(self.rescorer))
        if self.rescore_stage not in RESCORE_STAGES:
            raise ValueError(f"rescore_stage must be one of {', '.join(RESCORE_STAGES)}, got {self.rescore_stage!r}")
        if self.rescore_depth < 1:
            raise ValueError(f"rescore_depth must be >= 1, got {self.rescore_depth}")
        if self.rescore_weight < 0:
            raise ValueError(f"rescore_weight must be >= 0, got {self.rescore_weight}")
        if self.parent_scoring not in PARENT_SCORINGS:
            raise ValueError(f"parent_scoring must be one of {', '.join(PARENT_SCORINGS)}, got {self.parent_scoring!r}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.candidates < self.top_k:
            raise ValueError(f"candidates must be >= top_k, got {self.candidates} < {self.top_k}")
        if not -1.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score is a cosine similarity in [-1, 1], got {self.min_score}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be {' or '.join(map(repr, FUSIONS))}, got {self.fusion!r}")


@dataclass(frozen=True)
class GenerationConfig:
    """Which language model writes answers, and how."""

    model: str = DEFAULT_MODEL  # Hugging Face id or local path; the default is converted from a bundled GGUF
    # transformers: PyTorch (the default; GPU, other models, the trainer); openai: an OpenAI-compatible HTTP endpoint;
    # onnx: the merged model as an ONNX export run by onnxruntime-genai (copilot/generation/onnx.py, the `fast`
    # extra), CPU; auto (the default): for the default model on a CPU with onnxruntime-genai installed, the one of
    # onnx and transformers that `copilot prepare` measured faster here (copilot/generation/choice.py), or without
    # that measurement onnx on a CPU with VNNI/AMX int8 instructions; transformers otherwise (docs/benchmarks.md)
    backend: str = "auto"
    onnx_precision: str = "int8"  # int8 | int4 (faster, more answers change) | fp32 (docs/benchmarks.md)
    endpoint: str | None = None  # e.g. http://localhost:8000/v1 for vLLM, llama.cpp server or TGI
    api_key_env: str = "OPENAI_API_KEY"  # name of the variable holding the endpoint's key, if it needs one
    # LoRA adapter: "bundled" = the project's fine-tune (copilot/generation/adapters/), used with the default model
    # only; a directory path; or None for the base model alone (`--no-adapter`).
    adapter: str | None = "bundled"
    max_new_tokens: int = 100  # 1-3 cited sentences; decode 14 (transformers) to 109 (onnx int8) tokens/s on 2 cores
    temperature: float = 0.0  # greedy by default: answers must be reproducible
    context_words: int = 600  # passage budget in the prompt: prefill dominates CPU latency
    # stop a draft at its first sentence the citation check rejects (the whole reply would be discarded anyway, for
    # the documents' own lines): the same answers, less model time (docs/answers.md, "Drafts stopped early")
    stop_failed_drafts: bool = True
    # onnx backend: keep the last request's generator and read only the prompt tokens a new prompt does not share
    # with it (the system prompt, a conversation's earlier turns); the same replies (docs/benchmarks.md)
    prompt_cache: bool = True
    device: str | None = None  # cpu | cuda; None picks cuda when present

    def __post_init__(self) -> None:
        backends = ("auto", "onnx", "transformers", "openai")
        if self.backend not in backends:
            raise ValueError(f"backend must be one of {', '.join(backends)}, got {self.backend!r}")
        if self.onnx_precision not in ("int4", "int8", "fp32"):
            raise ValueError(f"onnx_precision must be int4, int8 or fp32, got {self.onnx_precision!r}")
        if self.backend == "openai" and not self.endpoint:
            raise ValueError("backend 'openai' needs an endpoint URL (generation.endpoint)")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.context_words < 50:
            raise ValueError(f"context_words must be >= 50, got {self.context_words}")


@dataclass(frozen=True)
class AnomalyConfig:
    """Sensor anomaly detection: which detector, how it is fitted and calibrated, and how samples become events.

    Defaults were chosen by measurement (`copilot eval anomalies`, docs/anomalies.md): the robust per-channel
    detector on smoothed signals, thresholds calibrated on the normal rows (`copilot/anomaly/detectors/calibration.py`).
    """

    detector: str = "robust"  # robust (median/MAD) | pca (T2+Q) | gru (forecast residuals) | ensemble (all three)
    window: int = 30  # centred smoothing window in samples; a sustained change is an anomaly, one spike is not
    z_threshold: float = 3.0  # floor of every calibrated threshold, in robust z of the smoothed signal
    noise_floor: float = 2.0  # and at least this many raw-signal spreads (smoothing must not make noise alarm)
    calibration_margin: float = 1.2  # threshold >= margin x the calibration_quantile of the kept fit scores
    calibration_quantile: float = 99.5  # percentile of the fit scores (100: the largest, which one dip can inflate)
    tail_probability: float = 3e-5  # Student-t prediction bound over the fit window's effective sample size
    threshold_ceiling: float = 12.0  # no threshold above this robust z (a bad fit window cannot blind the detector)
    fit_trim: float = 5.0  # fit rows beyond median + fit_trim x MAD of their scores are left out of calibration
    release: float = 1.0  # hysteresis: an event ends below release x threshold (1.0: none, measured best)
    # run rule: a channel beyond sustain_level x its threshold, one side, for sustain_windows x window running samples
    # in a row is abnormal too (a small shift that persists); sustain_windows 0 turns it off
    sustain_level: float = 0.8
    sustain_windows: int = 4
    min_points: int = 3  # an event needs this many abnormal samples
    merge_gap: int = 6  # events closer than this many samples are one event
    fit_rows: int | None = None  # fit on the first N rows (known normal); None: the first fit_fraction of the log
    fit_fraction: float = 0.3
    states: bool = True  # separate off/idle from running and fit/score the running state only
    settle: int = 3  # samples after a start (off -> running) that are not scored while the machine settles
    drift: bool = True  # also flag slow drifts against each channel's normal partner relationship (detectors/drift.py)

    def __post_init__(self) -> None:
        if self.detector not in ("robust", "pca", "gru", "ensemble"):
            raise ValueError(f"detector must be robust, pca, gru or ensemble, got {self.detector!r}")
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if self.z_threshold <= 0:
            raise ValueError(f"z_threshold must be > 0, got {self.z_threshold}")
        if self.calibration_margin < 0:
            raise ValueError(f"calibration_margin must be >= 0, got {self.calibration_margin}")
        if not 50 <= self.calibration_quantile <= 100:
            raise ValueError(f"calibration_quantile must be in [50, 100], got {self.calibration_quantile}")
        if not 0 < self.tail_probability < 0.5:
            raise ValueError(f"tail_probability must be in (0, 0.5), got {self.tail_probability}")
        if self.threshold_ceiling < self.z_threshold:
            raise ValueError(f"threshold_ceiling ({self.threshold_ceiling}) must be >= z_threshold "
                             f"({self.z_threshold})")
        if self.noise_floor < 0 or self.fit_trim < 0:
            raise ValueError("noise_floor and fit_trim must be >= 0 (fit_trim 0 keeps every fit row)")
        if not 0 < self.release <= 1:
            raise ValueError(f"release must be in (0, 1], got {self.release}")
        if not 0 < self.sustain_level <= 1 or self.sustain_windows < 0:
            raise ValueError(f"sustain_level must be in (0, 1] and sustain_windows >= 0, got {self.sustain_level}, "
                             f"{self.sustain_windows}")
        if self.min_points < 1:
            raise ValueError(f"min_points must be >= 1, got {self.min_points}")
        if self.merge_gap < 0:
            raise ValueError(f"merge_gap must be >= 0, got {self.merge_gap}")
        if self.fit_rows is not None and self.fit_rows < 10:
            raise ValueError(f"fit_rows must be >= 10 (rows known to be normal), got {self.fit_rows}")
        if not 0 < self.fit_fraction <= 1:
            raise ValueError(f"fit_fraction must be in (0, 1], got {self.fit_fraction}")
        if self.settle < 0:
            raise ValueError(f"settle must be >= 0, got {self.settle}")


@dataclass(frozen=True)
class ServerConfig:
    """Limits and access control of `copilot serve` and `copilot ui` (docs/security.md has the threat model).

    The API key is better given as `--api-key` or `$COPILOT_API_KEY` than written into a config file.
    """

    api_key: str | None = None  # required on every route when set; required to listen on anything but loopback
    allowed_origins: tuple[str, ...] = ()  # extra browser origins allowed to post, e.g. "https://tools.plant.local"
    max_body_bytes: int = 256 * 1024  # any JSON request (a question with its history)
    max_question_chars: int = 2000  # a question; its history turns may add max_history_chars more
    max_history_chars: int = 20_000
    max_upload_bytes: int = 25 * 1024 * 1024  # one uploaded file (a manual, a sensor CSV)
    max_request_upload_bytes: int = 100 * 1024 * 1024  # all files of one upload request together
    max_upload_files: int = 20  # files in one upload request
    max_feedback_bytes: int = 16 * 1024  # one POST /feedback request
    max_correction_chars: int = 4000  # the technician's correction
    remembered_answers: int = 1000  # answers kept (in memory) so feedback can name them by answer_id
    feedback_per_answer: int = 5  # verdicts and corrections on one answer; more are refused
    batch_root: Path | None = None  # the UI's batch tab opens folders under this one only (default: the cwd)
    shutdown_grace_s: float = 3.0  # on SIGTERM, requests still running after this long are abandoned

    def __post_init__(self) -> None:
        if self.api_key is not None and len(self.api_key) < 8:
            raise ValueError("api_key must be at least 8 characters (use a random string, e.g. `openssl rand -hex 16`)")
        for name in ("max_body_bytes", "max_question_chars", "max_history_chars", "max_upload_bytes",
                     "max_request_upload_bytes", "max_upload_files", "max_feedback_bytes", "max_correction_chars",
                     "remembered_answers", "feedback_per_answer"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_request_upload_bytes < self.max_upload_bytes:
            raise ValueError(f"max_request_upload_bytes ({self.max_request_upload_bytes}) must be >= "
                             f"max_upload_bytes ({self.max_upload_bytes})")
        if self.shutdown_grace_s < 0:
            raise ValueError(f"shutdown_grace_s must be >= 0, got {self.shutdown_grace_s}")
        # YAML gives a list and a string: store the frozen shapes
        object.__setattr__(self, "allowed_origins", tuple(o.rstrip("/") for o in self.allowed_origins))
        if self.batch_root is not None:
            object.__setattr__(self, "batch_root", Path(self.batch_root).expanduser())


@dataclass(frozen=True)
class CopilotConfig:
    """Everything `Copilot.load` needs."""

    index_dir: Path = field(default_factory=lambda: copilot_home() / "index")
    index: IndexConfig = field(default_factory=IndexConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    anomaly: AnomalyConfig = field(default_factory=AnomalyConfig)
    server: ServerConfig = field(default_factory=ServerConfig)


SECTIONS = {"index": IndexConfig, "retrieval": RetrievalConfig, "generation": GenerationConfig,
            "anomaly": AnomalyConfig, "server": ServerConfig}


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> CopilotConfig:
    """Defaults, then the YAML file at `path`, then `overrides` ({"generation.model": "...", "index_dir": ...}).

    Raises:
        ConfigError: unknown keys, wrong types or invalid values, naming the key.
    """
    data = read_yaml_mapping(Path(path), "config file", "a mapping of sections") if path is not None else {}
    apply_overrides(data, {k: v for k, v in (overrides or {}).items() if v is not None})
    return _build(data)


def read_yaml_mapping(file: Path, what: str, shape: str, syntax: str = "YAML") -> dict[str, Any]:
    """The mapping a YAML file holds, or a ConfigError naming the file: missing, unreadable, or not a mapping."""
    if not file.is_file():
        raise ConfigError(f"{what} {file} not found")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {file} is not valid {syntax}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {file} must hold {shape}")
    return data


def parse_overrides(items: list[str], example: str = "generation.max_new_tokens=60") -> dict[str, Any]:
    """`--set SECTION.KEY=VALUE` items as dotted overrides, each value read as YAML (60 is a number, true a bool)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(f"bad --set {item!r}: use SECTION.KEY=VALUE, e.g. {example}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Dotted overrides into nested sections, in place: {"generation.model": "x"} -> data["generation"]["model"]."""
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if key:
            data.setdefault(section, {})[key] = value
        else:
            data[section] = value


def _build(data: dict[str, Any]) -> CopilotConfig:
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name == "index_dir":
            kwargs["index_dir"] = Path(str(value)).expanduser()
        elif name in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"config section {name!r} must be a mapping, got {value!r}")
            cls = SECTIONS[name]
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = set(value) - known
            if unknown:
                raise ConfigError(f"unknown key(s) {sorted(unknown)} in section {name!r}; known: {sorted(known)}")
            try:
                kwargs[name] = cls(**value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"invalid {name} config: {exc}") from exc
        else:
            raise ConfigError(f"unknown config section {name!r}; known: index_dir, {', '.join(SECTIONS)}")
    return CopilotConfig(**kwargs)
