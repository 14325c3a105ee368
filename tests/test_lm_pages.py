"""AppTest interactions on the four language-model pages (shipped weights)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(page: str) -> AppTest:
    """Pages link back to app.py, so run them as pages of the app (AppTest.switch_page)."""
    entry = ROOT / "app.py"
    if not entry.is_file():  # before the landing page exists: a stub entry next to a link to pages/
        stub = Path("/tmp") / "glassbox_lm_stub_app"
        stub.mkdir(exist_ok=True)
        for name in ("pages", ".streamlit"):
            link = stub / name
            if not link.exists():
                link.symlink_to(ROOT / name)
        (stub / "app.py").write_text("import streamlit as st\nst.title('stub')\n")
        entry = stub / "app.py"
    at = AppTest.from_file(str(entry), default_timeout=120)
    at.switch_page(f"pages/{page}")
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def title(spec: dict) -> str:
    """A chart's title as a reader sees it: wrapped lines joined."""
    return spec["layout"]["title"]["text"].replace("<br>", " ")


def button(at: AppTest, label: str):
    return next(b for b in at.button if label in b.label)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tokens_page() -> None:
    at = run(open_page("1_Tokens.py"))
    specs = charts(at)
    assert specs and "tokens" in specs[0]["layout"]["title"]["text"]
    at.text_area(key="text").set_value("Zoë <b>bold</b> 🥞 snorkelwhistle").run()
    assert not at.exception
    spec = charts(at)[0]
    texts = [t for trace in spec["data"] for t in (trace.get("text") or [])]
    assert "&lt;" in "".join(texts)  # visitor text is escaped, never rendered as markup


def test_tokens_every_example_changes_the_text() -> None:
    at = run(open_page("1_Tokens.py"))
    default = at.text_area(key="text").value
    seen = {default}
    for b in list(at.button):
        b.click().run()
        value = at.text_area(key="text").value
        assert value not in seen, f"the example {b.label!r} does not change the text"
        seen.add(value)


def test_tokens_word_bars_add_up_and_talk_about_the_readers_text() -> None:
    at = run(open_page("1_Tokens.py"))
    for text in ("Mia met a snorkelwhistle.", "The cat sat on the mat.", "Zoë ate a crêpe 🥞 in the café.  \n"):
        at.text_area(key="text").set_value(text).run()
        assert not at.exception
        tokens = int(at.metric[2].value.replace(",", ""))
        chips = charts(at)[0]
        assert f"becomes {tokens} token" in title(chips)
        if len(charts(at)) < 2:
            continue
        bars = charts(at)[1]
        counted = sum(x for trace in bars["data"] if trace["type"] == "bar" for x in trace["x"])
        caption = " ".join(c.value for c in at.caption)
        outside = tokens - counted
        assert outside == 0 or f"{outside} more token" in caption, (text, tokens, counted, caption)
        words = text.split()
        sentence = next(m.value for m in at.markdown if "one token each" in m.value)
        assert any(f"`{w}`" in sentence for w in words), sentence  # about this text, not a canned example
        assert "snorkelwhistle" not in sentence or "snorkelwhistle" in text
    at.text_area(key="text").set_value("The cat sat on the mat.").run()
    sentence = next(m.value for m in at.markdown if "one token each" in m.value)
    assert "is two tokens: the word `␣mat` and the full stop `.`" in sentence
    at.text_area(key="text").set_value("Mia met a snorkelwhistle.").run()
    sentence = next(m.value for m in at.markdown if "one token each" in m.value)
    assert "`Mia` is cut only because it opens the text" in sentence  # 'M'+'ia', but '␣Mia' is one token


def test_tokens_byte_chips_use_one_notation_and_are_explained() -> None:
    at = run(open_page("1_Tokens.py"))
    at.text_area(key="text").set_value("Zoë ate a crêpe 🥞").run()
    chip_text = " ".join(t for trace in charts(at)[0]["data"] for t in (trace.get("text") or []))
    assert "⟨" in chip_text and "&lt;" not in chip_text  # ⟨F0 9F⟩, never <F0 9F>
    assert any("raw bytes" in t["name"] for t in charts(at)[0]["data"] if t.get("showlegend"))
    assert any("**raw bytes**" in c.value and "hexadecimal" in c.value for c in at.caption)


def test_next_token_page_knobs_and_true_odds() -> None:
    at = run(open_page("2_Next_token.py"))
    assert at.success, "The cat sat on the ... is inside the grammar: true odds shown"
    assert "mat" in title(charts(at)[0])
    axis = charts(at)[0]["layout"]["xaxis"]["range"]
    at.slider(key="top_k").set_value(2).run()
    kept, removed = charts(at)[0]["data"][:2]
    assert sum(1 for t in kept["text"] if t) == 2  # the blue bars of the two kept tokens carry their odds
    assert all(t.startswith("was ") for t in removed["text"] if t)
    assert sum(1 for t in removed["text"] if t) == len(removed["text"]) - 2
    assert removed["name"] == "cut by top-k"
    assert charts(at)[0]["layout"]["xaxis"]["range"] == axis, "the scale must not move while a knob moves"
    assert len(charts(at)) == 1, "the running-total curve is drawn only when its expander is open"
    at.session_state["running_total"] = True
    at.slider(key="top_p").set_value(0.5).run()
    assert "Top-p 0.50 keeps" in title(charts(at)[1])
    at.slider(key="temperature").set_value(0.0).run()
    assert not at.exception
    removed = charts(at)[0]["data"][1]
    assert "top-k" not in removed["name"] and "top-p" not in removed["name"] and "temperature 0" in removed["name"]
    assert charts(at)[0]["layout"]["xaxis"]["range"] == axis
    at.slider(key="top_k").set_value(0).run()
    at.slider(key="top_p").set_value(1.0).run()
    assert "temperature 0" in charts(at)[0]["data"][1]["name"]  # grey for the true reason, knobs off
    at.slider(key="temperature").set_value(1.5).run()
    assert charts(at)[0]["layout"]["xaxis"]["range"] == axis
    at.text_area(key="prompt").set_value("My favourite recipe needs").run()
    assert not at.exception and not at.success and at.info


def test_generate_page_buttons_seed_and_branch() -> None:
    at = run(open_page("3_Generate.py"))
    button(at, "Next token").click().run()
    assert at.slider(key="written").value == 1
    button(at, "Generate").click().run()  # generate N (default 20)
    assert at.slider(key="written").value == 21
    text_a = at.code[0].value
    at.number_input(key="dice").set_value(8).run()
    assert at.code[0].value != text_a  # another seed, other dice
    at.number_input(key="dice").set_value(7).run()
    assert at.code[0].value == text_a  # same seed, same text
    button(at, "Continue").click().run()
    assert not at.exception and "picks" in at.query_params
    assert "✋" in json.dumps(charts(at)[0], ensure_ascii=False)
    button(at, "Reset").click().run()
    assert at.slider(key="written").value == 0 and "picks" not in at.query_params


def test_generate_greedy_shows_the_models_odds_and_disables_the_seed() -> None:
    at = run(open_page("3_Generate.py"))
    at.radio(key="pick").set_value("Always the favourite (greedy)").run()
    assert at.number_input(key="dice").disabled and "does nothing" in at.number_input(key="dice").help
    button(at, "Generate").click().run()
    chips = charts(at)[0]
    odds = [t for t in chips["data"][1]["text"]]
    assert odds and any(t != "100%" for t in odds), "greedy must show the model's real odds, not 100% everywhere"


def test_generate_marks_the_surprises_and_the_counts_agree() -> None:
    at = run(open_page("3_Generate.py"))
    at.number_input(key="dice").set_value(3).run()
    button(at, "Generate").click().run()
    spec = charts(at)[0]
    heading = title(spec)
    outlined = sum(1 for shape in spec["layout"]["shapes"] if shape["line"]["color"] == "#E69F00")
    named = [t["name"] for t in spec["data"] if t.get("showlegend")]
    if "not the favourite" in heading:
        n = int(heading.split("; ")[1].split(" ")[0])  # "20 tokens written; 7 not the favourite"
        assert outlined == n and "not the model's favourite" in named
    # The slider and the heading agree, even when the model ends the story early.
    at.text_area(key="gen_prompt").set_value("Bonjour, je m'appelle Marie.").run()
    at.session_state["written"] = 60
    at.run()
    assert not at.exception
    written = at.slider(key="written").value
    assert title(charts(at)[0]).startswith(f"{written} tokens written"), (written, title(charts(at)[0]))


def test_generate_outside_the_story_world_says_why() -> None:
    at = run(open_page("3_Generate.py"))
    at.text_area(key="gen_prompt").set_value("The stock market crashed today").run()
    button(at, "Generate").click().run()
    assert any("not from the story world" in w.value for w in at.warning)
    button(at, "Once upon a time").click().run()
    assert at.text_area(key="gen_prompt").value == "Once upon a time," and not at.warning


def test_attention_page_defaults_to_measured_head() -> None:
    at = run(open_page("4_Attention.py"))
    assert at.success and "copies names" in at.success[0].value
    heat = charts(at)[0]
    assert heat["data"][0]["type"] == "heatmap"
    at.selectbox(key="head").set_value("Average of all heads").run()
    assert not at.exception
    at.selectbox(key="layer").set_value(1).run()
    at.text_area(key="att_prompt").set_value("🥞" * 150).run()
    assert not at.exception and at.warning
    heat = charts(at)[0]
    assert len(heat["data"][0]["y"]) <= 24  # long texts: a window of rows, every one labelled


def _query_slider(at: AppTest):
    return next(s for s in at.select_slider if s.label == "Which token is looking?")


def test_attention_every_element_describes_the_same_token_after_an_edit() -> None:
    at = run(open_page("4_Attention.py"))
    _query_slider(at).set_value(10).run()
    for text in (
        "Once upon a time, there was a little girl named Mia. She had a friend named Tom. Mia went to the park",
        "Once upon a time, there was a brave boy named Leo. Leo",
        "Mia " * 60,
    ):
        at.text_area(key="att_prompt").set_value(text).run()
        assert not at.exception
        slider = _query_slider(at)
        query = slider.value
        assert query == len(slider.options) - 1, "a new text starts at its last token"
        label = slider.options[query].split(": ", 1)[1]
        heat, bars = charts(at)[0], charts(at)[1]
        assert title(bars).startswith(f"'{label}' looks")
        rows = heat["data"][0]["y"]
        row = heat["layout"]["shapes"][0]
        assert rows[round(row["y0"] + 0.5)].endswith(f"·{query}")


def test_attention_star_head_is_labelled() -> None:
    at = run(open_page("4_Attention.py"))
    head = at.selectbox(key="head")
    assert "★" in head.format_func(head.value)
    assert "★" in charts(at)[0]["layout"]["title"]["text"]
