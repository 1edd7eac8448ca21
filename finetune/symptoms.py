"""Train the symptom encoder (copilot/qa/symptom_encoder.py): a LoRA adapter on the index's embedder, question side
only, so that a technician's account of a symptom lands on the troubleshooting row that explains it.

Data: finetune/datasets/symptom_questions.jsonl, one question per line with the row it describes ({source, kind,
symptom, cause}) or `null` for a symptom of the same machine that no row explains. The questions were written by
writers who saw only the rows of one machine at a time (three per row: short, with the asset, with context; thirty
unexplained symptoms per machine, half of them near misses), never the evaluation set or the system's answers.

Objective, over the documentary rows of an index built from the corpus (their vectors from the base embedder, fixed):
- a question's own row first among all rows (cross-entropy over the cosines at temperature 1/scale);
- its cosine to its row above a learned bias, its best other row's below it (a mild weight: rows of the FMEA and of
  the manual often share a cause);
- an unexplained symptom's best row below the bias.
The bias makes the cosine mean something on its own, which is what the route's floor reads: a symptom that nothing
explains should not reach it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from copilot.qa.symptom_encoder import mean_pooled
from copilot.qa.troubleshoot import CAUSE_KINDS
from index.embeddings import DEFAULT_EMBEDDER, canonical_embedder, resolve_embedder
from index.troubleshooting import TroubleRow

logger = logging.getLogger(__name__)

DATASET = Path(__file__).resolve().parent / "datasets" / "symptom_questions.jsonl"


@dataclass(frozen=True)
class SymptomRecipe:
    embedder: str = DEFAULT_EMBEDDER
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    targets: tuple[str, ...] = ("query", "value", "dense")
    epochs: int = 8
    batch: int = 32
    lr: float = 5e-4
    scale: float = 20.0  # cosine -> logit
    other_weight: float = 0.3  # the best other row below the bias (it may share the cause)
    seed: int = 0


def read_questions(path: Path = DATASET) -> list[dict[str, Any]]:
    if not path.is_file():
        raise CopilotError(f"symptom questions not found at {path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def row_key(source: str, symptom: str, cause: str) -> tuple[str, str, str]:
    return (Path(source).name, " ".join(symptom.split()), " ".join(cause.split()))


def resolve_rows(questions: list[dict[str, Any]], rows: tuple[TroubleRow, ...]) -> list[tuple[str, int | None]]:
    """(question, index of its row among `rows`, or None for an unexplained symptom). A question whose row the
    index does not hold (a manual changed since it was written) is left out and counted in the log."""
    where = {row_key(r.source, r.symptom, r.cause): i for i, r in enumerate(rows)}
    out: list[tuple[str, int | None]] = []
    missing = 0
    for q in questions:
        if q["row"] is None:
            out.append((q["question"], None))
            continue
        found = where.get(row_key(q["row"]["source"], q["row"]["symptom"], q["row"]["cause"]))
        if found is None:
            missing += 1
        else:
            out.append((q["question"], found))
    if missing:
        logger.warning("%d questions name a row the index does not hold (left out)", missing)
    if not any(r is not None for _, r in out):
        raise CopilotError("no question's row is in this index: build it from the corpus (`copilot index build "
                           "corpus --index DIR`) and train against that")
    return out


def train_symptom_encoder(rows: tuple[TroubleRow, ...], out: Path, recipe: SymptomRecipe = SymptomRecipe(),
                          questions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Train and save the adapter to `out` (adapter_model.safetensors, adapter_config.json, training.json)."""
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    pairs = resolve_rows(questions if questions is not None else read_questions(), rows)
    base_dir = resolve_embedder(recipe.embedder)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    base = AutoModel.from_pretrained(str(base_dir))

    with torch.inference_mode():
        vectors = torch.cat([mean_pooled(base, tokenizer, [r.match_text for r in rows[i:i + 64]])
                             for i in range(0, len(rows), 64)])
    vectors = vectors.clone()
    vectors[torch.tensor([r.kind not in CAUSE_KINDS for r in rows])] = 0  # work orders are evidence, not causes
    lora = LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=recipe.dropout,
                      target_modules=list(recipe.targets))
    model: Any = get_peft_model(base, lora)
    bias = torch.nn.Parameter(torch.tensor(0.5))
    params = [p for p in model.parameters() if p.requires_grad] + [bias]
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.01)
    per_epoch = (len(pairs) + recipe.batch - 1) // recipe.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=recipe.epochs * per_epoch,
                                                   pct_start=0.1)
    started = time.perf_counter()
    losses: list[float] = []
    model.train()
    for epoch in range(recipe.epochs):
        random.shuffle(pairs)
        total = 0.0
        for start in range(0, len(pairs), recipe.batch):
            batch = pairs[start:start + recipe.batch]
            sims = mean_pooled(model, tokenizer, [q for q, _ in batch]) @ vectors.T
            explained = [j for j, (_, r) in enumerate(batch) if r is not None]
            unexplained = [j for j, (_, r) in enumerate(batch) if r is None]
            loss = torch.zeros(())
            if explained:
                gold = torch.tensor([batch[j][1] for j in explained])
                own = sims[explained]
                loss = loss + F.cross_entropy(own * recipe.scale, gold)
                hit = own[torch.arange(len(explained)), gold]
                loss = loss + F.binary_cross_entropy_with_logits((hit - bias) * recipe.scale, torch.ones_like(hit))
                other = own.detach().clone()
                other[torch.arange(len(explained)), gold] = -1.0
                nearest = own.gather(1, other.argmax(1, keepdim=True)).squeeze(1)
                loss = loss + recipe.other_weight * F.binary_cross_entropy_with_logits(
                    (nearest - bias) * recipe.scale, torch.zeros_like(nearest))
            if unexplained:
                best = sims[unexplained].max(1).values
                loss = loss + F.binary_cross_entropy_with_logits((best - bias) * recipe.scale, torch.zeros_like(best))
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += float(loss.detach())
        losses.append(round(total / per_epoch, 4))
        logger.info("epoch %d: loss %.4f, bias %.3f", epoch + 1, losses[-1], float(bias.detach()))
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    config = json.loads((out / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = canonical_embedder(recipe.embedder)  # not this machine's path
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").unlink(missing_ok=True)  # peft's template card; docs/troubleshooting.md is the card
    report = {"recipe": asdict(recipe), "questions": len(pairs),
              "explained": sum(r is not None for _, r in pairs), "rows": len(rows),
              "epoch_loss": losses, "bias": round(float(bias.detach()), 4),
              "minutes": round((time.perf_counter() - started) / 60, 1), "threads": torch.get_num_threads()}
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
