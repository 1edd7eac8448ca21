"""Report plots as base64 PNG: sensor trends with anomaly windows, failures over time, Pareto of failure causes.

matplotlib's object API with the Agg canvas (no pyplot, no display, no global state), so plots can be drawn from
worker threads and Ray tasks. PNG metadata is left out so the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd

MAX_POINTS = 2000  # per channel: a trend plot does not need more
MAX_CHANNELS = 6
MAX_CAUSES = 12


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    # fixed margins: constrained layout measured at half the drawing time of a report
    figure = Figure(figsize=(width, height), dpi=72)
    figure.subplots_adjust(left=0.2, right=0.92, top=0.9, bottom=0.12, hspace=0.15)
    return figure


def _png(figure: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _date_axis(axis: Any) -> None:
    """At most six readable date ticks (the default crowds a week of 5-minute samples)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3, maxticks=8)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def sensor_trends(data: pd.DataFrame, events: list[dict[str, Any]], title: str) -> str:
    """One panel per channel (at most six), anomaly windows shaded, the event's channels drawn in red."""
    channels = list(data.columns)[:MAX_CHANNELS]
    step = max(1, len(data) // MAX_POINTS)
    sampled = data.iloc[::step]
    figure = _figure(9, 1.3 * len(channels) + 0.6)
    axes = figure.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
    for axis, channel in zip(axes, channels, strict=False):
        involved = any(channel in e.get("channels", ()) for e in events)
        axis.plot(sampled.index, sampled[channel].to_numpy(), linewidth=0.8,
                  color="#c0392b" if involved else "#2c3e50")
        axis.set_ylabel(channel, fontsize=7, rotation=0, ha="right", va="center")
        axis.tick_params(labelsize=7)
        for event in events:
            axis.axvspan(pd.Timestamp(event["start"]), pd.Timestamp(event["end"]), color="#f39c12", alpha=0.3,
                         linewidth=0)
    _date_axis(axes[-1])
    axes[0].set_title(title, fontsize=9)
    return _png(figure)


def failures_over_time(per_month: dict[str, int], title: str) -> str:
    """Corrective work orders per month (per quarter when the span passes eight years)."""
    series = pd.Series(per_month, dtype="int64")
    series.index = pd.PeriodIndex(series.index, freq="M")
    series = series.reindex(pd.period_range(series.index.min(), series.index.max(), freq="M"), fill_value=0)
    freq = "Q" if len(series) > 96 else "M"
    if freq == "Q":
        series = series.groupby(series.index.asfreq("Q")).sum()
    figure = _figure(9, 2.4)
    axis = figure.subplots()
    axis.bar(series.index.to_timestamp(), series.to_numpy(), width=80 if freq == "Q" else 25, color="#2980b9")
    axis.set_ylabel("per quarter" if freq == "Q" else "per month", fontsize=8)
    _date_axis(axis)
    axis.tick_params(labelsize=7)
    axis.set_title(title, fontsize=9)
    return _png(figure)


def pareto(causes: dict[str, int], title: str) -> str:
    """Failure causes by count, with the cumulative share as a line (the vital few on the left)."""
    items = sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))
    top = items[:MAX_CAUSES]
    rest = sum(n for _, n in items[MAX_CAUSES:])
    if rest:
        top.append(("other", rest))
    labels = [k if len(k) <= 28 else k[:27] + "…" for k, _ in top]
    counts = [n for _, n in top]
    total = sum(counts)
    cumulative = pd.Series(counts).cumsum() / total * 100
    figure = _figure(9, 3.2)
    figure.subplots_adjust(bottom=0.35)
    axis = figure.subplots()
    positions = list(range(len(top)))
    axis.bar(positions, counts, color="#8e44ad")
    axis.set_xticks(positions, labels, rotation=40, ha="right", fontsize=7)
    axis.set_ylabel("work orders", fontsize=8)
    axis.tick_params(labelsize=7)
    share = axis.twinx()
    share.plot(positions, cumulative.to_numpy(), color="#e67e22", marker="o", markersize=3)
    share.set_ylim(0, 105)
    share.set_ylabel("cumulative %", fontsize=8)
    share.tick_params(labelsize=7)
    axis.set_title(title, fontsize=9)
    return _png(figure)
