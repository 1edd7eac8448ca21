"""Embedding backends side by side: tokens/s and chunks/s of torch fp32, torch bf16 (where native), onnx fp32 and onnx
int8, per embedder, with each backend's agreement with torch fp32.

Run: .venv/bin/python bench/bench_embed.py [--models minilm,mpnet] [--chunks 256] [--runs 3] [--out FILE]
The texts are real chunks of corpus/manuals as the index embeds them. Runs are interleaved (run 1 of every backend,
then run 2, ...) so that another job on the shared cores slows every backend alike; the figure is the median of the
runs. The ONNX exports are made first (`copilot prepare` makes them once; here, into $COPILOT_HOME if absent).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu_summary() -> dict[str, Any]:
    """The CPU model and the instruction-set flags that decide which backend is fast."""
    model, flags = platform.processor(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "flags": [f for f in FLAGS if f in flags]}


def backends(model: str, batch_size: int) -> dict[str, Any]:
    """Every backend this machine can run for `model`, loaded (the ONNX export made first if absent)."""
    from index.embeddings import make_embedder
    from index.precision import native_bf16

    made = {"torch-fp32": make_embedder(model, batch_size, "cpu", "float32", "torch")}
    if native_bf16("cpu"):
        made["torch-bf16"] = make_embedder(model, batch_size, "cpu", "bfloat16", "torch")
    for backend in ("onnx-fp32", "onnx-int8"):
        embedder = make_embedder(model, batch_size, "cpu", "auto", backend)
        if getattr(embedder, "backend", "") == backend:  # not silently torch after a refused export
            made[backend] = embedder
    return made


def token_count(model: str, texts: list[str]) -> int:
    """Tokens the model sees (truncated at its max_seq_length), so chunk size cannot flatter the figure."""
    from sentence_transformers import SentenceTransformer

    from index.embeddings import resolve_embedder

    encoder = SentenceTransformer(str(resolve_embedder(model)), device="cpu")
    return sum(len(ids) for ids in encoder.tokenizer(texts, truncation=True,
                                                      max_length=encoder.max_seq_length)["input_ids"])


def bench_model(model: str, texts: list[str], runs: int, batch_size: int) -> dict[str, Any]:
    from index.onnx_embed import compare

    made = backends(model, batch_size)
    tokens = token_count(model, texts)
    seconds: dict[str, list[float]] = {name: [] for name in made}
    vectors: dict[str, np.ndarray] = {}
    for name, embedder in made.items():  # warm-up (first-call allocations), and the vectors for agreement
        vectors[name] = np.asarray(embedder.embed_documents(texts[:batch_size]), dtype=np.float32)
    for _ in range(runs):
        for name, embedder in made.items():
            started = time.perf_counter()
            out = embedder.embed_documents(texts)
            seconds[name].append(time.perf_counter() - started)
            vectors[name] = np.asarray(out, dtype=np.float32)
    base = statistics.median(seconds["torch-fp32"])
    rows = {}
    for name in made:
        median = statistics.median(seconds[name])
        found = compare(vectors["torch-fp32"], vectors[name])
        rows[name] = {"seconds": [round(s, 2) for s in seconds[name]], "median_s": round(median, 2),
                      "tokens_per_s": round(tokens / median), "chunks_per_s": round(len(texts) / median, 1),
                      "speedup_vs_torch_fp32": round(base / median, 2),
                      "min_cosine": round(found.min_cosine, 5), "median_cosine": round(found.median_cosine, 5)}
    return {"chunks": len(texts), "tokens": tokens, "backends": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="minilm,mpnet", help="embedders, comma-separated (short names or paths)")
    parser.add_argument("--chunks", type=int, default=256, help="corpus chunks embedded per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()

    from index.onnx_embed import sample_texts

    texts = sample_texts(n=args.chunks)
    result: dict[str, Any] = {**cpu_summary(), "load_before": os.getloadavg()[0], "models": {}}
    print(json.dumps(cpu_summary()))
    for model in args.models.split(","):
        result["models"][model] = bench_model(model, texts, args.runs, args.batch_size)
        print(f"{model}: {len(texts)} chunks, {result['models'][model]['tokens']} tokens")
        for name, row in result["models"][model]["backends"].items():
            print(f"  {name:11s} {row['tokens_per_s']:>7,} tokens/s {row['chunks_per_s']:>7} chunks/s "
                  f"x{row['speedup_vs_torch_fp32']:<5} cosine to torch fp32 min {row['min_cosine']:.4f} "
                  f"median {row['median_cosine']:.4f}  runs {row['seconds']}", flush=True)
    result["load_after"] = os.getloadavg()[0]
    print(f"load average (1 min) before {result['load_before']:.2f}, after {result['load_after']:.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
