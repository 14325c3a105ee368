"""Figures for the diffusion page: the noise schedule, one reverse step, its replay in the browser, how sure
the judge is along the way, and the time each sampler took.

Images are arrays in [0, 1] with 1 = ink (see figures/pictures.py); the predicted noise is signed, drawn
mid-grey = 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.pictures import mosaic, paper, picture_source, signed_grey
from figures.style import PALETTE, axis_ids, figure, grid_layout, vline


def schedule_figure(
    timesteps: np.ndarray, signal: np.ndarray, noise: np.ndarray, current: int | None, title: str, height: int = 330
) -> go.Figure:
    traces = [
        dict(
            type="scatter",
            x=timesteps,
            y=signal,
            name="how much digit is left √ᾱₜ",
            line={"color": PALETTE[0], "width": 4},
        ),
        dict(
            type="scatter",
            x=timesteps,
            y=noise,
            name="how much noise is mixed in √(1−ᾱₜ)",
            line={"color": PALETTE[1], "width": 4, "dash": "dash"},
        ),
    ]
    layout: dict[str, Any] = {
        "xaxis": {"title": {"text": "noise step t (0 = clean digit)"}},
        "yaxis": {"title": {"text": "share (scale of each part)"}, "range": [0, 1.12]},
        "legend": {"orientation": "h", "y": -0.3},
    }
    if current is not None:
        layout["shapes"] = [vline(current, {"color": PALETTE[5], "width": 3})]
        note = {"x": current, "y": 1.05, "text": f"t = {current}", "showarrow": False, "font": {"color": PALETTE[5]}}
        layout["annotations"] = [note]
    return figure(traces, layout, title=title, height=height)


PANELS = ("noisy image xₜ", "noise guess", "clean guess")


def _step_images(x_t: np.ndarray, eps: np.ndarray, x0: np.ndarray) -> list[str]:
    """Three PNGs for one reverse step: the noisy image and the clean guess as ink, the noise in mid-grey."""
    return [
        picture_source(mosaic(paper(x_t)[None, None], gap=0)),
        picture_source(mosaic(signed_grey(eps)[None, None], gap=0)),
        picture_source(mosaic(paper(x0)[None, None], gap=0)),
    ]


def _panels(uris: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Three images side by side with PANELS as titles, axes hidden: traces and layout."""
    layout = grid_layout(1, 3, PANELS, horizontal_spacing=0.04, title_size=17)
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            value["visible"] = False
    traces = [
        dict(type="image", source=u, hoverinfo="skip", xaxis=x, yaxis=y)
        for u, (x, y) in zip(uris, axis_ids(1, 3), strict=True)
    ]
    return traces, layout


def reverse_step_figure(x_t: np.ndarray, eps: np.ndarray, x0: np.ndarray, title: str, height: int = 330) -> go.Figure:
    """One reverse step, three panels side by side. Arrays (H, W): x_t and x0 in [0, 1], eps signed."""
    traces, layout = _panels(_step_images(x_t, eps, x0))
    return figure(traces, layout, title=title, height=height)


def trajectory_animation(
    x_t: np.ndarray,
    eps: np.ndarray,
    x0: np.ndarray,
    timesteps: np.ndarray,
    title: str,
    height: int = 520,
    max_frames: int = 100,
) -> go.Figure:
    """Browser-side playback of a finished trajectory (S, H, W) x 3 with Plotly frames: no server reruns."""
    steps = x_t.shape[0]
    keep = np.unique(np.linspace(0, steps - 1, min(steps, max_frames)).round().astype(int))
    traces, layout = _panels(_step_images(x_t[keep[0]], eps[keep[0]], x0[keep[0]]))
    frames = [
        dict(
            name=str(k),
            data=[dict(type="image", source=u) for u in _step_images(x_t[k], eps[k], x0[k])],
            traces=[0, 1, 2],
        )
        for k in keep
    ]
    slider_steps = [
        {
            "args": [[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
            "label": f"{int(timesteps[k])}",
            "method": "animate",
        }
        for k in keep
    ]
    layout["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "left",
            "x": 0,
            "y": -0.02,
            "xanchor": "left",
            "yanchor": "top",
            "showactive": False,
            "font": {"size": 16},
            "buttons": [
                {
                    "label": "▶ Play",
                    "method": "animate",
                    "args": [
                        None,
                        {"frame": {"duration": 80, "redraw": True}, "transition": {"duration": 0}, "fromcurrent": True},
                    ],
                },
                {
                    "label": "⏸ Pause",
                    "method": "animate",
                    "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
                },
            ],
        }
    ]
    layout["sliders"] = [
        {
            "active": 0,
            "steps": slider_steps,
            "x": 0,
            "len": 1.0,
            "y": -0.14,
            "yanchor": "top",
            "currentvalue": {"prefix": "noise step t = ", "font": {"size": 16}},
            "pad": {"t": 10},
        }
    ]
    layout["margin"] = {"l": 10, "r": 10, "t": 80, "b": 150}
    return figure(traces, layout, title=title, height=height, frames=frames)


def confidence_curve(
    timesteps: np.ndarray,
    confidence: np.ndarray,
    current: int | None,
    title: str,
    height: int = 330,
    closeness: np.ndarray | None = None,
) -> go.Figure:
    """How sure the judge is, step by step, that the guessed clean image is the digit; optionally how close
    that guess already is to the final picture."""
    traces = [
        dict(
            type="scatter",
            x=timesteps,
            y=confidence,
            mode="lines",
            name="judge sees the digit in the guess",
            line={"color": PALETTE[2], "width": 4},
            hovertemplate="t = %{x}: %{y:.0%}<extra></extra>",
        )
    ]
    if closeness is not None:
        traces.append(
            dict(
                type="scatter",
                x=timesteps,
                y=closeness,
                mode="lines",
                name="guess matches the final picture",
                line={"color": PALETTE[0], "width": 4, "dash": "dot"},
                hovertemplate="t = %{x}: %{y:.0%}<extra></extra>",
            )
        )
    layout: dict[str, Any] = {
        "legend": {"orientation": "h", "y": -0.35},
        # Reversed by an explicit range: Plotly writes a computed "reversed" autorange back into the layout, and
        # Streamlit's second pass over the figure then redraws the axes.
        "xaxis": {
            "title": {"text": "noise step t (the reverse process runs right to left)"},
            "range": [float(np.max(timesteps)), float(np.min(timesteps))],
        },
        "yaxis": {"title": {"text": "share"}, "range": [0, 1.05], "tickformat": ".0%"},
    }
    if current is not None:
        layout["shapes"] = [vline(current, {"color": PALETTE[5], "width": 3})]
    return figure(traces, layout, title=title, height=height)


def timing_bars(labels: list[str], seconds: list[float], title: str, height: int = 240) -> go.Figure:
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
    layout = {"xaxis": {"title": {"text": "time on this server (milliseconds)"}}}
    return figure(bar, layout, title=title, height=height)
