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
    button(at, "made-up").click().run()
    assert not at.exception and "snorkel" in at.text_area(key="text").value


def test_next_token_page_knobs_and_true_odds() -> None:
    at = run(open_page("2_Next_token.py"))
    assert at.success, "The cat sat on the ... is inside the grammar: true odds shown"
    title = charts(at)[0]["layout"]["title"]["text"]
    assert "mat" in title
    at.slider(key="top_k").set_value(2).run()
    kept, removed = charts(at)[0]["data"][:2]
    assert sum(1 for t in kept["text"] if t) == 2  # the blue bars of the two kept tokens carry their odds
    assert all(t.startswith("removed, was ") for t in removed["text"] if t)
    assert sum(1 for t in removed["text"] if t) == len(removed["text"]) - 2
    assert len(charts(at)) == 1, "the running-total curve is drawn only when its expander is open"
    at.session_state["running_total"] = True
    at.slider(key="top_p").set_value(0.5).run()
    assert "Top-p 0.50 keeps the top" in charts(at)[1]["layout"]["title"]["text"]
    at.slider(key="temperature").set_value(0.0).run()
    assert not at.exception
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
