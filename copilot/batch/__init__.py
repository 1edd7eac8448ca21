"""The log-summarisation batch job: a folder of exports -> per-asset reports (jsonl, md, html with plots).

`copilot batch INPUT_DIR --out OUT_DIR` is `run_batch`; `load_report(OUT_DIR)` reads a finished run back.
"""

from copilot.batch.mapping import InputMapping, load_mapping
from copilot.batch.options import BatchOptions
from copilot.batch.run import BatchRun, load_report, run_batch
from copilot.batch.worker import CopilotFactory

__all__ = ["BatchOptions", "BatchRun", "CopilotFactory", "InputMapping", "load_mapping", "load_report", "run_batch"]
