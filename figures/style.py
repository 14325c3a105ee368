"""One look for every chart: big, high-contrast, colour-blind-safe, readable from the back row.

Build every figure with `figure(traces, layout)`: one constructor call, validated once. Plotly's
`update_layout` / `update_xaxes` / `add_hline` re-parse and re-validate the layout on every call; measured
here, a figure assembled that way cost 20-30 ms, the same figure from one constructor 5-7 ms, and most
interactions redraw two or three figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import unescape
from typing import Any

import plotly.graph_objects as go

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PRIMARY = PALETTE[0]
ACCENT = PALETTE[1]
MUTED = "#9AA3AD"
# Sequential scale for probabilities and attention weights (0 = white, 1 = deep blue).
SEQUENTIAL = "Blues"
FONT_SIZE = 16
TITLE_SIZE = 20

# Streamlit's chart theme, written out. Pages draw charts with theme=None (ui.frame.show_chart): with the
# theme on, Streamlit's frontend re-applies it to a fresh JSON copy of the figure right after the first draw,
# and Plotly treats the copied template as new, so every chart was drawn twice on each change. These are the
# values that theme gave our charts (read from the browser), so the charts look as they did.
BODY_FONT = '"Source Sans", sans-serif'
HEADING_COLOUR = "#111418"
TEXT_COLOUR = "#808495"
LEGEND_COLOUR = "#262730"
LINE_COLOUR = "#E6EAF1"
SMALL_SIZE = 12.75
AXIS_TITLE_SIZE = 14.875
# Only values Plotly treats like the theme's: an explicit tickcolor would switch ticks on and an explicit gridcolor
# the grid (styled_axes sets those where the theme's defaults had them), and a minor gridcolor the minor grid.
_AXIS: dict[str, Any] = {
    "gridcolor": LINE_COLOUR,
    "zerolinecolor": LINE_COLOUR,
    "tickfont": {"color": TEXT_COLOUR, "size": SMALL_SIZE},
    "title": {"font": {"color": TEXT_COLOUR, "size": AXIS_TITLE_SIZE}},
    "automargin": True,
}
_X_AXIS = _AXIS | {"showgrid": False, "zeroline": False, "title": _AXIS["title"] | {"standoff": 21.25}}
_Y_AXIS = _AXIS | {"title": _AXIS["title"] | {"standoff": 25.5}}
# Bars and boxes have no grid or zero line along their category axis; heatmaps have (faint) outside ticks.
_ORIENTED = {"bar", "histogram", "box", "violin", "waterfall"}
_MAPS = {"heatmap", "contour", "histogram2d", "histogram2dcontour"}


def style_layout(title: str | None = None, height: int | None = None) -> dict[str, Any]:
    """The shared layout: font sizes, margins, colours, title.

    `datarevision` is constant because Streamlit hands Plotly each figure twice when it mounts a chart, the second
    time as a JSON copy: it tells Plotly the copy's arrays hold the same data, so the second call redraws nothing."""
    layout: dict[str, Any] = {
        "font": {"size": FONT_SIZE, "family": "sans-serif", "color": TEXT_COLOUR},
        "margin": {"l": 10, "r": 10, "t": 60 if title else 20, "b": 10, "pad": 8.5},
        "hoverlabel": {
            "font": {"size": FONT_SIZE, "family": BODY_FONT, "color": TEXT_COLOUR},
            "bgcolor": "#FFFFFF",
            "bordercolor": "rgba(17, 20, 24, 0.2)",
        },
        "legend": {"font": {"size": SMALL_SIZE, "color": LEGEND_COLOUR}, "valign": "top", "borderwidth": 0},
        "colorway": list(PALETTE),
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "datarevision": 0,
    }
    if title:
        layout["title"] = {
            "text": title,
            "font": {"size": TITLE_SIZE, "family": BODY_FONT, "color": HEADING_COLOUR, "weight": "bold"},
            "x": 0,
            "xanchor": "left",
            "pad": {"l": 4.25},
        }
    if height:
        layout["height"] = height
    return layout


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, nested dicts merged at every depth."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _field(trace: Any, name: str) -> Any:
    return trace.get(name) if isinstance(trace, dict) else getattr(trace, name, None)


def _styled_axes(layout: dict[str, Any], traces: Sequence[Any] = ()) -> dict[str, Any]:
    """The theme's axis look under every axis of `layout` (its own settings win), the main pair included.

    Plotly chooses some defaults from whether a value was set by the figure rather than by a template, so the
    theme's grid, zero line and tick choices are written out per axis, from the traces that use it."""
    category_axes, map_axes = set(), set()
    for trace in traces:
        kind = _field(trace, "type")
        x, y = f"xaxis{(_field(trace, 'xaxis') or 'x')[1:]}", f"yaxis{(_field(trace, 'yaxis') or 'y')[1:]}"
        if kind in _ORIENTED:
            category_axes.add(y if _field(trace, "orientation") == "h" else x)
        elif kind in _MAPS:
            map_axes |= {x, y}
    out = dict(layout)
    for name in {
        "xaxis",
        "yaxis",
        *category_axes,
        *map_axes,
        *(k for k in layout if k[1:5] == "axis" and k[0] in "xy"),
    }:
        axis = out.get(name, {})
        if isinstance(axis.get("title"), str):
            axis = {**axis, "title": {"text": axis["title"]}}
        base = _X_AXIS if name[0] == "x" else _Y_AXIS
        if name in category_axes:
            base = base | {"showgrid": False, "zeroline": False}
        if name in map_axes:
            base = base | {"tickcolor": LINE_COLOUR}
        out[name] = _merged(base, axis)
    return out


def _untemplated(fig: go.Figure) -> go.Figure:
    """Drop the plotly.py default template (Streamlit's, 3.4 KB of colour placeholders per chart): the look is
    all in the layout, and a template Plotly sees twice makes it draw twice (see BODY_FONT above)."""
    fig.layout.template = None
    return fig


def figure(
    traces: Sequence[Any] | Any = (),
    layout: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    height: int | None = None,
    frames: Sequence[Any] | None = None,
) -> go.Figure:
    """A styled figure in one constructor call. `layout` is merged over the shared style at every depth,
    so `{"margin": {"t": 80}}` keeps the other margins."""
    merged = _merged(style_layout(title, height), layout or {})
    data = [traces] if not isinstance(traces, (list, tuple)) else list(traces)
    return _untemplated(go.Figure(data=data, layout=_styled_axes(merged, data), frames=frames))


def text_px(texts: Sequence[str], size: int = FONT_SIZE, monospace: bool = False) -> int:
    """A generous width in pixels for the longest of `texts`, to size a margin.

    Charts redrawn on every knob move set margins big enough for their labels. Plotly's automargin draws a
    chart, measures its labels and, when a margin must grow, draws it all again: with the default small margins
    that second draw happened on every move (about a third of the next-token chart's redraw time here). With
    room already there it draws once, and it still grows a margin where the labels need it, as on a phone."""
    per_char = 0.62 if monospace else 0.6
    return int(max((len(t) for t in texts), default=0) * size * per_char) + 1


# Widths in em of DejaVu Sans, the broad sans-serif browsers on Linux pick (narrower fonts get a few spare px),
# rounded up to 0.05 em and checked against the widths Chromium measured for our labels; bold is about 13% wider
# than the true widths, 10% wider than these. text_px's one width per character missed token labels by up to 20 px
# either way, and long labels by 20-40 px.
_EM = {
    0.3: "'IJijl",
    0.35: " ,./:;\\|·",
    0.4: "()-[]ft",
    0.45: "!r",
    0.5: '"*_`–',
    0.55: "?csz",
    0.6: "FLkvxy",
    0.65: "$0123456789EPSTYabdeghnopqu{}µéè",
    0.7: "ABCKRVXZ",
    0.75: "NU",
    0.8: "&DGHOQ",
    0.85: "#+<=>^w~×→",
    0.9: "M",
}
_CHAR_EM = {ch: em for em, chars in _EM.items() for ch in chars}  # any other character: 1 em
BOLD = 1.1


def label_px(texts: Sequence[str] | str, size: float = SMALL_SIZE) -> int:
    """The width in px of the widest of `texts` (tick labels, bar names) at font `size`: the widest line ("<br>"
    between lines, a <b> line in bold, HTML entities as the characters they stand for). For margins that hold
    labels exactly, so a chart is drawn once (see text_px)."""
    widest = 0.0
    for text in [texts] if isinstance(texts, str) else texts:
        for line in text.split("<br>"):
            em = sum(_CHAR_EM.get(ch, 1.0) for ch in unescape(re.sub(r"<[^>]*>", "", line)))
            widest = max(widest, em * (BOLD if "<b>" in line else 1.0))
    return math.ceil(widest * size)


# Reference lines and bands as plain layout shapes, the same ones `fig.add_hline` and friends would add.


def hline(y: float, line: dict[str, Any], xref: str = "x", yref: str = "y") -> dict[str, Any]:
    """A horizontal line across the whole plot at `y`."""
    return {"type": "line", "xref": f"{xref} domain", "x0": 0, "x1": 1, "yref": yref, "y0": y, "y1": y, "line": line}


def vline(x: float, line: dict[str, Any], xref: str = "x", yref: str = "y") -> dict[str, Any]:
    """A vertical line across the whole plot at `x`."""
    return {"type": "line", "xref": xref, "x0": x, "x1": x, "yref": f"{yref} domain", "y0": 0, "y1": 1, "line": line}


def vrect(x0: float, x1: float, fillcolor: str, opacity: float) -> dict[str, Any]:
    """A full-height band from `x0` to `x1`."""
    return {
        "type": "rect",
        "xref": "x",
        "x0": x0,
        "x1": x1,
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
        "fillcolor": fillcolor,
        "opacity": opacity,
        "line": {"width": 0},
    }


def grid_layout(
    rows: int,
    cols: int,
    titles: Sequence[str] = (),
    horizontal_spacing: float = 0.2,
    vertical_spacing: float = 0.3,
    title_size: int = FONT_SIZE,
) -> dict[str, Any]:
    """Axes and panel titles for a rows x cols grid of plots, as `make_subplots` lays them out (cells
    numbered left to right, top to bottom; trace i of cell n uses axes "x{n}"/"y{n}"). make_subplots
    itself cost 15 ms for 1 x 3 and 56 ms for 4 x 4 here."""
    width = (1 - horizontal_spacing * (cols - 1)) / cols
    tall = (1 - vertical_spacing * (rows - 1)) / rows
    layout: dict[str, Any] = {}
    annotations = []
    for r in range(rows):
        for c in range(cols):
            n = r * cols + c + 1
            suffix = "" if n == 1 else str(n)
            x0 = c * (width + horizontal_spacing)
            y1 = 1 - r * (tall + vertical_spacing)
            layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [x0, min(1.0, x0 + width)]}
            layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [max(0.0, y1 - tall), y1]}
            if n <= len(titles):
                annotations.append(
                    {
                        "text": titles[n - 1],
                        "font": {"size": title_size},
                        "showarrow": False,
                        "xref": "paper",
                        "yref": "paper",
                        "x": x0 + width / 2,
                        "y": y1,
                        "xanchor": "center",
                        "yanchor": "bottom",
                    }
                )
    if annotations:
        layout["annotations"] = annotations
    return layout


def axis_ids(rows: int, cols: int) -> list[tuple[str, str]]:
    """Trace axis references ("x", "y"), ("x2", "y2"), ... for each cell of `grid_layout`, in order."""
    return [("x" if n == 1 else f"x{n}", "y" if n == 1 else f"y{n}") for n in range(1, rows * cols + 1)]


def percent(p: float) -> str:
    """Probabilities and shares for people: 48%, 0.3%, <0.1%, 0% for none at all; near certain 99.6%, >99.9%,
    so that only a sure thing reads 100%."""
    if p == 0:
        return "0%"
    if 0.9995 <= p < 1:
        return ">99.9%"
    if 0.995 <= p < 1:
        return f"{p * 100:.1f}%"
    if p >= 0.095:
        return f"{p * 100:.0f}%"
    if p >= 0.001:
        return f"{p * 100:.1f}%"
    return "<0.1%"
