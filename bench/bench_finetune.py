"""LoRA training throughput: our loop (`finetune.train.train`) vs a plain `transformers.Trainer`, same work.

Both get the same base model (fp32 weights), precision (the recipe's: bf16 autocast where the CPU has native bf16, for
the Trainer its `bf16=True`; the `_fp32` variants force fp32 for both), LoRA config, batch size, gradient accumulation,
learning rate, warm-up, weight decay, gradient clipping and max length, and the same encoded training examples with
completion-only labels (the Trainer pads them with `DataCollatorForSeq2Seq`: pad id for inputs, -100 for labels). Each
runs 1 warm-up optimizer step, then N timed steps. Throughput counts non-padding tokens through the model (the work both
must do); padded tokens are reported beside it, since padding is the main thing the length-grouped loop saves on a CPU.
The plain Trainer samples at random (its default); `--variants ours,trainer,trainer_group_by_length` adds its length-
grouped sampler for reference. Our loop also projects the vocabulary only at completion positions
(finetune.sequences.next_token_logits); the Trainer computes every position's logits, as a causal LM does.

The projection divides the default recipe's total non-padding tokens (every epoch, as our loop schedules them) by our
measured tokens/s. Timings are only as quiet as the machine: the load average before and after is recorded.

Run: nice .venv/bin/python bench/bench_finetune.py [--data DIR] [-n 6] [--out bench/results/finetune.json]
Without --data the data set is built first from the corpus index ($COPILOT_HOME/index, about 3 minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build_data(out: Path, recipe_path: str | None) -> Path:
    """The fine-tuning data set exactly as `copilot finetune data` builds it (corpus index + qa.jsonl)."""
    from copilot.app import Copilot
    from copilot.evaluation import load_qa
    from finetune.config import load_recipe
    from finetune.data import build_examples
    from finetune.examples import write_dataset

    copilot = Copilot.load()
    examples = build_examples(copilot.retriever, load_recipe(recipe_path).data,
                              copilot.cfg.generation.context_words, load_qa(ROOT / "corpus" / "eval" / "qa.jsonl"))
    write_dataset(examples, out)
    return out


def run_ours(recipe: Any, data_dir: Path, work: Path, steps: int) -> dict[str, Any]:
    """Warm-up step, checkpoint, then resume for `steps` more: the loop's own token and time accounting."""
    from finetune.train import load_base, train

    out = work / "ours"
    shutil.rmtree(out, ignore_errors=True)
    model, tokenizer, _ = load_base(recipe.train.base_model, "cpu")
    warm = train(recipe, data_dir, output_dir=out, resume=False, stop_after=1, model=model, tokenizer=tokenizer,
                 progress=False)
    model, tokenizer, _ = load_base(recipe.train.base_model, "cpu")
    done = train(recipe, data_dir, output_dir=out, resume=True, stop_after=1 + steps, model=model,
                 tokenizer=tokenizer, progress=False)
    state = json.loads((out / "checkpoints" / f"step-{done.steps:05d}" / "state.json").read_text())
    tokens, seconds = done.tokens - warm.tokens, done.seconds - warm.seconds
    return {"steps": done.steps - warm.steps, "tokens": tokens, "seconds": round(seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1), "s_per_step": round(seconds / (done.steps - warm.steps), 2),
            "losses": state["losses"][1:]}


def run_trainer(recipe: Any, data: list[Any], work: Path, steps: int, sampling: str) -> dict[str, Any]:
    """A plain `Trainer` on the same encoded examples; step times from a callback, tokens from the collator."""
    import torch
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from finetune.train import add_lora, load_base
    from index.precision import autocast_dtype

    cfg = recipe.train
    torch.manual_seed(cfg.seed)
    model, tokenizer, _ = load_base(cfg.base_model, "cpu")
    model = add_lora(model, recipe)
    pad = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100, return_tensors="pt")
    real: list[int] = []
    padded: list[int] = []

    def collate(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = pad(features)
        real.append(int(batch["attention_mask"].sum()))
        padded.append(int(batch["attention_mask"].numel()))
        return dict(batch)

    step_ends: list[float] = []
    losses: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            step_ends.append(time.perf_counter())

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "loss" in logs:
                losses.append(round(float(logs["loss"]), 5))

    args = TrainingArguments(
        output_dir=str(work / f"trainer-{sampling}"), per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_steps, lr_scheduler_type="linear", max_steps=1 + steps, max_grad_norm=1.0,
        optim="adamw_torch", seed=cfg.seed, use_cpu=True, bf16=autocast_dtype("cpu", cfg.precision) is not None,
        dataloader_num_workers=0, remove_unused_columns=False,
        train_sampling_strategy=sampling, save_strategy="no", logging_steps=1, report_to="none", disable_tqdm=True)
    features = [{"input_ids": e.input_ids, "labels": e.labels} for e in data]
    trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=collate, callbacks=[Clock()])
    trainer.train()
    accum = cfg.grad_accum
    if len(step_ends) != 1 + steps or len(real) < accum * (1 + steps):
        raise RuntimeError(f"Trainer ran {len(step_ends)} steps over {len(real)} batches; expected {1 + steps}")
    tokens = sum(real[accum:accum * (1 + steps)])
    seconds = step_ends[-1] - step_ends[0]
    return {"steps": steps, "tokens": tokens, "padded_tokens": sum(padded[accum:accum * (1 + steps)]),
            "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
            "s_per_step": round(seconds / steps, 2), "losses": losses[1:]}


def padded_tokens_ours(recipe: Any, data: list[Any], steps: int) -> int:
    """Padded tokens of our timed steps (the same batches the loop forms: length-grouped, seeded)."""
    from finetune.train import _micro_batches

    cfg = recipe.train
    micro = _micro_batches([len(e.input_ids) for e in data], cfg.batch_size, cfg.seed, cfg.epochs)
    timed = micro[cfg.grad_accum:cfg.grad_accum * (1 + steps)]
    return sum(max(len(data[i].input_ids) for i in b) * len(b) for b in timed)


def full_recipe(recipe: Any, data: list[Any]) -> dict[str, int]:
    """Every optimizer step of the default recipe: its non-padding and padded tokens."""
    from finetune.train import _micro_batches

    cfg = recipe.train
    micro = _micro_batches([len(e.input_ids) for e in data], cfg.batch_size, cfg.seed, cfg.epochs)
    return {"steps": math.ceil(len(micro) / cfg.grad_accum),
            "tokens": sum(len(data[i].input_ids) for b in micro for i in b),
            "padded_tokens": sum(max(len(data[i].input_ids) for i in b) * len(b) for b in micro)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an existing data set (train.jsonl); default: build one under --work")
    parser.add_argument("--recipe", help="recipe YAML (default finetune/configs/smollm2-135m-lora.yaml)")
    parser.add_argument("-n", "--steps", type=int, default=6, help="timed optimizer steps after 1 warm-up step")
    parser.add_argument("--work", default="/tmp/bench-finetune", help="scratch folder for checkpoints")
    parser.add_argument("--variants", default="ours,trainer,ours_fp32,trainer_fp32",
                        help="comma-separated: ours, trainer, trainer_group_by_length (the recipe's precision), "
                             "ours_fp32, trainer_fp32 (forced fp32)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "finetune.json"))
    args = parser.parse_args()

    import torch

    from finetune.config import load_recipe
    from finetune.train import encode_split, hardware, load_base
    from index.precision import autocast_dtype

    started = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data) if args.data else build_data(work / "data", args.recipe)
    recipe = load_recipe(args.recipe, {"train.device": "cpu"})
    fp32 = load_recipe(args.recipe, {"train.device": "cpu", "train.precision": "float32"})
    _, tokenizer, _ = load_base(recipe.train.base_model, "cpu")
    data, dropped = encode_split(tokenizer, data_dir, "train", recipe.train.max_length)

    variants = args.variants.split(",")
    results: dict[str, Any] = {}
    for variant in variants:
        print(f"{variant}: 1 warm-up + {args.steps} steps ...", flush=True)
        if variant == "ours":
            results[variant] = run_ours(recipe, data_dir, work, args.steps)
            results[variant]["padded_tokens"] = padded_tokens_ours(recipe, data, args.steps)
        elif variant == "trainer":
            results[variant] = run_trainer(recipe, data, work, args.steps, "random")
        elif variant == "trainer_group_by_length":
            results[variant] = run_trainer(recipe, data, work, args.steps, "group_by_length")
        elif variant == "ours_fp32":
            results[variant] = run_ours(fp32, data_dir, work, args.steps)
            results[variant]["padded_tokens"] = padded_tokens_ours(fp32, data, args.steps)
        elif variant == "trainer_fp32":
            results[variant] = run_trainer(fp32, data, work, args.steps, "random")
        else:
            raise SystemExit(f"unknown variant {variant!r}: use ours, trainer, trainer_group_by_length, ours_fp32, "
                             "trainer_fp32")
        print(f"  {results[variant]['tokens_per_s']} tokens/s, {results[variant]['s_per_step']} s/step", flush=True)

    total = full_recipe(recipe, data)
    cfg = recipe.train
    manifest_path = data_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    report: dict[str, Any] = {
        "hardware": hardware("cpu"), "torch_threads": torch.get_num_threads(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "base_model": cfg.base_model, "data_sha256": manifest.get("sha256"), "data_dir": str(data_dir),
        "train_examples": len(data), "dropped_too_long": dropped,
        "settings": {"r": cfg.r, "alpha": cfg.alpha, "dropout": cfg.dropout, "target_modules": list(cfg.target_modules),
                     "batch_size": cfg.batch_size, "grad_accum": cfg.grad_accum,
                     "learning_rate": cfg.learning_rate, "max_length": cfg.max_length, "epochs": cfg.epochs,
                     "precision": cfg.precision, "autocast": str(autocast_dtype("cpu", cfg.precision) or "none")},
        "timed_steps": args.steps, "warmup_steps_untimed": 1,
        "results": results,
    }
    if "ours" in results:
        ours = results["ours"]["tokens_per_s"]
        for variant in variants:
            if variant != "ours":
                report[f"ratio_ours_vs_{variant}"] = round(ours / results[variant]["tokens_per_s"], 2)
        report["full_recipe"] = {
            **total, "projected_minutes": round(total["tokens"] / ours / 60, 1),
            "projected_minutes_by_steps": round(total["steps"] * results["ours"]["s_per_step"] / 60, 1)}
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=1))


if __name__ == "__main__":
    main()
