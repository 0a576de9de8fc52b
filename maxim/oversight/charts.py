"""Charts for the committee report: PNG images as `data:` URIs (the page's CSP allows images
from `data:`; no script is needed), each beside the table that holds its numbers.

Built with matplotlib's object API on the Agg canvas, never pyplot: no global figure state, so
two reports built at once in the web server cannot draw on each other's axes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

COLOURS = ("#1d70b8", "#b1b4b6", "#00703c", "#d4351c", "#f47738")


def render_png(chart: Mapping[str, Any]) -> bytes:
    """One chart spec from the report (`kind` barh, bar or stacked) as PNG bytes."""
    labels = [str(x) for x in chart["labels"]]
    height = 2.2 + 0.32 * len(labels) if chart["kind"] == "barh" else 3.4
    fig = Figure(figsize=(7.0, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if chart["kind"] == "barh":
        values = list(chart["values"])
        ax.barh(labels[::-1], values[::-1], color=COLOURS[0])
        for y, v in enumerate(values[::-1]):
            ax.text(v, y, f" {v:,}", va="center", fontsize=8)
    elif chart["kind"] == "bar":
        values = list(chart["values"])
        ax.bar(labels, values, color=COLOURS[0])
        for x, v in enumerate(values):
            ax.text(x, v, f"{v:,}", ha="center", va="bottom", fontsize=8)
    else:  # stacked
        bottom = [0.0] * len(labels)
        for i, (name, values) in enumerate(chart["series"].items()):
            ax.bar(labels, values, bottom=bottom, label=name, color=COLOURS[i % len(COLOURS)])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.legend(frameon=False, fontsize=8)
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(str(chart["title"]), fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_all(charts: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Chart id -> data URI, for every chart the report has data for (empty charts are skipped)."""
    out = {}
    for cid, chart in charts.items():
        values = chart.get("values") or [v for s in (chart.get("series") or {}).values() for v in s]
        if values and any(values):
            out[cid] = data_uri(render_png(chart))
    return out
