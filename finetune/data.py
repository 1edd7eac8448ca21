"""Build the supervised fine-tuning set from the project's own corpus, deterministically, split by document.

Every grounded example is made the way inference makes its prompt: the question goes through the real `Retriever`
(same index, same relevance floor, same top-k) and `copilot.generation.prompts.qa_messages`, so the model is trained
on exactly what it will see. The completion is labelled by substring tests against the fact's evidence:
- answerable: a retrieved passage holds the evidence -> the fact's answer line citing that passage, "... [n].";
- abstain (removed): the evidence-bearing passages are taken out of the retrieved set -> the NOT_COVERED reply;
- abstain (swapped): one machine's component asked about another machine whose passages never name it -> NOT_COVERED;
- follow-up: an earlier turn about the same table, then "And for the X?" -> the answer citing its passage;
- shorthand: a work-order note in CMMS shorthand -> plain language (index.normalize's dictionary);
- report: anomaly evidence (events, ranked causes, cited actions) -> the repair-report summary (`finetune.reports`);
- troubleshoot: a symptom -> the likely causes, most likely first, each cited (`finetune.troubles`).
Documents in `DataConfig.heldout_sources`, and the records of the assets they cover, appear only in the held-out split
(not even as distractors in training prompts), so evaluation measures transfer to unseen equipment.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from copilot.generation import prompts
from copilot.qa.query import contextual_query
from copilot.qa.retrieval import Retriever
from copilot.records import Passage
from finetune.config import DataConfig
from finetune.examples import Example
from finetune.facts import Fact, corpus_facts, machine_of, stable_rng
from finetune.reports import report_examples
from finetune.troubles import troubleshoot_examples
from index.normalize import expand_shorthand
from index.records import Chunk


class Splitter:
    """Which split a document or record belongs to: held-out manuals and the assets they cover go to 'heldout'."""

    def __init__(self, chunks: Sequence[Chunk], heldout_sources: Iterable[str]) -> None:
        self.sources = set(heldout_sources)
        self.assets = {a for c in chunks if c.source in self.sources for a in c.assets}

    def of_chunk(self, source: str, assets: Iterable[str], doc_type: str = "manual") -> str:
        if source in self.sources:
            return "heldout"
        if doc_type in ("work_order", "log") and self.assets & set(assets):
            return "heldout"
        return "train"

    def of_fact(self, fact: Fact) -> str:
        doc_type = "log" if fact.kind in ("work_order", "alarms") else "manual"
        return self.of_chunk(fact.source, fact.assets, doc_type)

    def of_passage(self, passage: Passage) -> str:
        return self.of_chunk(passage.source, passage.assets, passage.doc_type)


class ExampleBuilder:
    """Turns facts into examples through the real retriever; one builder per corpus index."""

    def __init__(self, retriever: Retriever, cfg: DataConfig, budget_words: int) -> None:
        self.retriever = retriever
        self.cfg = cfg
        self.budget = budget_words
        self.top_k = retriever.cfg.top_k
        self.splitter = Splitter(retriever.index.chunks, cfg.heldout_sources)

    def passages(self, question: str, split: str, history: Sequence[tuple[str, str]] = (),
                 drop: Iterable[str] = ()) -> list[Passage]:
        """What inference would show the model for `question`, minus other-split and `drop`ped evidence, renumbered."""
        relevant, _ = self.retriever.retrieve(contextual_query(question, history), k=self.top_k * 2)
        kept = [p for p in relevant
                if (split == "heldout" or self.splitter.of_passage(p) == "train")
                and not any(d in p.text for d in drop)]
        return [replace(p, n=n) for n, p in enumerate(kept[:self.top_k], start=1)]

    def grounded(self, fact: Fact, question: str, split: str, task: str = "answer",
                 history: Sequence[tuple[str, str]] = ()) -> Example | None:
        passages = self.passages(question, split, history)
        holding = [p.n for p in passages if all(e in p.text for e in fact.evidence)]
        if not holding:
            return None  # retrieval missed it: the label would be a guess about an equivalent passage
        completion = f"{fact.answer.rstrip('.')} [{holding[0]}]."
        return self._example(fact, question, split, task, passages, completion, True, holding, history)

    def removed(self, fact: Fact, question: str, split: str) -> Example | None:
        passages = self.passages(question, split, drop=fact.evidence)
        if len(passages) < 2:
            return None
        return self._example(fact, question, split, "abstain_removed", passages, prompts.NOT_COVERED, False, [])

    def swapped(self, fact: Fact, question: str, split: str, subject_words: set[str]) -> Example | None:
        passages = self.passages(question, split)
        if not passages or any(subject_words <= set(p.text.lower().split()) for p in passages):
            return None  # the other machine's passages may name it after all: not a clean negative
        return self._example(fact, question, split, "abstain_swapped", passages, prompts.NOT_COVERED, False, [])

    def _example(self, fact: Fact, question: str, split: str, task: str, passages: list[Passage],
                 completion: str, answerable: bool, gold: list[int],
                 history: Sequence[tuple[str, str]] = ()) -> Example:
        messages = prompts.qa_messages(question, passages, self.budget, history)
        example_id = hashlib.sha256(f"{task}\x1f{fact.fact_id}\x1f{question}".encode()).hexdigest()[:12]
        provenance = {"fact": fact.fact_id, "kind": fact.kind, "source": fact.source, "chunk_id": fact.chunk_id,
                      "passages": [p.chunk_id for p in passages]}
        return Example(example_id, task, split, messages, completion, answerable, gold, [], provenance)


def build_examples(retriever: Retriever, cfg: DataConfig, budget_words: int,
                   qa_items: Sequence[dict[str, Any]] = ()) -> list[Example]:
    """The whole data set, both splits, in a stable order; `qa_items` (qa.jsonl) add held-out evaluation questions."""
    builder = ExampleBuilder(retriever, cfg, budget_words)
    facts = corpus_facts(retriever.index.chunks)
    examples: list[Example] = []
    for split, share in (("train", 1.0), ("heldout", cfg.heldout_share)):
        pool = [f for f in facts if builder.splitter.of_fact(f) == split]
        rng = random.Random(f"{cfg.seed}-{split}")
        rng.shuffle(pool)
        examples += _answerable(builder, pool, split, round(cfg.answerable * share), cfg.kinds)
        examples += _removed(builder, pool, split, round(cfg.abstain_removed * share))
        examples += _swapped(builder, pool, facts, split, round(cfg.abstain_swapped * share))
        examples += _followups(builder, pool, split, round(cfg.followups * share))
        examples += _shorthand(retriever.index.chunks, builder.splitter, split, round(cfg.shorthand * share))
        examples += report_examples(retriever.index, lambda row: builder.splitter.of_chunk(row.manual, []), split,
                                    round(cfg.reports * share))
        examples += troubleshoot_examples(builder, split, round(cfg.troubleshoot * share))
    examples += qa_eval_items(builder, qa_items)
    return examples


def _answerable(builder: ExampleBuilder, pool: list[Fact], split: str, total: int,
                kinds: dict[str, float]) -> list[Example]:
    out: list[Example] = []
    weight = sum(kinds.values()) or 1.0
    for kind, share in kinds.items():
        want = round(total * share / weight)
        made = 0
        for fact in (f for f in pool if f.kind == kind):
            if made >= want:
                break
            example = builder.grounded(fact, fact.questions[0], split)
            if example:
                out.append(example)
                made += 1
    return out


def _removed(builder: ExampleBuilder, pool: list[Fact], split: str, total: int) -> list[Example]:
    out: list[Example] = []
    for fact in reversed(pool):  # the other end of the shuffled pool: mostly facts not used as answerable
        if len(out) >= total:
            break
        example = builder.removed(fact, fact.questions[1 % len(fact.questions)], split)
        if example:
            out.append(example)
    return out


def _swapped(builder: ExampleBuilder, pool: list[Fact], facts: list[Fact], split: str, total: int) -> list[Example]:
    """Ask machine B about a component only machine A's tables name: 'impeller nut torque on the BC-1200?'."""
    manuals: dict[str, list[Chunk]] = {}
    for chunk in builder.retriever.index.chunks:
        if chunk.doc_type == "manual" and builder.splitter.of_chunk(chunk.source, chunk.assets) == split:
            manuals.setdefault(chunk.source, []).append(chunk)
    machines = {source: machine_of(group) for source, group in sorted(manuals.items())}
    # Donors come from the same split: a training question never names a held-out machine's component.
    donors = [f for f in facts if f.kind == "table" and len(f.subject.split()) >= 2
              and not any(ch.isdigit() for ch in f.subject) and builder.splitter.of_fact(f) == split]
    out: list[Example] = []
    for fact in (f for f in pool if f.kind == "table" and f.source in machines):
        if len(out) >= total or not donors:
            break
        rng = stable_rng("swap", fact.fact_id)
        donor = rng.choice(donors)
        if donor.source == fact.source:
            continue
        target = machines[fact.source]
        question = (f"What is the {donor.subject[:1].lower() + donor.subject[1:]} "
                    f"for {rng.choice(target.assets or (target.model,))}?")
        words = {w for w in donor.subject.lower().split() if len(w) > 3}
        example = builder.swapped(fact, question, split, words) if words else None
        if example:
            out.append(example)
    return out


def _followups(builder: ExampleBuilder, pool: list[Fact], split: str, total: int) -> list[Example]:
    """Two rows of one table: the first asked and answered, then 'And for the <second row>?'."""
    by_chunk: dict[str, list[Fact]] = {}
    for fact in pool:
        if fact.kind == "table":
            by_chunk.setdefault(fact.chunk_id, []).append(fact)
    out: list[Example] = []
    for group in by_chunk.values():
        if len(out) >= total:
            break
        if len(group) < 2:
            continue
        first, second = group[0], group[1]
        history = [(first.questions[0], f"{first.answer.rstrip('.')} [1].")]
        thing = second.subject[:1].lower() + second.subject[1:]
        example = builder.grounded(second, f"And for the {thing}?", split, "followup", history)
        if example:
            out.append(example)
    return out


def _shorthand(chunks: Sequence[Chunk], splitter: Splitter, split: str, total: int) -> list[Example]:
    """Work-order notes whose shorthand the dictionary expands (at least two words change)."""

    out: list[Example] = []
    seen: set[str] = set()
    for chunk in sorted((c for c in chunks if c.doc_type == "work_order"), key=lambda c: c.chunk_id):
        if len(out) >= total:
            break
        if splitter.of_chunk(chunk.source, chunk.assets, chunk.doc_type) != split:
            continue
        note = chunk.fields.get("action", "")
        plain = expand_shorthand(note)
        changed = len(set(plain.split()) - set(note.lower().split()))
        if not note or note in seen or changed < 2:
            continue
        seen.add(note)
        example_id = hashlib.sha256(f"shorthand\x1f{note}".encode()).hexdigest()[:12]
        out.append(Example(example_id, "shorthand", split, prompts.shorthand_messages(note), plain,
                           provenance={"source": chunk.source, "chunk_id": chunk.chunk_id}))
    return out


def qa_eval_items(builder: ExampleBuilder, items: Sequence[dict[str, Any]]) -> list[Example]:
    """qa.jsonl questions about held-out documents (answerable) or held-out by a stable half (unanswerable).

    Only questions for which retrieval clears the relevance floor are kept: the others never reach the model.
    """
    from copilot.evaluation.retrieval import matches_gold

    by_id = builder.retriever.index.by_id
    out: list[Example] = []
    for item in items:
        golds = item.get("gold") or []
        if item.get("answerable"):
            if not all(builder.splitter.of_chunk(g["source"], [], "manual") == "heldout" or
                       _gold_assets(item) & builder.splitter.assets for g in golds):
                continue
        elif int(hashlib.sha256(item["id"].encode()).hexdigest(), 16) % 2:
            continue
        passages = builder.passages(item["question"], "heldout")
        if not passages:
            continue
        gold = [p.n for p in passages if p.chunk_id in by_id and any(matches_gold(by_id[p.chunk_id], g)
                                                                       for g in golds)]
        messages = prompts.qa_messages(item["question"], passages, builder.budget)
        out.append(Example(f"qa-{item['id']}", "qa_eval", "heldout", messages, None, bool(item.get("answerable")),
                           gold, list(item.get("keywords", [])), {"qa_id": item["id"],
                                                                  "passages": [p.chunk_id for p in passages]}))
    return out


def _gold_assets(item: dict[str, Any]) -> set[str]:
    import re

    return set(re.findall(r"\b[A-Z]{1,2}-\d{3}\b", item["question"]))
