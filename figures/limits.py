"""Figures for the Limits page: a fact's odds stated and cut, calibration, the doctor's pronoun under each way of
choosing, the GAN's kinds, generated pictures beside their nearest training picture, first words of many
continuations, and what each output costs. Data in, `go.Figure` out; every title is written by the caller from
measured numbers and wrapped here to fit a phone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.lm import esc, wrap_title
from figures.pictures import SCALE, paper, picture_source
from figures.style import ACCENT, MUTED, PALETTE, PRIMARY, SMALL_SIZE, figure, label_px, percent

RIGHT = PALETTE[2]  # green: the right answer
WRONG = ACCENT  # orange: the model's favourite when it is not the right answer
GAP_COLOUR = PALETTE[2]  # the model trained on stories with missing facts
GPT_COLOUR = PRIMARY
NO_BAR = {"displayModeBar": False}
TITLE_CHARS = 34  # a bold 20 px title line that fits a 390 px phone; Plotly never wraps titles itself
TITLE_LINE_PX = 26
TITLE_PAD = 16

# Margins with room for the labels, so Plotly draws each chart once per change: with the style's 10 px it measured
# the tick labels, axis titles and legends, grew the margins and drew the whole chart again (figures.style.text_px).
# Plotly still grows a margin where a label needs more, and never shrinks one, so these are a little generous.
TICKS_PX = 25  # from the plot's edge to its tick labels (pad and standoff), plus a few px to spare
X_TITLE_PX = 72  # below the plot: the tick labels and the axis title
Y_TITLE_PX = 62  # left of the tick labels: the axis title, its standoff and a few px to spare
LEGEND_BASE_PX = 82  # below the plot, the tick labels and the axis title above a legend at the chart's foot...
LEGEND_ROW_PX = {SMALL_SIZE: 20, 14: 21}  # ...and one row per legend entry (at its font size)
RIGHT_PX = 30  # a last tick label ("100%") centred near the plot's right edge (a phone needed 26 px, a desktop 17)
COST_SLANT_PX = 36  # a phone slants the time labels; at 30 degrees they needed up to 32 px more than upright ones


def _ticks_px(top: float) -> int:
    """The widest percent tick label of an axis running from 0 to about `top` (in %)."""
    return label_px(["100%" if top * 1.06 >= 100 else "80%" if top >= 9 else "8%"], SMALL_SIZE)


def _legend_rows(rows: int, size: float = SMALL_SIZE) -> int:
    """The bottom margin for an axis title and a legend of `rows` entries, one per row under the plot. One entry
    per row at every width: side by side, a phone wrapped them and a desktop did not, so no margin fitted both."""
    return LEGEND_BASE_PX + LEGEND_ROW_PX[size] * rows


def titled(title: str, layout: dict[str, Any], chars: int = TITLE_CHARS) -> tuple[str, dict[str, Any]]:
    """The title wrapped to phone-width lines and pinned to the top, the top margin grown to hold them."""
    text, lines = wrap_title(title, chars)
    margin = {**layout.get("margin", {}), "t": TITLE_PAD + TITLE_LINE_PX * lines + 14}
    pinned = {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": TITLE_PAD}}
    return text, {**layout, "margin": margin, "title": pinned}


def _dotted_line(x: float, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dotted vertical line at `x` across the plot, and its label just above the plot."""
    line = {
        "type": "line",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": "#444", "width": 2, "dash": "dot"},
    }
    note = {
        "x": x,
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "xanchor": "left",
        "text": label,
        "showarrow": False,
        "font": {"size": 13, "color": "#444"},
    }
    return line, note


def _legend_below(extra: dict[str, Any] | None = None, orientation: str = "v") -> dict[str, Any]:
    """A legend at the chart's foot, one entry per row unless asked otherwise (see _legend_rows)."""
    return {"orientation": orientation, "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, **(extra or {})}


# ---------------------------------------------------------------------------------------------- hallucination


def fact_odds(
    candidates: Sequence[str],
    probs: Sequence[float],
    answer: str,
    title: str,
    even: float | None = None,
    height: int = 440,
) -> go.Figure:
    """One bar per candidate answer, in a fixed order (so the stated and cut charts line up): the right answer green
    with a tick, the model's favourite orange when it is wrong, the rest grey; `even` draws the line of even odds."""
    p = np.asarray(probs, dtype=float)
    top = int(np.argmax(p))
    colours, labels = [], []
    for i, c in enumerate(candidates):
        right = c == answer
        colours.append(RIGHT if right else WRONG if i == top else MUTED)
        labels.append(f"{esc(c)} ✓" if right else esc(c))
    shapes, notes = [], []
    if even is not None:
        line, note = _dotted_line(even * 100, f"even odds ({percent(even)})")
        shapes.append(line)
        notes.append(note)
    text, layout = titled(
        title,
        {
            "xaxis": {
                "title": "the model's odds",
                "range": [0, 128],
                "tickvals": [0, 50, 100],
                "ticktext": ["0%", "50%", "100%"],
            },
            "yaxis": {"autorange": "reversed"},
            "shapes": shapes,
            "annotations": notes,
            "margin": {"r": 10, "l": TICKS_PX + label_px(labels, SMALL_SIZE), "b": X_TITLE_PX},
            "bargap": 0.25,
        },
    )
    bars = go.Bar(
        x=p * 100,
        y=labels,
        orientation="h",
        marker={"color": colours},
        text=[percent(float(x)) if x >= 0.005 else "" for x in p],  # tiny odds unlabelled: no clutter over the line
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.2f}%<extra></extra>",
    )
    return figure(bars, layout, title=text, height=height)


def top_odds_histogram(
    series: Sequence[tuple[str, np.ndarray, str]], chance: float, title: str, height: int = 420
) -> go.Figure:
    """How sure each model is of its favourite answer with the fact cut, over many stories (share of stories)."""
    edges = np.linspace(0, 1, 21)
    centres = (edges[:-1] + edges[1:]) / 2 * 100
    traces = []
    for name, values, colour in series:
        counts, _ = np.histogram(np.clip(values, 0, 1), edges)
        traces.append(
            go.Bar(
                x=centres,
                y=counts / max(len(values), 1) * 100,
                name=name,
                marker={"color": colour},
                opacity=0.85,
                width=4.6,
                hovertemplate="favourite gets %{x:.0f}% (±2.5): %{y:.1f}% of stories<extra>" + esc(name) + "</extra>",
            )
        )
    line, note = _dotted_line(chance * 100, f"the truth: 1 in {round(1 / chance)}")
    top = max((float(np.max(t.y, initial=0)) for t in traces), default=0)
    text, layout = titled(
        title,
        {
            "barmode": "overlay",
            "xaxis": {"title": "odds on its favourite answer, fact cut", "range": [0, 102], "ticksuffix": "%"},
            "yaxis": {"title": "share of stories", "ticksuffix": "%"},
            "shapes": [line],
            "annotations": [note],
            "legend": _legend_below(),
            "margin": {"l": Y_TITLE_PX + _ticks_px(top), "r": RIGHT_PX, "b": _legend_rows(len(traces))},
        },
    )
    return figure(traces, layout, title=text, height=height)


def calibration_chart(
    lines: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray, str, str]],
    title: str,
    min_questions: int = 20,
    height: int = 480,
) -> go.Figure:
    """Reliability diagram: for questions binned by how sure the model was, how often it was right.
    Each line: (name, mean confidence per bin, accuracy per bin, questions per bin, colour, dash); bins with fewer
    than `min_questions` questions are left out."""
    traces = [
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name="honest: as sure as it is right",
            line={"color": MUTED, "width": 2, "dash": "dot"},
            hoverinfo="skip",
        )
    ]
    for name, conf, acc, count, colour, dash in lines:
        # A handful of questions says nothing about a confidence level: such bins are gaps in the line.
        keep = np.flatnonzero(np.asarray(count) >= min_questions)
        span = np.arange(keep.min(), keep.max() + 1) if keep.size else keep
        shown = np.isin(span, keep)
        traces.append(
            go.Scatter(
                x=[float(conf[i]) * 100 if k else None for i, k in zip(span, shown, strict=True)],
                y=[float(acc[i]) * 100 if k else None for i, k in zip(span, shown, strict=True)],
                customdata=[int(count[i]) for i in span],
                connectgaps=False,
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": 3, "dash": dash},
                marker={"size": 9},
                hovertemplate="%{x:.0f}% sure → right %{y:.0f}% of the time (%{customdata:,} questions)"
                "<extra>" + esc(name) + "</extra>",
            )
        )
    text, layout = titled(
        title,
        {
            "xaxis": {"title": "how sure the model was", "range": [0, 102], "ticksuffix": "%"},
            "yaxis": {"title": "how often it was right", "range": [0, 102], "ticksuffix": "%"},
            "legend": _legend_below({"font": {"size": 14}}),
            "margin": {"l": Y_TITLE_PX + _ticks_px(100), "r": RIGHT_PX, "b": _legend_rows(len(traces), 14)},
        },
    )
    return figure(traces, layout, title=text, height=height)


# ---------------------------------------------------------------------------------------------- bias


def pronoun_bars(rows: Sequence[tuple[str, float, float]], title: str, height: int = 400) -> go.Figure:
    """One 100% bar per row (the data, the model's odds, greedy, sampling): the share of 'he', 'she' and anything
    else. Rows: (label, share he, share she)."""
    labels = [esc(r[0]) for r in rows]
    he = np.array([r[1] for r in rows]) * 100
    she = np.array([r[2] for r in rows]) * 100
    other = np.clip(100 - he - she, 0, 100)
    traces = []
    for name, values, colour in (("he", he, PRIMARY), ("she", she, ACCENT), ("another word", other, MUTED)):
        if name == "another word" and other.max() < 0.5:
            continue
        traces.append(
            go.Bar(
                x=values,
                y=labels,
                name=f"'{name}'" if name != "another word" else name,
                orientation="h",
                marker={"color": colour},
                text=[f"{v:.0f}%" if v >= 7 else "" for v in values],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 16, "color": "#FFFFFF" if colour != MUTED else "#111418"},
                hovertemplate="%{y}: " + name + " %{x:.1f}%<extra></extra>",
            )
        )
    text, layout = titled(
        title,
        {
            "barmode": "stack",
            "xaxis": {"range": [0, 100], "ticksuffix": "%", "title": "share of doctors"},
            "yaxis": {"autorange": "reversed"},
            "legend": _legend_below({"traceorder": "normal"}),
            "margin": {"l": TICKS_PX + label_px(labels, SMALL_SIZE), "b": _legend_rows(len(traces))},
            "bargap": 0.3,
        },
    )
    return figure(traces, layout, title=text, height=height)


def kind_shares(kinds: Sequence[str], real: np.ndarray, fake: np.ndarray, title: str, height: int = 560) -> go.Figure:
    """Per kind of picture: its share of real pictures and of the GAN's, both as the judge reads them."""
    labels = [esc(k) for k in kinds]
    traces = [
        go.Bar(
            x=np.asarray(values) * 100,
            y=labels,
            name=name,
            orientation="h",
            marker={"color": colour},
            text=[percent(float(v)) for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra>" + name + "</extra>",
        )
        for name, values, colour in (("real pictures", real, MUTED), ("the GAN's pictures", fake, PRIMARY))
    ]
    top = float(max(np.max(real), np.max(fake))) * 100
    text, layout = titled(
        title,
        {
            "barmode": "group",
            "xaxis": {"range": [0, top * 1.3], "ticksuffix": "%", "title": "share of pictures"},
            "yaxis": {"autorange": "reversed", "type": "category"},  # digits' labels "0".."9" are names, not numbers
            "legend": _legend_below({"traceorder": "normal"}, orientation="h"),  # two short entries: one row on a phone
            "margin": {"l": TICKS_PX + label_px(labels, SMALL_SIZE), "b": LEGEND_BASE_PX + LEGEND_ROW_PX[SMALL_SIZE]},
            "bargap": 0.25,
            "bargroupgap": 0.05,
        },
    )
    return figure(traces, layout, title=text, height=height)


# ---------------------------------------------------------------------------------------------- memorization

PAIRS_PER_ROW = 4
CARD_GREY = 0.9  # display grey behind a pair


def nearest_pairs(
    drawn: np.ndarray, nearest: np.ndarray, distances: Sequence[float], title: str, per_row: int = PAIRS_PER_ROW
) -> go.Figure:
    """Pictures (N, S, S) in [0, 1] (1 = ink), each above its nearest training picture on a grey card with the
    distance under the pair. Rows of `per_row` pairs."""
    n, s, _ = drawn.shape
    rows = -(-n // per_row)
    tile, gap, pad, caption = s * SCALE, SCALE * 2, SCALE, 34
    card_h = pad + 2 * tile + SCALE + caption
    block_w, block_h = tile + 2 * gap, card_h + gap
    canvas = np.ones((rows * block_h, per_row * block_w), dtype=np.float32)
    notes = []
    for i in range(n):
        r, c = divmod(i, per_row)
        y0, left = r * block_h, c * block_w + gap
        canvas[y0 : y0 + card_h, left - pad : left + tile + pad] = CARD_GREY  # groups a pair and its number
        top = y0 + pad
        canvas[top : top + tile, left : left + tile] = paper(drawn[i]).repeat(SCALE, 0).repeat(SCALE, 1)
        low = top + tile + SCALE
        canvas[low : low + tile, left : left + tile] = paper(nearest[i]).repeat(SCALE, 0).repeat(SCALE, 1)
        notes.append(
            {
                "x": left + tile / 2,
                "y": low + tile + 3,
                "text": f"<b>{distances[i]:.2f}</b>",
                "showarrow": False,
                "yanchor": "top",
                "font": {"size": 17, "color": "#111418"},
            }
        )
    text, layout = titled(
        title,
        {
            "xaxis": {"visible": False, "range": [0, canvas.shape[1]]},
            "yaxis": {"visible": False, "range": [canvas.shape[0], 0], "scaleanchor": "x"},
            "annotations": notes,
            "margin": {"l": 5, "r": 5, "b": 5},
        },
    )
    height = int(TITLE_PAD + TITLE_LINE_PX * 3 + 30 + 250 * rows)
    picture = {"type": "image", "source": picture_source(canvas), "hoverinfo": "skip"}
    return figure(picture, layout, title=text, height=height)


def distance_histogram(
    drawn: np.ndarray, heldout: np.ndarray, drawn_name: str, title: str, height: int = 420
) -> go.Figure:
    """How far each generated picture and each real new picture sits from its nearest training picture."""
    top = float(max(np.max(drawn), np.max(heldout)))
    edges = np.linspace(0, top * 1.02, 31)
    centres = (edges[:-1] + edges[1:]) / 2
    traces, shapes = [], []
    for name, values, colour in ((drawn_name, drawn, PRIMARY), ("real new pictures", heldout, MUTED)):
        counts, _ = np.histogram(values, edges)
        traces.append(
            go.Bar(
                x=centres,
                y=counts / len(values) * 100,
                name=f"{name} (median {np.median(values):.2f})",
                marker={"color": colour},
                opacity=0.8,
                width=(edges[1] - edges[0]) * 0.95,
                hovertemplate="distance %{x:.2f}: %{y:.1f}%<extra>" + esc(name) + "</extra>",
            )
        )
        shapes.append(
            {
                "type": "line",
                "x0": float(np.median(values)),
                "x1": float(np.median(values)),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": colour if colour != MUTED else "#555", "width": 3, "dash": "dash"},
            }
        )
    top = max(float(np.max(t.y, initial=0)) for t in traces)
    text, layout = titled(
        title,
        {
            "barmode": "overlay",
            "xaxis": {"title": "distance to nearest training picture"},
            "yaxis": {"title": "share of pictures", "ticksuffix": "%"},
            "shapes": shapes,
            "legend": _legend_below({"font": {"size": 14}}),
            "margin": {"l": Y_TITLE_PX + _ticks_px(top), "b": _legend_rows(len(traces), 14)},
        },
    )
    return figure(traces, layout, title=text, height=height)


# ---------------------------------------------------------------------------------------------- randomness


def first_word_bars(
    words: Sequence[str], counts: np.ndarray, model_probs: np.ndarray, samples: int, title: str, shown: int = 12
) -> go.Figure:
    """How many of `samples` continuations began with each word (most common first), beside the model's odds."""
    words, counts, model_probs = list(words)[:shown], np.asarray(counts)[:shown], np.asarray(model_probs)[:shown]
    labels = [esc(w) or "(blank)" for w in words]
    traces = [
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            name=f"continuations (of {samples})",
            marker={"color": PRIMARY},
            text=[str(int(c)) for c in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x} of " + str(samples) + "<extra></extra>",
        ),
        go.Scatter(
            x=model_probs * samples,
            y=labels,
            mode="markers",
            name="the model's odds × " + str(samples),
            marker={"symbol": "line-ns", "size": 22, "line": {"width": 4, "color": ACCENT}},
            hovertemplate="%{y}: odds × " + str(samples) + " = %{x:.1f}<extra></extra>",
        ),
    ]
    top = float(max(counts.max(initial=1), (model_probs * samples).max(initial=0)))
    text, layout = titled(
        title,
        {
            "xaxis": {"title": f"continuations out of {samples}", "range": [0, top * 1.25]},
            "yaxis": {"autorange": "reversed"},
            "legend": _legend_below(),
            "margin": {"l": TICKS_PX + label_px(labels, SMALL_SIZE), "b": _legend_rows(len(traces))},
            "bargap": 0.25,
        },
    )
    return figure(traces, layout, title=text, height=max(300, 150 + 30 * len(words)))


# ---------------------------------------------------------------------------------------------- cost


def duration(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    if ms >= 1:
        return f"{ms:.0f} ms"
    return f"{ms * 1000:.0f} µs"


def cost_bars(labels: Sequence[str], ms: Sequence[float], passes: Sequence[float], title: str) -> go.Figure:
    """Measured time per output for each model (log scale); each label says the passes it took and the time (on
    the label, not at the bar's end, where a phone has no room)."""
    ms = np.asarray(ms, dtype=float)
    names = [
        f"{esc(label)}<br>{p:g} pass{'es' if p != 1 else ''} · {duration(m)}"
        for label, m, p in zip(labels, ms, passes, strict=True)
    ]
    end = np.log10(ms.max()) + 0.2
    tickvals = [0.01, 0.1, 1, 10, 100, 1000, 10_000]
    ticktext = ["10 µs", "0.1 ms", "1 ms", "10 ms", "0.1 s", "1 s", "10 s"]
    # A tick in the axis's last decade can sit near the plot's right edge, half its label beyond it, and a phone
    # slants the labels, which moves them further right; Plotly then keeps about 8 px more than that. The end
    # follows the measured times, so room for the whole label of any tick in the last decade (half labels in the
    # last half decade fell 6 px short on a phone with some timings).
    edge = [
        math.ceil(label_px(t, SMALL_SIZE)) + 12
        for v, t in zip(tickvals, ticktext, strict=True)
        if end - 1 < np.log10(v) <= end
    ]
    text, layout = titled(
        title,
        {
            "xaxis": {
                "type": "log",
                "title": "time, log scale",
                "range": [np.log10(max(ms.min(), 1e-3)) - 0.3, end],
                "tickvals": tickvals,
                "ticktext": ticktext,
            },
            "yaxis": {"autorange": "reversed"},
            "bargap": 0.3,
            # a phone slants the time labels (a decade is narrower than "10 ms"): room for that at every width
            "margin": {
                "l": TICKS_PX + label_px(names, SMALL_SIZE),
                "r": max([16, *edge]),
                "b": X_TITLE_PX + COST_SLANT_PX,
            },
        },
    )
    bars = go.Bar(
        x=ms,
        y=names,
        orientation="h",
        marker={"color": PRIMARY},
        hovertemplate="%{y}<extra></extra>",
    )
    return figure(bars, layout, title=text, height=150 + 60 * len(labels))


def operations_bars(labels: Sequence[str], flops: Sequence[float], title: str) -> go.Figure:
    """Floating-point operations for one token (log scale): our GPT against large models."""
    f = np.asarray(flops, dtype=float)
    text, layout = titled(
        title,
        {
            "xaxis": {
                "type": "log",
                "title": "operations per token (log scale)",
                "range": [np.log10(f.min()) - 0.5, np.log10(f.max()) + 0.3],
                "tickvals": [1e6, 1e8, 1e10, 1e12],
                "ticktext": ["1 million", "100 million", "10 billion", "1 trillion"],
            },
            "yaxis": {"autorange": "reversed"},
            "bargap": 0.3,
            "margin": {"l": TICKS_PX + label_px([esc(label) for label in labels], SMALL_SIZE), "b": X_TITLE_PX},
        },
    )
    bars = go.Bar(
        x=f,
        y=[esc(label) for label in labels],
        orientation="h",
        marker={"color": [PRIMARY] + [ACCENT] * (len(f) - 1)},
        text=[big_number(x) for x in f],
        textposition=["outside"] + ["inside"] * (len(f) - 1),  # the long bars hold their number
        insidetextanchor="end",
        insidetextfont={"color": "#111418"},
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.3g} operations per token<extra></extra>",
    )
    return figure(bars, layout, title=text, height=140 + 56 * len(labels))


def big_number(x: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if x >= size:
            return f"{x / size:.3g} {word}"
    return f"{x:,.0f}"
