"""The fine-tuning recipe: what data is built, how LoRA is trained, where the artifacts go.

Defaults live here; `finetune/configs/*.yaml` are commented recipes that override them (the default recipe is
`finetune/configs/smollm2-135m-lora.yaml`). The effective recipe is written beside every adapter (train_config.json).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.config import apply_overrides, read_yaml_mapping
from copilot.errors import ConfigError
from copilot.generation.models import BUNDLED_ADAPTER
from index.precision import check_precision

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_RECIPE = PACKAGE_DIR / "configs" / "smollm2-135m-lora.yaml"
DEFAULT_ADAPTER = BUNDLED_ADAPTER  # where serving reads it: copilot/generation/adapters/


@dataclass(frozen=True)
class DataConfig:
    """How many examples of each task, and which documents are held out for evaluation."""

    heldout_sources: tuple[str, ...] = field(
        default=("torvik-bc1200-belt-conveyor.md", "polaris-wch400-chiller.md"),
        metadata={"help": "documents (and the assets they cover) never seen in training"})
    answerable: int = field(default=230, metadata={"help": "grounded QA examples whose passages hold the answer"})
    abstain_removed: int = field(default=75, metadata={
        "help": "questions whose answer-bearing passages were removed from the retrieved set -> abstain"})
    abstain_swapped: int = field(default=40, metadata={
        "help": "a component of one machine asked about another that lacks it -> abstain"})
    followups: int = field(default=25, metadata={"help": "answerable follow-ups with an earlier turn in the prompt"})
    shorthand: int = field(default=100, metadata={"help": "technician shorthand -> plain language"})
    reports: int = field(default=64, metadata={
        "help": "anomaly evidence (events, ranked causes, cited actions) -> the repair-report summary"})
    troubleshoot: int = field(default=60, metadata={
        "help": "symptom questions -> the likely causes from the troubleshooting rows, each cited"})
    heldout_share: float = field(default=0.25, metadata={
        "help": "size of the held-out generated split relative to the training counts"})
    kinds: dict[str, float] = field(default_factory=lambda: {
        "table": 0.34, "sentence": 0.30, "code": 0.10, "work_order": 0.16, "alarms": 0.10},
        metadata={"help": "mix of fact kinds among answerable examples"})
    seed: int = 13

    def __post_init__(self) -> None:
        for name in ("answerable", "abstain_removed", "abstain_swapped", "followups", "shorthand", "reports",
                     "troubleshoot"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.heldout_share <= 1:
            raise ValueError(f"heldout_share must be in [0, 1], got {self.heldout_share}")


@dataclass(frozen=True)
class LoraTrainConfig:
    """LoRA training settings; CPU-friendly defaults (the default recipe trains in under 30 minutes on 2 cores)."""

    base_model: str = field(default="HuggingFaceTB/SmolLM2-135M-Instruct", metadata={
        "help": "Hugging Face id or local path; resolved offline like the copilot's model"})
    r: int = field(default=16, metadata={"help": "LoRA rank"})
    alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (scale = alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the LoRA input"})
    target_modules: tuple[str, ...] = field(default=("q_proj", "k_proj", "v_proj", "o_proj"), metadata={
        "help": "linear layers that get adapters"})
    learning_rate: float = 4e-4
    weight_decay: float = 0.0
    warmup_steps: int = 5
    epochs: float = field(default=1.0, metadata={"help": "passes over the training split (fractions allowed)"})
    batch_size: int = field(default=4, metadata={"help": "sequences per forward pass"})
    grad_accum: int = field(default=2, metadata={"help": "forward passes per optimizer step"})
    max_length: int = field(default=1024, metadata={"help": "longer examples are dropped (and counted), not cut"})
    save_every: int = field(default=10, metadata={"help": "optimizer steps between checkpoints"})
    keep_checkpoints: int = 2
    seed: int = 13
    device: str | None = field(default=None, metadata={"help": "cpu | cuda; None uses cuda when present"})
    threads: int | None = field(default=None, metadata={"help": "CPU threads; None lets torch decide"})
    precision: str = field(default="auto", metadata={
        "help": "auto | float32 | bfloat16: auto trains under bf16 autocast where the hardware has native bf16 "
                "(index.precision; 2.1x faster per step on this project's CPU), else in fp32"})

    def __post_init__(self) -> None:
        positive = ("r", "alpha", "batch_size", "grad_accum", "max_length", "save_every", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.epochs <= 0:
            raise ValueError(f"epochs must be > 0, got {self.epochs}")
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.device not in (None, "cpu", "cuda"):
            raise ValueError(f"device must be cpu, cuda or null, got {self.device!r}")
        check_precision(self.precision)


@dataclass(frozen=True)
class Recipe:
    """A whole fine-tuning run: data, training, and where it writes."""

    data: DataConfig = field(default_factory=DataConfig)
    train: LoraTrainConfig = field(default_factory=LoraTrainConfig)
    output_dir: str = field(default="runs/smollm2-135m-maint", metadata={
        "help": "checkpoints, the adapter and logs (relative to the working directory)"})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_recipe(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Recipe:
    """The default recipe file (or `path`), then dotted overrides such as {"train.epochs": 2}.

    Raises:
        ConfigError: missing file, bad YAML, unknown keys or invalid values, naming the key.
    """
    file = Path(path) if path is not None else DEFAULT_RECIPE
    data = read_yaml_mapping(file, "recipe", "a mapping with data:, train: and output_dir:")
    apply_overrides(data, overrides or {})
    unknown = set(data) - {"data", "train", "output_dir"}
    if unknown:
        raise ConfigError(f"recipe {file}: unknown section(s) {sorted(unknown)}; expected data, train, output_dir")
    try:
        return Recipe(data=_section(DataConfig, data.get("data")), train=_section(LoraTrainConfig, data.get("train")),
                      output_dir=str(data.get("output_dir", Recipe.output_dir)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"recipe {file}: {exc}") from exc


def _section(cls: type, values: dict[str, Any] | None) -> Any:
    values = dict(values or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} key(s) {sorted(unknown)}; known: {sorted(names)}")
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in values:
            values[f.name] = _typed(f"{cls.__name__}.{f.name}", hints[f.name], values[f.name])
    return cls(**values)


def _typed(name: str, hint: Any, value: Any) -> Any:
    """`value` checked against the field's type (tuples from YAML lists, ints accepted as floats), or a ValueError
    naming the key: a string where a number belongs would otherwise fail later with a message that names nothing."""
    kinds = [k for k in typing.get_args(hint) if k is not type(None)] if typing.get_origin(hint) is types.UnionType \
        else [hint]
    if value is None and len(kinds) < len(typing.get_args(hint)):
        return None
    kind = kinds[0]
    origin = typing.get_origin(kind) or kind
    if origin is tuple and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if origin is dict and isinstance(value, dict):
        return value
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (int, str) and isinstance(value, kind) and not isinstance(value, bool):
        return value
    hint_text = " (YAML reads 1e-3 as text: write 1.0e-3)" if isinstance(value, str) and kind is float else ""
    raise ValueError(f"{name} must be {getattr(kind, '__name__', kind)}, got {value!r}{hint_text}")
