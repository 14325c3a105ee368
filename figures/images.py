"""Figure builders for the VAE and diffusion pages: plain numpy in, go.Figure out.

Digit images come in as arrays in [0, 1] with 1 = ink, and are drawn dark ink on white paper, upscaled
with hard pixel edges (nearest neighbour) so they stay crisp on a projector. Signed arrays (noise) are
drawn mid-grey = 0. Images are sent as small PNGs (binary strings), not as per-pixel JSON.
"""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from figures.style import MUTED, PALETTE, axis_ids, figure, grid_layout, vline

# Traces are plain dicts (type=...), not go.Scatter objects: go.Figure would validate such an object a second
# time (measured: 18 ms vs 9 ms for ten scatter traces).

# Ten colours for the ten digits: Okabe-Ito plus two extra dark tones. The digit's own glyph is also the
# marker, so the class never depends on colour alone.
DIGIT_COLOURS = (*PALETTE[:6], "#8C6D1F", "#000000", "#6A3D9A", "#117733")
SCALE = 8  # screen pixels per digit pixel inside the PNG (then the browser scales the whole figure)


def _data_uri(picture: Image.Image) -> str:
    buf = BytesIO()
    # compress_level 6, not optimize=True: that took 100 ms instead of 8 ms for the VAE map, for 7% fewer bytes.
    picture.save(buf, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _png_uri(gray: np.ndarray) -> str:
    """(H, W) array in [0, 1] where 1 = white -> PNG data URI."""
    return _data_uri(Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8), mode="L"))


def _paper(ink: np.ndarray) -> np.ndarray:
    """Ink (1 = ink) -> display grey (1 = white paper)."""
    return 1.0 - np.clip(ink, 0, 1)


def _signed_grey(values: np.ndarray, limit: float = 2.5) -> np.ndarray:
    """Signed values -> grey with 0 = mid grey, +limit = white, -limit = black."""
    return np.clip(0.5 + values / (2 * limit), 0, 1)


def mosaic(images: np.ndarray, gap: int = 1, scale: int = SCALE, background: float = 1.0) -> np.ndarray:
    """(R, C, 8, 8) display greys -> one (R*(8s+g)-g, C*(8s+g)-g) canvas with `gap`-pixel white lines."""
    rows, cols, h, w = images.shape
    big = images.repeat(scale, axis=2).repeat(scale, axis=3)
    th, tw = h * scale + gap, w * scale + gap
    canvas = np.full((rows * th - gap, cols * tw - gap), background, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            canvas[r * th : r * th + h * scale, c * tw : c * tw + w * scale] = big[r, c]
    return canvas


def _image_axes() -> dict[str, Any]:
    """Hidden axes, square pixels (one picture per figure)."""
    return {"xaxis": {"visible": False}, "yaxis": {"visible": False, "scaleanchor": "x"}}


def digit_strip(
    images: np.ndarray, captions: list[str], title: str, height: int = 260, signed: bool = False
) -> go.Figure:
    """A row of K digits (K, 8, 8) with a caption under each."""
    greys = _signed_grey(images) if signed else _paper(images)
    tile = 8 * SCALE + SCALE
    notes = [
        {
            "x": i * tile + 4 * SCALE,
            "y": 8 * SCALE,
            "text": caption,
            "showarrow": False,
            "yanchor": "top",
            "font": {"size": 16},
        }
        for i, caption in enumerate(captions)
    ]
    layout = {
        "annotations": notes,
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "range": [8 * SCALE + 34, -2]},
        "margin": {"l": 5, "r": 5, "t": 60, "b": 5},
    }
    picture = dict(type="image", source=_png_uri(mosaic(greys[None], gap=SCALE)))
    return figure(picture, layout, title=title, height=height)


def single_digit(image: np.ndarray, title: str, height: int = 300, signed: bool = False) -> go.Figure:
    grey = _signed_grey(image) if signed else _paper(image)
    # {"font": {"size": 17}} replaces the style's title font, which holds only its size.
    layout = {**_image_axes(), "margin": {"l": 5, "r": 5, "t": 50, "b": 5}, "title": {"font": {"size": 17}}}
    picture = dict(type="image", source=_png_uri(mosaic(grey[None, None], gap=0)))
    return figure(picture, layout, title=title, height=height)


# ------------------------------------------------------------------------------------------------ VAE


def latent_map(
    grid_images: np.ndarray,
    axis: np.ndarray,
    title: str,
    lattice: int = 12,
    marks: list[tuple[float, float, str]] | None = None,
    path: np.ndarray | None = None,
    height: int = 560,
) -> go.Figure:
    """The decoded grid (S, S, 8, 8) as one picture, in latent coordinates, with a clickable lattice on top.

    `axis` (S,) holds the latent coordinate of each tile centre. Clicking a lattice point returns its
    customdata [z1, z2]. `marks` are (z1, z2, label) points drawn as stars; `path` (K, 2) a line.

    The lattice is one clickable square per tile (12 x 12): a click decodes that tile's centre. The browser
    redraws every lattice point whenever the map changes, and a 36 x 36 lattice took it about 600 ms; the
    number inputs and the real digits' scatter reach the points in between."""
    step = float(axis[1] - axis[0])
    lo, hi = float(axis[0] - step / 2), float(axis[-1] + step / 2)
    canvas = mosaic(_paper(grid_images), gap=2, scale=4, background=0.82)  # light grey lines between tiles
    px = canvas.shape[0]
    per = (hi - lo) / px
    # go.Image: pixel (i, j) sits at x = x0 + j*dx; y grows downwards, so flip the axis range below.
    traces = [
        dict(type="image", source=_png_uri(canvas), x0=lo + per / 2, dx=per, y0=lo + per / 2, dy=per, hoverinfo="skip")
    ]
    # The picture's rows go top (high z2) to bottom, so draw it with y reversed: y_pixel = hi + lo - z2.
    ticks = np.round(np.linspace(axis[0], axis[-1], 5), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    fine = np.linspace(lo + (hi - lo) / (2 * lattice), hi - (hi - lo) / (2 * lattice), lattice)
    gx, gy = np.meshgrid(fine, fine)
    traces.append(
        dict(
            type="scatter",
            x=gx.ravel(),
            y=(hi + lo) - gy.ravel(),
            mode="markers",
            marker={"size": max(4, int(560 / lattice) - 2), "symbol": "square", "color": "rgba(0,114,178,0.02)"},
            customdata=np.stack([gx.ravel(), gy.ravel()], axis=1).round(3),
            hovertemplate="click to decode z = (%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>",
            name="map",
            showlegend=False,
        )
    )
    if path is not None and len(path):
        traces.append(
            dict(
                type="scatter",
                x=path[:, 0],
                y=(hi + lo) - path[:, 1],
                mode="lines+markers",
                line={"color": PALETTE[5], "width": 4},
                marker={"size": 9, "color": PALETTE[5]},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for z1, z2, label in marks or []:
        if lo <= z1 <= hi and lo <= z2 <= hi:
            traces.append(
                dict(
                    type="scatter",
                    x=[z1],
                    y=[(hi + lo) - z2],
                    mode="markers+text",
                    text=[label],
                    textposition="top center",
                    textfont={"size": 18, "color": PALETTE[5], "shadow": "0 0 4px white"},
                    marker={"size": 22, "symbol": "star", "color": PALETTE[5], "line": {"color": "white", "width": 2}},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    layout = {
        # Margins with room for the labels (below): Plotly draws the map once per move instead of drawing,
        # measuring its labels and drawing again (see figures.style.text_px).
        "xaxis": {
            "range": [lo, hi],
            "title": {"text": "map position z₁"},
            "tickvals": ticks,
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {
            "range": [hi, lo],
            "title": {"text": "map position z₂"},
            "tickvals": (hi + lo) - ticks,
            "ticktext": [f"{t:.1f}" for t in ticks],
            "showgrid": False,
            "zeroline": False,
            "scaleanchor": "x",
        },
        "clickmode": "event+select",
        "dragmode": False,
        "margin": {"l": 70, "r": 10, "t": 70, "b": 60},
    }
    return figure(traces, layout, title=title, height=height)


def scatter_half_width(mu: np.ndarray, extent: float) -> float:
    """The encoded scatter shows [-w, w]² with w = this: every point and the map's whole area, plus a border."""
    return max(float(np.abs(mu).max()), extent) * 1.06


def digit_glyphs_picture(points: np.ndarray, labels: np.ndarray, half_width: float, size: int = 1000) -> str:
    """Each point written as its own digit, in its digit's colour, on a transparent square covering
    [-half_width, half_width]² (PNG data URI; row 0 is the top). 32 colours keep it near 50 KB."""
    picture = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=round(size / 25))  # bundled with Pillow: no system font needed
    scale = size / (2 * half_width)
    for (z1, z2), digit in zip(points, labels, strict=True):
        xy = ((z1 + half_width) * scale, (half_width - z2) * scale)
        draw.text(xy, str(int(digit)), fill=DIGIT_COLOURS[int(digit)], font=font, anchor="mm")
    return _data_uri(picture.quantize(colors=32, method=Image.Quantize.FASTOCTREE))


def encoded_scatter(
    mu: np.ndarray,
    labels: np.ndarray,
    title: str,
    extent: float,
    marks: list[tuple[float, float, str]] | None = None,
    height: int = 560,
    glyphs: str | None = None,
) -> go.Figure:
    """Where real digits land: each point is drawn as its own digit, coloured per digit. Clickable.

    The digits are one picture (`glyphs`, from digit_glyphs_picture; made here when not given) under
    invisible, clickable points (customdata [index, z1, z2]). Drawn as 600 text labels, Plotly made about
    13,000 changes to the page for each draw, about half the VAE page's time to appear."""
    half = scatter_half_width(mu, extent)
    lo, hi = -half, half
    glyphs = glyphs or digit_glyphs_picture(mu, labels, half)
    traces = []
    for d in range(10):
        sel = np.flatnonzero(labels == d)
        traces.append(
            dict(
                type="scatter",
                x=mu[sel, 0],
                y=mu[sel, 1],
                mode="markers",
                name=f"digit {d}",
                marker={"size": 12, "color": "rgba(0,0,0,0)"},
                selected={"marker": {"color": "rgba(0,0,0,0)"}},  # a click must not mark or grey out anything
                unselected={"marker": {"color": "rgba(0,0,0,0)"}},
                customdata=np.stack([sel, mu[sel, 0], mu[sel, 1]], 1),
                showlegend=False,
                hovertemplate=f"a real {d}<br>lands at (%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            )
        )
    for z1, z2, label in marks or []:
        traces.append(
            dict(
                type="scatter",
                x=[z1],
                y=[z2],
                mode="markers+text",
                text=[label],
                textposition="top center",
                textfont={"size": 18, "color": "black", "shadow": "0 0 4px white"},
                showlegend=False,
                hoverinfo="skip",
                marker={"size": 22, "symbol": "star", "color": PALETTE[5], "line": {"color": "white", "width": 2}},
                unselected={"marker": {"opacity": 1}, "textfont": {"color": "black"}},
            )
        )
    area = {"type": "rect", "x0": -extent, "x1": extent, "y0": -extent, "y1": extent}
    picture = {"source": glyphs, "xref": "x", "yref": "y", "x": lo, "y": hi, "sizex": hi - lo, "sizey": hi - lo}
    layout = {
        "shapes": [{**area, "line": {"color": MUTED, "dash": "dash"}}],
        "images": [picture | {"sizing": "stretch", "layer": "below"}],
        # Margins with room for the labels: one draw instead of draw, measure, draw (see figures.style.text_px).
        "margin": {"l": 70, "r": 10, "t": 70, "b": 60},
        "xaxis": {"title": {"text": "map position z₁"}, "range": [lo, hi], "zeroline": False},
        "yaxis": {
            "title": {"text": "map position z₂"},
            "range": [lo, hi],
            "zeroline": False,
            "scaleanchor": "x",
        },
        "clickmode": "event+select",
        "dragmode": "pan",
    }
    return figure(traces, layout, title=title, height=height)


def loss_terms_bar(recon: float, kl: float, title: str, height: int = 260) -> go.Figure:
    bar = dict(
        type="bar",
        x=[recon, kl],
        y=["redraw<br>error", "KL: distance<br>from centre"],
        orientation="h",
        marker_color=[PALETTE[0], PALETTE[1]],
        text=[f"{recon:.1f}", f"{kl:.1f}"],
        textposition="auto",
        hovertemplate="%{x:.2f} nats<extra></extra>",
    )
    return figure(bar, {"xaxis": {"title": {"text": "nats (lower = better)"}}}, title=title, height=height)


# ----------------------------------------------------------------------------------------- diffusion


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
    """Three PNGs for one reverse step: images in [-1, 1] shown as ink; noise in mid-grey."""
    to_ink = lambda a: (a + 1) / 2  # noqa: E731
    return [
        _png_uri(mosaic(_paper(to_ink(x_t))[None, None], gap=0)),
        _png_uri(mosaic(_signed_grey(eps)[None, None], gap=0)),
        _png_uri(mosaic(_paper(to_ink(x0))[None, None], gap=0)),
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
    """One reverse step, three panels side by side. Arrays (8, 8)."""
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
    """Browser-side playback of a finished trajectory (S, 8, 8) x 3 with Plotly frames: no server reruns."""
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


def sample_grid(images: np.ndarray, title: str, cols: int = 8, height: int = 360) -> go.Figure:
    """(N, 8, 8) in [-1, 1] -> a grid of digits."""
    n = images.shape[0]
    rows = int(np.ceil(n / cols))
    padded = np.full((rows * cols, 8, 8), -1.0, dtype=np.float32)
    padded[:n] = images
    canvas = mosaic(_paper((padded.reshape(rows, cols, 8, 8) + 1) / 2), gap=SCALE // 2)
    layout = {**_image_axes(), "margin": {"l": 5, "r": 5, "t": 60, "b": 5}}
    return figure(dict(type="image", source=_png_uri(canvas), hoverinfo="skip"), layout, title=title, height=height)


def drawing_pad(cells: np.ndarray, title: str, height: int = 380) -> go.Figure:
    """An 8x8 clickable drawing grid: each square is a marker; clicking returns its customdata [row, col]."""
    rows, cols = np.mgrid[0:8, 0:8]
    ink = cells.ravel()
    pad = dict(
        type="scatter",
        x=cols.ravel(),
        y=rows.ravel(),
        mode="markers",
        customdata=np.stack([rows.ravel(), cols.ravel()], 1),
        marker={
            "symbol": "square",
            "size": 34,
            "color": ink,
            "cmin": 0,
            "cmax": 1,
            "colorscale": "Greys",
            "line": {"color": MUTED, "width": 1},
        },
        hovertemplate="row %{customdata[0]}, column %{customdata[1]}: click to toggle ink<extra></extra>",
        showlegend=False,
    )
    layout = {
        "xaxis": {"visible": False, "range": [-0.6, 7.6]},
        "yaxis": {"visible": False, "range": [7.6, -0.6], "scaleanchor": "x"},
        "clickmode": "event+select",
        "dragmode": False,
    }
    return figure(pad, layout, title=title, height=height)


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
