"""`copilot batch` behind the CLI: options from the arguments, the index and model checked first, then the run."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from copilot.batch.mapping import load_mapping
from copilot.batch.options import BatchOptions
from copilot.batch.run import run_batch
from copilot.batch.worker import CopilotFactory
from copilot.errors import CopilotError


def run_command(args: argparse.Namespace, cfg: Any) -> int:
    """Run the batch job for parsed CLI arguments and a CopilotConfig; print the outcome; return the exit code."""
    from index.layout import live_generation

    try:
        options = BatchOptions(workers=args.workers, engine=args.engine, since=args.since, asset=args.asset,
                               no_llm=args.no_llm, plots=not args.no_plots)
    except ValueError as exc:
        raise CopilotError(str(exc)) from exc
    mapping = load_mapping(args.mapping)
    if getattr(args, "no_adapter", False) and cfg.generation.adapter:
        cfg = replace(cfg, generation=replace(cfg.generation, adapter=None))
    generation = live_generation(Path(cfg.index_dir))  # no index: say so before reading anything
    context = {"index": generation.name, "embedder": cfg.index.embedder, "retrieval": repr(cfg.retrieval),
               "anomaly": repr(cfg.anomaly),
               "model": None if options.no_llm else [cfg.generation.model, cfg.generation.adapter,
                                                     cfg.generation.backend, cfg.generation.endpoint]}
    run = run_batch(args.input_dir, args.out, options, CopilotFactory(cfg, no_llm=options.no_llm), mapping,
                    context)
    print(run.summary())
    return run.exit_code
