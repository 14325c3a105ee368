"""Figures for the GAN page: loss curves and the judge's bar chart that exposes mode collapse, plus the findings
(headlines, in plain words) that the page writes above its pictures, worded from the verdicts of explainers/gan.py:
one verdict per view, so no two headlines disagree. Shared with the live raster pictures in figures/gan_live.py.
Plain data in, go.Figure or text out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from figures.style import MUTED, PALETTE, figure, percent, vline

if TYPE_CHECKING:  # the verdicts' types only: figures never need the model code at run time
    from explainers.gan import CoverageVerdict, PointsVerdict

REAL_COLOUR = PALETTE[0]  # blue: real data
FAKE_COLOUR = PALETTE[5]  # vermilion: the forger's fakes
STALEMATE_D = 2 * math.log(2)  # detective's loss when it can only guess (D = 0.5 everywhere)
GUESSING = (STALEMATE_D, "2 ln 2")  # (loss when guessing, how to write it); hinge loss: (2.0, "hinge: 2")

# Traces are plain dicts (type=...): go.Figure would validate a go.Scatter object a second time.


def _coverage_detail(v: PointsVerdict) -> str:
    c = v.coverage
    return (
        f"step {v.step:,} · {percent(c.real_covered)} of the real points have a fake nearby, "
        f"{percent(c.fakes_on_data)} of the fakes sit on the data · the detective rates real points "
        f"{percent(v.d_real)} real, fakes {percent(v.d_fake)}"
    )


_FAKES_FINDING = {
    "blob": "The fakes are still one small blob",
    "off": "The fakes have not found the data yet",
    "spread_out": "The fakes are spread wide, many off the data",
    "closing_in": "The fakes are closing in on the data",
    "collapse": "Mode collapse: the fakes crowd onto part of the data",
}
# Why a detective at 50/50 is not a stalemate yet, by where the fakes are.
_NOT_YET = {
    "blob": "the fakes are still one small blob",
    "clump": "every fake sits in one clump",
    "off": "the fakes are off the data",
    "spread_out": "many fakes are off the data",
    "closing_in": "the fakes do not cover the data yet",
    "collapse": "the fakes cover only part of the data",
    "covered": "its ratings are not yet 50/50",
}


def arena_finding(v: PointsVerdict) -> tuple[str, str]:
    """(finding, the numbers behind it) for the 2-D arena: where the fakes are, and whether it is a stalemate."""
    if v.fakes == "start":
        return "The forger starts with a blob of noise", "step 0: press play or one step"
    if v.stalemate:
        finding = "Stalemate: the fakes cover the data and the detective is guessing"
    elif v.fakes == "covered":
        finding = "The fakes cover the data"
        if v.detective != "guessing":
            finding += ", but the detective can still tell them apart"
    elif v.fakes == "clump":
        where = "on one part of the data" if v.coverage.fakes_on_data >= 0.5 else "off the data"
        finding = f"Collapse: every fake sits in one clump, {where}"
    else:
        finding = _FAKES_FINDING[v.fakes]
    return finding, _coverage_detail(v)


def loss_finding(v: PointsVerdict | None, d_loss: float | None) -> tuple[str, str]:
    """(finding, the numbers behind it) for the 2-D loss curves: who is ahead, worded from the same verdict as
    the arena (the detective's ratings), so the two headlines never disagree."""
    if v is None or v.detective == "untrained" or d_loss is None or not np.isfinite(d_loss):
        return "No training yet", "press play or one step: the losses appear here"
    detail = f"detective's loss {d_loss:.2f} · pure guessing: {STALEMATE_D:.2f}"
    if v.detective == "spots":
        return "The detective is winning: it spots the fakes", detail
    if v.detective == "tells":
        return "The detective can still tell real from fake", detail
    if v.stalemate:
        return "Stalemate: the detective is guessing", detail
    return f"The detective is guessing, but it is no stalemate: {_NOT_YET[v.fakes]}", detail


def coverage_headline(verdict: CoverageVerdict, names: Sequence[str], noun: str, trained: bool = True) -> str:
    """What the judge's confident readings show, in plain words. `noun`: "digit" or "kind of clothing". Not
    `trained` (the first EARLY_STEPS steps): the judge calls grey noise an 8 with confidence, which means nothing."""
    if not trained:
        return "Too early: the judge's readings of noise mean nothing yet"
    shares = verdict.shares
    if verdict.kind == "unreadable":
        return f"Mostly unreadable: the judge cannot read {percent(verdict.unreadable)} of the fakes"
    if verdict.kind == "mode_collapse":
        headline = f"Mode collapse: {percent(shares[verdict.dominant])} of the fakes read as {names[verdict.dominant]}"
        if verdict.missing:
            k = len(verdict.missing)
            headline += f"; {k} {noun if k == 1 else _plural(noun)} never appear"
    elif verdict.kind == "partial_collapse":
        headline = f"Partial mode collapse: the forger never draws {', '.join(names[m] for m in verdict.missing)}"
    else:
        rare = int(np.argmin(shares))
        every = f"Every {noun} appears"
        if verdict.kind == "rare":
            headline = f"{every}, but {names[rare]} is rare ({percent(shares[rare])})"
        else:
            headline = f"{every}: the rarest is {names[rare]} ({percent(shares[rare])})"
    if verdict.blurry:
        headline += f" · {percent(verdict.unreadable)} unreadable"
    return headline


def _plural(noun: str) -> str:
    return noun.replace("kind of", "kinds of") if noun.startswith("kind of") else noun + "s"


def image_loss_finding(
    d_loss: float | None, verdict: CoverageVerdict | None, guessing: tuple[float, str] = GUESSING
) -> tuple[str, str]:
    """(finding, numbers) for a picture GAN's losses at one step. Only the detective's loss is recorded there, so
    'stalemate' needs both: a loss near guessing AND fakes the judge reads as every kind. `guessing`: the
    detective's loss when it can only guess, for the loss this GAN plays with."""
    if d_loss is None or not np.isfinite(d_loss):
        return "No training yet", "the losses appear once training starts"
    guess = guessing[0]
    detail = f"detective's loss {d_loss:.2f} · pure guessing: {guess:.2f}"
    if d_loss < guess - 0.35:
        return "The detective is winning", detail
    if d_loss > guess + 0.15:
        return "The forger is fooling the detective", detail
    if verdict is not None and verdict.good:
        return "Stalemate: the detective is guessing", detail
    if verdict is None:
        reason = "the forger has barely started"
    elif verdict.kind == "unreadable" or verdict.blurry:
        reason = f"{percent(verdict.unreadable)} of the fakes are unreadable"
    elif verdict.kind in ("mode_collapse", "partial_collapse"):
        reason = "the forger leaves out kinds"
    else:
        reason = "some kinds are rare"
    return f"Loss near guessing, but no stalemate: {reason}", detail


def loss_figure(
    steps: np.ndarray,
    d_loss: np.ndarray,
    g_loss: np.ndarray,
    height: int = 320,
    marker_step: int | None = None,
    guessing: tuple[float, str] = GUESSING,
) -> go.Figure:
    """Both players' losses over training, the 'pure guessing' line for the detective, and a dotted line at the
    step being shown. No title: the page writes the finding above the chart, where it wraps on a phone. A hinge
    forger's loss can go below zero; the axis then goes down with it."""
    traces = [
        dict(type="scatter", x=steps, y=loss.astype(np.float32), mode="lines", name=name, line={"color": c, "width": 3})
        for name, loss, c in (("detective (D)", d_loss, REAL_COLOUR), ("forger (G)", g_loss, FAKE_COLOUR))
    ]
    # The guessing line is a trace, not a shape: its name goes in the legend, where no curve can cover it.
    end = float(steps[-1]) if len(steps) else 1.0
    traces.append(
        dict(
            type="scatter",
            x=[0, end],
            y=[guessing[0], guessing[0]],
            mode="lines",
            name=f"guessing ({guessing[1]})",
            line={"color": MUTED, "dash": "dash", "width": 2},
            hoverinfo="skip",
        )
    )
    shapes = [] if marker_step is None else [vline(marker_step, {"color": "#444444", "dash": "dot", "width": 2})]
    top = max([guessing[0] * 1.25, *(float(np.max(v)) * 1.05 for v in (d_loss, g_loss) if len(v))])
    bottom = min([0.0, *(float(np.min(v)) * 1.05 for v in (d_loss, g_loss) if len(v))])
    layout = {
        "shapes": shapes,
        "xaxis": {"title": {"text": "training step"}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "loss (lower = better)"}, "range": [bottom, top]},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 14}},
        "uirevision": "losses",
        "margin": {"t": 36, "b": 10},
    }
    return figure(traces, layout, height=height)


UNREADABLE_COLOUR = MUTED


def kinds_figure(verdict: CoverageVerdict, names: Sequence[str], rare_share: float, height: int = 430) -> go.Figure:
    """How many fakes the judge reads confidently as each kind, and how many it cannot read: one bar each, share of
    all the fakes. Horizontal, so long kind names ("ankle boot") stay readable on a phone. No title (see above)."""
    labels = [*names, "unreadable"]
    shares = [*(float(x) for x in verdict.shares), verdict.unreadable]
    colours = [FAKE_COLOUR if x < rare_share else REAL_COLOUR for x in shares[:-1]] + [UNREADABLE_COLOUR]
    bar = dict(
        type="bar",
        orientation="h",
        y=labels,
        x=shares,
        marker_color=colours,
        text=[percent(x) for x in shares],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%} of the fakes<extra></extra>",
    )
    fair = (1 - verdict.unreadable) / max(len(names), 1)
    layout = {
        "shapes": [  # under the bars
            {**vline(fair, {"color": MUTED, "dash": "dash"}), "layer": "below"},
            {**vline(rare_share, {"color": FAKE_COLOUR, "dash": "dot"}), "layer": "below"},
        ],
        "xaxis": {
            "title": {"text": "share of the fakes"},
            "tickformat": ".0%",
            "range": [0, max(0.2, max(shares) * 1.3)],
        },
        "yaxis": {"type": "category", "autorange": "reversed", "tickfont": {"size": 14}},
        "bargap": 0.25,
        "margin": {"t": 10, "r": 10},
    }
    return figure(bar, layout, height=height)
