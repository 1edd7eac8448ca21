"""Prompt templates for a small model: numbered passages with source/section/page headers, a tight word budget.

`finetune/` imports these builders so training and inference see exactly the same format; a change here is a
change to the fine-tuning data too (the prompt tests pin the exact strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from copilot.records import Passage

NOT_COVERED = "The documents do not cover this."

QA_SYSTEM = (
    "You are a maintenance assistant for plant technicians. Answer only from the numbered passages. "
    "After each fact, cite its passage number in square brackets, like [1]. Copy numbers, limits and codes exactly. "
    f"If the passages do not answer the question, reply exactly: {NOT_COVERED}"
)


def truncate_words(text: str, limit: int) -> str:
    """At most `limit` words, cut at a word boundary, marked with an ellipsis when cut."""
    words = text.split()
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]) + " ..."


def format_passages(passages: Sequence[Passage], budget_words: int) -> str:
    """'[n] source, section, p. N' headers over each passage's text, sharing the word budget in rank order."""
    blocks = []
    remaining = budget_words
    per_passage = max(40, budget_words // max(1, len(passages)))
    for passage in passages:
        if remaining <= 0:
            break
        share = min(remaining, max(per_passage, remaining // 2) if passage.n == 1 else per_passage)
        text = truncate_words(passage.text, share)
        remaining -= len(text.split())
        blocks.append(f"{passage.header()}\n{text}")
    return "\n\n".join(blocks)


def qa_messages(question: str, passages: Sequence[Passage], budget_words: int,
                history: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """Chat messages for a grounded answer; `history` is earlier (question, answer) turns, most recent last."""
    messages = [{"role": "system", "content": QA_SYSTEM}]
    for past_question, past_answer in history[-2:]:
        messages.append({"role": "user", "content": past_question})
        messages.append({"role": "assistant", "content": past_answer})
    user = f"Passages:\n{format_passages(passages, budget_words)}\n\nQuestion: {question}"
    messages.append({"role": "user", "content": user})
    return messages


SHORTHAND_SYSTEM = (
    "Rewrite the maintenance note in plain lower-case English: spell out technician shorthand and abbreviations, "
    "keep every part number, code and value exactly as written, add nothing."
)


def shorthand_messages(note: str) -> list[dict[str, str]]:
    """Chat messages asking for a technician's note in plain language (fine-tuned alongside grounded answers)."""
    return [{"role": "system", "content": SHORTHAND_SYSTEM}, {"role": "user", "content": note}]


def end_of_turn(tokenizer: Any) -> str:
    """What the chat template writes after an assistant message ('<|im_end|>' for ChatML), whitespace stripped.

    Taken from the template, not from `tokenizer.eos_token`: a converted checkpoint may name a different end-of-text
    token, and a model trained to end with the wrong one never stops at inference.
    """
    probe = [{"role": "user", "content": "q"}]
    prompt = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(probe + [{"role": "assistant", "content": "\x00"}], tokenize=False)
    if not full.startswith(prompt) or "\x00" not in full:
        return str(tokenizer.eos_token or "")
    return str(full.split("\x00", 1)[1].strip())


def end_of_turn_ids(tokenizer: Any) -> list[int]:
    """Token ids generation should stop at: the template's end of turn, and the tokenizer's eos."""
    ids = tokenizer(end_of_turn(tokenizer), add_special_tokens=False)["input_ids"][:1]
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids
