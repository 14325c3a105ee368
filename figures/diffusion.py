"""Figures for the diffusion page: the noise schedule, one reverse step, its replay in the browser, what the judge
reads along the way, and the time each sampler takes.

Images are arrays in [0, 1] with 1 = ink (see figures/pictures.py); the predicted noise is signed, drawn
mid-grey = 0. A step's pictures travel at their own size (a 28x28 PNG is about 1 KB): Plotly scales image traces
up with hard pixel edges, so the replay's 50 frames stay small.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.pictures import mosaic, paper, picture_source, signed_grey
from figures.style import (
    FONT_SIZE,
    HEADING_COLOUR,
    PALETTE,
    SMALL_SIZE,
    axis_ids,
    figure,
    grid_layout,
    text_px,
    vline,
)

MAX_FRAMES = 50  # the replay's frames: every step of a DDIM run, evenly spaced ones of a long DDPM run
# Margins with room for the labels, so Plotly draws a chart once per change: with the style's 10 px it measured the
# tick labels and axis titles, grew the margins and drew the whole chart again (figures.style.text_px).
Y_TITLE_PX = 64  # left of the y tick labels: the axis' padding, the title's standoff and the title itself
AXIS_BELOW_PX = 55  # under a plot: the x tick labels and the axis title


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


def _step_images(x_t: np.ndarray, eps: np.ndarray, x0: np.ndarray) -> list[str]:
    """Three PNGs for one reverse step: the noisy image and the clean guess as ink, the noise in mid-grey."""
    return [
        picture_source(mosaic(paper(x_t)[None, None], gap=0)),
        picture_source(mosaic(signed_grey(eps)[None, None], gap=0)),
        picture_source(mosaic(paper(x0)[None, None], gap=0)),
    ]


def _panels(uris: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Three images side by side with PANELS as titles, axes hidden: traces and layout."""
    layout = grid_layout(1, 3, PANELS, horizontal_spacing=0.04, title_size=16)
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            value["visible"] = False
    traces = [
        dict(type="image", source=u, hoverinfo="skip", xaxis=x, yaxis=y)
        for u, (x, y) in zip(uris, axis_ids(1, 3), strict=True)
    ]
    return traces, layout


def frame_steps(steps: int, most: int = MAX_FRAMES) -> np.ndarray:
    """Which steps (indices) the replay shows: all of them, or `most` evenly spaced ones with the first and last."""
    return np.unique(np.linspace(0, steps - 1, min(steps, most)).round().astype(int))


def trajectory_animation(
    x_t: np.ndarray,
    eps: np.ndarray,
    x0: np.ndarray,
    timesteps: np.ndarray,
    height: int = 470,
) -> go.Figure:
    """Browser-side playback of a finished trajectory (S, H, W) x 3 with Plotly frames: no server reruns.

    Each frame carries its three pictures and its own title ("step k of S, t = ..."); the slider under the
    pictures labels only every tenth frame, so its labels never run together on a phone."""
    steps = x_t.shape[0]
    keep = frame_steps(steps)

    def title(k: int) -> str:
        return f"Replay: step {k + 1} of {steps} (t = {int(timesteps[k])})"

    traces, layout = _panels(_step_images(x_t[keep[0]], eps[keep[0]], x0[keep[0]]))
    frames = [
        dict(
            name=str(k),
            data=[dict(type="image", source=u) for u in _step_images(x_t[k], eps[k], x0[k])],
            traces=[0, 1, 2],
            layout={"title": {"text": title(k)}},
        )
        for k in keep
    ]
    every = max(1, len(keep) // 5)
    slider_steps = [
        {
            "args": [[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
            "label": f"t = {int(timesteps[k])}" if i % every == 0 else "",
            "method": "animate",
        }
        for i, k in enumerate(keep)
    ]
    play = {"frame": {"duration": 100, "redraw": True}, "transition": {"duration": 0}, "fromcurrent": True}
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
                {"label": "▶ Play", "method": "animate", "args": [None, play]},
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
            # Its own row under the buttons, full width: beside them it ran under "▶ Play ⏸ Pause" on a phone.
            "x": 0,
            "len": 1.0,
            "y": -0.02,
            "yanchor": "top",
            "currentvalue": {"visible": False},
            "font": {"size": 13},
            "pad": {"t": 48, "l": 30, "r": 30},  # room for the first and last step labels
        }
    ]
    layout["margin"] = {"l": 10, "r": 10, "t": 70, "b": 150}
    return figure(traces, layout, title=title(keep[0]), height=height, frames=frames)


def _judge_traces(
    timesteps: np.ndarray, lines: list[tuple[str, np.ndarray]], closeness: np.ndarray | None
) -> list[dict[str, Any]]:
    """One line per (name, share per step), and optionally how close each guess already is to the final picture."""
    dashes = ("solid", "dash")
    traces = [
        dict(
            type="scatter",
            x=timesteps,
            y=share,
            mode="lines",
            name=name,
            line={"color": (PALETTE[2], PALETTE[3])[i % 2], "width": 4, "dash": dashes[i % 2]},
            hovertemplate="t = %{x}: %{y:.0%}<extra></extra>",
        )
        for i, (name, share) in enumerate(lines)
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
    return traces


def _judge_axes(timesteps: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    # Reversed by an explicit range: Plotly writes a computed "reversed" autorange back into the layout, and
    # Streamlit's second pass over the figure then redraws the axes.
    x = {
        "title": {"text": "noise step t (run: right → left)"},
        "range": [float(np.max(timesteps)), float(np.min(timesteps))],
    }
    y = {"title": {"text": "share"}, "range": [0, 1.05], "tickformat": ".0%"}
    return x, y


MARKER_LINE = {"color": PALETTE[5], "width": 3}
CURVE_INDENT = 0.1  # of the plot's width, left of the judge curve: its percent labels


def step_figure(
    x_t: np.ndarray,
    eps: np.ndarray,
    x0: np.ndarray,
    title: str,
    timesteps: np.ndarray,
    lines: list[tuple[str, np.ndarray]],
    current: int,
    judge_title: str,
    closeness: np.ndarray | None = None,
    pictures_px: int = 290,
    curve_px: int = 230,
) -> go.Figure:
    """One reverse step's three pictures (x_t and x0 in [0, 1], eps signed) above what the judge reads in the clean
    guess at every step, with this step marked. One chart, so that a move of the step slider redraws one chart:
    as two charts, the second cost about 50 ms more of the browser's time per move here."""
    traces, layout = _panels(_step_images(x_t, eps, x0))
    judge = [t | {"xaxis": "x4", "yaxis": "y4"} for t in _judge_traces(timesteps, lines, closeness)]
    gap_px = 44 + 26 * (judge_title.count("<br>") + 1)  # the pictures' bottom edge, then the curve's own title
    # l: narrow, so the pictures and the curve's title get most of the width on a phone: the width of one percent
    # label, and the curve starts a tenth of the way in for the rest of its labels' room (the axis needs no title:
    # the labels say "%", the legend the rest).
    # r: the last tick label ("0") sits on the right edge, half of it outside the plot.
    margin = {"l": 10 + text_px(["100%"], SMALL_SIZE), "r": 18, "t": 90, "b": 84 + 22 * len(judge)}
    plot_px = pictures_px + gap_px + curve_px
    curve_top = curve_px / plot_px
    for key in [k for k in layout if k.startswith("yaxis")]:
        layout[key]["domain"] = [round(1 - pictures_px / plot_px, 4), 1]
    xaxis, yaxis = _judge_axes(timesteps)
    layout["xaxis4"] = xaxis | {"anchor": "y4", "domain": [CURVE_INDENT, 1]}
    layout["yaxis4"] = {k: v for k, v in yaxis.items() if k != "title"} | {
        "anchor": "x4",
        "domain": [0, round(curve_top, 4)],
    }
    layout["annotations"].append(
        {
            "text": judge_title,
            "font": {"size": FONT_SIZE + 1, "color": HEADING_COLOUR, "weight": "bold"},
            "showarrow": False,
            "align": "left",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "xanchor": "left",
            "xshift": 4 - margin["l"],  # from the figure's left edge, as the title: the whole width on a phone
            "y": round(curve_top + 14 / plot_px, 4),
            "yanchor": "bottom",
        }
    )
    layout["legend"] = {"orientation": "h", "y": round(-AXIS_BELOW_PX / plot_px, 4), "x": 0}
    layout["shapes"] = [vline(current, MARKER_LINE, xref="x4", yref="y4")]
    layout["margin"] = margin
    height = margin["t"] + plot_px + margin["b"]
    return figure(traces + judge, layout, title=title, height=height)


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
