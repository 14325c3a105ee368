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
    """Shared layout: font sizes, margins, white background. Returns the same figure."""
    fig.update_layout(
        template="plotly_white",
        font={"size": FONT_SIZE, "family": "sans-serif"},
        title={"text": title, "font": {"size": TITLE_SIZE}, "x": 0, "xanchor": "left"} if title else None,
        margin={"l": 10, "r": 10, "t": 60 if title else 20, "b": 10},
        hoverlabel={"font_size": FONT_SIZE},
        colorway=list(PALETTE),
    )
    if height:
        fig.update_layout(height=height)
    return fig


def percent(p: float) -> str:
    """Probabilities for people: 48%, 0.3%, <0.1%."""
    if p >= 0.095:
        return f"{p * 100:.0f}%"
    if p >= 0.001:
        return f"{p * 100:.1f}%"
    return "<0.1%"
