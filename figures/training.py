"""Figures for the Training page: loss curves (replay and live), the next-token odds beside the truth, and the
sample with its copied stretches marked. Plain data in, go.Figure or HTML text out."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from figures.lm import BOTTOM_LEGEND, LEGEND_PX, titled
from figures.style import ACCENT, MUTED, PALETTE, PRIMARY, SMALL_SIZE, figure, hline, percent, text_px, vline

TRAIN_COLOUR = PALETTE[4]  # sky blue: the training text
HELDOUT_COLOUR = PALETTE[5]  # vermilion: held-out text, the one that matters
FINETUNE_COLOUR = PALETTE[2]  # green: fine-tuning our model
TRUTH_COLOUR = MUTED
MAX_POINTS = 400  # per line: the browser redraws the live chart several times a second
# Margins with room for the labels, so Plotly draws a replay chart once per step-slider move: with the style's 10 px
# it measured the tick labels and axis titles, grew the margins and drew the whole chart again (figures.style.text_px).
Y_TITLE_PX = 60  # left of the y tick labels: the axis' padding, the title's standoff and the title itself
ODDS_LABEL_PAD = 20  # left of a bar's token: the axis' padding and the gap to the label


def thin(x: np.ndarray, y: np.ndarray, keep: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `keep` evenly spaced points, the last one always kept."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) <= keep:
        return x, y
    idx = np.unique(np.append(np.linspace(0, len(x) - 1, keep).astype(int), len(x) - 1))
    return x[idx], y[idx]


def choices(loss: float) -> str:
    """Perplexity in words: a loss of L nats is as unsure as a fair pick among e^L options."""
    n = math.exp(loss)
    return f"{n:,.1f}" if n < 10 else f"{n:,.0f}"


def _line(
    x: np.ndarray, y: np.ndarray, name: str, colour: str, width: float = 3, dash: str | None = None, **kw
) -> dict:  # noqa: ANN003
    x, y = thin(x, y)
    return dict(
        type="scatter",
        x=x,
        y=np.asarray(y, dtype=np.float32),
        mode="lines",
        name=name,
        line={"color": colour, "width": width} | ({"dash": dash} if dash else {}),
        hovertemplate=f"{name}<br>step %{{x:,}}: %{{y:.3f}}<extra></extra>",
        **kw,
    )


def _label(text: str, y: float, colour: str = TRUTH_COLOUR, anchor: str = "bottom", left: bool = False) -> dict:
    return {
        "text": text,
        "showarrow": False,
        "x": 0 if left else 1,
        "xanchor": "left" if left else "right",
        "xref": "x domain",
        "y": y,
        "yanchor": anchor,
        "yref": "y",
        "font": {"size": 13, "color": colour},
        "bgcolor": "rgba(255,255,255,0.85)",  # readable where the step marker's line crosses it
    }


def replay_loss_figure(
    train_steps: np.ndarray,
    train_smooth: np.ndarray,
    heldout_steps: np.ndarray,
    heldout_loss: np.ndarray,
    step: int,
    floor: float,
    start: float,
    height: int = 460,
) -> go.Figure:
    """Our story GPT's training on a log step axis (most of the learning happens in the first few hundred steps):
    training loss (smoothed), held-out loss, and the marked step. Step 0 sits at the axis' left end,
    labelled "start"."""
    k = int(np.searchsorted(heldout_steps, step, side="right")) - 1
    now = float(heldout_loss[max(k, 0)])
    at = np.maximum(np.asarray(heldout_steps), 1)
    last = int(max(heldout_steps[-1], 1))
    ticks = [t for t in (1, 10, 100, 1000, 4000, 10000) if t <= last]
    traces = [
        _line(np.maximum(train_steps, 1), train_smooth, "training batches (smoothed)", TRAIN_COLOUR, 2),
        _line(at, heldout_loss, "held-out stories", HELDOUT_COLOUR, 3, customdata=heldout_steps)
        | {"hovertemplate": "held-out stories<br>step %{customdata:,}: %{y:.3f}<extra></extra>"},
        dict(
            type="scatter",
            x=[max(step, 1)],
            y=[now],
            mode="markers",
            name=f"step {step:,}",
            marker={"size": 14, "color": HELDOUT_COLOUR, "line": {"color": "#222222", "width": 2}},
            hovertemplate=f"step {step:,}: held-out loss {now:.3f}<extra></extra>",
            showlegend=False,
        ),
    ]
    title, layout = titled(
        f"Step {step:,}: held-out loss {now:.2f}, as unsure as picking among {choices(now)} tokens",
        {
            "shapes": [
                hline(start, {"color": TRUTH_COLOUR, "dash": "dash"}),
                hline(floor, {"color": "#222222", "dash": "dot"}),
                vline(max(step, 1), {"color": "#444444", "dash": "dot"}),
            ],
            "annotations": [
                _label(f"knowing nothing: ln {round(math.exp(start))} = {start:.2f}", start, anchor="top"),
                _label(f"best possible: {floor:.2f}", floor, "#222222", left=True),
            ],
            "xaxis": {
                "title": {"text": "training step (log scale)"},
                "type": "log",
                "tickvals": ticks,
                "ticktext": ["start" if t == 1 else f"{t:,}" for t in ticks],
                "tickangle": 0,
            },
            "yaxis": {"title": {"text": "loss: nats per token"}, "range": [0, start * 1.08]},
            "legend": BOTTOM_LEGEND,  # under the axis title, whatever the width (two rows on a phone)
            # l: the y axis' tick labels are whole numbers up to the top of its range.
            "margin": {"l": Y_TITLE_PX + text_px([f"{start * 1.08:.0f}"], SMALL_SIZE), "b": 70 + LEGEND_PX},
        },
    )
    return figure(traces, layout, title=title, height=height)


def odds_figure(
    labels: Sequence[str], model: np.ndarray, truth: np.ndarray | None, step: int, prompt: str, height: int = 360
) -> go.Figure:
    """The model's next-token odds at a step beside the story world's true odds."""
    shown = [lab.replace("␣", "␣") for lab in labels]
    traces = [
        dict(
            type="bar",
            orientation="h",
            y=shown,
            x=np.asarray(model, dtype=np.float32),
            name=f"the model at step {step:,}",
            marker_color=PRIMARY,
            text=[percent(float(p)) for p in model],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%} (model)<extra></extra>",
        )
    ]
    if truth is not None:
        traces.append(
            dict(
                type="bar",
                orientation="h",
                y=shown,
                x=np.asarray(truth, dtype=np.float32),
                name="the truth (our grammar)",
                marker_color=TRUTH_COLOUR,
                text=[percent(float(p)) if p > 0 else "0%" for p in truth],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{x:.1%} (truth)<extra></extra>",
            )
        )
    top = int(np.argmax(model))
    finding = f"Step {step:,}, after '{prompt}': '{shown[top].replace('␣', '')}' {percent(float(model[top]))}"
    if truth is not None:
        finding += f" (truth: {percent(float(truth[top]))})"
    title, layout = titled(
        finding,
        {
            "barmode": "group",
            "xaxis": {"title": {"text": "probability of coming next"}, "tickformat": ".0%", "range": [0, 1.12]},
            "yaxis": {"autorange": "reversed", "tickfont": {"size": 15, "family": "monospace"}},
            "legend": {"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0, "font": {"size": 14}},
            # l: the longest token ("⟨end of story⟩" late in training); b: the x axis, its title and the legend; r: a
            # near-full bar's label, and with a long token in a desktop column, room for the axis title (centred on
            # the plot, it ran 6 px past the chart's right edge with r 40).
            "margin": {"l": ODDS_LABEL_PAD + text_px(shown, 15, monospace=True), "r": 46, "b": 116},
        },
    )
    return figure(traces, layout, title=title, height=height)


def live_loss_figure(
    train_steps: np.ndarray,
    train_smooth: np.ndarray,
    heldout_steps: np.ndarray,
    heldout_loss: np.ndarray,
    title: str,
    start: float | None = None,
    overfit_step: int | None = None,
    compare: tuple[str, np.ndarray, np.ndarray] | None = None,
    height: int = 420,
) -> go.Figure:
    """A live run's losses in nats per character, with the overfitting moment and, if given, another run's
    held-out curve on the same text (fine-tuning against from scratch)."""
    traces = [
        _line(train_steps, train_smooth, "training text (smoothed)", TRAIN_COLOUR, 2),
        _line(heldout_steps, heldout_loss, "held-out text", HELDOUT_COLOUR, 3)
        | ({"mode": "lines+markers", "marker": {"size": 7}} if len(heldout_steps) < 30 else {}),
    ]
    if compare is not None:
        name, steps, loss = compare
        traces.append(_line(steps, loss, name, FINETUNE_COLOUR if "fine" in name else ACCENT, 3, "dash"))
    shapes, notes = [], []
    last_step = max([float(np.max(t["x"])) for t in traces if len(t["x"])] + [0.0])
    top = max([float(np.max(t["y"])) for t in traces if len(t["y"])] + [start or 0.0, 0.5])
    if start is not None:
        shapes.append(hline(start, {"color": TRUTH_COLOUR, "dash": "dash"}))
        notes.append(_label(f"knowing nothing: {start:.2f}", start, anchor="top"))
    if overfit_step is not None:
        shapes.append(vline(overfit_step, {"color": HELDOUT_COLOUR, "dash": "dot", "width": 2}))
        notes.append(
            {
                "text": f"overfitting from step {overfit_step:,}",
                "showarrow": False,
                "x": overfit_step,
                "xanchor": "left",
                "xref": "x",
                "y": 1,
                "yanchor": "top",
                "yref": "y domain",
                "font": {"size": 13, "color": HELDOUT_COLOUR},
            }
        )
    text, layout = titled(
        title,
        {
            "shapes": shapes,
            "annotations": notes,
            "xaxis": {"title": {"text": "training step"}, "rangemode": "tozero", "tickformat": ",d"}
            | ({"range": [0, 10]} if last_step < 10 else {}),  # no fractional steps on the axis at the start
            "yaxis": {"title": {"text": "loss: nats per character"}, "range": [0, top * 1.08]},
            "legend": BOTTOM_LEGEND,  # under the axis title, whatever the width (two rows on a phone)
            "uirevision": "live",
            "margin": {"b": 70 + LEGEND_PX},
        },
    )
    return figure(traces, layout, title=text, height=height)


def highlighted_sample(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The sample as HTML, every copied stretch in a <mark>. Visitor-derived text is escaped."""
    out, pos = [], 0
    for a, b in spans:
        out.append(html.escape(text[pos:a]))
        out.append(
            f'<mark style="background:#FCE8C3;border-bottom:3px solid {ACCENT};padding:0">{html.escape(text[a:b])}</mark>'
        )
        pos = b
    out.append(html.escape(text[pos:]))
    body = "".join(out).replace("\n", "<br>")
    return (
        '<div style="font-family:ui-monospace,monospace;font-size:1.05rem;line-height:1.6;white-space:pre-wrap;'
        'overflow-wrap:anywhere;border:1px solid #E6EAF1;border-radius:0.5rem;padding:0.75rem 1rem">'
        f"{body}</div>"
    )
