"""Figures for the GAN page: loss curves and the class histogram that exposes mode collapse, plus the
chart findings (titles) shared with the live raster pictures in figures/gan_live.py. Plain data in, go.Figure out."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from figures.style import MUTED, PALETTE, apply_style, percent

REAL_COLOUR = PALETTE[0]  # blue: real data
FAKE_COLOUR = PALETTE[5]  # vermilion: the forger's fakes
STALEMATE_D = 2 * math.log(2)  # detective's loss when it can only guess (D = 0.5 everywhere)
STALEMATE_G = math.log(2)  # forger's non-saturating loss at the same point


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


def loss_title(d_loss: float | None, g_loss: float | None = None) -> str:
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
    last_g = float(g_loss[-1]) if len(g_loss) else None
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=d_loss.astype(np.float32),
            mode="lines",
            name="detective (D) loss",
            line={"color": REAL_COLOUR, "width": 3},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=g_loss.astype(np.float32),
            mode="lines",
            name="forger (G) loss",
            line={"color": FAKE_COLOUR, "width": 3},
        )
    )
    fig.add_hline(
        y=STALEMATE_D,
        line={"color": MUTED, "dash": "dash"},
        annotation_text="guessing (2 ln 2)",
        annotation_position="bottom left",
    )
    if marker_step is not None:
        fig.add_vline(x=marker_step, line={"color": "#444444", "dash": "dot"})
    apply_style(fig, title or loss_title(last_d, last_g), height)
    fig.update_xaxes(title="training step", rangemode="tozero")
    fig.update_yaxes(title="loss (lower = doing better)", rangemode="tozero")
    fig.update_layout(
        legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0, "font": {"size": 14}},
        uirevision="losses",
        margin={"t": 80, "b": 10},
    )
    return fig


def class_histogram_figure(
    counts: np.ndarray, headline: str, healthy_share: float = 0.04, height: int = 320
) -> go.Figure:
    """How many fakes the judge reads as each digit. A flat histogram = every digit covered."""
    counts = np.asarray(counts, dtype=float)
    total = max(counts.sum(), 1.0)
    shares = counts / total
    colours = [FAKE_COLOUR if s < healthy_share else REAL_COLOUR for s in shares]
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in range(len(counts))],
            y=shares,
            marker_color=colours,
            text=[percent(s) for s in shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="digit %{x}: %{y:.1%} of the fakes<extra></extra>",
        )
    )
    fig.add_hline(y=0.1, line={"color": MUTED, "dash": "dash"})
    fig.add_hline(y=healthy_share, line={"color": FAKE_COLOUR, "dash": "dot"})
    detail = f"dashed: fair share (10%) · dotted: our bar ({percent(healthy_share)})"
    apply_style(fig, two_lines(headline, detail), height)
    fig.update_xaxes(title="digit the judge sees", type="category")
    fig.update_yaxes(title="share of fakes", tickformat=".0%", range=[0, max(0.25, float(shares.max()) * 1.2)])
    return fig
