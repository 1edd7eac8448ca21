"""FailureSensorIQ: domain knowledge measured by multiple choice, each option scored by its log-likelihood.

For each single-answer question the model reads the question (and, with retrieval, the copilot's top passages for it)
and every option is scored as the assistant's reply: the mean log-probability of the option's tokens. The prediction is
the best-scoring option; accuracy is compared with random choice (1 / number of options). Questions are sampled with a
fixed seed when `limit` is set, so base, tuned and tuned+retrieval see the same questions.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from copilot.records import Passage
from finetune.sequences import next_token_logits

SYSTEM = "You are a maintenance engineer. Answer the question with the single best option."
DEFAULT_FILE = Path("../shared/data/failuresensoriq/sc_mcqa_2667.jsonl")


def load_items(path: Path, limit: int | None = None, seed: int = 13) -> list[dict[str, Any]]:
    """Single-answer items ({question, options, correct}); a seeded sample of `limit` when given."""
    if not path.is_file():
        raise CopilotError(f"FailureSensorIQ file {path} not found: pass --sensoriq FILE (sc_mcqa_2667.jsonl)")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if sum(bool(c) for c in i.get("correct", [])) == 1]
    if limit and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    return items


def messages_for(question: str, options: Sequence[str], passages: Sequence[Passage] = (),
                 budget_words: int = 150) -> list[dict[str, str]]:
    from copilot.generation.prompts import format_passages

    listed = "\n".join(f"- {o}" for o in options)
    context = f"Passages:\n{format_passages(passages, budget_words)}\n\n" if passages else ""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{context}Question: {question}\nOptions:\n{listed}"}]


def option_scores(model: Any, tokenizer: Any, messages: list[dict[str, str]], options: Sequence[str],
                  device: str) -> list[float]:
    """Mean log-probability of each option's tokens as the reply to `messages` (one batched forward pass)."""
    import torch

    prompt_text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    answers = [tokenizer(o, add_special_tokens=False)["input_ids"] or [tokenizer.eos_token_id] for o in options]
    width = len(prompt) + max(len(a) for a in answers)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(options), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, answer in enumerate(answers):
        seq = prompt + answer
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    select = torch.zeros_like(ids, dtype=torch.bool)  # the positions that predict each option's tokens
    for row, answer in enumerate(answers):
        select[row, len(prompt) - 1:len(prompt) - 1 + len(answer)] = True
    with torch.inference_mode():
        logprobs = torch.log_softmax(next_token_logits(model, ids.to(device), mask.to(device), select.to(device)), -1)
    targets = [t for answer in answers for t in answer]  # row-major, the order `select` picks positions in
    picked = logprobs[torch.arange(len(targets)), torch.tensor(targets, device=logprobs.device)].tolist()
    scores, start = [], 0
    for answer in answers:
        scores.append(sum(picked[start:start + len(answer)]) / len(answer))
        start += len(answer)
    return scores


def evaluate_sensoriq(model: Any, tokenizer: Any, items: Sequence[dict[str, Any]], device: str,
                      retrieve: Callable[[str], list[Passage]] | None = None) -> dict[str, Any]:
    """Accuracy over `items`, per asset type too, with random choice for reference."""
    started = time.perf_counter()
    hits = 0
    by_asset: dict[str, list[int]] = {}
    chance = 0.0
    model.eval()
    for item in items:
        passages = retrieve(item["question"]) if retrieve else []
        scores = option_scores(model, tokenizer, messages_for(item["question"], item["options"], passages),
                               item["options"], device)
        best = max(range(len(scores)), key=scores.__getitem__)
        correct = bool(item["correct"][best])
        hits += correct
        chance += 1 / len(item["options"])
        by_asset.setdefault(item.get("asset_name", "?"), []).append(int(correct))
    n = max(1, len(items))
    return {"questions": len(items), "accuracy": round(hits / n, 3), "random": round(chance / n, 3),
            "by_asset": {a: round(sum(v) / len(v), 3) for a, v in sorted(by_asset.items())},
            "seconds": round(time.perf_counter() - started, 1)}
