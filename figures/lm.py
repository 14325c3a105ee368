"""Figures for the language-model pages: token chips, next-token bars, cumulative top-p curve,
generation timeline, attention heatmaps. Plain data in, go.Figure out.

Visitor and model text only ever goes into Plotly text fields, escaped, never into raw HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from figures.style import (
    ACCENT,
    MUTED,
    PALETTE,
    PRIMARY,
    SEQUENTIAL,
    axis_ids,
    figure,
    grid_layout,
    hline,
    percent,
    text_px,
    vrect,
)

CHIP_COLOURS = ("#D6E9F8", "#FCE8C3", "#CDEFE3", "#F3D9E8", "#DDEFFB", "#F8DCCB")


def esc(text: str) -> str:
    """Plotly renders a few HTML-like tags in text; escape so visitor text shows literally."""
    return html.escape(text, quote=False)


def quoted(label: str) -> str:
    return "'" + label + "'"


def _chip_layout(labels: Sequence[str], per_row: int) -> list[tuple[float, int, float]]:
    """(x, row, width) for each chip, wrapping rows at `per_row` characters."""
    out, x, row = [], 0.0, 0
    for lab in labels:
        w = max(len(lab), 2) + 1.2
        if x > 0 and x + w > per_row:
            x, row = 0.0, row + 1
        out.append((x, row, w))
        x += w + 0.4
    return out


def token_chips(
    labels: Sequence[str],
    ids: Sequence[int],
    title: str,
    colour_values: Sequence[float] | None = None,
    hover: Sequence[str] | None = None,
    per_row: int = 34,
    highlight: int | None = None,
) -> go.Figure:
    """Coloured chips, one per token, with the token id under each. If `colour_values` (0..1) is
    given, chips are shaded by it (e.g. probability) instead of alternating colours."""
    lay = _chip_layout(labels, per_row)
    rows = (lay[-1][1] + 1) if lay else 1
    xs, ys, texts, ids_text, hovers, shapes = [], [], [], [], [], []
    for i, ((x, row, w), lab) in enumerate(zip(lay, labels, strict=True)):
        if colour_values is not None:
            v = float(colour_values[i])
            fill = _blend("#FFFFFF", "#6CA9DA", v)
        else:
            fill = CHIP_COLOURS[i % len(CHIP_COLOURS)]
        y = -row * 2.0
        shapes.append(
            {
                "type": "rect",
                "x0": x,
                "x1": x + w,
                "y0": y - 1.45,
                "y1": y + 0.4,
                "fillcolor": fill,
                "line": {"color": "#0B2E4F" if i == highlight else "#8795A1", "width": 3 if i == highlight else 1},
                "layer": "below",
            }
        )
        xs.append(x + w / 2)
        ys.append(y)
        texts.append(esc(lab))
        ids_text.append(str(ids[i]))
        hovers.append(esc(hover[i]) if hover is not None else f"token {i + 1}: {esc(quoted(lab))}, id {ids[i]}")
    words = go.Scatter(
        x=xs,
        y=ys,
        mode="text",
        text=texts,
        textfont={"family": "monospace", "size": 18, "color": "#111418"},
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
    )
    numbers = go.Scatter(
        x=xs,
        y=[y - 1.05 for y in ys],
        mode="markers+text",
        text=ids_text,
        textfont={"family": "monospace", "size": 12, "color": "#4A5561"},
        marker={"size": 18, "opacity": 0},
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
    )
    layout = {
        "shapes": shapes,
        "xaxis": {"visible": False, "range": [-0.3, per_row + 0.3], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-rows * 2.0 + 0.2, 0.8], "fixedrange": True},
        "dragmode": False,
    }
    return figure([words, numbers], layout, title=title, height=70 + 62 * rows)


def _blend(a: str, b: str, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb, strict=True))


def word_split_bars(words: Sequence[str], counts: Sequence[int]) -> go.Figure:
    """How many tokens each word became."""
    n = len(words)
    worst = int(np.argmax(counts)) if n else 0
    title = (
        f"{quoted(words[worst])} is cut into {counts[worst]} pieces"
        if n and counts[worst] > 1
        else "Every word here is a single token"
    )
    bars = go.Bar(
        x=[esc(w if len(w) <= 14 else w[:13] + "…") + f" ({i + 1})" for i, w in enumerate(words)],
        y=list(counts),
        marker_color=[ACCENT if c > 1 else PRIMARY for c in counts],
        text=[str(c) for c in counts],
        textposition="outside",
        hovertemplate="%{x}: %{y} token(s)<extra></extra>",
    )
    layout = {
        "yaxis": {"title": {"text": "tokens for this word"}, "rangemode": "tozero", "dtick": 1},
        "xaxis": {"title": {"text": "word in your text"}},
    }
    return figure(bars, layout, title=title, height=360)


def next_token_bars(
    labels: Sequence[str],
    probs: Sequence[float],
    base: Sequence[float],
    kept: Sequence[bool],
    true_probs: Sequence[float] | None = None,
) -> go.Figure:
    """Horizontal bars for the top tokens: probability after the knobs (blue), tokens the knobs removed
    (grey outline), and, when known, what the data says (orange)."""
    n = len(labels)
    names = [f"{esc(quoted(lab))}" for lab in labels]
    top = int(np.argmax(probs)) if n else 0
    title = f"{esc(quoted(labels[top]))} is the most likely next token ({percent(float(probs[top]))})" if n else ""
    traces = [
        go.Bar(
            y=names,
            x=list(probs),
            orientation="h",
            name="model, after your settings",
            marker_color=PRIMARY,
            offsetgroup="model",  # shares its slot with the grey bar: a token is either kept or removed
            text=[percent(float(p)) if k else "" for p, k in zip(probs, kept, strict=True)],
            textposition="outside",
            constraintext="none",  # full-size numbers, readable from the back of a room
            cliponaxis=False,
            textfont={"size": 15},
            hovertemplate="%{y}: %{x:.1%} after your settings<extra></extra>",
        ),
        go.Bar(
            y=names,
            x=[b if not k else 0 for b, k in zip(base, kept, strict=True)],
            orientation="h",
            name="removed by top-k / top-p",
            marker_color=MUTED,
            opacity=0.6,
            offsetgroup="model",
            # The page draws this chart static (no hover), so the odds a token lost are written on its bar.
            text=[f"removed, was {percent(float(b))}" if not k else "" for b, k in zip(base, kept, strict=True)],
            textposition="outside",
            constraintext="none",
            cliponaxis=False,
            textfont={"size": 15},
            hovertemplate="%{y}: %{x:.1%} before the cut<extra></extra>",
        ),
    ]
    if true_probs is not None:
        traces.append(
            go.Bar(
                y=names,
                x=list(true_probs),
                orientation="h",
                name="the data's true odds",
                marker_color=ACCENT,
                offsetgroup="data",
                text=[percent(float(p)) if p > 0 else "" for p in true_probs],
                textposition="outside",
                constraintext="none",
                cliponaxis=False,
                textfont={"size": 15},
                hovertemplate="%{y}: %{x:.1%} in the stories' grammar<extra></extra>",
            )
        )
    xmax = max([float(np.max(probs)) if n else 0.0] + ([float(np.max(true_probs))] if true_probs is not None else []))
    layout = {
        "barmode": "group",
        "bargap": 0.25,
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        # Margins with room for the labels, so Plotly draws once per knob move; see figures.style.text_px.
        "margin": {"l": 24 + text_px(names, 17, monospace=True), "b": 110, "r": 20},
        # Top token first. An explicit reversed range, not autorange="reversed": see figures.images.confidence_curve.
        "yaxis": {"range": [n - 0.5, -0.5], "tickfont": {"size": 17, "family": "monospace"}},
        "xaxis": {
            "title": {"text": "probability of being the next token"},
            "tickformat": ".0%",
            "range": [0, xmax * 1.22 + 0.01],
            "tickvals": _prob_ticks(xmax),
        },
    }
    return figure(traces, layout, title=title, height=max(360, 120 + n * (46 if true_probs is not None else 32)))


def cumulative_curve(cumulative: Sequence[float], top_p: float, n_kept: int, shown: int = 30) -> go.Figure:
    """Cumulative probability along the ranking, with the top-p line and where the cut falls."""
    c = np.asarray(cumulative)[:shown]
    ranks = np.arange(1, len(c) + 1)
    if top_p < 1.0:
        title = f"Top-p {top_p:.2f} keeps the top {n_kept} token{'s' if n_kept != 1 else ''}"
    else:
        title = f"The top 5 tokens hold {percent(float(c[min(4, len(c) - 1)]))} of the odds"
    curve = go.Scatter(
        x=ranks,
        y=c,
        mode="lines+markers",
        line={"color": PRIMARY, "width": 3},
        name="cumulative probability",
        hovertemplate="top %{x} tokens: %{y:.1%}<extra></extra>",
    )
    layout: dict = {
        "margin": {"l": 90, "b": 70, "r": 20},
        "xaxis": {
            "title": {"text": "tokens, most likely first (rank)"},
            "range": [0.5, len(c) + 0.5],
        },
        "yaxis": {
            "title": {"text": "probability of the top tokens together"},
            "tickformat": ".0%",
            "range": [0, 1.05],
        },
    }
    if top_p < 1.0:
        layout["shapes"] = [
            hline(top_p, {"color": ACCENT, "dash": "dash", "width": 3}),
            vrect(0.5, n_kept + 0.5, PALETTE[2], 0.15),
        ]
        layout["annotations"] = [
            {"text": f"p = {top_p:.2f}", "showarrow": False, "xref": "x domain", "x": 1, "xanchor": "right"}
            | {"yref": "y", "y": top_p, "yanchor": "top"},
            {"text": "kept", "showarrow": False, "xref": "x", "x": 0.5, "xanchor": "left"}
            | {"yref": "y domain", "y": 1, "yanchor": "top"},
        ]
    return figure(curve, layout, title=title, height=340)


def timeline(
    labels: Sequence[str],
    probs: Sequence[float],
    ranks: Sequence[int],
    forced: Sequence[bool],
    selected: int | None,
    per_row: int = 34,
) -> go.Figure:
    """Generated tokens as chips shaded by the probability they had when picked."""
    hover = [
        f"step {i + 1}: {quoted(lab)}, {percent(p)} (rank {r}){' · picked by you' if f else ''}"
        for i, (lab, p, r, f) in enumerate(zip(labels, probs, ranks, forced, strict=True))
    ]
    chips = [lab + ("✋" if f else "") for lab, f in zip(labels, forced, strict=True)]
    n_surprise = sum(1 for r in ranks if r > 1)
    title = (
        f"{len(labels)} tokens written; {n_surprise} were not the model's first choice"
        if labels
        else "Nothing generated yet: press a button"
    )
    return token_chips(
        chips,
        [f"{percent(p)}" for p in probs],
        title,
        colour_values=list(probs),
        hover=hover,
        per_row=per_row,
        highlight=selected,
    )


def alternatives_bars(labels: Sequence[str], probs: Sequence[float], chosen: int, step: int) -> go.Figure:
    colours = [PALETTE[5] if i == chosen else MUTED for i in range(len(labels))]
    bars = go.Bar(
        y=[esc(quoted(lab)) for lab in labels],
        x=list(probs),
        orientation="h",
        marker_color=colours,
        text=[percent(float(p)) for p in probs],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    )
    xmax = float(max(probs))
    names = [esc(quoted(lab)) for lab in labels]
    layout = {
        "margin": {"l": 20 + text_px(names), "b": 70, "r": 20},
        "yaxis": {"range": [len(labels) - 0.5, -0.5]},  # top first
        "xaxis": {
            "title": {"text": "probability at this step"},
            "tickformat": ".0%",
            "range": [0, xmax * 1.22 + 0.02],
            "tickvals": _prob_ticks(xmax),
        },
    }
    title = f"Step {step + 1}: {esc(quoted(labels[chosen]))} was picked ({percent(float(probs[chosen]))})"
    return figure(bars, layout, title=title, height=300)


def _prob_ticks(xmax: float) -> list[float]:
    """Probability ticks that never go past 100% even when the axis leaves room for labels."""
    step = 0.25 if xmax > 0.5 else (0.1 if xmax > 0.2 else (0.05 if xmax > 0.05 else 0.01))
    return [round(i * step, 2) for i in range(int(min(1.0, xmax * 1.2) / step) + 1)]


def _ticks(labels: Sequence[str]) -> list[str]:
    return [f"{esc(lab)} ·{i}" for i, lab in enumerate(labels)]


def attention_heatmap(att: np.ndarray, labels: Sequence[str], title: str, selected: int | None = None) -> go.Figure:
    """Query (row: the token looking) x key (column: where it looks). Future cells are masked (grey)."""
    T = att.shape[0]
    z = np.where(np.tril(np.ones((T, T), dtype=bool)), att, np.nan)
    ticks = _ticks(labels)
    heat = go.Heatmap(
        z=z,
        x=ticks,
        y=ticks,
        colorscale=SEQUENTIAL,
        zmin=0,
        zmax=1,
        hoverongaps=False,
        colorbar={"tickformat": ".0%", "thickness": 10, "tickfont": {"size": 12}, "xpad": 4},
        hovertemplate="%{y} looks at %{x}: %{z:.0%}<extra></extra>",
    )
    tick_size = 13 if T > 30 else 15
    layout: dict = {
        "plot_bgcolor": "#D9DDE2",  # masked (future) cells show this grey
        "yaxis": {
            "range": [T - 0.5, -0.5],  # first token at the top
            "title": {"text": "the token that is looking"},
            "tickfont": {"size": tick_size},
            "type": "category",
        },
        "xaxis": {
            "title": {"text": "the earlier token it looks at"},
            "tickangle": -60,
            "tickfont": {"size": tick_size},
            "type": "category",
        },
    }
    if selected is not None:
        row = {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": selected - 0.5, "y1": selected + 0.5}
        layout["shapes"] = [row | {"line": {"color": PALETTE[5], "width": 3}}]
    return figure(heat, layout, title=title, height=max(420, min(900, 200 + 16 * T)))


def head_grid(att: np.ndarray, highlight: tuple[int, int] | None = None) -> go.Figure:
    """Every layer x head as a small heatmap (att: (layers, heads, T, T))."""
    L, H, T, _ = att.shape
    titles = [f"L{li + 1} H{h + 1}" + (" ★" if highlight == (li, h) else "") for li in range(L) for h in range(H)]
    layout = grid_layout(L, H, titles, horizontal_spacing=0.02, vertical_spacing=0.05, title_size=14)
    mask = np.tril(np.ones((T, T), dtype=bool))
    cells = [(li, h) for li in range(L) for h in range(H)]
    traces = [
        go.Heatmap(
            z=np.where(mask, att[li, h], np.nan),
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="query %{y} → key %{x}: %{z:.0%}<extra></extra>",
            xaxis=x,
            yaxis=y,
        )
        for (li, h), (x, y) in zip(cells, axis_ids(L, H), strict=True)
    ]
    for name, axis in layout.items():
        if name.startswith("xaxis"):
            axis["visible"] = False
        elif name.startswith("yaxis"):
            axis.update(visible=False, range=[T - 0.5, -0.5])
    layout["plot_bgcolor"] = "#D9DDE2"
    title = "Every head has its own pattern: rows are layers, columns are heads"
    return figure(traces, layout, title=title, height=150 + 170 * L)


def looks_at_bars(weights: np.ndarray, labels: Sequence[str], query: int) -> go.Figure:
    """Where one token looks: its attention row over the earlier tokens."""
    w = np.asarray(weights)[: query + 1]
    best = int(np.argmax(w))
    bars = go.Bar(
        x=_ticks(labels[: query + 1]),
        y=w,
        marker_color=[PALETTE[5] if i == best else PRIMARY for i in range(len(w))],
        hovertemplate="%{x}: %{y:.0%}<extra></extra>",
    )
    layout = {
        "yaxis": {"title": {"text": "attention weight"}, "tickformat": ".0%", "range": [0, 1]},
        "xaxis": {"title": {"text": "earlier token"}, "tickangle": -60, "type": "category"},
    }
    title = f"{esc(quoted(labels[query]))} looks most at {esc(quoted(labels[best]))} ({percent(float(w[best]))})"
    return figure(bars, layout, title=title, height=360)


def effective_choices_text(n: float) -> str:
    if n < 1.5:
        return "very sure"
    if n < 3:
        return "fairly sure"
    if n < 8:
        return "unsure"
    return "very unsure"


def nats_to_bits(x: float) -> float:
    return x / math.log(2)
