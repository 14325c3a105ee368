"""Figures for the diffusion page: the noise schedule, the time each sampler takes, and the data of the step
player (a stored run's pictures at every step and what the judge read along the way, drawn in the browser).

Images are arrays in [0, 1] with 1 = ink (see figures/pictures.py); the predicted noise is signed, drawn
mid-grey = 0.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.pictures import paper, signed_grey
from figures.style import PALETTE, SMALL_SIZE, figure, text_px, vline

# Margins with room for the labels, so Plotly draws a chart once per change: with the style's 10 px it measured the
# tick labels and axis titles, grew the margins and drew the whole chart again (figures.style.text_px).
Y_TITLE_PX = 64  # left of the y tick labels: the axis' padding, the title's standoff and the title itself


def _left_px(y_ticks: list[str]) -> int:
    """The left margin for a y axis with a title and these tick labels."""
    return Y_TITLE_PX + text_px(y_ticks, SMALL_SIZE)


def schedule_figure(
    timesteps: np.ndarray, signal: np.ndarray, noise: np.ndarray, current: int | None, title: str, height: int = 360
) -> go.Figure:
    traces = [
        dict(
            type="scatter",
            x=timesteps,
            y=signal,
            name="picture left √ᾱₜ",
            line={"color": PALETTE[0], "width": 4},
        ),
        dict(
            type="scatter",
            x=timesteps,
            y=noise,
            name="noise mixed in √(1−ᾱₜ)",
            line={"color": PALETTE[1], "width": 4, "dash": "dash"},
        ),
    ]
    layout: dict[str, Any] = {
        "xaxis": {"title": {"text": "noise step t (0 = clean)"}},
        "yaxis": {"title": {"text": "share"}, "range": [0, 1.12]},
        "legend": {"orientation": "h", "y": -0.32, "x": 0},
        # b: the x axis and its title, then the legend (two rows on a phone).
        "margin": {"l": _left_px(["0.2", "0.4"]), "t": 84, "b": 116},
    }
    if current is not None:
        layout["shapes"] = [vline(current, {"color": PALETTE[5], "width": 3})]
    return figure(traces, layout, title=title, height=height)


PANELS = ("noisy xₜ", "noise guess", "clean guess")
PLAY_FRAMES = 50  # ▶ Play shows a run in at most this many frames (a 200-step DDPM run: every 4th step)
MARKER_COLOUR = PALETTE[5]


def step_player_data(
    x_t: np.ndarray,
    eps: np.ndarray,
    x0: np.ndarray,
    timesteps: np.ndarray,
    lines: list[tuple[str, np.ndarray]],
    headline: list[str],
    closeness: np.ndarray | None = None,
    start: int = 0,
    run_id: str = "",
) -> dict[str, Any]:
    """Everything the step player (ui/assets/step_player.js) draws, as plain JSON: a run's three pictures at every
    step (x_t and x0 as ink in [0, 1], eps signed) and what the judge read in every step's clean guess.

    The player moves through the steps in the browser, with no server round trip: a move redraws three 28x28
    canvases and one marker line. The pictures travel as display greys, one byte per pixel, base64 (a 200-step
    DDPM run: 470 KB of pixels; PNGs of noise barely compress, and decoding them would cost the browser more).
    `start` is the step (0-based) shown first; `run_id` names the run, so a new run resets the player."""
    steps, height, width = x_t.shape
    greys = np.stack([paper(x_t), signed_grey(eps), paper(x0)], axis=1)  # (S, 3, H, W)
    pixels = np.round(greys * 255).astype(np.uint8)
    dashes = ("solid", "dash")
    curves = [
        {"name": name, "y": _rounded(share), "colour": (PALETTE[2], PALETTE[3])[i % 2], "dash": dashes[i % 2]}
        for i, (name, share) in enumerate(lines)
    ]
    if closeness is not None:
        curves.append(
            {"name": "guess matches the final picture", "y": _rounded(closeness), "colour": PALETTE[0], "dash": "dot"}
        )
    return {
        "run": run_id,
        "steps": int(steps),
        "size": [int(height), int(width)],
        "panels": list(PANELS),
        "pixels": base64.b64encode(pixels.tobytes()).decode("ascii"),
        "t": [int(t) for t in timesteps],
        "curves": curves,
        "headline": headline,
        "x_title": "noise step t (the run goes left → right)",
        "start": int(min(max(start, 0), steps - 1)),
        "play_stride": max(1, -(-steps // PLAY_FRAMES)),
        "marker": MARKER_COLOUR,
    }


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in values]


def timing_bars(labels: list[str], seconds: list[float], title: str, height: int = 260) -> go.Figure:
    bar = dict(
        type="bar",
        x=[s * 1000 for s in seconds],
        y=labels,
        orientation="h",
        marker_color=[PALETTE[0], PALETTE[1]],
        text=[f"{s * 1000:.0f} ms" for s in seconds],
        textposition="auto",
        hovertemplate="%{x:.0f} ms<extra></extra>",
    )
    # l: the bar names ("DDPM (200 steps)"); b: the x axis and its title.
    layout = {
        "xaxis": {"title": {"text": "ms per picture"}},
        "margin": {"l": 16 + text_px(labels, SMALL_SIZE), "t": 84, "b": 70},
    }
    return figure(bar, layout, title=title, height=height)
