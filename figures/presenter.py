"""Charts for a projector: every text of a finished figure made big enough to read from the back of a room.

`enlarge(fig)` returns a copy (a plain dict, ready for Streamlit) in which every font is `factor` times larger and
never under `minimum` pixels: titles, axis titles, tick labels, legends, annotations, bar and point labels, the
play buttons and sliders of an animation. Plotly draws SVG text at its font size in CSS pixels, so 18 here is
18 px on screen. Bar labels that Plotly would shrink to fit inside a bar are held at `minimum` too (uniformtext),
and the margins grow with the text so titles keep their room. The figure passed in is not changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

MINIMUM_PX = 18.0  # the bar: no chart text under 18 px at 1280x720
FACTOR = 1.25
PLOTLY_DEFAULT_FONT = 12.0  # Plotly's layout.font.size when neither the figure nor its template sets one


def _bigger(size: Any, minimum: float, factor: float) -> Any:
    if isinstance(size, (int, float, np.integer, np.floating)) and not isinstance(size, bool):
        return round(max(minimum, float(size) * factor), 2)
    if isinstance(size, (list, tuple, np.ndarray)):
        return [_bigger(s, minimum, factor) for s in size]
    return size


def _walk(node: Any, minimum: float, factor: float) -> None:
    """Enlarge, in place, the size of every font found under `node` (dicts and lists of a figure's JSON)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and "size" in value:
                value["size"] = _bigger(value["size"], minimum, factor)
            _walk(value, minimum, factor)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                _walk(item, minimum, factor)


def _base_size(layout: Mapping[str, Any]) -> float:
    for source in (layout, (layout.get("template") or {}).get("layout") or {}):
        size = (source.get("font") or {}).get("size")
        if isinstance(size, (int, float)):
            return float(size)
    return PLOTLY_DEFAULT_FONT


def enlarge(fig: go.Figure | Mapping[str, Any], minimum: float = MINIMUM_PX, factor: float = FACTOR) -> dict[str, Any]:
    """A copy of `fig` for presenting: fonts `factor` times larger, none under `minimum` px."""
    out = fig.to_dict() if isinstance(fig, go.Figure) else go.Figure(fig).to_dict()
    layout = out.setdefault("layout", {})
    base = _base_size(layout)
    _walk(out, minimum, factor)
    # Texts without a size of their own (ticks, legends, annotations...) inherit the layout's font.
    layout.setdefault("font", {})["size"] = _bigger(base, minimum, factor)
    layout["uniformtext"] = {"minsize": minimum, "mode": "show"}
    # Titles and bottom legends sit in fixed margins: grow those with the text, and the chart by as much, so the
    # plotting area keeps its size.
    margin = layout.get("margin")
    grown = 0
    if isinstance(margin, dict):
        for side in ("t", "b"):
            if isinstance(margin.get(side), (int, float)):
                new = round(margin[side] * factor)
                grown += new - margin[side]
                margin[side] = new
    if isinstance(layout.get("height"), (int, float)):
        layout["height"] = round(layout["height"] + grown)
    return out
