"""Examples -> token sequences with the loss on the completion only, and length-grouped batches.

The prompt is rendered with the model's own chat template (`add_generation_prompt=True`, exactly as `HFGenerator`
renders it at inference) and its tokens get label -100; the completion and the end-of-turn token are learned.
Batches group sequences of similar length so that a batch pads little: on a CPU, padding is paid in full.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from copilot.generation.prompts import end_of_turn

IGNORE = -100


@dataclass(frozen=True)
class Encoded:
    """One training sequence: token ids and labels (-100 where no loss is taken)."""

    input_ids: list[int]
    labels: list[int]

    @property
    def completion_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


def encode(tokenizer: Any, messages: Sequence[dict[str, str]], completion: str) -> Encoded:
    """Prompt tokens (masked) + completion tokens + the template's end-of-turn token (learned)."""
    prompt_text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    answer = tokenizer(completion + end_of_turn(tokenizer), add_special_tokens=False)["input_ids"]
    return Encoded(prompt + answer, [IGNORE] * len(prompt) + answer)


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int, group: int = 16) -> list[list[int]]:
    """Indices in batches of similar length: shuffle, sort within windows of `group` batches, shuffle the batches.

    Deterministic for a seed; every index appears exactly once.
    """
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    rng.shuffle(order)
    window = batch_size * group
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(items: Sequence[Encoded], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels."""
    import torch

    width = max(len(e.input_ids) for e in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, e in enumerate(items):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def next_token_logits(model: Any, input_ids: Any, attention_mask: Any, select: Any) -> Any:
    """fp32 logits predicting token t+1 at the positions t where `select` (bool, batch x length) is True: (N, vocab).

    Runs the decoder over every position but the vocabulary projection only where a loss or score is taken. On a
    49k-token vocabulary with ~700-token prompts and ~60-token completions that projection (and its gradient) is
    about half of a LoRA training step on a CPU (measured 1.8x faster per step, the same loss to 4 decimals).
    Works on a plain causal LM and on a peft-wrapped one (whose LoRA layers sit inside the same modules).
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = base.get_decoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    return base.get_output_embeddings()(hidden[select]).float()


def completion_loss_sum(model: Any, batch: dict[str, Any]) -> Any:
    """Summed cross-entropy over the completion tokens of a collated batch, so accumulation can normalise by all."""
    import torch

    labels = batch["labels"][:, 1:]
    select = torch.zeros_like(batch["labels"], dtype=torch.bool)
    select[:, :-1] = labels != IGNORE
    logits = next_token_logits(model, batch["input_ids"], batch["attention_mask"], select)
    return torch.nn.functional.cross_entropy(logits, labels[labels != IGNORE], reduction="sum")
