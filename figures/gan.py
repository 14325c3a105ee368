"""Figures for the GAN page: loss curves and the class histogram that exposes mode collapse, plus the
chart findings (titles, in plain words) shared with the live raster pictures in figures/gan_live.py.
Plain data in, go.Figure or text out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from figures.style import MUTED, PALETTE, figure, hline, percent, vline

if TYPE_CHECKING:  # the verdict's type only: figures never need the model code at run time
    from explainers.gan import CoverageVerdict

REAL_COLOUR = PALETTE[0]  # blue: real data
FAKE_COLOUR = PALETTE[5]  # vermilion: the forger's fakes
STALEMATE_D = 2 * math.log(2)  # detective's loss when it can only guess (D = 0.5 everywhere)

# Traces are plain dicts (type=...): go.Figure would validate a go.Scatter object a second time.


def two_lines(finding: str, detail: str) -> str:
    """A chart title: the finding in big type, the numbers behind it smaller underneath (fits narrow columns)."""
    return f"{finding}<br><sup>{detail}</sup>" if detail else finding


def arena_finding(step: int, d_real: float, d_fake: float) -> tuple[str, str]:
    """(finding, the numbers behind it) for the 2-D arena."""
    if step == 0 or not np.isfinite(d_real):
        return "The forger starts with a blob of noise", "step 0: press play or one step"
    gap = d_real - d_fake
    detail = f"step {step:,} · the detective rates real points {percent(d_real)} real, fakes {percent(d_fake)}"
    if gap > 0.3:
        return "The detective easily spots the fakes", detail
    if gap > 0.08:
        return "The detective can still tell them apart", detail
    return "The detective can barely tell real from fake", detail


def loss_finding(d_loss: float | None) -> tuple[str, str]:
    """(finding, the numbers behind it) for the loss curves, from the detective's latest loss."""
    if d_loss is None or not np.isfinite(d_loss):
        return "No training yet", "press play or one step: the losses appear here"
    detail = f"detective's loss {d_loss:.2f} · pure guessing: {STALEMATE_D:.2f}"
    if d_loss < STALEMATE_D - 0.35:
        return "The detective is winning", detail
    if d_loss > STALEMATE_D + 0.15:
        return "The forger is winning", detail
    return "Stalemate: the detective is guessing", detail


def coverage_headline(verdict: CoverageVerdict, trained: bool = True) -> str:
    """What the class histogram shows, in plain words, for a chart title."""
    if not trained:
        return "Untrained: the judge's readings of noise mean nothing yet"
    shares = verdict.shares
    if verdict.kind == "mode_collapse":
        headline = f"Mode collapse: {percent(shares[verdict.dominant])} of the fakes are {verdict.dominant}s"
        if verdict.missing:
            headline += f"; {len(verdict.missing)} digits never appear"
        return headline
    if verdict.kind == "partial_collapse":
        return f"Partial mode collapse: the forger never draws {', '.join(str(m) for m in verdict.missing)}"
    rare = int(np.argmin(shares))
    if verdict.kind == "thin":
        return f"All ten digits appear, but {rare}s are rare ({percent(shares[rare])})"
    return f"All ten digits appear: the rarest is {rare} ({percent(shares[rare])})"


def loss_title(d_loss: float | None) -> str:
    return two_lines(*loss_finding(d_loss))


def loss_figure(
    steps: np.ndarray,
    d_loss: np.ndarray,
    g_loss: np.ndarray,
    title: str | None = None,
    height: int = 320,
    marker_step: int | None = None,
) -> go.Figure:
    """Both players' losses over training, with the 'pure guessing' line for the detective."""
    last_d = float(d_loss[-1]) if len(d_loss) else None
    traces = [
        dict(type="scatter", x=steps, y=loss.astype(np.float32), mode="lines", name=name, line={"color": c, "width": 3})
        for name, loss, c in (("detective (D) loss", d_loss, REAL_COLOUR), ("forger (G) loss", g_loss, FAKE_COLOUR))
    ]
    shapes = [hline(STALEMATE_D, {"color": MUTED, "dash": "dash"})]
    if marker_step is not None:
        shapes.append(vline(marker_step, {"color": "#444444", "dash": "dot"}))
    # The line's label, placed as add_hline(annotation_position="bottom left") would.
    guessing = {
        "text": "guessing (2 ln 2)",
        "showarrow": False,
        "x": 0,
        "xanchor": "left",
        "xref": "x domain",
        "y": STALEMATE_D,
        "yanchor": "top",
        "yref": "y",
    }
    layout = {
        "shapes": shapes,
        "annotations": [guessing],
        "xaxis": {"title": {"text": "training step"}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "loss (lower = doing better)"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0, "font": {"size": 14}},
        "uirevision": "losses",
        "margin": {"t": 80, "b": 10},
    }
    return figure(traces, layout, title=title or loss_title(last_d), height=height)


def class_histogram_figure(
    counts: np.ndarray, headline: str, healthy_share: float = 0.04, height: int = 320
) -> go.Figure:
    """How many fakes the judge reads as each digit. A flat histogram = every digit covered."""
    counts = np.asarray(counts, dtype=float)
    total = max(counts.sum(), 1.0)
    shares = counts / total
    colours = [FAKE_COLOUR if s < healthy_share else REAL_COLOUR for s in shares]
    bar = dict(
        type="bar",
        x=[str(d) for d in range(len(counts))],
        y=shares,
        marker_color=colours,
        text=[percent(s) for s in shares],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%} of the fakes<extra></extra>",
    )
    detail = f"dashed: fair share (10%) · dotted: our bar ({percent(healthy_share)})"
    layout = {
        "shapes": [
            hline(0.1, {"color": MUTED, "dash": "dash"}),
            hline(healthy_share, {"color": FAKE_COLOUR, "dash": "dot"}),
        ],
        "xaxis": {"title": {"text": "digit the judge sees"}, "type": "category"},
        "yaxis": {
            "title": {"text": "share of fakes"},
            "tickformat": ".0%",
            "range": [0, max(0.25, float(shares.max()) * 1.2)],
        },
    }
    return figure(bar, layout, title=two_lines(headline, detail), height=height)
