"""Answer latency with the default model on 2 cores: time to first token and whole answer, p50/p95.

Run: .venv/bin/python bench/bench_answer.py [--index DIR] [-n 20] [--out bench/results/answer.json]
         [--config FILE] [--set generation.backend=openai --set generation.endpoint=http://127.0.0.1:8080/v1 ...]
Uses the first N answerable questions of corpus/eval/qa.jsonl that go to the language model (fault-code questions,
answered from the code table without a model, are reported separately). `--config`/`--set` choose the backend, so
the same questions run through transformers and through a served model (llama.cpp's server, vLLM) side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default $COPILOT_HOME/index)")
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "answer.json"))
    parser.add_argument("--config", help="YAML config file (e.g. an openai backend)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. generation.backend=openai (repeatable)")
    args = parser.parse_args()

    from copilot import Copilot, load_config
    from copilot.config import parse_overrides

    overrides = parse_overrides(args.set) | ({"index_dir": args.index} if args.index else {})
    copilot = Copilot.load(load_config(args.config, overrides))
    questions = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "qa.jsonl").read_text().splitlines()]
    questions = [q["question"] for q in questions if q["answerable"]]
    copilot.ask(questions[0])  # warm-up: loads the model
    first, total, prompt_tokens, routes = [], [], [], {}
    tokens_by_route: dict[str, list[int]] = {}
    generate_s = discarded_s = 0.0  # model time in all, and on drafts the checks did not keep
    drafts = stopped = 0
    for question in questions:
        if len(total) >= args.n:
            break
        started = time.perf_counter()
        first_s, answer = None, None
        for piece in copilot.stream(question):
            if isinstance(piece, str):
                first_s = first_s if first_s is not None else time.perf_counter() - started
            else:
                answer = piece
        elapsed = time.perf_counter() - started
        routes[answer.route] = routes.get(answer.route, 0) + 1  # type: ignore[union-attr]
        if answer.route == "fault_code":  # type: ignore[union-attr]
            continue
        total.append(elapsed)
        first.append(first_s if first_s is not None else elapsed)
        timings = answer.timings  # type: ignore[union-attr]
        generate_s += timings.get("generate_s", 0.0)
        if "generate_s" in timings and answer.route != "rag":  # type: ignore[union-attr]
            drafts += 1
            discarded_s += timings["generate_s"]
            stopped += "draft_stopped_s" in timings
        if hasattr(copilot.generator, "count_tokens") and "generate_s" in timings:
            from copilot.generation import prompts

            n_tokens = copilot.generator.count_tokens(  # the passages this answer's prompt held
                prompts.qa_messages(question, answer.passages, copilot.cfg.generation.context_words))
            prompt_tokens.append(n_tokens)
            tokens_by_route.setdefault(answer.route, []).append(n_tokens)  # type: ignore[union-attr]
    result = {
        "model": copilot.generator.name, "questions": len(total),
        "first_token_p50_s": round(statistics.median(first), 2), "first_token_p95_s": round(percentile(first, .95), 2),
        "answer_p50_s": round(statistics.median(total), 2), "answer_p95_s": round(percentile(total, .95), 2),
        "prompt_tokens_p50": statistics.median(prompt_tokens) if prompt_tokens else None,
        "prompt_tokens_p50_by_route": {r: statistics.median(v) for r, v in sorted(tokens_by_route.items())},
        "max_new_tokens": copilot.cfg.generation.max_new_tokens, "routes": routes,
        "generate_s": round(generate_s, 1), "discarded_drafts": drafts, "discarded_drafts_stopped_early": stopped,
        "discarded_generate_share": round(discarded_s / generate_s, 3) if generate_s else None,
        "stop_failed_drafts": copilot.cfg.generation.stop_failed_drafts,
        "backend": copilot.cfg.generation.backend,
    }
    print(json.dumps(result, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
