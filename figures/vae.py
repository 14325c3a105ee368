"""Figures for the VAE page: the decoded map, where real pictures land, the two loss terms.

Images are arrays in [0, 1] with 1 = ink (see figures/pictures.py); sizes come from their shapes. Both maps are
drawn in map coordinates (z1 across, z2 up) with their pictures as layout images under clickable points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from figures.pictures import data_uri, mosaic, paper, to_png
from figures.style import MUTED, PALETTE, SMALL_SIZE, figure, text_px

# Traces are plain dicts (type=...), not go.Scatter objects: go.Figure would validate such an object a second
# time (measured: 18 ms vs 9 ms for ten scatter traces).

# Ten colours for the ten classes: Okabe-Ito plus two extra dark tones. Digits are drawn as their own label and
# clothes as their own picture, so the class never depends on colour alone.
CLASS_COLOURS = (*PALETTE[:6], "#8C6D1F", "#000000", "#6A3D9A", "#117733")
# What the map marks: the picture you encoded, the point you decode, the walk between two pictures.
ENCODED, DECODED, WALK = PALETTE[1], PALETTE[5], PALETTE[3]
MARK_KEY = "★ where your picture lands · ⊗ the decoded point · purple line: the walk of section 3"
# Left of a map's y tick labels: the axis' padding, the title's standoff and the title itself. Margins with room for
# the labels let Plotly draw a map once per change (figures.style.text_px).
Y_TITLE_PX = 66
_LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.13, "yanchor": "top", "itemclick": False}


@dataclass(frozen=True)
class Mark:
    """A point drawn on a map: where a picture landed (`encoded`) or the point being decoded."""

    z1: float
    z2: float
    label: str  # the legend's words for it
    encoded: bool = True


@dataclass(frozen=True)
class MapPicture:
    """The decoded map as one PNG (data URI), stored bottom row first, and its size in pixels."""

    source: str
    pixels: int


def map_picture(grid_images: np.ndarray) -> MapPicture:
    """The decoded map (S, S, H, W) as one PNG, light grey lines between the tiles, at least 800 pixels wide so the
    browser only ever scales it down. Built once per model: 64 grey levels keep the 15 x 15 clothes map near 80 KB
    (256 levels: 114 KB, no visible difference)."""
    size, side = grid_images.shape[0], grid_images.shape[-1]
    canvas = mosaic(paper(grid_images), gap=2, scale=max(2, -(-800 // (size * side))), background=0.82)
    # Plotly draws an image trace's first row at the bottom of an upward y axis: store the map upside down.
    return MapPicture(data_uri(to_png(np.round(canvas[::-1] * 63) / 63)), canvas.shape[0])


def map_edge(axis: np.ndarray) -> float:
    """Half the width of the drawn map: the outer tiles' centres plus half a tile."""
    return float(axis[-1] + (axis[1] - axis[0]) / 2)


def _view(edge: float, points: Sequence[tuple[float, float]]) -> float:
    """Half the width of the square view: the map, widened to hold every point with a border."""
    far = max((max(abs(a), abs(b)) for a, b in points), default=0.0)
    return edge if far <= edge else far + 0.25


def _mark_traces(marks: Sequence[Mark], path: np.ndarray | None) -> list[dict]:
    traces: list[dict] = []
    if path is not None and len(path):
        traces.append(
            dict(
                type="scatter",
                x=path[:, 0],
                y=path[:, 1],
                mode="lines+markers",
                line={"color": WALK, "width": 4},
                marker={"size": 8, "color": WALK},
                name="the walk (section 3)",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for mark in marks:
        symbol, colour, size = ("star", ENCODED, 22) if mark.encoded else ("circle-x", DECODED, 18)
        traces.append(
            dict(
                type="scatter",
                x=[mark.z1],
                y=[mark.z2],
                mode="markers",
                marker={"size": size, "symbol": symbol, "color": colour, "line": {"color": "white", "width": 2}},
                name=mark.label,
                hoverinfo="skip",
                showlegend=False,
                unselected={"marker": {"opacity": 1}},
            )
        )
    return traces


def latent_map(
    picture: MapPicture,
    axis: np.ndarray,
    title: str,
    marks: Sequence[Mark] = (),
    path: np.ndarray | None = None,
    height: int = 570,
) -> go.Figure:
    """The decoded map (`picture`, from map_picture) in map coordinates, with one clickable point per tile.

    The picture is an image trace (smoothed: the browser scales it down), so the load test finds it as one.

    `axis` (S,) holds the map coordinate of each tile's centre; clicking a tile returns customdata [z1, z2]. `marks`
    are drawn as symbols (MARK_KEY says which is which, under the chart: labels on the map covered the tiles),
    `path` (K, 2) as a line.
    When a mark or the walk lies off the map, the view widens to show all of it and a dashed line marks the map's
    edge. One clickable point per tile: the browser redraws every point whenever the map changes, and a 36 x 36
    lattice took it about 600 ms; the typed coordinates and the scatter of real pictures reach points in between."""
    edge = map_edge(axis)
    points = [(m.z1, m.z2) for m in marks] + ([tuple(p) for p in path] if path is not None else [])
    view = _view(edge, points)
    z1, z2 = np.meshgrid(axis, axis)
    lattice = dict(
        type="scatter",
        x=z1.ravel(),
        y=z2.ravel(),
        mode="markers",
        marker={"size": max(6, int(460 * (edge / view) / len(axis))), "symbol": "square", "color": "rgba(0,0,0,0)"},
        selected={"marker": {"color": "rgba(0,0,0,0)"}},  # a click must not mark or grey out anything
        unselected={"marker": {"color": "rgba(0,0,0,0)"}},
        customdata=np.stack([z1.ravel(), z2.ravel()], axis=1).round(3),
        hovertemplate="click to decode (%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>",
        name="map",
        showlegend=False,
    )
    shapes = []
    if view > edge:
        box = {"type": "rect", "x0": -edge, "x1": edge, "y0": -edge, "y1": edge}
        shapes.append(box | {"line": {"color": MUTED, "dash": "dash", "width": 2}, "layer": "above"})
    ticks = np.round(np.linspace(-edge, edge, 5), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    labels = [f"{t:g}".replace("-", "−") for t in ticks]  # as Plotly writes them
    # constrain="domain": the square plot shrinks to fit, instead of the range growing past the map.
    axis_look = {"range": [-view, view], "tickvals": ticks, "showgrid": False, "zeroline": False, "constrain": "domain"}
    per = 2 * edge / picture.pixels  # map units per pixel of the picture
    image = dict(
        type="image",
        source=picture.source,
        x0=-edge + per / 2,
        dx=per,
        y0=-edge + per / 2,
        dy=per,
        zsmooth="fast",
        hoverinfo="skip",
    )
    layout = {
        "shapes": shapes,
        # Margins with room for the labels: Plotly draws the map once per move instead of drawing, measuring its
        # labels and drawing again (see figures.style.text_px).
        "xaxis": axis_look | {"title": {"text": "map position z₁"}},
        "yaxis": axis_look | {"title": {"text": "map position z₂"}, "scaleanchor": "x", "constraintoward": "top"},
        "clickmode": "event+select",
        "dragmode": False,
        # l: the y tick labels and title beside a map as wide as the plot (a desktop column); r: half the last
        # x tick label, which sits on the plot's right edge.
        "margin": {
            "l": Y_TITLE_PX + text_px(labels, SMALL_SIZE),
            "r": 12 + text_px(labels[-1:], SMALL_SIZE) // 2,
            "t": 84,
            "b": 60,
        },
    }
    return figure([image, lattice, *_mark_traces(marks, path)], layout, title=title, height=height)


def scatter_half_width(mu: np.ndarray, edge: float) -> float:
    """The encoded scatter shows [-w, w]² with w = this: every point and the map's whole area, plus a border."""
    return max(float(np.abs(mu).max()), edge) * 1.06


def class_glyphs_picture(
    points: np.ndarray, labels: np.ndarray, half_width: float, thumbnails: np.ndarray | None = None, size: int = 1000
) -> str:
    """Each point drawn as its class's glyph in the class's colour, on a transparent square covering
    [-half_width, half_width]² (PNG data URI; row 0 is the top): the digit itself, or with `thumbnails` (N, H, W)
    ink in [0, 1] the picture itself, tinted. 32 colours keep it near 50 KB."""
    picture = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    scale = size / (2 * half_width)
    centres = [((z1 + half_width) * scale, (half_width - z2) * scale) for z1, z2 in points]
    if thumbnails is None:
        draw = ImageDraw.Draw(picture)
        font = ImageFont.load_default(size=round(size / 25))  # bundled with Pillow: no system font needed
        for xy, label in zip(centres, labels, strict=True):
            draw.text(xy, str(int(label)), fill=CLASS_COLOURS[int(label)], font=font, anchor="mm")
    else:
        side = round(size / 24)
        for (x, y), label, ink in zip(centres, labels, thumbnails, strict=True):
            alpha = Image.fromarray(np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8)).resize((side, side))
            tile = Image.new("RGBA", (side, side), CLASS_COLOURS[int(label)])
            tile.putalpha(alpha)
            picture.alpha_composite(tile, (int(x - side / 2), int(y - side / 2)))
    return data_uri(to_png(picture, colours=32))


def encoded_scatter(
    mu: np.ndarray,
    labels: np.ndarray,
    names: Sequence[str],
    title: str,
    edge: float,
    glyphs: str,
    legend: bool,
    marks: Sequence[Mark] = (),
    height: int = 620,
) -> go.Figure:
    """Where real pictures land: each drawn as its glyph (`glyphs`, from class_glyphs_picture), coloured per kind,
    under invisible clickable points (customdata [index, z1, z2]). Drawn as 600 text labels, Plotly made about
    13,000 changes to the page for each draw, about half the VAE page's time to appear. `legend` names the
    colours (clothes; a digit's glyph names itself)."""
    half = scatter_half_width(mu, edge)
    traces = []
    for k, name in enumerate(names):
        sel = np.flatnonzero(labels == k)
        traces.append(
            dict(
                type="scatter",
                x=mu[sel, 0],
                y=mu[sel, 1],
                mode="markers",
                name=name,
                marker={"size": 12, "color": "rgba(0,0,0,0)"},
                selected={"marker": {"color": "rgba(0,0,0,0)"}},  # a click must not mark or grey out anything
                unselected={"marker": {"color": "rgba(0,0,0,0)"}},
                customdata=np.stack([sel, mu[sel, 0], mu[sel, 1]], 1),
                showlegend=False,
                hovertemplate=f"a real {name}<br>lands at (%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            )
        )
        if legend:  # a visible stand-in for the legend only: the real points are invisible
            swatch = {"size": 13, "symbol": "square", "color": CLASS_COLOURS[k]}
            traces.append(dict(type="scatter", x=[None], y=[None], mode="markers", marker=swatch, name=name))
    traces += _mark_traces(marks, None)
    area = {"type": "rect", "x0": -edge, "x1": edge, "y0": -edge, "y1": edge}
    picture = {"source": glyphs, "xref": "x", "yref": "y", "x": -half, "y": half, "sizex": 2 * half, "sizey": 2 * half}
    layout = {
        "shapes": [{**area, "line": {"color": MUTED, "dash": "dash"}}],
        "images": [picture | {"sizing": "stretch", "layer": "below"}],
        # Margins with room for the labels: one draw instead of draw, measure, draw (see figures.style.text_px).
        # l: tick labels up to four characters ("−2.5"); b: the x axis and its title, and under them the legend of
        # ten kinds (five rows on a phone, four on a desktop, where one row of it is left empty).
        "margin": {"l": 80, "r": 10, "t": 70, "b": 172 if legend else 110},
        "xaxis": {
            "title": {"text": "map position z₁"},
            "range": [-half, half],
            "zeroline": False,
            "constrain": "domain",
        },
        "yaxis": {
            "title": {"text": "map position z₂"},
            "range": [-half, half],
            "zeroline": False,
            "scaleanchor": "x",
            "constrain": "domain",
            "constraintoward": "top",
        },
        "legend": _LEGEND_BELOW,
        "clickmode": "event+select",
        "dragmode": False,  # a finger swiping across the chart scrolls the page
    }
    return figure(traces, layout, title=title, height=height)


def loss_terms_bar(recon: float, kl: float, title: str, height: int = 260) -> go.Figure:
    names = ["redraw<br>error", "KL: distance<br>from centre"]
    bar = dict(
        type="bar",
        x=[recon, kl],
        y=names,
        orientation="h",
        marker_color=[PALETTE[0], PALETTE[1]],
        text=[f"{recon:.1f}", f"{kl:.1f}"],
        textposition="auto",
        hovertemplate="%{x:.2f} nats<extra></extra>",
    )
    # Three ticks at most, never turned sideways: in a narrow column Plotly would stand four of them on end.
    xaxis = {"title": {"text": "nats"}, "nticks": 3, "tickangle": 0}
    # Margins with room for the bar names and the axis: one draw instead of draw, measure, draw (figures.style.text_px).
    lines = [line for name in names for line in name.split("<br>")]
    # r: half the last x tick label, which can sit on the plot's right edge.
    margin = {"l": 8 + text_px(lines, SMALL_SIZE), "r": 18, "b": 70}
    return figure(bar, {"xaxis": xaxis, "margin": margin}, title=title, height=height)
