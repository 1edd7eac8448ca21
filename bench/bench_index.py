"""Index benchmark: ingest throughput, a 300-page PDF, query latency and one-file sync, against plain LangChain.

Run: .venv/bin/python bench/bench_index.py [--out bench/results/index.json]
The baseline is the pipeline a LangChain tutorial builds over the same files: TextLoader ->
RecursiveCharacterTextSplitter -> HuggingFaceEmbeddings (same model) -> FAISS.from_documents -> similarity_search.
Throughput is counted in embedder tokens of the text each pipeline embedded, so chunk size cannot flatter it.
Our pipeline runs with its default precision (bf16 autocast where the CPU has native bf16, index.precision) and, for
reference, forced to fp32; the LangChain baseline embeds in fp32, as HuggingFaceEmbeddings does out of the box.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARLIN = ROOT.parent / "shared" / "data" / "manuals" / "marlin"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def token_count(embedder, texts: list[str]) -> int:  # type: ignore[no-untyped-def]
    tokenizer = getattr(embedder, "tokenizer", None) or embedder._client.tokenizer  # ONNX backend, or torch
    return sum(len(tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts)


def make_pdf(out: Path, pages: int = 300) -> Path:
    """A plain-text PDF of `pages` pages from the Marlin docs (generated for the benchmark, never committed)."""
    from fpdf import FPDF

    words = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(MARLIN.glob("*.md"))).split()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    per_page = 380
    for page in range(pages):
        chunk = words[(page * per_page) % len(words):(page * per_page) % len(words) + per_page]
        pdf.add_page()
        pdf.multi_cell(0, 4.6, f"{page // 10 + 1}.{page % 10 + 1} Section {page + 1}\n" +
                       " ".join(w.encode("latin-1", "replace").decode("latin-1") for w in chunk))
    pdf.output(str(out))
    return out


def bench_ours(paths: list[Path], embedder, work: Path,  # type: ignore[no-untyped-def]
               precision: str = "auto") -> dict:
    from index import HybridIndex, IndexConfig, build_index

    cfg = IndexConfig(embed_precision=precision)
    index_dir = work / "ours"
    started = time.perf_counter()
    report = build_index(paths, index_dir, lambda: embedder, cfg)
    seconds = time.perf_counter() - started
    loaded = HybridIndex.load(index_dir, embedder, cfg.embedder)
    tokens = token_count(embedder, [c.context_text for c in loaded.chunks])
    return {"chunks": report.total_chunks, "seconds": round(seconds, 2), "tokens": tokens,
            "tokens_per_s": round(tokens / seconds), "index": loaded, "dir": index_dir}


def bench_langchain(paths: list[Path], embedder, chunk_chars: int = 1000) -> dict:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_community.document_loaders import TextLoader
        from langchain_community.vectorstores import FAISS
        from langchain_text_splitters import RecursiveCharacterTextSplitter

    files = [f for p in paths for f in (sorted(p.rglob("*.md")) if p.is_dir() else [p])]
    started = time.perf_counter()
    docs = [d for f in files for d in TextLoader(str(f), encoding="utf-8").load()]
    chunks = RecursiveCharacterTextSplitter(chunk_size=chunk_chars, chunk_overlap=chunk_chars * 15 // 100
                                            ).split_documents(docs)
    store = FAISS.from_documents(chunks, embedder)
    seconds = time.perf_counter() - started
    tokens = token_count(embedder, [c.page_content for c in chunks])
    return {"chunks": len(chunks), "seconds": round(seconds, 2), "tokens": tokens,
            "tokens_per_s": round(tokens / seconds), "store": store}


def query_latency(search, queries: list[str], repeats: int = 3) -> dict:  # type: ignore[no-untyped-def]
    search(queries[0])  # warm-up
    times = []
    for _ in range(repeats):
        for query in queries:
            started = time.perf_counter()
            search(query)
            times.append(1000 * (time.perf_counter() - started))
    return {"queries": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "index.json"))
    parser.add_argument("--pdf-pages", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3, help="ingest runs per pipeline (medians reported)")
    args = parser.parse_args()

    from index import IndexConfig, make_embedder, sync_index
    from index.embeddings import embedder_backend
    from index.precision import autocast_dtype

    embedder = make_embedder(device="cpu")  # the default backend and precision (onnx-int8 on a CPU without bf16)
    plain = make_embedder(device="cpu", precision="float32")  # HuggingFaceEmbeddings as LangChain users get it
    embedder.embed_query("warm up")
    plain.embed_query("warm up")
    docs = [MARLIN, ROOT / "corpus" / "manuals"]
    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "docs": [str(d) for d in docs],
                    "default_precision": str(autocast_dtype("cpu") or "float32"),
                    "default_backend": embedder_backend(embedder)}
    try:
        shutil.copytree(MARLIN, work / "docs" / "marlin")
        shutil.copytree(ROOT / "corpus" / "manuals", work / "docs" / "manuals", ignore=shutil.ignore_patterns("pdf"))
        shutil.copytree(ROOT / "corpus" / "logs", work / "docs" / "logs")
        md_paths = [work / "docs" / "marlin", work / "docs" / "manuals"]

        # Ingest: three pipelines, alternating, repeated; medians. The first run of a process is slower (warm-up),
        # so the order rotates and every pipeline gets each position once.
        pipelines = {
            "ours": lambda i: bench_ours(md_paths, embedder, work / f"ours-{i}"),
            "ours_fp32": lambda i: bench_ours(md_paths, plain, work / f"ours-fp32-{i}", "float32"),
            "langchain_1000_chars": lambda i: bench_langchain(md_paths, plain),
            # the same splitter at our chunk size (~100 words ~ 650 characters): like-for-like per-token cost
            "langchain_650_chars": lambda i: bench_langchain(md_paths, plain, chunk_chars=650),
        }
        names = list(pipelines)
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for i in range(args.repeats):
            for name in names[i % len(names):] + names[:i % len(names)]:
                runs[name].append(pipelines[name](i))
        ours = runs["ours"][-1]
        lc = runs["langchain_1000_chars"][-1]
        result["ingest"] = {name: {"chunks": r[0]["chunks"], "tokens": r[0]["tokens"],
                                   "seconds_median": round(statistics.median(x["seconds"] for x in r), 2),
                                   "tokens_per_s_median": round(statistics.median(x["tokens_per_s"] for x in r))}
                            for name, r in runs.items()}
        for ours_name in ("ours", "ours_fp32"):
            for name in ("langchain_1000_chars", "langchain_650_chars"):
                result["ingest"][f"ratio_{ours_name}_vs_{name}"] = round(
                    result["ingest"][ours_name]["tokens_per_s_median"]
                    / result["ingest"][name]["tokens_per_s_median"], 2)
        print("ingest", json.dumps(result["ingest"]))

        qa = ROOT / "corpus" / "eval" / "qa.jsonl"
        queries = [json.loads(line)["question"] for line in qa.read_text().splitlines() if line.strip()] \
            if qa.is_file() else ["how do I replace the mechanical seal"] * 50
        loaded = ours["index"]
        from copilot.config import RetrievalConfig
        from copilot.qa.retrieval import Retriever

        retriever = Retriever(loaded, RetrievalConfig())
        result["query"] = {
            "ours_hybrid": query_latency(lambda q: loaded.search(q, k=5), queries),
            "ours_copilot_retriever": query_latency(lambda q: retriever.hits(q, k=5), queries),
            "langchain_dense": query_latency(lambda q: lc["store"].similarity_search(q, k=5), queries),
        }
        print("query", json.dumps(result["query"]))

        full = [work / "docs"]
        sync_dir = work / "sync"
        from index import build_index

        build_index(full, sync_dir, lambda: embedder, IndexConfig())
        target = work / "docs" / "manuals" / "norvane-cp80-centrifugal-pump.md"
        target.write_text(target.read_text().replace("35 N·m", "36 N·m"), encoding="utf-8")
        started = time.perf_counter()
        report = sync_index(full, sync_dir, lambda: embedder, IndexConfig())
        result["sync_one_file"] = {"index_chunks": report.total_chunks, "updated": report.updated,
                                   "chunks_embedded": report.chunks_embedded,
                                   "seconds": round(time.perf_counter() - started, 2)}
        print("sync", json.dumps(result["sync_one_file"]))

        (work / "pdf").mkdir()
        pdf = make_pdf(work / "pdf" / "big.pdf", args.pdf_pages)
        started = time.perf_counter()
        report = build_index([pdf], work / "pdf-index", lambda: embedder, IndexConfig())
        result["pdf"] = {"pages": args.pdf_pages, "chunks": report.total_chunks, "failed": len(report.failed),
                         "seconds": round(time.perf_counter() - started, 2)}
        started = time.perf_counter()
        build_index([pdf], work / "pdf-index-fp32", lambda: plain, IndexConfig(embed_precision="float32"))
        result["pdf"]["seconds_fp32"] = round(time.perf_counter() - started, 2)
        print("pdf", json.dumps(result["pdf"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
