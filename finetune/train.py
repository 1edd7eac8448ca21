"""LoRA supervised fine-tuning: a small, explicit loop (peft on transformers), loss on completions only.

Why not `transformers.Trainer`: on a 2-core CPU, padding and per-step overhead are paid in full. This loop groups
sequences by length, normalises the loss by completion tokens across gradient-accumulation steps, and checkpoints
the adapter, optimizer, scheduler and RNG state so an interrupted run resumes exactly where it stopped.
`bench/bench_finetune.py` compares its tokens/s with a plain Trainer on the same data and settings.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from finetune.config import Recipe
from finetune.examples import read_split
from finetune.sequences import Encoded, collate, completion_loss_sum, encode, length_grouped_batches
from index.precision import autocast

logger = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"


@dataclass(frozen=True)
class TrainResult:
    adapter_dir: Path
    steps: int
    examples: int
    tokens: int  # every token through the model (prompt and completion), for throughput
    seconds: float
    final_loss: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def load_base(base_model: str, device: str | None = None) -> tuple[Any, Any, str]:
    """(model, tokenizer, device) for the base model, resolved offline like the copilot's own model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.generation.models import resolve_language_model

    path = resolve_language_model(base_model)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    return model.to(device), tokenizer, device


def add_lora(model: Any, recipe: Recipe) -> Any:
    from peft import LoraConfig, get_peft_model

    cfg = recipe.train
    config = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                        target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def encode_split(tokenizer: Any, data_dir: Path, split: str, max_length: int) -> tuple[list[Encoded], int]:
    """The split's examples that carry a completion, encoded; plus how many were dropped for length."""
    examples = [e for e in read_split(data_dir, split) if e.completion is not None]
    encoded = [encode(tokenizer, e.messages, e.completion or "") for e in examples]
    kept = [e for e in encoded if len(e.input_ids) <= max_length]
    return kept, len(encoded) - len(kept)


def schedule(step: int, warmup: int, total: int) -> float:
    """Linear warm-up, then linear decay to zero."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total - step) / max(1, total - warmup))


def train(recipe: Recipe, data_dir: Path, *, output_dir: Path | None = None, resume: bool = True,
          stop_after: int | None = None, model: Any = None, tokenizer: Any = None,
          progress: bool = True) -> TrainResult:
    """Train a LoRA adapter on `data_dir`/train.jsonl; write it to `output_dir`/adapter with its recipe and log.

    Args:
        resume: continue from the newest checkpoint in `output_dir`/checkpoints when there is one.
        stop_after: stop (after checkpointing) once this many optimizer steps are done: for tests and time boxes.
        model, tokenizer: a pre-built base model (tests pass a tiny one); default loads `recipe.train.base_model`.
    """
    import torch
    from tqdm.auto import tqdm

    cfg = recipe.train
    out = Path(output_dir or recipe.output_dir)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if model is None:
        model, tokenizer, device = load_base(cfg.base_model, cfg.device)
    else:
        device = cfg.device or "cpu"
        model.to(device)
    model = add_lora(model, recipe)
    data, dropped = encode_split(tokenizer, data_dir, "train", cfg.max_length)
    if not data:
        raise CopilotError(f"no training examples in {data_dir} (dropped {dropped} longer than {cfg.max_length})")
    micro = _micro_batches([len(e.input_ids) for e in data], cfg.batch_size, cfg.seed, cfg.epochs)
    total_steps = math.ceil(len(micro) / cfg.grad_accum)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s, cfg.warmup_steps, total_steps))
    state: dict[str, Any] = {"step": 0, "tokens": 0, "seconds": 0.0, "losses": []}
    checkpoint = _latest_checkpoint(out) if resume else None
    if checkpoint is not None:
        state = _restore(checkpoint, model, optimizer, scheduler)
        logger.info("resuming from %s (step %d of %d)", checkpoint, state["step"], total_steps)

    model.train()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    bar = tqdm(total=total_steps, initial=state["step"], desc="LoRA", unit="step", disable=not progress)
    while state["step"] < total_steps and (stop_after is None or state["step"] < stop_after):
        started = time.perf_counter()
        group = micro[state["step"] * cfg.grad_accum:(state["step"] + 1) * cfg.grad_accum]
        batches = [collate([data[i] for i in batch], pad) for batch in group]
        targets = sum(int((b["labels"] != -100).sum()) for b in batches)
        loss_sum = 0.0
        for batch in batches:
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast(device, cfg.precision):
                loss = completion_loss_sum(model, batch) / max(1, targets)
            loss.backward()
            loss_sum += float(loss.detach())
            state["tokens"] += int(batch["attention_mask"].sum())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["seconds"] += time.perf_counter() - started
        state["losses"].append(round(loss_sum, 5))
        bar.update(1)
        bar.set_postfix(loss=f"{loss_sum:.3f}", tok_s=f"{state['tokens'] / state['seconds']:.0f}")
        if state["step"] % cfg.save_every == 0 or state["step"] == total_steps or state["step"] == stop_after:
            _save_checkpoint(out, model, optimizer, scheduler, state, cfg.keep_checkpoints)
    bar.close()

    adapter_dir = out / ADAPTER
    if state["step"] >= total_steps:
        model.save_pretrained(str(adapter_dir))
        _portable_base(adapter_dir, cfg.base_model)
        log = {"steps": state["step"], "examples": len(data), "dropped_too_long": dropped,
               "tokens": state["tokens"], "seconds": round(state["seconds"], 1),
               "tokens_per_s": round(state["tokens"] / max(state["seconds"], 1e-9), 1),
               "losses": state["losses"], "hardware": hardware(device),
               "data": _data_manifest(data_dir), "trainable_parameters": sum(p.numel() for p in params)}
        (adapter_dir / "train_config.json").write_text(json.dumps(recipe.to_dict(), indent=2) + "\n")
        (adapter_dir / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")
    final = state["losses"][-1] if state["losses"] else float("nan")
    return TrainResult(adapter_dir, state["step"], len(data), state["tokens"], state["seconds"], final)


def _portable_base(adapter_dir: Path, base_model: str) -> None:
    """Name the base model by its id in adapter_config.json, not by the local cache path it was loaded from."""
    path = adapter_dir / "adapter_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base_model
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _micro_batches(lengths: list[int], batch_size: int, seed: int, epochs: float) -> list[list[int]]:
    per_epoch = math.ceil(len(lengths) / batch_size)
    wanted = max(1, round(per_epoch * epochs))
    batches: list[list[int]] = []
    epoch = 0
    while len(batches) < wanted:
        batches += length_grouped_batches(lengths, batch_size, seed + epoch)
        epoch += 1
    return batches[:wanted]


def _latest_checkpoint(out: Path) -> Path | None:
    found = sorted((out / CHECKPOINTS).glob("step-*")) if (out / CHECKPOINTS).is_dir() else []
    complete = [c for c in found if (c / "state.json").is_file()]
    return complete[-1] if complete else None


def _save_checkpoint(out: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any],
                     keep: int) -> None:
    """Written beside, then renamed: a crash mid-save never leaves a checkpoint that looks complete."""
    import torch

    root = out / CHECKPOINTS
    final = root / f"step-{state['step']:05d}"
    partial = root / f".partial-{state['step']:05d}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    model.save_pretrained(str(partial))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state()}, partial / "trainer.pt")
    (partial / "state.json").write_text(json.dumps(state) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _restore(checkpoint: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(checkpoint / "adapter_model.safetensors")))
    saved = torch.load(checkpoint / "trainer.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    state: dict[str, Any] = json.loads((checkpoint / "state.json").read_text())
    return state


def _data_manifest(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "manifest.json"
    if not path.is_file():
        return {}
    manifest = json.loads(path.read_text())
    return {"sha256": manifest.get("sha256"), "counts": manifest.get("counts")}


def hardware(device: str) -> str:
    """'cpu: <model name>, 2 threads' or 'cuda: NVIDIA H100 ...', for logs and the model card."""
    import torch

    if device.startswith("cuda"):
        return f"cuda: {torch.cuda.get_device_name(0)}"
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu: {name}, {torch.get_num_threads()} threads"
