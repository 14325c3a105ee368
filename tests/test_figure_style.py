"""The chart look that figures carry themselves (pages draw with theme=None; see figures.style)."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from figures.lm import attention_heatmap, next_token_bars
from figures.style import LINE_COLOUR, TEXT_COLOUR, figure


def spec(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def test_figures_ship_no_template_and_a_constant_datarevision() -> None:
    layout = spec(figure(go.Scatter(x=[1, 2], y=[3, 4]), title="t"))["layout"]
    assert "template" not in layout  # plotly.py's default would add 3.4 KB that makes Plotly draw twice
    assert layout["datarevision"] == 0
    assert layout["title"]["font"]["weight"] == "bold"
    assert layout["xaxis"]["showgrid"] is False and layout["yaxis"]["gridcolor"] == LINE_COLOUR


def test_own_axis_settings_win_over_the_look() -> None:
    layout = spec(figure(go.Scatter(x=[1]), {"xaxis": {"title": "steps", "tickfont": {"size": 20}}}))["layout"]
    assert layout["xaxis"]["title"]["text"] == "steps"
    assert layout["xaxis"]["title"]["font"]["color"] == TEXT_COLOUR
    assert layout["xaxis"]["tickfont"] == {"size": 20, "color": TEXT_COLOUR}


def test_category_and_heatmap_axes_get_the_themes_defaults() -> None:
    bars = spec(next_token_bars(["a", "b"], [0.6, 0.4], [0.6, 0.4], [True, True]))["layout"]
    assert bars["yaxis"]["showgrid"] is False and bars["yaxis"]["zeroline"] is False  # the tokens' axis
    assert bars["yaxis"]["range"] == [1.5, -0.5]  # top token first, without autorange="reversed"
    assert "tickcolor" not in bars["xaxis"]  # an explicit tick colour would switch ticks on
    heat = spec(attention_heatmap(np.eye(3), ["a", "b", "c"], "t"))["layout"]
    assert heat["xaxis"]["tickcolor"] == LINE_COLOUR and heat["yaxis"]["tickcolor"] == LINE_COLOUR


def test_percent_words_for_people() -> None:
    """Only a sure thing reads 100%: near-certain odds keep their decimals, as tiny ones read <0.1%."""
    from figures.style import percent

    cases = {0: "0%", 0.0004: "<0.1%", 0.003: "0.3%", 0.48: "48%", 0.9951: "99.5%", 0.9996: ">99.9%", 1.0: "100%"}
    assert {p: percent(p) for p in cases} == cases
