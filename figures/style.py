"""One look for every chart: big, high-contrast, colour-blind-safe, readable from the back row."""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PRIMARY = PALETTE[0]
ACCENT = PALETTE[1]
MUTED = "#9AA3AD"
# Sequential scale for probabilities and attention weights (0 = white, 1 = deep blue).
SEQUENTIAL = "Blues"
# Diverging scale for signed values (noise, differences), centred on white.
DIVERGING = "RdBu_r"
FONT_SIZE = 16
TITLE_SIZE = 20


def apply_style(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """Shared layout: font sizes, margins, colours. Returns the same figure.

    No plotly template: st.plotly_chart draws with Streamlit's own chart theme, and setting a template
    deep-copies it on every figure (plotly_white cost 13 ms per figure here, most of a slider's rerun)."""
    layout = {
        "font": {"size": FONT_SIZE, "family": "sans-serif"},
        "margin": {"l": 10, "r": 10, "t": 60 if title else 20, "b": 10},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "colorway": list(PALETTE),
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": TITLE_SIZE}, "x": 0, "xanchor": "left"}
    if height:
        layout["height"] = height
    fig.update_layout(layout)  # one update: each call re-validates the whole layout
    return fig


def percent(p: float) -> str:
    """Probabilities for people: 48%, 0.3%, <0.1%."""
    if p >= 0.095:
        return f"{p * 100:.0f}%"
    if p >= 0.001:
        return f"{p * 100:.1f}%"
    return "<0.1%"
