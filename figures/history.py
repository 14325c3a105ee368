"""Figures for the History page: the long-range test, both models' odds, the RNN's state and the
transformer's attention on the same tokens. Data in, `go.Figure` out."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.style import ACCENT, FONT_SIZE, MUTED, PRIMARY, figure, percent, text_px

RNN_COLOUR = ACCENT  # orange: the RNN everywhere on the page
GPT_COLOUR = PRIMARY  # blue: the transformer
NO_BAR = {"displayModeBar": False}


LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)  # percent
TITLE_CHARS = 34  # a bold 20 px title line that fits a 390 px phone; Plotly never wraps titles itself
TITLE_LINE_PX = 26
TITLE_PAD = 16  # px above the title
INSIDE_FROM = 0.5  # a bar at least this long carries its label inside it
# Margins with room for the labels and titles, so Plotly draws each chart once per slider move: with the style's
# 10 px it measured the labels, grew every margin and drew the whole chart again (figures.style.text_px).
AXIS_TITLE_PX = 46  # an axis title beside its tick labels: standoff, text and padding


def _slanted_px(texts: Sequence[str]) -> int:
    """The height of tick labels written at -60 degrees."""
    return int(text_px(texts, FONT_SIZE) * 0.87) + 24


def esc(text: str) -> str:
    """Plotly renders a few HTML-like tags in text (<b>, <a>...): escape visitor text so it shows literally."""
    return html.escape(text, quote=False)


def _titled(title: str, layout: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The title broken into phone-width lines (escaped), and the layout's top margin grown to fit them."""
    lines: list[str] = []
    for word in title.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= TITLE_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    margin = {**layout.get("margin", {}), "t": TITLE_PAD + TITLE_LINE_PX * len(lines) + 12}
    # pinned to the top: Plotly centres a title in the top margin, and a multi-line one then spills onto the plot
    title = {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": TITLE_PAD}}
    return "<br>".join(esc(line) for line in lines), {**layout, "margin": margin, "title": title}


def _shown(label: str) -> str:
    """A token label as it reads in a chart: the space mark dropped, escaped."""
    return esc(label.replace("␣", " ").strip() or label)


def long_range_chart(
    distance: Sequence[float], rnn: Sequence[float], gpt: Sequence[float], selected: float | None, mistakes: bool
) -> go.Figure:
    """P(right name) against distance (or, with `mistakes`, the chance of a wrong name on a log axis)."""
    d = np.asarray(distance, dtype=float)
    r, g = np.asarray(rnn, dtype=float), np.asarray(gpt, dtype=float)
    if mistakes:
        ry, gy = (1 - r) * 100, (1 - g) * 100
        fmt = ".2f"
        title = (
            f"The RNN's mistakes grow with distance ({ry[0]:.2f}% → {ry[-1]:.2f}%); "
            f"the transformer's stay near {gy.mean():.2f}%"
        )
        ticks = [t for t in LOG_TICKS if min(ry.min(), gy.min()) / 2 <= t <= max(ry.max(), gy.max()) * 2]
        yaxis = {
            "type": "log",
            "title": "chance of a wrong name (log scale)",
            "tickvals": ticks,
            "ticktext": [f"{t:g}%" for t in ticks],
        }
    else:
        ry, gy = r * 100, g * 100
        fmt = ".1f"
        title = f"Both remember the friend's name {d[-1]:.0f} words later: transformer {percent(g[-1])}, RNN {percent(r[-1])}"
        yaxis = {"range": [0, 102], "title": "chance of the right name", "ticksuffix": "%"}
    traces = [
        go.Scatter(
            x=d,
            y=gy,
            name="transformer (GPT)",
            mode="lines+markers",
            line={"color": GPT_COLOUR, "width": 3},
            marker={"size": 9, "symbol": "circle"},
            hovertemplate=f"%{{x:.0f}} words back: %{{y:{fmt}}}%<extra>transformer</extra>",
        ),
        go.Scatter(
            x=d,
            y=ry,
            name="RNN (LSTM)",
            mode="lines+markers",
            line={"color": RNN_COLOUR, "width": 3, "dash": "dash"},
            marker={"size": 9, "symbol": "diamond"},
            hovertemplate=f"%{{x:.0f}} words back: %{{y:{fmt}}}%<extra>RNN</extra>",
        ),
    ]
    shapes = []
    if selected is not None:
        line = {"color": MUTED, "width": 2, "dash": "dot"}
        shapes.append({"type": "line", "x0": selected, "x1": selected, "y0": 0, "y1": 1, "yref": "paper", "line": line})
    text, layout = _titled(
        title,
        {
            "xaxis": {"title": "words since the name was written"},
            "yaxis": yaxis,
            "legend": {"orientation": "h", "y": -0.28, "x": 0},
            "shapes": shapes,
            "margin": {"l": 58 + AXIS_TITLE_PX, "b": 132},
        },
    )
    return figure(traces, layout, title=text, height=460)


def next_word_bars(
    labels: Sequence[str], probs: Sequence[float], answer: str | None, who: str, colour: str
) -> go.Figure:
    """One model's top next tokens; the word the story needs is marked with a tick."""
    shown = [_shown(lab) for lab in labels]
    right = [answer is not None and s == answer for s in shown]
    colours = [colour if (r or answer is None) else MUTED for r in right]
    title = f"{who}: '{labels[0].replace('␣', ' ').strip()}' ({percent(float(probs[0]))})"
    text, layout = _titled(
        title,
        {
            "xaxis": {"title": "probability", "range": [0, 125], "ticksuffix": "%"},
            "margin": {"r": 10, "l": 24 + text_px([f"{s} ✓" for s in shown], FONT_SIZE), "b": 74},
            "uniformtext": {"minsize": 12, "mode": "show"},
        },
    )
    return figure(
        go.Bar(
            x=[p * 100 for p in probs][::-1],
            y=[f"{s} ✓" if r else s for s, r in zip(shown, right, strict=True)][::-1],
            orientation="h",
            marker={"color": colours[::-1]},
            text=[percent(float(p)) for p in probs][::-1],
            # long bars carry their label inside (beside a full bar it runs off a phone-width chart)
            textposition=["inside" if p >= INSIDE_FROM else "outside" for p in probs][::-1],
            insidetextanchor="end",
            insidetextfont={"color": "white"},
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.2f}%<extra></extra>",
        ),
        layout,
        title=text,
        height=330,
    )


def _positions(labels: Sequence[str]) -> list[str]:
    """One category per token, unique even when a word repeats: "12: the"."""
    return [f"{i}: {_shown(lab)}" for i, lab in enumerate(labels)]


def _token_axis(labels: Sequence[str], every: int, keep: Sequence[int] = ()) -> dict[str, Any]:
    """Every `every`-th token labelled, and always the tokens in `keep` (the name the chart is about), whose
    neighbours then give way so no two labels run together."""
    ticks = set(range(0, len(labels), max(1, every)))
    if every > 1:
        for k in keep:
            ticks -= {k - 1, k + 1}
    ticks = sorted(ticks | {k for k in keep if 0 <= k < len(labels)})
    positions = _positions(labels)
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": [positions[i] for i in ticks],
        "ticktext": [_shown(labels[i]) for i in ticks],
        "tickangle": -60,
        "range": [-0.5, len(labels) - 0.5],
    }


def state_heatmap(
    states: np.ndarray, labels: Sequence[str], units: np.ndarray, every: int = 1, answer: str | None = None
) -> go.Figure:
    """The RNN's hidden state after each token: rows are state numbers (the busiest first), columns tokens. The
    name the story needs (`answer`) is always labelled."""
    # (units, T) in hundredths, as int8: a quarter of the bytes of float32, and the state lies in [-1, 1] anyway
    z = np.round(states[:, units].T * 100).astype(np.int8)
    text, layout = _titled(
        f"The RNN's memory: all {states.shape[1]} numbers of its state are rewritten at every token",
        {
            "xaxis": _token_axis(labels, every, keep=[i for i, lab in enumerate(labels) if _shown(lab) == answer]),
            "yaxis": {"title": f"the {len(units)} busiest numbers", "showticklabels": False, "autorange": "reversed"},
            "margin": {"l": 12 + AXIS_TITLE_PX, "r": 104, "b": _slanted_px([_shown(lab) for lab in labels])},
        },
    )
    return figure(
        go.Heatmap(
            z=z,
            x=_positions(labels),
            y=list(range(len(units))),
            colorscale="RdBu",
            zmid=0,
            zmin=-100,
            zmax=100,
            colorbar={
                "title": {"text": "value"},
                "thickness": 12,
                "tickvals": [-100, -50, 0, 50, 100],
                "ticktext": ["−1", "−0.5", "0", "0.5", "1"],
            },
            hovertemplate="after token %{x}: %{z} hundredths<extra></extra>",
        ),
        layout,
        title=text,
        height=460,
    )


def attention_strip(
    weights: np.ndarray, labels: Sequence[str], answer: str | None, head: str, every: int = 1
) -> go.Figure:
    """Where the transformer's name head looks from the last token: one bar per token it can see."""
    shown = [_shown(lab) for lab in labels]
    top = int(np.argmax(weights))
    hit = [answer is not None and s == answer for s in shown]
    colours = [GPT_COLOUR if h else MUTED for h in hit] if any(hit) else [GPT_COLOUR] * len(shown)
    named = [i for i, h in enumerate(hit) if h]
    title = f"The transformer's {head} looks straight back at '{labels[top].replace('␣', ' ').strip()}' ({percent(float(weights[top]))})"
    text, layout = _titled(
        title,
        {
            "xaxis": _token_axis(labels, every, keep=[top, *named]),
            "yaxis": {"title": "attention", "range": [0, 100], "ticksuffix": "%"},
            "bargap": 0.1,
            "margin": {"l": 50 + AXIS_TITLE_PX, "b": _slanted_px(shown)},
        },
    )
    return figure(
        go.Bar(
            x=_positions(labels),
            y=np.asarray(weights) * 100,
            marker={"color": colours},
            hovertemplate="token %{x}: %{y:.1f}% of its attention<extra></extra>",
        ),
        layout,
        title=text,
        height=340,
    )
