"""Pointer input the charts lack, as small Streamlit components (st.components.v2, our own JavaScript in ui/js/).

- `one_tap_charts()`: on a phone, one tap on a Plotly chart selects the point under the finger. Plotly picks the
  point of a click from its last hover, and a finger gives no hover: the first tap selected nothing and every
  later tap the point tapped before it (measured in Chromium with touch emulation).
- `drawing_pad(...)`: squares to ink with a tap, a click, a drag (a stroke) or the keyboard; the page hears about
  it once per stroke. Plotly's own selections could not do both: in lasso mode Streamlit turns tap-to-select off.

Everything a browser sends back is checked here before the page uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

_JS = Path(__file__).with_name("js")
_TAP_FIX = st.components.v2.component("glassbox_tap_fix", js=(_JS / "tap_fix.js").read_text())
_PAD = st.components.v2.component(
    "glassbox_drawing_pad",
    js=(_JS / "drawing_pad.js").read_text(),
    css="""
    canvas { display: block; width: 100%; max-width: 340px; aspect-ratio: 1 / 1; margin: 0 auto;
             touch-action: none; cursor: crosshair; border-radius: 4px; }
    canvas:focus-visible { outline: 3px solid #0B5CAD; outline-offset: 3px; }
    """,
)


def one_tap_charts() -> None:
    """Mount the tap fix once on this page (it draws nothing; its container is hidden)."""
    st.html("<style>.st-key-glassbox_tap_fix_box{display:none}</style>")
    with st.container(key="glassbox_tap_fix_box"):
        _TAP_FIX(key="glassbox_tap_fix")


def drawing_pad(cells: np.ndarray, key: str, label: str, on_change: Callable[[], None]) -> None:
    """Show the pad with `cells` (H, W) of ink in [0, 1]; `on_change` runs after each stroke (read it with
    `pad_cells(key, shape)`)."""
    h, w = cells.shape
    data = {"cells": np.round(cells, 3).ravel().tolist(), "rows": h, "cols": w, "label": label}
    _PAD(key=key, data=data, on_cells_change=on_change)


def pad_cells(key: str, shape: tuple[int, int]) -> np.ndarray | None:
    """The drawing the browser sent for pad `key`, as (H, W) ink in [0, 1]; None if it is not a valid drawing."""
    try:
        values = st.session_state[key]["cells"]
        cells = np.asarray(values, dtype=np.float32)
    except (KeyError, TypeError, ValueError):
        return None
    if cells.shape != (shape[0] * shape[1],) or not np.all(np.isfinite(cells)):
        return None
    return np.clip(cells, 0, 1).reshape(shape)
