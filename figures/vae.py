"""Figures for the VAE page: the decoded map, where real images land, the two loss terms, the drawing pad.

Images are arrays in [0, 1] with 1 = ink (see figures/pictures.py); sizes come from their shapes.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from figures.pictures import data_uri, mosaic, paper, picture_source, to_png
from figures.style import MUTED, PALETTE, figure

# Traces are plain dicts (type=...), not go.Scatter objects: go.Figure would validate such an object a second
# time (measured: 18 ms vs 9 ms for ten scatter traces).

# Ten colours for the ten classes: Okabe-Ito plus two extra dark tones. The class's own label is also the
# marker, so the class never depends on colour alone.
CLASS_COLOURS = (*PALETTE[:6], "#8C6D1F", "#000000", "#6A3D9A", "#117733")


def latent_map(
    grid_images: np.ndarray,
    axis: np.ndarray,
    title: str,
    lattice: int = 12,
    marks: list[tuple[float, float, str]] | None = None,
    path: np.ndarray | None = None,
    height: int = 560,
) -> go.Figure:
    """The decoded grid (S, S, H, W) as one picture, in latent coordinates, with a clickable lattice on top.

    `axis` (S,) holds the latent coordinate of each tile centre. Clicking a lattice point returns its
    customdata [z1, z2]. `marks` are (z1, z2, label) points drawn as stars; `path` (K, 2) a line.

    The lattice is one clickable square per tile (12 x 12): a click decodes that tile's centre. The browser
    redraws every lattice point whenever the map changes, and a 36 x 36 lattice took it about 600 ms; the
    number inputs and the real digits' scatter reach the points in between."""
    step = float(axis[1] - axis[0])
    lo, hi = float(axis[0] - step / 2), float(axis[-1] + step / 2)
    canvas = mosaic(paper(grid_images), gap=2, scale=4, background=0.82)  # light grey lines between tiles
    px = canvas.shape[0]
    per = (hi - lo) / px
    # go.Image: pixel (i, j) sits at x = x0 + j*dx; y grows downwards, so flip the axis range below.
    traces = [
        dict(
            type="image",
            source=picture_source(canvas),
            x0=lo + per / 2,
            dx=per,
            y0=lo + per / 2,
            dy=per,
            hoverinfo="skip",
        )
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


def label_glyphs_picture(points: np.ndarray, labels: np.ndarray, half_width: float, size: int = 1000) -> str:
    """Each point written as its own digit, in its digit's colour, on a transparent square covering
    [-half_width, half_width]² (PNG data URI; row 0 is the top). 32 colours keep it near 50 KB."""
    picture = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=round(size / 25))  # bundled with Pillow: no system font needed
    scale = size / (2 * half_width)
    for (z1, z2), digit in zip(points, labels, strict=True):
        xy = ((z1 + half_width) * scale, (half_width - z2) * scale)
        draw.text(xy, str(int(digit)), fill=CLASS_COLOURS[int(digit)], font=font, anchor="mm")
    return data_uri(to_png(picture, colours=32))


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
    glyphs = glyphs or label_glyphs_picture(mu, labels, half)
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


def drawing_pad(cells: np.ndarray, title: str, height: int = 380) -> go.Figure:
    """A clickable drawing grid (H, W) of ink in [0, 1]: each square is a marker; a click returns its
    customdata [row, col]."""
    h, w = cells.shape
    rows, cols = np.mgrid[0:h, 0:w]
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
        "xaxis": {"visible": False, "range": [-0.6, w - 0.4]},
        "yaxis": {"visible": False, "range": [h - 0.4, -0.6], "scaleanchor": "x"},
        "clickmode": "event+select",
        "dragmode": False,
    }
    return figure(pad, layout, title=title, height=height)
