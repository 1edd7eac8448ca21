"""Base vs tuned on the held-out split: loss and perplexity, then the behaviours the copilot depends on.

Replies are scored with the copilot's own checker (`copilot.qa.citations.check`), so "valid" here means what it means at
inference: the reply cites a passage that exists, and every sentence and number is supported by what it cites.
- citation_validity: answerable prompts whose reply itself cites a gold passage ([n] written by the model, not
  attributed by the checker) and passes the support check;
- cites_any: answerable prompts whose reply carries at least one in-range [n];
- abstention_accuracy: unanswerable prompts whose reply says NOT_COVERED (what `copilot.qa.spine` treats as abstaining);
- false_abstention: answerable prompts the model declined;
- keyword_recall: answerable prompts whose reply contains every keyword (qa.jsonl keywords, or the numbers of the
  reference answer for generated examples);
- troubleshoot_cause_named: symptom prompts whose reply names the first cause of the reference list;
- report_*: repair-report summaries (`finetune.reports.score_reports`): accepted by the inference gate, naming the
  top-ranked cause, giving its first step, and all three (`report_usable`).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from copilot.generation import prompts
from copilot.generation.prompts import end_of_turn_ids
from copilot.qa import citations
from copilot.qa.lexicon import CITATION_RE
from copilot.records import Passage
from finetune.examples import Example
from finetune.sequences import IGNORE, collate, completion_loss_sum, encode

HEADER_RE = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)
GROUNDED = ("answer", "followup", "abstain_removed", "abstain_swapped", "qa_eval", "troubleshoot")


def heldout_loss(model: Any, tokenizer: Any, examples: Sequence[Example], device: str,
                 batch_size: int = 4) -> dict[str, float]:
    """Mean cross-entropy per completion token (and its perplexity) over examples that have a completion."""
    import torch

    encoded = [encode(tokenizer, e.messages, e.completion) for e in examples if e.completion is not None]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    total, count = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            batch = {k: v.to(device) for k, v in collate(encoded[start:start + batch_size], pad).items()}
            total += float(completion_loss_sum(model, batch))
            count += int((batch["labels"] != IGNORE).sum())
    mean = total / max(1, count)
    return {"loss": round(mean, 4), "perplexity": round(math.exp(mean), 3), "completion_tokens": count}


def generate_replies(model: Any, tokenizer: Any, examples: Sequence[Example], device: str,
                     max_new_tokens: int = 100, batch_size: int = 8) -> list[str]:
    """Greedy replies, batched with left padding (prompts rendered exactly as at inference)."""
    import torch

    tokenizer.padding_side = "left"
    replies: list[str] = []
    model.eval()
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        texts = [tokenizer.apply_chat_template(e.messages, tokenize=False, add_generation_prompt=True) for e in chunk]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, temperature=None,
                                    top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id,
                                    eos_token_id=end_of_turn_ids(tokenizer))
        new = output[:, inputs["input_ids"].shape[1]:]
        replies += [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]
    tokenizer.padding_side = "right"
    return replies


def passages_of(example: Example) -> list[Passage]:
    """The numbered passages as the prompt shows them (rebuilt from the prompt text, headers and bodies)."""
    user = example.messages[-1]["content"]
    body = user.split("\n\nQuestion: ")[0].removeprefix("Passages:\n")
    marks = list(HEADER_RE.finditer(body))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[mark.end():end].strip()
        out.append(Passage(int(mark.group(1)), f"p{mark.group(1)}", text, mark.group(2), "", None, None, 1.0))
    return out


def question_of(example: Example) -> str:
    return example.messages[-1]["content"].rsplit("Question: ", 1)[-1]


def abstained(reply: str) -> bool:
    return prompts.NOT_COVERED.lower().rstrip(".") in reply.lower()


def score_replies(examples: Sequence[Example], replies: Sequence[str]) -> dict[str, Any]:
    """The behaviour metrics (module docstring) over grounded examples and their replies."""
    answerable = unanswerable = valid = cites_any = declined = abstain_ok = kw_total = kw_hits = 0
    symptoms = named = 0
    for example, reply in zip(examples, replies, strict=True):
        if example.task not in GROUNDED:
            continue
        if not example.answerable:
            unanswerable += 1
            abstain_ok += abstained(reply)  # as at inference: any reply saying so is an abstention
            continue
        answerable += 1
        if example.task == "troubleshoot":
            symptoms += 1
            named += bool(example.keywords) and all(k.lower() in reply.lower() for k in example.keywords)
        if abstained(reply):
            declined += 1
            continue
        passages = passages_of(example)
        checked = citations.check(reply, passages, question_of(example))
        cited = {int(n) for group in CITATION_RE.findall(reply) for n in re.split(r"\s*[,;]\s*", group)}
        cites_any += bool(cited & {p.n for p in passages})
        # the reply's own [n] must name a gold passage: the checker attributes uncited sentences to a passage,
        # which would count a reply that cites nothing (or only out-of-range numbers) as validly cited
        valid += bool(cited & set(example.gold)) and not checked.unsupported
        keywords = example.keywords or sorted(citations.numbers_in(re.sub(r"\[\d+\]", "", example.completion or "")))
        if keywords:
            kw_total += 1
            kw_hits += all(k.lower() in reply.lower() for k in keywords)
    return {
        "answerable": answerable, "unanswerable": unanswerable,
        "citation_validity": _share(valid, answerable), "cites_any": _share(cites_any, answerable),
        "false_abstention": _share(declined, answerable), "abstention_accuracy": _share(abstain_ok, unanswerable),
        "keyword_recall": _share(kw_hits, kw_total), "troubleshoot_cause_named": _share(named, symptoms),
    }


def evaluate_model(model: Any, tokenizer: Any, examples: Sequence[Example], device: str,
                   max_new_tokens: int = 100, report_tokens: int = 160) -> dict[str, Any]:
    """Loss on examples with completions, behaviour metrics on grounded and report examples' greedy replies."""
    from finetune.reports import score_reports

    started = time.perf_counter()
    result: dict[str, Any] = heldout_loss(model, tokenizer, examples, device)
    grounded = [e for e in examples if e.task in GROUNDED]
    replies = generate_replies(model, tokenizer, grounded, device, max_new_tokens)
    result.update(score_replies(grounded, replies))
    reports = [e for e in examples if e.task == "report"]
    report_replies = generate_replies(model, tokenizer, reports, device, report_tokens)
    result.update(score_reports(reports, report_replies))
    result["seconds"] = round(time.perf_counter() - started, 1)
    # kept whole, so a metric can be re-scored offline
    result["replies"] = [{"id": e.example_id, "task": e.task, "reply": r} for e, r in
                         zip([*grounded, *reports], [*replies, *report_replies], strict=True)]
    return result


def compare(base: dict[str, Any], tuned: dict[str, Any]) -> dict[str, Any]:
    """tuned - base for every shared numeric metric (points for shares, raw for loss)."""
    return {k: round(tuned[k] - base[k], 4) for k in base
            if isinstance(base.get(k), int | float) and isinstance(tuned.get(k), int | float)
            and k not in ("answerable", "unanswerable", "reports", "completion_tokens", "seconds")}


def load_for_eval(base_model: str, adapter: Path | None, device: str | None = None) -> tuple[Any, Any, str]:
    """The base model, with the adapter merged in when one is given (merged: as fast as the base at inference)."""
    from finetune.train import load_base

    model, tokenizer, device = load_base(base_model, device)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return model, tokenizer, device


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None
