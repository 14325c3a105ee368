"""Figures of the Evaluation page: one chart per measure (GAN, VAE, diffusion and real pictures side by side), the
kinds each model draws, big sample grids, and the text models' perplexity. Pure Plotly / numpy: data in, figure out.

Each bar's value is written in its label (left of the bar), not at its end, where a phone has no room."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape as esc

import numpy as np
import plotly.graph_objects as go

from figures import limits
from figures.limits import NO_BAR, duration, titled
from figures.pictures import grid_picture, scale_for, to_png
from figures.style import MUTED, PALETTE, figure, label_px, percent, vline

__all__ = ["NO_BAR", "duration"]

COLOURS = {"gan": PALETTE[0], "vae": PALETTE[1], "diffusion": PALETTE[2], "real": "#4A4F57"}
TEXT_COLOURS = {
    "unigram": MUTED,
    "bigram": MUTED,
    "rnn": PALETTE[5],
    "gpt": PALETTE[0],
    "grammar": "#4A4F57",
}

# Margins with room for every label, so Plotly draws each chart once: with the style's 10 px margins it measured the
# labels, grew the margins and drew the whole chart again on every change (figures.style.text_px). The labels here
# hold numbers and words, so their width is added up per character (figures.style.label_px).
BAR_LABEL_PX = 21  # a bar chart's category label to the plot: Plotly's padding (measured in Chromium)
HEAT_LABEL_PX = 28  # a heatmap's row label to the plot: its outside tick and padding
X_AXIS_PX = 67  # below the plot: the x tick labels and the axis title
SPARE_PX = 4  # headroom for a font that draws a little wider


def _bar_margin(names: Sequence[str]) -> dict[str, int]:
    """Margins for horizontal bars labelled `names` with an x axis title below."""
    return {"l": BAR_LABEL_PX + max((label_px(n) for n in names), default=0) + SPARE_PX, "b": X_AXIS_PX + SPARE_PX}


def measure_bars(
    labels: Sequence[str],
    values: Sequence[float],
    roles: Sequence[str],
    title: str,
    axis_title: str,
    shown: Sequence[str],
    floors: Sequence[float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    as_share: bool = False,
) -> go.Figure:
    """One measure, one bar per model (and the real pictures). `shown`: each bar's value in words, written in its
    label. `floors`: a small black tick on each bar where the best possible value lies (the Fréchet floor).
    `reference`: a dotted vertical line (the real pictures' value)."""
    values = np.asarray(values, dtype=float)
    names = [f"<b>{esc(label)}</b><br>{esc(text)}" for label, text in zip(labels, shown, strict=True)]
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    layout: dict = {
        "xaxis": {"title": axis_title, "range": [0, 1.0 if as_share else top * 1.12], "rangemode": "tozero"},
        "yaxis": {"autorange": "reversed"},
        "bargap": 0.3,
        "showlegend": False,
        "margin": _bar_margin(names),
    }
    if as_share:
        layout["xaxis"] |= {"tickformat": ".0%"}
    shapes = []
    if reference is not None and np.isfinite(reference):
        shapes.append(vline(reference, {"color": "#111418", "dash": "dot", "width": 2}))
    text, layout = titled(title, layout)
    layout["shapes"] = shapes
    traces: list = [
        go.Bar(
            x=np.nan_to_num(values),
            y=names,
            orientation="h",
            marker={"color": [COLOURS.get(r, MUTED) for r in roles]},
            hovertemplate="%{y}<extra></extra>",
        )
    ]
    if floors is not None:
        traces.append(
            go.Scatter(
                x=list(floors),
                y=names,
                mode="markers",
                marker={"symbol": "line-ns", "size": 26, "line": {"width": 4, "color": "#111418"}},
                name="floor",
                hovertemplate="real against real: %{x:.2f}<extra></extra>",
            )
        )
    if reference is not None and reference_label:
        layout["annotations"] = [
            {
                "text": esc(reference_label),
                "x": reference,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13},
            }
        ]
    return figure(traces, layout, title=text, height=170 + 62 * len(labels))


def kind_map(class_names: Sequence[str], labels: Sequence[str], shares: np.ndarray, title: str) -> go.Figure:
    """(models, kinds) share of each model's samples read confidently as each kind, as a table of colours with the
    share written in every cell: one column per model, one row per kind (a phone fits four columns of "3.3%"), so a
    dropped kind is a pale cell in its model's column."""
    shares = np.asarray(shares, dtype=float).T  # (kinds, models)
    cells = [[percent(float(v)) for v in row] for row in shares]
    heat = go.Heatmap(
        z=shares,
        x=[esc(label) for label in labels],
        y=[esc(k) for k in class_names],
        text=cells,
        texttemplate="%{text}",
        textfont={"size": 13},
        colorscale="Blues",
        zmin=0,
        zmax=max(0.15, float(np.nanmax(shares))),
        showscale=False,
        xgap=2,
        ygap=2,
        hovertemplate="%{x}, %{y}: %{text}<extra></extra>",
    )
    text, layout = titled(
        title,
        {
            "xaxis": {"side": "top", "showgrid": False},
            "yaxis": {"autorange": "reversed", "showgrid": False},
            # the last column's name, centred over it, is wider than a phone's column: half of it, less 30 px (half
            # of a narrow column), in the right margin
            "margin": {
                "l": HEAT_LABEL_PX + max((label_px(esc(k)) for k in class_names), default=0) + SPARE_PX,
                "r": max(10, math.ceil(label_px(esc(labels[-1])) / 2) - 30 + SPARE_PX) if len(labels) else 10,
                "b": 10,
            },
        },
    )
    layout["margin"]["t"] += 30  # room for the model names above the columns
    return figure(heat, layout, title=text, height=200 + 36 * len(class_names))


def perplexity_bars(labels: Sequence[str], values: Sequence[float], keys: Sequence[str], floor: float) -> go.Figure:
    """Per-word perplexity of each text model (log scale: the unigram is ~10x the others), the grammar's floor as
    a dotted line and a last bar."""
    values = np.asarray(values, dtype=float)

    def shown(label: str, v: float) -> str:
        if not np.isfinite(v):
            return f"<b>{esc(label)}</b><br>not measured"
        above = f" (+{v / floor - 1:.1%})" if floor * 1.0005 < v < floor * 1.1 else ""  # only the close ones
        return f"<b>{esc(label)}</b><br>{v:.2f}{above}"

    names = [shown(label, v) for label, v in zip(labels, values, strict=True)]
    text, layout = titled(
        "Per-word perplexity on held-out stories: lower is better, none can pass the floor",
        {
            "xaxis": {
                "type": "log",
                "title": "words, log scale",
                "range": [np.log10(max(1.0, floor * 0.8)), np.log10(np.nanmax(values)) + 0.1],
                "tickvals": [1, 2, 5, 10, 20, 50, 100, 200, 500],
            },
            "yaxis": {"autorange": "reversed"},
            "bargap": 0.3,
            "showlegend": False,
            "margin": _bar_margin(names),
        },
    )
    layout["shapes"] = [vline(floor, {"color": "#111418", "dash": "dot", "width": 2})]
    bars = go.Bar(
        x=np.nan_to_num(values, nan=floor),
        y=names,
        orientation="h",
        marker={"color": [TEXT_COLOURS.get(k, MUTED) for k in keys]},
        hovertemplate="%{y}<extra></extra>",
    )
    return figure(bars, layout, title=text, height=170 + 62 * len(labels))


cost_bars = limits.cost_bars  # the Limits page's time-per-picture chart: the same measurement, the same figure


def sample_grid_png(images: np.ndarray, cols: int) -> bytes:
    """(N, S, S) pictures in [0, 1] -> one PNG, `cols` per row, each pixel a hard-edged square (no blur when the
    browser scales it), white paper between pictures."""
    side = images.shape[-1]
    scale = max(scale_for(side), 3)
    return to_png(grid_picture(images, cols, scale=scale, gap=2 * scale, border=scale))


def surprise_colour(nats: float, top: float) -> str:
    """A word's background: white at 0 nats (no surprise), deep orange at `top` nats and above."""
    t = float(np.clip(nats / max(top, 1e-9), 0, 1))
    r, g, b = 255, int(255 - t * (255 - 140)), int(255 - t * 255)
    return f"rgb({r},{g},{b})"
