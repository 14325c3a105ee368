"""The diffusion step player: a stored run's steps, moved through and played in the browser.

A Streamlit slider would cost a server round trip and a chart redraw per move (150-280 ms here); Plotly's own
animation slider is fast but cannot be reached with a keyboard. This small component (st.components.v2, no iframe,
no outside script) draws the pictures on canvases under a native range input: arrow keys, touch and mouse all move
it, and a move takes a few milliseconds. Its data comes from figures.diffusion.step_player_data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ui.frame import presenting

ASSETS = Path(__file__).with_name("assets")
_player = st.components.v2.component(
    "glassbox_step_player",
    js=(ASSETS / "step_player.js").read_text(encoding="utf-8"),
    css=(ASSETS / "step_player.css").read_text(encoding="utf-8"),
)


def step_player(data: dict[str, Any], key: str) -> None:
    """Mount the player; the same `data["run"]` on a rerun keeps the reader's step. In presenter mode its text is
    drawn at least 18 px high, as every chart's."""
    _player(data=data | {"large": presenting()}, key=key)
