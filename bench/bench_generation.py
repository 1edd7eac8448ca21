"""Generation backends side by side: decode tokens/s, prefill seconds and first-token latency on a ~700-token prompt.

Run: .venv/bin/python bench/bench_generation.py [--backends transformers,onnx] [--words 300] [--reps 3]
         [--compare 10 --index DIR] [--out bench/results/generation.json]
The default model with the bundled adapter, as the copilot runs it; every backend gets the same chat messages
(`prompts.qa_messages` over sections of the CP-80 manual) and the repetitions are interleaved, so load from other jobs
hits all alike. Reported per backend, medians of `--reps`:
  prefill_s      generating 1 token (tokenise + prompt forward pass);
  first_token_s  `stream()` until its first text piece (what a user waits for);
  decode_tok_s   (new tokens - 1) / (last piece - first piece), on a reply of `--new` tokens at most.
`--compare N` also answers the first N questions of corpus/eval/qa.jsonl (passages from the index at --index through
the real retriever and prompt builder) with each backend and counts the replies identical to the first backend's.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANUAL = ROOT / "corpus" / "manuals" / "norvane-cp80-centrifugal-pump.md"
QUESTION = "How do I replace the mechanical seal on the CP-80? List the steps."


def manual_passages(path: Path, count: int = 4) -> list[Any]:
    """The first `count` substantial sections of a manual as Passages numbered [1]..[count]."""
    from copilot.records import Passage

    sections = []
    for part in re.split(r"\n(?=#{2,3} )", path.read_text(encoding="utf-8")):
        lines = part.strip().splitlines()
        if len(lines) > 1 and len(" ".join(lines[1:]).split()) > 60:
            sections.append((lines[0].lstrip("# ").strip(), "\n".join(lines[1:]).strip()))
    seal = [s for s in sections if "seal" in s[0].lower()][:1]  # the section the question is about comes first
    chosen = seal + [s for s in sections if s not in seal][: count - len(seal)]
    return [Passage(n=n, chunk_id=f"{path.name}#{n}", text=text, source=path.name, path=str(path), page=None,
                    section=heading, score=0.5) for n, (heading, text) in enumerate(chosen, start=1)]


def make(backend: str, precision: str) -> Any:
    """The default model + bundled adapter behind `backend`, loaded and warmed up."""
    from copilot.config import GenerationConfig
    from copilot.generation.backends import make_generator
    from copilot.generation.models import resolve_adapter, resolve_language_model

    cfg = GenerationConfig(backend=backend, onnx_precision=precision, prompt_cache=False)  # every prompt read whole
    generator = make_generator(cfg, resolve_language_model(cfg.model), resolve_adapter(cfg))
    generator.generate([{"role": "user", "content": "Hello"}], max_new_tokens=4)
    return generator


def measure(generator: Any, tokenizer: Any, messages: list[dict[str, str]], new_tokens: int) -> dict[str, float]:
    """One repetition: prefill (1 new token), then a streamed reply timed piece by piece."""
    started = time.perf_counter()
    generator.generate(messages, max_new_tokens=1)
    prefill = time.perf_counter() - started
    started = time.perf_counter()
    stamps, pieces = [], []
    for piece in generator.stream(messages, max_new_tokens=new_tokens):
        stamps.append(time.perf_counter())
        pieces.append(piece)
    tokens = len(tokenizer("".join(pieces), add_special_tokens=False)["input_ids"])
    decode = (tokens - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and tokens > 1 else float("nan")
    return {"prefill_s": prefill, "first_token_s": stamps[0] - started if stamps else float("nan"),
            "decode_tok_s": decode, "new_tokens": tokens}


def compare(generators: dict[str, Any], index: str, n: int, new_tokens: int) -> dict[str, Any]:
    """Replies to the first n eval questions; how many equal the first backend's, and the differing ids."""
    from copilot import Copilot
    from copilot.generation import prompts
    from copilot.generation.backends import NoModel

    copilot = Copilot.load(index_dir=index, generator=NoModel())
    rows = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "qa.jsonl").read_text().splitlines()][:n]
    first, *others = generators
    replies: dict[str, dict[str, str]] = {name: {} for name in generators}
    for row in rows:
        passages = copilot.retriever.relevant(row["question"]) or copilot.retriever.retrieve(row["question"])[1]
        messages = prompts.qa_messages(row["question"], passages, copilot.cfg.generation.context_words)
        for name, generator in generators.items():
            replies[name][row["id"]] = generator.generate(messages, max_new_tokens=new_tokens)
    return {name: {"identical": sum(replies[name][i] == replies[first][i] for i in replies[first]), "of": len(rows),
                   "differ": {i: [replies[first][i], replies[name][i]] for i in replies[first]
                              if replies[name][i] != replies[first][i]}}
            for name in others}


def cpu_name() -> str:
    """lscpu's model name and whether the CPU has bf16/AMX matrix instructions."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines() if "Model name" in line)
    except StopIteration:
        model = "unknown"
    extras = [flag for flag in ("avx512_bf16", "amx_bf16", "avx512f", "avx2") if f" {flag}" in flags]
    return f"{model} ({', '.join(extras) or 'no avx2'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="transformers,onnx", help="comma-separated; onnx:int4 picks a precision")
    parser.add_argument("--words", type=int, default=300, help="passage word budget (300 gives ~700 prompt tokens)")
    parser.add_argument("--new", type=int, default=64, help="new tokens at most per reply")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--compare", type=int, default=0, help="also compare replies on the first N eval questions")
    parser.add_argument("--index", help="index directory for --compare (default $COPILOT_HOME/index)")
    parser.add_argument("--out", help="write the figures as JSON here too")
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from copilot.config import GenerationConfig
    from copilot.generation import prompts
    from copilot.generation.models import resolve_language_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_language_model())
    messages = prompts.qa_messages(QUESTION, manual_passages(MANUAL), args.words)
    generators: dict[str, Any] = {}
    load_s: dict[str, float] = {}
    for spec in args.backends.split(","):
        backend, _, precision = spec.partition(":")
        started = time.perf_counter()
        generators[spec] = make(backend, precision or GenerationConfig().onnx_precision)
        load_s[spec] = time.perf_counter() - started
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in generators}
    for _ in range(args.reps):
        for name, generator in generators.items():  # interleaved: noise from other jobs hits every backend alike
            runs[name].append(measure(generator, tokenizer, messages, args.new))
    prompt_tokens = next(iter(generators.values())).count_tokens(messages)
    base = next(iter(generators))
    result: dict[str, Any] = {"cpu": cpu_name(), "prompt_tokens": prompt_tokens, "reps": args.reps, "backends": {}}
    print(f"CPU: {result['cpu']}; prompt {prompt_tokens} tokens; medians of {args.reps}")
    print(f"{'backend':24s} {'load s':>7s} {'prefill s':>10s} {'first token s':>14s} {'decode tok/s':>13s} "
          f"{'x ' + base:>16s}")
    for name, rows in runs.items():
        med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        med["load_s"] = load_s[name]
        result["backends"][name] = {"name": generators[name].name, **med, "runs": rows}
        ratio = med["decode_tok_s"] / result["backends"][base]["decode_tok_s"]
        print(f"{name:24s} {load_s[name]:7.1f} {med['prefill_s']:10.2f} {med['first_token_s']:14.2f} "
              f"{med['decode_tok_s']:13.1f} {ratio:15.1f}x")
    if args.compare:
        from copilot.config import copilot_home

        result["compare"] = compare(generators, args.index or str(copilot_home() / "index"), args.compare, 100)
        for name, row in result["compare"].items():
            print(f"{name}: {row['identical']}/{row['of']} replies identical to {base}'s")
            for qid, (a, b) in row["differ"].items():
                print(f"  {qid}\n    {base}: {a!r}\n    {name}: {b!r}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
