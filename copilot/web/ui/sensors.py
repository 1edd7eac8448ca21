"""Sensors tab handlers: analyse an uploaded sensor CSV (or a corpus asset's log), plot it with the anomaly windows
shaded, and show the repair report beside it.

The plot is `copilot.anomaly.plot.plot_report`, the same picture `copilot analyse --plot` and the batch reports draw.
It uses pyplot's global state, so drawing is serialised with a lock (the UI analyses in worker threads).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.anomaly.plot import plot_report
from copilot.anomaly.sensors import read_sensor_csv
from copilot.errors import CopilotError
from copilot.records import AnomalyReport
from copilot.web.service import CopilotService
from copilot.web.ui.render import report_markdown

if TYPE_CHECKING:
    from PIL.Image import Image

_PLOT_LOCK = threading.Lock()


def corpus_sensor_files(folder: Path | None) -> dict[str, Path]:
    """Sensor logs offered for picking: '{name}' -> path, for every CSV in `folder` (none when it is absent)."""
    if folder is None or not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.csv"))}


def plot_image(path: Path, report: AnomalyReport) -> Image:
    """The report's plot as an in-memory image (no file is left behind)."""
    from PIL import Image as PILImage

    frame = read_sensor_csv(path)
    with tempfile.TemporaryDirectory(prefix="copilot-plot-") as folder, _PLOT_LOCK:
        png = plot_report(frame, report, Path(folder) / "plot.png")
        with PILImage.open(png) as image:
            image.load()
            return image.copy()


def analyse_sensor_log(service: CopilotService, upload: str | Path | None, corpus_choice: str | None,
                       corpus_files: dict[str, Path], asset: str | None = None,
                       fit_rows: float | None = None) -> tuple[Image, str, dict[str, Any]]:
    """(plot, report Markdown, report JSON as `copilot analyse --json`) for an uploaded file or a picked corpus log.

    An upload wins over a picked corpus log; `fit_rows` 0 or empty means automatic. Raises CopilotError when neither
    is given, or the file is unusable.
    """
    if upload:
        path = Path(upload)
    elif corpus_choice:
        if corpus_choice not in corpus_files:
            raise CopilotError(f"no sensor log named {corpus_choice!r}; pick one from the list")
        path = corpus_files[corpus_choice]
    else:
        raise CopilotError("upload a sensor CSV or pick an asset's sensor log first")
    rows = int(fit_rows) if fit_rows else None
    report = service.analyse(path, asset=(asset or "").strip() or None, fit_rows=rows)
    return plot_image(path, report), report_markdown(report.to_dict()), report.to_dict()
