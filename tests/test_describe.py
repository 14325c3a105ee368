"""Charts in words and numbers (figures.describe) and charts for a projector (figures.presenter)."""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go

from figures import describe, lm, presenter
from figures.style import figure


def _bars() -> go.Figure:
    return go.Figure(
        [go.Bar(x=["mat", "rug", "bed", "chair"], y=[0.5, 0.25, 0.15, 0.10], name="model")],
        {
            "title": {"text": "Most <b>likely</b> next:<br>'mat'"},
            "yaxis": {"title": {"text": "chance"}, "tickformat": ".0%"},
        },
    )


def test_summary_names_title_axes_and_key_values() -> None:
    text = describe.summary(_bars())
    assert text.startswith("Chart: Most likely next: 'mat'.")  # markup gone, one line
    assert "up, chance" in text
    assert "largest “mat” 50%, “rug” 25%, “bed” 15%; smallest “chair” 10%" in text


def test_horizontal_bars_read_categories_from_y() -> None:
    fig = go.Figure([go.Bar(y=["a", "b"], x=[3.0, 7.0], orientation="h")])
    assert "largest “b” 7, “a” 3" in describe.summary(fig)
    (table,) = describe.tables(fig)
    assert table.rows == (("a", 3), ("b", 7))


def test_line_summary_gives_start_end_and_extremes() -> None:
    fig = go.Figure([go.Scatter(x=np.arange(5), y=np.array([3.0, 2.0, 1.0, 1.5, 1.2]), mode="lines", name="loss")])
    text = describe.summary(fig)
    assert "Loss: a line of 5 points, from 0 to 4; it starts at 3 and ends at 1.2" in text
    assert "lowest 1 at 2" in text


def test_heatmap_table_keeps_labels_and_repeated_tokens_distinct() -> None:
    z = np.array([[0.1, 0.9], [0.5, 0.5]])
    fig = go.Figure([go.Heatmap(z=z, x=["the", "the"], y=["cat", "sat"])])
    assert "the largest, at row “cat” and column “the”" in describe.summary(fig)
    (table,) = describe.tables(fig)
    assert table.columns == ("row", "the", "the (2)")
    assert table.rows == (("cat", 0.1, 0.9), ("sat", 0.5, 0.5))


def test_csv_has_a_block_per_series_and_parses() -> None:
    fig = go.Figure([go.Bar(x=["a", "b"], y=[1, 2], name="one"), go.Bar(x=["a", "b"], y=[3, 4], name="two")])
    rows = list(csv.reader(io.StringIO(describe.to_csv(fig))))
    assert rows[0] == ["series", "item", "value"]
    assert rows[1] == ["one", "a", "1"]
    assert [] in rows and rows[-1] == ["two", "b", "4"]


def test_pictures_are_described_and_have_no_table() -> None:
    fig = go.Figure([{"type": "image", "source": "data:image/png;base64,AAAA"}], {"title": {"text": "Redrawn"}})
    assert describe.summary(fig) == "Chart: Redrawn. It shows a picture."
    assert describe.tables(fig) == [] and describe.to_csv(fig) == ""


def test_word_charts_list_their_words() -> None:
    fig = lm.text_chips(["The", "␣cat"], [464, 3797], [True, True], 2)
    text = describe.summary(fig)
    assert "Words on the chart: The, ␣cat." in text and "464, 3797" in text


def test_summary_of_a_real_styled_figure_is_fast_enough_to_run_every_time() -> None:
    # Not a timing assertion: the summary must not touch go.Figure's validating properties (see describe._raw), so
    # it reads only the dicts. A figure built by the app's own constructor is summarised without error.
    fig = figure([{"type": "bar", "x": list("abc"), "y": [1, 2, 3]}], {}, title="t")
    assert describe.summary(fig).startswith("Chart: t.")
    assert describe.file_name(fig) == "glassbox-t"
    assert describe.file_name(go.Figure()) == "glassbox-chart"


def test_empty_and_odd_figures_never_fail() -> None:
    odd = go.Figure(
        [
            go.Scatter(x=[None], y=[None], name="legend only"),
            go.Bar(x=["a"], y=[float("nan")]),
            go.Heatmap(z=[[np.nan]]),
        ]
    )
    assert describe.summary(odd).startswith("Chart.")
    describe.tables(odd)
    describe.to_csv(odd)
    assert describe.summary(go.Figure()) == "Chart."


def test_presenter_enlarges_every_font_to_at_least_18px_and_leaves_the_original() -> None:
    fig = go.Figure(
        [go.Bar(x=["a", "b"], y=[1, 2], text=["1", "2"], textfont={"size": [10, 30]})],
        {
            "title": {"text": "t", "font": {"size": 20}},
            "xaxis": {"tickfont": {"size": 12.75}},
            "annotations": [{"text": "note", "font": {"size": 9}}],
            "margin": {"t": 60, "b": 20},
            "height": 300,
        },
    )
    big = presenter.enlarge(fig)
    assert big["layout"]["title"]["font"]["size"] == 25
    assert big["layout"]["xaxis"]["tickfont"]["size"] == 18
    assert big["data"][0]["textfont"]["size"] == [18, 37.5]
    assert big["layout"]["annotations"][0]["font"]["size"] == 18
    assert big["layout"]["font"]["size"] >= 18 and big["layout"]["uniformtext"]["minsize"] == 18
    assert big["layout"]["margin"] == {"t": 75, "b": 25} and big["layout"]["height"] == 320
    assert fig.layout.xaxis.tickfont.size == 12.75  # the page's own figure is untouched
