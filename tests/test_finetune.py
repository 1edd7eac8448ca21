"""LoRA fine-tuning on a tiny random Llama (hidden 32, 2 layers) and a word-level ChatML tokenizer built in the test.

Real transformers, peft and torch code paths, no download: one step moves only the LoRA weights, the saved adapter
reloads to the same logits, and an interrupted run resumes to exactly the weights of an uninterrupted one. The data
builder runs on the tiny corpus (plus a second manual, held out) through the real retriever with the hashing embedder.
"""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

import finetune.train as train_mod
from copilot.anomaly.summary import check_summary, summary_messages
from copilot.config import RetrievalConfig
from copilot.errors import ConfigError
from copilot.generation import prompts
from copilot.qa.retrieval import Retriever
from copilot.records import Passage
from finetune.config import DataConfig, LoraTrainConfig, Recipe, load_recipe
from finetune.data import ExampleBuilder, build_examples
from finetune.evaluate import passages_of, question_of, score_replies
from finetune.examples import Example, read_split, write_dataset
from finetune.facts import corpus_facts
from finetune.reports import score_reports
from finetune.sequences import IGNORE, collate, completion_loss_sum, encode, length_grouped_batches
from index import HybridIndex, IndexConfig, build_index
from tests.fakes import HashingEmbedder, tiny_llama

DATA = Path(__file__).parent / "data"
MANUAL = (DATA / "pump_manual.md").read_text(encoding="utf-8")
BOLTS = MANUAL[MANUAL.index("### 3.4"):MANUAL.index("<!-- page 2 -->")].strip()
SEAL = MANUAL[MANUAL.index("### 6.3"):MANUAL.index("### 6.4")].strip()
CODES = MANUAL[MANUAL.index("## 9"):].strip()

# A second manual for the tiny corpus, so that one document can be held out while the pump manual trains.
FAN_MANUAL = """<!-- page 1 -->
# Testco TF-30 Axial Fan Manual

| Field | Value |
|---|---|
| Manufacturer | Testco |
| Applies to | F-301 |

## 3 Specifications

### 3.2 Belt drive

| Item | Value |
|---|---|
| Belt tension deflection | 8 mm at 30 N |
| Pulley alignment | 0.5 mm per 100 mm |
| Motor base bolts | 45 N·m |

## 5 Maintenance

### 5.1 Lubrication

Grease the fan shaft bearings every 2000 running hours with 15 g of lithium grease.
Heat new fan bearings to 110 °C on an induction heater before fitting them to the shaft.
Replace the drive belts as a set when the deflection exceeds 12 mm at 30 N.

## 8 Fault codes

| Code | Alarm text | Meaning |
|---|---|---|
| F210 | FAN VIBRATION HIGH | Shaft vibration above 7.1 mm/s |
| F220 | BELT SLIP | Fan speed below 90 % of motor speed |
"""
HELDOUT = "fan_manual.md"
FAN_TROUBLESHOOTING = """
## 9 Troubleshooting

| Symptom | Probable cause | Corrective action |
|---|---|---|
| Fan vibrates at speed | Blade fouling or loose hub | Clean the blades; torque the hub bolts (3.2) |
| Belts squeal on start | Belt tension too low | Re-tension to 8 mm at 30 N (3.2) |
"""

# A third manual that trains beside the pump manual, so swapped abstentions have a training donor of their own.
GEARBOX_MANUAL = """<!-- page 1 -->
# Testco GB-20 Gearbox Manual

| Field | Value |
|---|---|
| Manufacturer | Testco |
| Applies to | G-201 |

## 4 Specifications

### 4.1 Fasteners and parts

| Item | Value |
|---|---|
| Oil drain plug torque | 40 N·m |
| Input shaft seal size | 35 x 52 x 7 mm |
| Breather cap service | replace every 12 months |
"""


def passage(n: int, text: str, section: str = "3.4 Bolt torques") -> Passage:
    return Passage(n, f"pump_manual.md#{n}", text, "pump_manual.md", "pump_manual.md", 1, section, 0.9)


def qa_example(example_id: str, question: str, texts: list[str], completion: str | None, answerable: bool,
               gold: list[int], task: str = "answer") -> Example:
    passages = [passage(n, t) for n, t in enumerate(texts, start=1)]
    return Example(example_id, task, "train", prompts.qa_messages(question, passages, 600), completion,
                   answerable, gold)


def tiny_dataset(out: Path) -> Path:
    """Eight short grounded and abstaining examples in the inference prompt format, written as a data set."""
    items = [
        ("seal gland nut torque?", [BOLTS, SEAL], "Seal gland nuts: Thread M12; Torque 25 N·m [1].", True, [1]),
        ("impeller nut torque?", [BOLTS], "Impeller nut: Thread M20; Torque 95 N·m [1].", True, [1]),
        ("casing bolts torque on P-901?", [SEAL, BOLTS], "Casing bolts: Thread M16; Torque 140 N·m [2].", True, [2]),
        ("What does E105 mean?", [CODES], "E105: Seal drain pot float switch operated [1].", True, [1]),
        ("E103 on P-902?", [SEAL, CODES], "E103: Bearing temperature above 80 °C [2].", True, [2]),
        ("coupling alignment?", [SEAL], prompts.NOT_COVERED, False, []),
        ("motor insulation test voltage?", [BOLTS, CODES], prompts.NOT_COVERED, False, []),
        ("gland nuts when fitting a new seal?", [SEAL], "Tighten the gland nuts evenly to 25 N·m [1].", True, [1]),
    ]
    examples = [qa_example(f"ex{i}", q, texts, c, a, g) for i, (q, texts, c, a, g) in enumerate(items)]
    write_dataset(examples, out)
    return out


def tiny_recipe(**train: Any) -> Recipe:
    """8 examples, batches of 2, 2 accumulation steps, 2 epochs: 4 optimizer steps of real LoRA training."""
    settings: dict[str, Any] = {"r": 4, "alpha": 8, "dropout": 0.1, "learning_rate": 2e-2, "warmup_steps": 1,
                                "epochs": 2.0, "batch_size": 2, "grad_accum": 2, "max_length": 512,
                                "save_every": 10, "seed": 7, "device": "cpu"}
    settings.update(train)
    return Recipe(train=LoraTrainConfig(**settings))


@pytest.fixture
def spy_lora(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records every PeftModel `train` builds, with a copy of its parameters right after LoRA was added."""
    seen: list[dict[str, Any]] = []
    real = train_mod.add_lora

    def add_lora(model: Any, recipe: Recipe) -> Any:
        peft_model = real(model, recipe)
        before = {name: p.detach().clone() for name, p in peft_model.named_parameters()}
        seen.append({"model": peft_model, "before": before})
        return peft_model

    monkeypatch.setattr(train_mod, "add_lora", add_lora)
    return seen


def run(recipe: Recipe, data: Path, out: Path, tokenizer: Any, **kwargs: Any) -> train_mod.TrainResult:
    return train_mod.train(recipe, data, output_dir=out, model=tiny_llama(tokenizer, seed=0), tokenizer=tokenizer,
                           progress=False, **kwargs)


# --- training ------------------------------------------------------------------------------------------------------


def test_one_training_step_changes_only_the_lora_weights(tmp_path: Path, tiny_tokenizer: Any,
                                                         spy_lora: list[dict[str, Any]]) -> None:
    data = tiny_dataset(tmp_path / "data")
    result = run(tiny_recipe(), data, tmp_path / "run", tiny_tokenizer, stop_after=1)

    assert result.steps == 1 and result.tokens > 0 and result.final_loss > 0
    model, before = spy_lora[0]["model"], spy_lora[0]["before"]
    after = dict(model.named_parameters())
    assert set(after) == set(before)
    trainable = {name for name, p in after.items() if p.requires_grad}
    assert trainable and all("lora_" in name for name in trainable)
    changed = {name for name, p in after.items() if not torch.equal(p.detach(), before[name])}
    assert changed, "one optimizer step moved nothing"
    assert all("lora_" in name for name in changed), f"frozen weights moved: {sorted(changed - trainable)}"
    # B starts at zero, so the first step moves every B (A's gradient is B-weighted and still zero)
    assert {name for name in after if "lora_B" in name} <= changed
    # the run stopped after its checkpoint and wrote no final adapter
    assert (tmp_path / "run" / "checkpoints" / "step-00001" / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "run" / "adapter").exists()


def test_the_saved_adapter_reloads_into_fresh_base_weights_with_the_same_logits(
        tmp_path: Path, tiny_tokenizer: Any, spy_lora: list[dict[str, Any]]) -> None:
    from peft import PeftModel

    data = tiny_dataset(tmp_path / "data")
    result = run(tiny_recipe(), data, tmp_path / "run", tiny_tokenizer)
    assert result.steps == 4
    adapter = result.adapter_dir
    log = json.loads((adapter / "training_log.json").read_text())
    assert log["steps"] == 4 and len(log["losses"]) == 4 and log["examples"] == 8
    assert json.loads((adapter / "train_config.json").read_text())["train"]["r"] == 4
    # the base is named by its id, not by the cache path this machine loaded it from
    base_id = json.loads((adapter / "adapter_config.json").read_text())["base_model_name_or_path"]
    assert base_id == tiny_recipe().train.base_model

    trained = spy_lora[0]["model"].eval()
    fresh = tiny_llama(tiny_tokenizer, seed=0)
    base_logits_model = tiny_llama(tiny_tokenizer, seed=0)
    reloaded = PeftModel.from_pretrained(fresh, str(adapter)).eval()
    text = tiny_tokenizer.apply_chat_template(read_split(data, "train")[0].messages, tokenize=False,
                                              add_generation_prompt=True)
    ids = torch.tensor([tiny_tokenizer(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        want = trained(input_ids=ids).logits
        got = reloaded(input_ids=ids).logits
        base = base_logits_model(input_ids=ids).logits
    assert torch.allclose(got, want, atol=1e-5)
    assert not torch.allclose(base, want, atol=1e-4), "the adapter changes nothing: the reload test proves nothing"


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(
        tmp_path: Path, tiny_tokenizer: Any, caplog: pytest.LogCaptureFixture) -> None:
    data = tiny_dataset(tmp_path / "data")
    recipe = tiny_recipe()

    whole = run(recipe, data, tmp_path / "whole", tiny_tokenizer)
    first = run(recipe, data, tmp_path / "split", tiny_tokenizer, stop_after=2)
    assert first.steps == 2
    state = json.loads((tmp_path / "split" / "checkpoints" / "step-00002" / "state.json").read_text())
    assert state["step"] == 2 and len(state["losses"]) == 2
    with caplog.at_level(logging.INFO, logger="finetune.train"):
        resumed = run(recipe, data, tmp_path / "split", tiny_tokenizer)

    assert any("resuming from" in r.getMessage() and "step-00002" in r.getMessage() and "(step 2 of 4)"
               in r.getMessage() for r in caplog.records)
    assert resumed.steps == whole.steps == 4
    log_whole = json.loads((whole.adapter_dir / "training_log.json").read_text())
    log_resumed = json.loads((resumed.adapter_dir / "training_log.json").read_text())
    assert log_resumed["losses"][:2] == state["losses"]  # the first two steps are the interrupted run's
    assert log_resumed["losses"] == pytest.approx(log_whole["losses"], rel=1e-4)
    assert log_resumed["tokens"] == log_whole["tokens"]
    want = load_file(str(whole.adapter_dir / "adapter_model.safetensors"))
    got = load_file(str(resumed.adapter_dir / "adapter_model.safetensors"))
    assert set(got) == set(want) and want
    for name in want:
        assert torch.allclose(got[name], want[name], atol=1e-6), name
    # the resumed run trained on past its checkpoint: the final weights are not the step-2 weights
    at_two = load_file(str(tmp_path / "split" / "checkpoints" / "step-00002" / "adapter_model.safetensors"))
    assert any(not torch.allclose(at_two[n], want[n]) for n in want)


def test_training_with_no_example_short_enough_says_so(tmp_path: Path, tiny_tokenizer: Any) -> None:
    from copilot.errors import CopilotError

    data = tiny_dataset(tmp_path / "data")
    with pytest.raises(CopilotError, match="no training examples.*longer than 8"):
        run(tiny_recipe(max_length=8), data, tmp_path / "run", tiny_tokenizer)


# --- sequences -----------------------------------------------------------------------------------------------------


def test_encode_masks_the_prompt_and_learns_the_completion_and_end_of_turn(tiny_tokenizer: Any) -> None:
    messages = prompts.qa_messages("seal gland nut torque?", [passage(1, BOLTS)], 600)
    completion = "Seal gland nuts: Thread M12; Torque 25 N·m [1]."
    encoded = encode(tiny_tokenizer, messages, completion)

    prompt_text = tiny_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt = tiny_tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    answer = tiny_tokenizer(completion, add_special_tokens=False)["input_ids"]
    end = tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert prompt_text.endswith("<|im_start|>assistant\n")
    assert encoded.input_ids == prompt + answer + [end]
    assert encoded.labels == [IGNORE] * len(prompt) + answer + [end]
    assert encoded.completion_tokens == len(answer) + 1
    assert tiny_tokenizer.unk_token_id not in answer  # the test tokenizer knows the words it is asked to learn


def test_collate_pads_right_and_masks_padding_out_of_the_loss(tiny_tokenizer: Any) -> None:
    short = encode(tiny_tokenizer, prompts.shorthand_messages("REPL BRG"), "replace bearing")
    long = encode(tiny_tokenizer, prompts.qa_messages("torque?", [passage(1, BOLTS)], 600), "25 N·m [1].")
    batch = collate([short, long], pad_id=tiny_tokenizer.pad_token_id)
    n = len(short.input_ids)
    assert batch["input_ids"].shape == (2, len(long.input_ids))
    assert batch["input_ids"][0, :n].tolist() == short.input_ids
    assert (batch["input_ids"][0, n:] == tiny_tokenizer.pad_token_id).all()
    assert batch["attention_mask"][0].tolist() == [1] * n + [0] * (len(long.input_ids) - n)
    assert (batch["labels"][0, n:] == IGNORE).all() and batch["labels"][1].tolist() == long.labels


@pytest.mark.parametrize("wrap", [False, True], ids=["plain", "peft"])
def test_completion_loss_projects_only_completion_positions_and_equals_the_full_logits_loss(
        tiny_tokenizer: Any, wrap: bool) -> None:
    short = encode(tiny_tokenizer, prompts.shorthand_messages("REPL BRG"), "replace bearing")
    long = encode(tiny_tokenizer, prompts.qa_messages("torque?", [passage(1, BOLTS)], 600), "25 N·m [1].")
    batch = collate([short, long], pad_id=tiny_tokenizer.pad_token_id)
    model = tiny_llama(tiny_tokenizer, seed=3)
    if wrap:
        model = train_mod.add_lora(model, tiny_recipe())
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    full = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.size(-1)),
                                             batch["labels"][:, 1:].reshape(-1), ignore_index=IGNORE, reduction="sum")
    projected: list[int] = []
    head = (model.get_base_model() if wrap else model).get_output_embeddings()
    head.register_forward_hook(lambda _m, inputs, _o: projected.append(inputs[0].shape[0]))

    selective = completion_loss_sum(model, batch)

    assert torch.allclose(selective, full, rtol=1e-5)
    assert projected == [short.completion_tokens + long.completion_tokens]


def test_length_grouped_batches_cover_every_index_once_deterministically() -> None:
    lengths = [(i * 37) % 101 + 5 for i in range(150)]
    batches = length_grouped_batches(lengths, batch_size=4, seed=3, group=4)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(150))
    assert all(1 <= len(b) <= 4 for b in batches)
    assert batches == length_grouped_batches(lengths, batch_size=4, seed=3, group=4)
    assert batches != length_grouped_batches(lengths, batch_size=4, seed=4, group=4)

    def padded(groups: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in g) * len(g) for g in groups)

    shuffled = list(range(150))
    random.Random(3).shuffle(shuffled)
    plain = [shuffled[i:i + 4] for i in range(0, 150, 4)]  # what a plain random sampler would batch
    assert padded(batches) < padded(plain)


# --- data ----------------------------------------------------------------------------------------------------------


def two_manual_retriever(corpus: Path, tmp_path: Path, embedder: HashingEmbedder) -> Retriever:
    (corpus / HELDOUT).write_text(FAN_MANUAL, encoding="utf-8")
    (corpus / "gearbox_manual.md").write_text(GEARBOX_MANUAL, encoding="utf-8")
    cfg = IndexConfig(embedder="fake")
    build_index([corpus], tmp_path / "idx", lambda: embedder, cfg)
    return Retriever(HybridIndex.load(tmp_path / "idx", embedder, cfg.embedder), RetrievalConfig(min_score=0.0))


DATA_CFG = DataConfig(heldout_sources=(HELDOUT,), answerable=8, abstain_removed=4, abstain_swapped=3, followups=2,
                      shorthand=2, heldout_share=1.0)


def test_build_examples_is_deterministic_grounded_and_keeps_heldout_documents_out_of_training(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    retriever = two_manual_retriever(tiny_corpus, tmp_path, fake_embedder)
    examples = build_examples(retriever, DATA_CFG, 600)
    again = build_examples(Retriever(HybridIndex.load(tmp_path / "idx", fake_embedder, "fake"),
                                     RetrievalConfig(min_score=0.0)), DATA_CFG, 600)
    assert [e.to_json() for e in examples] == [e.to_json() for e in again]
    assert len({e.example_id for e in examples}) == len(examples)
    assert write_dataset(examples, tmp_path / "a")["sha256"] == write_dataset(again, tmp_path / "b")["sha256"]
    assert read_split(tmp_path / "a", "train") == [e for e in examples if e.split == "train"]

    tasks = {(e.split, e.task) for e in examples}
    for task in ("answer", "abstain_removed", "abstain_swapped", "followup", "shorthand"):
        assert ("train", task) in tasks
    assert {("heldout", "answer"), ("heldout", "abstain_removed")} <= tasks

    facts = {f.fact_id: f for f in corpus_facts(retriever.index.chunks)}
    by_id = retriever.index.by_id
    for e in examples:
        if e.task in ("answer", "followup"):  # the [n] points at a shown passage that holds all the evidence
            fact = facts[e.provenance["fact"]]
            assert e.answerable and e.gold and e.completion == f"{fact.answer.rstrip('.')} [{e.gold[0]}]."
            shown = {p.n: p.text for p in passages_of(e)}
            assert all(ev in shown[e.gold[0]] for ev in fact.evidence), e.example_id
            assert all(all(ev in shown[n] for ev in fact.evidence) for n in e.gold)
        elif e.task == "abstain_removed":  # no passage in the prompt holds any of the evidence
            fact = facts[e.provenance["fact"]]
            assert e.completion == prompts.NOT_COVERED and e.answerable is False and e.gold == []
            texts = [by_id[c].text for c in e.provenance["passages"]] + [p.text for p in passages_of(e)]
            assert len(texts) >= 2 and not any(ev in t for ev in fact.evidence for t in texts), e.example_id
        elif e.task == "abstain_swapped":  # another machine's component, named by no passage shown
            assert e.completion == prompts.NOT_COVERED and e.answerable is False
            subject = re.match(r"What is the (.+) for \S+\?$", question_of(e))
            assert subject, question_of(e)
            words = {w for w in subject.group(1).split() if len(w) > 3}
            assert not any(words <= set(by_id[c].text.lower().split()) for c in e.provenance["passages"])

    heldout_assets = {"F-301"}
    train = [e for e in examples if e.split == "train"]
    for e in train:
        for chunk_id in e.provenance.get("passages", []):
            chunk = by_id[chunk_id]
            assert chunk.source != HELDOUT and not (chunk.doc_type != "manual" and heldout_assets & set(chunk.assets))
        assert all(HELDOUT not in m["content"] and "F210" not in m["content"] for m in e.messages)
        assert not any(held in m["content"].lower() for held in ("belt tension", "pulley alignment", "motor base")
                       for m in e.messages), f"{e.example_id} names a held-out machine's component"
        assert e.provenance.get("source") != HELDOUT
    assert all(facts[e.provenance["fact"]].source == HELDOUT for e in examples
               if e.split == "heldout" and e.task == "answer")
    # the filter had work to do: unfiltered, some training prompt would have shown a held-out passage
    unfiltered = ExampleBuilder(retriever, DATA_CFG, 600)
    assert any(p.source == HELDOUT for e in train if e.task != "shorthand"
               for p in unfiltered.passages(question_of(e), "heldout"))


FAN_FMEA = ("axial_fan,bearing_wear,fan shaft bearings,fan_vibration_mm_s:up;bearing_temp_c:up,F210 FAN VIBRATION "
            "HIGH,dry bearings,Grease the fan shaft bearings with 15 g of lithium grease; heat new bearings to 110 °C "
            "before fitting,fan_manual.md,5.1,3\n")


def test_report_examples_follow_the_ranked_evidence_pass_the_summary_gate_and_hold_out_their_manual(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    with (tiny_corpus / "fmea.csv").open("a", encoding="utf-8") as f:
        f.write(FAN_FMEA)
    retriever = two_manual_retriever(tiny_corpus, tmp_path, fake_embedder)
    cfg = DataConfig(heldout_sources=(HELDOUT,), answerable=0, abstain_removed=0, abstain_swapped=0, followups=0,
                     shorthand=0, reports=6, troubleshoot=0, heldout_share=0.5)
    examples = build_examples(retriever, cfg, 600)
    assert [e.to_json() for e in examples] == [e.to_json() for e in build_examples(retriever, cfg, 600)]
    train = [e for e in examples if e.split == "train"]
    heldout = [e for e in examples if e.split == "heldout"]
    assert len(train) == 6 and len(heldout) == 3 and {e.task for e in examples} == {"report"}
    assert {e.provenance["source"] for e in train} == {"pump_manual.md"}
    assert {e.provenance["source"] for e in heldout} == {HELDOUT}
    assert not any("fan" in m["content"].lower() for e in train for m in e.messages)
    for e in examples:
        lines = [line[2:] for line in e.messages[-1]["content"].splitlines() if line.startswith("- ")]
        assert e.messages == summary_messages(lines)  # the inference prompt, built from the report's fact lines
        ranked = e.provenance["ranked"]
        assert check_summary(e.completion, lines, ranked, e.provenance["known_modes"]) is None
        top = next(line for line in lines if line.startswith("Cause 1: "))
        assert ranked[0].replace("_", " ") in top and ranked[0].replace("_", " ") in e.completion
        step = next(line for line in lines if line.startswith("Action 1: "))
        assert e.provenance["first_step"] in step and "(see " in e.completion
        assert any(line.startswith("Event 1: ") for line in lines)
    assert score_reports(examples, [e.completion or "" for e in examples])["report_usable"] == 1.0


def test_troubleshoot_examples_list_the_ranked_causes_cited_to_retrieved_rows_and_hold_out_their_manual(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    retriever = two_manual_retriever(tiny_corpus, tmp_path, fake_embedder)
    (tiny_corpus / HELDOUT).write_text(FAN_MANUAL + FAN_TROUBLESHOOTING, encoding="utf-8")
    build_index([tiny_corpus], tmp_path / "idx", lambda: fake_embedder, IndexConfig(embedder="fake"))
    retriever = Retriever(HybridIndex.load(tmp_path / "idx", fake_embedder, "fake"), RetrievalConfig(min_score=0.0))
    cfg = DataConfig(heldout_sources=(HELDOUT,), answerable=0, abstain_removed=0, abstain_swapped=0, followups=0,
                     shorthand=0, reports=0, troubleshoot=8, heldout_share=0.5)
    examples = build_examples(retriever, cfg, 600)
    assert [e.to_json() for e in examples] == [e.to_json() for e in build_examples(retriever, cfg, 600)]
    assert {e.task for e in examples} == {"troubleshoot"} and {e.split for e in examples} == {"train", "heldout"}
    for e in examples:
        prompt = e.messages[-1]["content"]
        assert e.provenance["chunk_id"] in e.provenance["passages"]  # the row's own passage is in the prompt
        lines = (e.completion or "").splitlines()
        assert lines[0] == "Likely causes, most likely first:" and 1 <= len(lines) - 1 <= 3
        for i, line in enumerate(lines[1:], 1):
            cited = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
            assert line.startswith(f"{i}. ") and cited and all(f"[{n}]" in prompt for n in cited)
        assert e.keywords and e.keywords[0].lower() in lines[1].lower()
        if e.split == "train":
            assert e.provenance["source"] != HELDOUT and "fan" not in prompt.lower()
    heldout = [e for e in examples if e.split == "heldout"]
    assert heldout and all(e.provenance["source"] == HELDOUT for e in heldout)


def test_score_reports_rejects_invented_numbers_and_wrong_causes(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    retriever = two_manual_retriever(tiny_corpus, tmp_path, fake_embedder)
    cfg = DataConfig(answerable=0, abstain_removed=0, abstain_swapped=0, followups=0, shorthand=0, reports=2,
                     troubleshoot=0, heldout_share=0.0)
    example = build_examples(retriever, cfg, 600)[0]
    good = example.completion or ""
    other = next(m for m in example.provenance["known_modes"] if m != example.provenance["ranked"][0])
    wrong_mode = good.replace(example.provenance["ranked"][0].replace("_", " "), other.replace("_", " "))
    scored = [score_reports([example], [reply]) for reply in
              (good, good.replace("Urgency", "Peak 987.6. Urgency"), wrong_mode, "Check the pump soon please.")]
    assert [s["report_usable"] for s in scored] == [1.0, 0.0, 0.0, 0.0]
    assert scored[1]["report_accepted"] == 0.0 and scored[1]["report_top_cause"] == 1.0  # an invented number
    assert scored[2]["report_top_cause"] == 0.0
    assert scored[3]["report_first_step"] == 0.0


# --- recipe --------------------------------------------------------------------------------------------------------


def test_the_default_recipe_file_loads_with_its_commented_values() -> None:
    recipe = load_recipe()
    assert recipe.train.learning_rate == pytest.approx(1e-3) and recipe.train.epochs == 2
    assert recipe.train.target_modules == ("q_proj", "k_proj", "v_proj", "o_proj")
    assert recipe.data.heldout_sources == ("torvik-bc1200-belt-conveyor.md", "polaris-wch400-chiller.md")
    assert load_recipe(overrides={"train.epochs": 0.5}).train.epochs == 0.5


@pytest.mark.parametrize(("yaml_text", "named"), [
    ("train:\n  lr: 0.1\n", "lr"),
    ("data:\n  answerable: 10\n  heldout: [a.md]\n", "heldout"),
    ("train:\n  r: 0\n", "r must be >= 1"),
    ("train:\n  learning_rate: 2\n", "learning_rate"),
    ("train:\n  batch_size: four\n", "batch_size"),
    ("train:\n  learning_rate: 1e-3\n", "learning_rate"),  # YAML 1.1 reads 1e-3 as a string
    ("train:\n  device: tpu\n", "device"),
    ("train:\n  precision: fp16\n", "precision"),
    ("data:\n  heldout_share: 1.5\n", "heldout_share"),
    ("optimizer:\n  name: sgd\n", "optimizer"),
    ("- just\n- a list\n", "mapping"),
])
def test_load_recipe_rejects_unknown_keys_and_bad_values_naming_the_key(tmp_path: Path, yaml_text: str,
                                                                        named: str) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_recipe(path)


def test_load_recipe_names_a_bad_override_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="epochs"):
        load_recipe(overrides={"train.epochs": 0})
    with pytest.raises(ConfigError, match="not found"):
        load_recipe(tmp_path / "missing.yaml")


# --- evaluation ----------------------------------------------------------------------------------------------------


def test_score_replies_counts_valid_citations_and_abstentions() -> None:
    texts = [BOLTS, SEAL]  # [1] the torque table (gold), [2] the seal procedure (also says 25 N·m)
    gold = "Seal gland nuts: Thread M12; Torque 25 N·m [1]."

    def scored(reply: str, answerable: bool = True) -> dict[str, Any]:
        example = qa_example("x", "seal gland nut torque on P-901?", texts, gold if answerable else prompts.NOT_COVERED,
                             answerable, [1] if answerable else [])
        return score_replies([example], [reply])

    correct = scored("Seal gland nuts: Thread M12; Torque 25 N·m [1].")
    assert correct["citation_validity"] == 1.0 and correct["cites_any"] == 1.0 and correct["keyword_recall"] == 1.0
    non_gold = scored("Tighten the gland nuts evenly to 25 N·m [2].")  # supported by [2], but [2] is not gold
    assert non_gold["citation_validity"] == 0.0 and non_gold["cites_any"] == 1.0
    wrong_number = scored("Seal gland nuts: Thread M12; Torque 30 N·m [1].")
    assert wrong_number["citation_validity"] == 0.0 and wrong_number["keyword_recall"] == 0.0
    out_of_range = scored("Seal gland nuts: Thread M12; Torque 25 N·m [7].")
    assert out_of_range["citation_validity"] == 0.0 and out_of_range["cites_any"] == 0.0
    uncited = scored("Seal gland nuts: Thread M12; Torque 25 N·m.")  # right, but the model cited nothing
    assert uncited["citation_validity"] == 0.0 and uncited["keyword_recall"] == 1.0
    assert scored("Seal gland nuts: Thread M12; Torque 25 N·m [1, 2].")["citation_validity"] == 1.0
    declined = scored(prompts.NOT_COVERED)
    assert declined["false_abstention"] == 1.0 and declined["citation_validity"] == 0.0

    abstained = scored(prompts.NOT_COVERED, answerable=False)
    assert abstained["abstention_accuracy"] == 1.0 and abstained["answerable"] == 0
    assert abstained["citation_validity"] is None
    answered_anyway = scored("Seal gland nuts: Torque 25 N·m [1].", answerable=False)
    assert answered_anyway["abstention_accuracy"] == 0.0

    shorthand = Example("s", "shorthand", "heldout", prompts.shorthand_messages("REPL BRG"), "replace bearing")
    assert score_replies([shorthand], ["anything"])["answerable"] == 0  # not a grounded task: not scored here
