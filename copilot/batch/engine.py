"""Where the per-asset work runs: local threads, or Ray actors on a local Ray or any Ray cluster.

Both engines run the same `AssetWorker.summarise` on the same `AssetJob`s and hand each finished `AssetResult` to
`on_done` as it arrives (so the caller can save it for resume); the caller orders results by asset, so the reports
do not depend on the engine or on completion order. Ray is optional (`pip install 'maintenance-copilot[batch]'`);
`RAY_ADDRESS` (Ray's own variable) points at a cluster, otherwise a local Ray with `workers` CPUs is started.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from copilot.batch.inputs import AssetJob, AssetResult
from copilot.batch.options import BatchOptions
from copilot.batch.worker import AssetWorker
from copilot.errors import CopilotError

logger = logging.getLogger(__name__)

Done = Callable[[AssetResult], None]


def run_local(jobs: Sequence[AssetJob], factory: Callable[[], Any], options: BatchOptions, on_done: Done) -> None:
    """Threads sharing one Copilot (the generator serialises its own calls; torch already uses every core)."""
    worker = AssetWorker(factory, options)
    if options.workers == 1 or len(jobs) <= 1:
        for job in jobs:
            on_done(worker.summarise(job))
        return
    _ = worker.copilot  # build once, before the threads race to
    with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="batch") as pool:
        futures = [pool.submit(worker.summarise, job) for job in jobs]
        for future in as_completed(futures):
            on_done(future.result())


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise CopilotError("--engine ray needs Ray: pip install 'maintenance-copilot[batch]' (or use --engine "
                           "local)") from exc
    return ray


def run_ray(jobs: Sequence[AssetJob], factory: Callable[[], Any], options: BatchOptions, on_done: Done) -> None:
    """Ray actors, each with its own Copilot built by `factory`; jobs go to whichever actor is free."""
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=options.workers, include_dashboard=False, log_to_driver=False)
    try:
        remote_worker = ray.remote(num_cpus=1)(AssetWorker)
        actors = [remote_worker.remote(factory, options) for _ in range(min(options.workers, len(jobs)))]
        pool = ray.util.ActorPool(actors)
        for result in pool.map_unordered(lambda actor, job: actor.summarise.remote(job), list(jobs)):
            on_done(result)
    except ray.exceptions.RayError as exc:
        raise CopilotError(f"Ray failed: {exc}") from exc
    finally:
        if started_here:
            ray.shutdown()


def run_jobs(jobs: Sequence[AssetJob], factory: Callable[[], Any], options: BatchOptions, on_done: Done) -> None:
    """Run every job on the configured engine (nothing to do: no engine is started)."""
    if not jobs:
        return
    if options.engine == "ray":
        run_ray(jobs, factory, options, on_done)
    else:
        run_local(jobs, factory, options, on_done)
