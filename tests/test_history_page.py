"""The History page: AppTest runs on the shipped models, its explainer and its figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explainers import corpus
from explainers import history as hx
from explainers import lm as lmx
from explainers.long_range import DISTANCE_FILLERS
from explainers.rnn import load_rnn_lm
from figures import history as figs
from tests.conftest import open_page, values
from ui.history import DEFAULT_TEXT, OWN


def run_page(params: dict[str, str] | None = None) -> AppTest:
    return open_page("pages/11_History.py", params, timeout=240)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def models() -> tuple[lmx.LM, lmx.LM]:
    return load_rnn_lm(), lmx.load_lm("gpt")


def test_default_view_draws_what_the_configs_hold(models) -> None:
    rnn, gpt = models
    at = run_page()
    figs_ = charts(at)
    assert len(figs_) == 5  # long range, two odds, state heatmap, attention
    curve = figs_[0]
    assert [t["name"] for t in curve["data"]] == ["transformer (GPT)", "RNN (LSTM)"]
    rnn_mistakes = values(curve["data"][1]["y"]) / 100
    stored = np.array(rnn.config["metrics"]["long_range_p_right_name"])
    assert np.allclose(rnn_mistakes, 1 - stored)  # the zoom on mistakes is on by default
    assert curve["layout"]["yaxis"]["type"] == "log"
    prompt = hx.picked_prompt(0, 6)
    assert curve["layout"]["shapes"][0]["x0"] == prompt.distance  # the dotted line is the story shown
    assert any(prompt.answer in md.value for md in at.markdown)
    assert "Go deeper" in " ".join(e.label for e in at.expander)


def test_a_shared_link_reopens_the_exact_view(models) -> None:
    labels = hx.picker_labels()
    at = run_page({"hist_story": labels[3], "hist_fillers": "14", "hist_mistakes": "false"})
    curve = charts(at)[0]
    prompt = hx.picked_prompt(3, 14)
    assert curve["layout"]["shapes"][0]["x0"] == prompt.distance
    assert curve["layout"]["yaxis"].get("type") != "log"
    assert "Both remember" in curve["layout"]["title"]["text"]
    bars = charts(at)[1:3]
    assert all(f"{prompt.answer} ✓" in b["data"][0]["y"] for b in bars)  # the required name is marked


@pytest.mark.parametrize(
    "text", ["", "<b>bold</b> <script>alert(1)</script>", "😀 " * 600, "Mia and", "x" * 5000, DEFAULT_TEXT]
)
def test_own_text_any_input(text: str) -> None:
    at = run_page({"hist_source": OWN, "hist_text": text})
    figs_ = charts(at)
    assert len(figs_) == 5
    for f in figs_[1:]:
        assert "<script>" not in json.dumps(f)  # visitor text is escaped in the charts


def test_bad_url_values_fall_back() -> None:
    at = run_page({"hist_story": "no such story", "hist_fillers": "999", "hist_source": "???"})
    assert len(charts(at)) == 5


def test_side_by_side_on_a_held_out_prompt(models) -> None:
    rnn, gpt = models
    prompt = hx.picked_prompt(1, 8)
    side = hx.side_by_side(rnn, gpt, corpus.render(prompt.words))
    assert side.answer == prompt.answer
    T = len(side.labels)
    assert side.states.shape == (T, rnn.model.cfg.n_hidden) and side.attention.shape == (T,)
    assert side.attention.sum() == pytest.approx(1.0, abs=1e-4)
    looked = side.labels[int(np.argmax(side.attention))].replace("␣", "")
    assert looked == prompt.answer  # the name head looks at the name
    assert side.p_answer_gpt > 0.9 and side.p_answer_rnn > 0.5
    assert not side.truncated
    assert hx.picked_prompt(-5, 99) == hx.picked_prompt(0, DISTANCE_FILLERS[-1])  # clamped
    units = hx.busiest_units(side.states, 10)
    assert len(set(units.tolist())) == 10


def test_figures_escape_and_state_their_finding() -> None:
    bars = figs.next_word_bars(("␣<b>x</b>", "␣Tom"), np.array([0.7, 0.3]), "Tom", "RNN", figs.RNN_COLOUR)
    assert "<b>x</b>" not in json.dumps(bars.to_plotly_json()["data"])
    assert "Tom ✓" in bars.data[0].y
    chart = figs.long_range_chart([10, 50, 110], [0.998, 0.996, 0.994], [0.9994, 0.9994, 0.9991], 50, True)
    assert "mistakes grow" in chart.layout.title.text and chart.layout.yaxis.type == "log"
    full = figs.long_range_chart([10, 50, 110], [0.998, 0.996, 0.994], [0.9994, 0.9994, 0.9991], None, False)
    assert full.layout.yaxis.range == (0, 102) and not full.layout.shapes
    eras = [e.year for e in hx.TIMELINE]
    assert eras == sorted(eras) and all(e.source for e in hx.TIMELINE)


def test_long_odds_bars_carry_their_label_inside() -> None:
    """A label beside a full-length bar ran 22 px off a half-width chart at 1280 px (layout check)."""
    fig = figs.next_word_bars(["␣Anna", "␣Tom", "␣Zoe"], [0.9996, 0.0003, 0.0001], "Anna", "Transformer", "#0072B2")
    bar = fig.data[0]
    assert list(bar.text) == ["<0.1%", "<0.1%", ">99.9%"]  # bottom-up, worded as on every page (style.percent)
    assert list(bar.textposition) == ["outside", "outside", "inside"]


def test_the_name_is_always_labelled_on_long_token_axes() -> None:
    """Long texts label every other token; the name the charts are about must never be the one left out."""
    labels = ["⟨start⟩"] + [f"␣w{i}" for i in range(18)] + ["␣Anna"] + [f"␣v{i}" for i in range(45)]
    weights = np.full(len(labels), 0.001)
    weights[19] = 0.97
    strip = figs.attention_strip(weights, labels, "Anna", "name head", every=2)
    ticks = list(strip.layout.xaxis.ticktext)
    assert "Anna" in ticks and "w17" not in ticks and "v0" not in ticks  # its neighbours give way
    states = np.zeros((len(labels), 8), dtype=np.float32)
    heat = figs.state_heatmap(states, labels, np.arange(4), every=2, answer="Anna")
    assert "Anna" in list(heat.layout.xaxis.ticktext)


def test_shared_charts_are_never_changed_by_a_page_run() -> None:
    """The page's figures are built once per text and shared by every visitor (ui.history.side_charts, a
    cache_resource): drawing them, in presenter mode too, must leave them as they were."""
    from ui.history import DEFAULT_FILLERS, long_range_chart, side_charts

    prompt = hx.picked_prompt(0, DEFAULT_FILLERS)
    run_page({"present": "true"})
    shared = side_charts(corpus.render(prompt.words))
    curve = long_range_chart(prompt.distance, True)
    before = [f.to_json() for f in (curve, shared.rnn_bars, shared.gpt_bars, shared.state, shared.attention)]
    for params in ({"present": "true"}, None):
        at = run_page(params)
        assert len(charts(at)) == 5
    after = [f.to_json() for f in (curve, shared.rnn_bars, shared.gpt_bars, shared.state, shared.attention)]
    assert after == before
