"""run_batch(INPUT_DIR, OUT_DIR, options, factory): read every file, group by asset, summarise, write the reports.

1. Every file under INPUT_DIR is recognised by content and read (`discover`), each failure recorded with its reason;
   files read before (same path, content and mapping) come from the resume cache.
2. Records are grouped by asset and filtered by --since/--asset into one `AssetJob` per asset.
3. Jobs whose key (input content hashes + options + index + model) has a finished result are skipped; the others run
   on the engine, and each result is saved the moment it arrives.
4. The reports are written for the run and for each asset, ordered by asset, from the results alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from copilot.batch.discover import content_hash, list_inputs, parse_file, read_regular
from copilot.batch.duplicates import Duplicates, find_duplicates
from copilot.batch.engine import run_jobs
from copilot.batch.inputs import AssetJob, AssetResult, ParsedFile
from copilot.batch.mapping import InputMapping
from copilot.batch.options import BatchOptions
from copilot.batch.render import slug, write_reports
from copilot.batch.state import STATE_VERSION, ResumeState, digest
from copilot.errors import CopilotError

logger = logging.getLogger(__name__)

REPORT_TITLE = "Maintenance batch report"


@dataclass
class BatchRun:
    """What a run did: where the reports are, which files failed, how many assets were resumed."""

    out_dir: Path
    assets: list[str]
    files: list[dict[str, Any]]
    resumed: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # duplicates counted once, links not followed

    @property
    def failed_files(self) -> list[dict[str, Any]]:
        return [f for f in self.files if f["kind"] == "failed"]

    @property
    def exit_code(self) -> int:
        """1 when any file (or any asset's work) failed, else 0."""
        return 1 if self.failed_files or self.failed_assets else 0

    def summary(self) -> str:
        skipped = sum(f["kind"] == "skipped" for f in self.files)
        text = (f"{len(self.assets)} asset(s) from {len(self.files)} file(s) ({len(self.failed_files)} failed, "
                f"{skipped} skipped); {len(self.computed)} summarised, {len(self.resumed)} resumed; reports in "
                f"{self.out_dir}/report.{{jsonl,md,html}}")
        for item in self.failed_files:
            text += f"\n  failed: {item['source']}: {item['reason']}"
        for asset in self.failed_assets:
            text += f"\n  asset failed: {asset}"
        for note in self.notes:
            text += f"\n  note: {note}"
        return text


def _progress(iterable: Any, total: int, desc: str, enabled: bool | None) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="file" if desc == "reading" else "asset",
                disable=enabled is False or (enabled is None and not sys.stderr.isatty()), file=sys.stderr,
                leave=False)


def read_inputs(input_dir: Path, out_dir: Path, mapping: InputMapping, state: ResumeState,
                progress: bool | None = None) -> tuple[list[ParsedFile], list[str]]:
    """Every file under INPUT_DIR recognised and read (from the resume cache when unchanged), with the symbolic
    links and special files listed as skipped; and a note naming the links that were not followed."""
    listing = list_inputs(input_dir, exclude=out_dir)
    paths = listing.files
    fingerprint = mapping.fingerprint()
    parsed = [ParsedFile(relative, "", "skipped", why) for relative, why in listing.skipped]
    links = [relative for relative, why in listing.skipped if "symbolic link" in why]
    notes = [f"{len(links)} symbolic link(s) not followed: {', '.join(links[:10])}"
             + (f" and {len(links) - 10} more" if len(links) > 10 else "") + " (see the input files)"] if links else []
    for path in _progress(paths, len(paths), "reading", progress):
        relative = path.relative_to(input_dir).as_posix()
        try:
            data = read_regular(path)
        except OSError as exc:
            parsed.append(ParsedFile(relative, "", "failed", f"cannot read: {exc.strerror or exc}"))
            continue
        sha = content_hash(data)
        cached = state.load_file(relative, sha, fingerprint)
        if cached is None:
            cached = parse_file(path, relative, data, sha, mapping)
            state.save_file(cached, fingerprint)
        parsed.append(cached)
    return sorted(parsed, key=lambda f: f.source), notes


def records_digest(job: AssetJob) -> str:
    """The content hash of everything an asset's report is made from: its own records, not whole files, so a
    change to another asset's lines in a shared export leaves this asset resumable."""
    sha = hashlib.sha256()
    sha.update(json.dumps([[asdict(o) for o in job.work_orders], [asdict(e) for e in job.alarms],
                           sorted(job.problems)], sort_keys=True, default=str).encode())
    for series in job.sensors:
        sha.update(series.source.encode())
        sha.update(pd.util.hash_pandas_object(series.data, index=True).to_numpy().tobytes())
        sha.update(json.dumps(list(series.data.columns)).encode())
    return sha.hexdigest()


def build_jobs(files: list[ParsedFile], options: BatchOptions, context: dict[str, Any],
               duplicates: Duplicates | None = None) -> list[AssetJob]:
    """One job per asset, records filtered by --since and --asset, each with its resume key; records that an
    earlier file already held (`duplicates`) are left out and named in the asset's data problems."""
    duplicates = duplicates or Duplicates()
    since = options.since or ""
    wanted = options.asset.upper() if options.asset else None
    jobs: dict[str, AssetJob] = {}
    hashes: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)

    def job(asset: str) -> AssetJob:
        if asset not in jobs:
            jobs[asset] = AssetJob(asset, [], [], [], [], [])
        return jobs[asset]

    for parsed in files:
        if parsed.kind in ("failed", "skipped"):
            continue
        for order in parsed.work_orders:
            if not duplicates.keeps_order(order):
                continue
            if order.date >= since and (wanted is None or order.asset.upper() == wanted):
                job(order.asset).work_orders.append(order)
                hashes[order.asset].add((parsed.source, parsed.sha256))
        for event in parsed.alarms:
            if not duplicates.keeps_alarm(event):
                continue
            if event.timestamp >= since and (wanted is None or event.asset.upper() == wanted):
                job(event.asset).alarms.append(event)
                hashes[event.asset].add((parsed.source, parsed.sha256))
        series = parsed.sensor
        if series is not None and parsed.source in duplicates.sensors:
            series = None
        if series is not None and (wanted is None or series.asset.upper() == wanted):
            data = series.data[series.data.index >= since] if since else series.data
            if len(data):
                job(series.asset).sensors.append(type(series)(series.source, series.asset, data, series.warnings))
                hashes[series.asset].add((parsed.source, parsed.sha256))
    for parsed in files:
        for asset, problem in parsed.problems:
            targets = [asset] if asset else [a for a in parsed.assets()]
            for target in targets:
                if target in jobs:
                    jobs[target].problems.append(problem)
    for asset, problem in duplicates.problems():
        if asset in jobs:
            jobs[asset].problems.append(problem)
    for asset, item in jobs.items():
        item.sources = sorted(source for source, _ in hashes[asset])
        item.key = digest([STATE_VERSION, asset, records_digest(item), options.fingerprint(), context])
    return [jobs[a] for a in sorted(jobs)]


def run_batch(input_dir: str | Path, out_dir: str | Path, options: BatchOptions, factory: Callable[[], Any],
              mapping: InputMapping | None = None, context: dict[str, Any] | None = None,
              progress: bool | None = None) -> BatchRun:
    """Summarise every asset found under `input_dir` into `out_dir`; resumable; see the module docstring.

    Args:
        factory: builds the Copilot a worker uses (called lazily, once per worker; not at all when all is resumed).
        context: what else shapes a report and must be part of the resume key (index generation, model name).
    Raises:
        CopilotError: a missing input folder, or an engine that cannot start. Bad files are recorded, not raised.
    """
    source, target = Path(input_dir).expanduser(), Path(out_dir).expanduser()
    if target.exists() and not target.is_dir():
        raise CopilotError(f"--out {target} is a file: give a folder for the reports")
    target.mkdir(parents=True, exist_ok=True)
    state = ResumeState(target)
    mapping = mapping or InputMapping()
    files, notes = read_inputs(source, target, mapping, state, progress)
    duplicates = find_duplicates(files)
    jobs = build_jobs(files, options, {**(context or {}), "mapping": mapping.fingerprint()}, duplicates)
    notes = duplicates.notes() + notes
    results: dict[str, AssetResult] = {}
    todo = []
    for job in jobs:
        cached = state.load_asset(job.key)
        if cached is not None:
            results[job.asset] = cached
        else:
            todo.append(job)
    resumed = sorted(results)
    bar = _progress(None, len(todo), "summarising", progress)

    def done(result: AssetResult) -> None:
        results[result.asset] = result
        state.save_asset(next(j.key for j in todo if j.asset == result.asset), result)
        bar.update(1)

    try:
        run_jobs(todo, factory, options, done)
    finally:
        bar.close()
    ordered = [results[job.asset] for job in jobs if job.asset in results]
    inputs = [_with_note(f.summary(), duplicates.note_for(f.source)) for f in files]
    records = [r.record for r in ordered]
    plots = {r.asset: r.plots for r in ordered}
    write_reports(target, REPORT_TITLE, records, plots, inputs, notes)
    for result in ordered:
        mine = [i for i in inputs if result.asset in i["assets"]]
        write_reports(target / "assets" / slug(result.asset), f"{REPORT_TITLE}: {result.asset}", [result.record],
                      {result.asset: result.plots}, mine)
    run = BatchRun(target, [j.asset for j in jobs], inputs, resumed,
                   sorted(r.asset for r in ordered if r.asset not in resumed),
                   sorted(r.asset for r in ordered if r.error), notes)
    (target / "run.json").write_text(json.dumps({
        "assets": run.assets, "files": inputs, "options": options.fingerprint(),
        "failed_files": [f["source"] for f in run.failed_files], "failed_assets": run.failed_assets,
        "notes": notes,
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return run


def _with_note(summary: dict[str, Any], note: str) -> dict[str, Any]:
    """A file's input-table row with a note added to its reason (its records as read stay as they were)."""
    if note:
        summary["reason"] = f"{summary['reason']}; {note}" if summary["reason"] else note
    return summary


def load_report(out_dir: str | Path) -> dict[str, Any]:
    """A finished run's report for other front ends (the UI's batch tab): {"records": [one dict per asset],
    "run": run.json, "markdown": report.md text, "html": path of report.html, "assets": {asset: folder}}.

    Raises:
        CopilotError: when `out_dir` holds no batch report.
    """
    folder = Path(out_dir).expanduser()
    jsonl = folder / "report.jsonl"
    if not jsonl.is_file():
        raise CopilotError(f"{folder} holds no batch report (report.jsonl): run `copilot batch INPUT_DIR --out "
                           f"{folder}` first")
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]
    run_file = folder / "run.json"
    return {"records": records, "run": json.loads(run_file.read_text(encoding="utf-8")) if run_file.is_file() else {},
            "markdown": (folder / "report.md").read_text(encoding="utf-8"), "html": folder / "report.html",
            "assets": {r["asset"]: folder / "assets" / slug(r["asset"]) for r in records}}
