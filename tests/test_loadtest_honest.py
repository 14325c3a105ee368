"""The load test must fail when the app is broken (issue 11, section 3).

Without a server: the result checks (benchmarks/verify.py) run on hand-made ForwardMsg streams, fed through the
websocket client's own message handling (benchmarks/stclient.py), and every page's `expect` rows (PLANS in
benchmarks/loadtest.py) are checked against what the real page draws under AppTest.

With a server (marked `browser`: it starts `streamlit run`): a short load test against a copy of pretrained/
whose GPT weights are truncated must report "model not available" failures on the text pages.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.loadtest import PLANS, PagePlan, Stats, not_exercised, pick_interaction
from benchmarks.stclient import Element, RunResult, Session, Widget
from benchmarks.verify import Action, Checker, Expect, page_failure, queued_on
from figures import lm as lm_figures

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------ hand-made pages


class Page:
    """Builds the ForwardMsgs of one script run, element by element, in the main area."""

    def __init__(self, fragment_id: str = "") -> None:
        self.msgs: list[ForwardMsg] = []
        self.fragment_id = fragment_id
        self.index = 0

    def _new(self, path: tuple[int, ...] | None = None) -> Any:
        fwd = ForwardMsg()
        fwd.metadata.delta_path.extend(path or (0, self.index))
        fwd.delta.fragment_id = self.fragment_id
        self.index += 1
        self.msgs.append(fwd)
        return fwd.delta.new_element

    def markdown(self, text: str) -> Page:
        self._new().markdown.body = text
        return self

    def heading(self, text: str) -> Page:
        self._new().heading.body = text
        return self

    def code(self, text: str) -> Page:
        self._new().code.code_text = text
        return self

    def metric(self, label: str, value: str) -> Page:
        element = self._new()
        element.metric.label, element.metric.body = label, value
        return self

    def alert(self, text: str, kind: str) -> Page:
        element = self._new()
        element.alert.body = text
        element.alert.format = {"error": 1, "warning": 2, "info": 3, "success": 4}[kind]
        return self

    def empty(self, path: tuple[int, ...]) -> Page:
        self._new(path).empty.SetInParent()
        return self

    def chart(self, key: str, figure: dict[str, Any] | str, path: tuple[int, ...] | None = None) -> Page:
        element = self._new(path)
        element.plotly_chart.id = f"$$ID-0123abcd-{key}"
        element.plotly_chart.spec = figure if isinstance(figure, str) else json.dumps(figure)
        return self

    def player(self, key: str, data: dict[str, Any]) -> Page:
        element = self._new()
        element.bidi_component.id = f"$$ID-0123abcd-{key}"
        element.bidi_component.json = json.dumps(data)
        return self

    def image(self, url: str = "data:image/png;base64," + "A" * 200) -> Page:
        self._new().imgs.imgs.add().url = url
        return self

    def exception(self, message: str) -> Page:
        element = self._new()
        element.exception.type, element.exception.message = "ValueError", message
        return self


def run(session: Session, page: Page, fragment_id: str = "") -> RunResult:
    """Feed one run's messages to the client, as if they came over the websocket."""
    session.start_run(fragment_id)
    exceptions: list[str] = []
    finished = ForwardMsg()
    finished.script_finished = 3 if fragment_id else 0
    for fwd in [*page.msgs, finished]:
        out = session.handle(fwd, exceptions)
    assert out is not None
    status, elements = out
    return RunResult(
        not exceptions, 0.1, 0, len(page.msgs) + 1, exceptions, status, bool(fragment_id), elements, len(page.msgs)
    )


def bars(labels: list[str], probs: list[float]) -> str:
    """The real next-token chart (figures.lm), as the page sends it."""
    return lm_figures.next_token_bars(labels, probs, probs, [p > 0 for p in probs]).to_json()


def picture(title: str, n: int = 1) -> dict[str, Any]:
    image = {"type": "image", "source": "data:image/png;base64," + "iVBORw0KGgo" * 20}
    return {"data": [image] * n, "layout": {"title": {"text": title}}}


def next_token_page(probs: list[float], allowed: str = "483 of 483", top: str | None = None) -> Page:
    labels = [f"tok{i}" for i in range(len(probs))]
    figure = json.loads(bars(labels, probs))
    if top is not None:
        figure["layout"]["title"]["text"] = f"'{top}' is the most likely next token (48%)"
    return (
        Page()
        .heading("🎲 Next token")
        .metric("Tokens still allowed", allowed)
        .chart("bars", figure)
        .markdown("#### From scores to probabilities, for the top 5")
    )


NT = PLANS["next_token"].expect
GOOD_ODDS = [0.48, 0.25, 0.17, 0.06, 0.02, 0.01, 0.005, 0.003, 0.001, 0.001]


def check(expects: tuple[Expect, ...], page: Page, action: Action | None = None, checker: Checker | None = None):
    checker = checker or Checker(expects)
    return checker.check(run(Session("http://x"), page), action or Action("open"))


# ------------------------------------------------------------------------------------------ the checks


def test_a_good_next_token_page_passes() -> None:
    assert check(NT, next_token_page(GOOD_ODDS)) is None


def test_model_not_available_is_a_failure_of_its_own_kind() -> None:
    # What every text page showed with the GPT weights truncated: no exception box, so the old test passed it.
    page = (
        Page()
        .heading("🎲 Next token")
        .alert("**The gpt model is not available right now.** The weights file is damaged.", "error")
    )
    page.code("python -m training gpt")
    failure = check(NT, page)
    assert failure is not None and failure.kind == "model_unavailable"


def test_busy_did_not_run_is_a_failure_not_a_fast_success() -> None:
    page = next_token_page(GOOD_ODDS).alert(
        "The server is very busy right now, so this step did not run. Please try again in a few seconds.", "warning"
    )
    failure = check(NT, page)
    assert failure is not None and failure.kind == "busy_not_run"


def test_a_busy_queued_notice_left_showing_is_a_failure() -> None:
    page = next_token_page(GOOD_ODDS).alert("Busy, queued: 3 other people running heavy work right now.", "info")
    failure = check(NT, page)
    assert failure is not None and failure.kind == "queued_never_completed"


def test_a_queued_notice_that_was_cleared_is_fine() -> None:
    # heavy_work() shows the notice in an st.empty and clears it when the work is done: same path, now empty.
    page = next_token_page(GOOD_ODDS).alert("Busy, queued: 1 other person running heavy work.", "info")
    page.empty((0, page.index - 1))
    assert check(NT, page) is None


def test_a_timeout_while_queued_is_told_apart() -> None:
    session = Session("http://x")
    session.start_run()
    for fwd in Page().alert("Busy, queued: 5 other people running heavy work.", "info").msgs:
        session.handle(fwd, [])
    assert queued_on(session.page.values())  # what the load test looks at when a run times out


def test_busy_message_counts_wherever_the_page_puts_it() -> None:
    page = next_token_page(GOOD_ODDS).markdown("⏳ The server was too busy: this step did not run. Try again.")
    failure = check(NT, page)
    assert failure is not None and failure.kind == "busy_not_run"


def test_a_queued_spinner_left_at_a_timeout_is_told_apart() -> None:
    session = Session("http://x")
    session.start_run()
    fwd = ForwardMsg()
    fwd.metadata.delta_path.extend((0, 3))
    fwd.delta.new_transient.elements.add().alert.body = "Busy, queued: 2 other people running heavy work."
    session.handle(fwd, [])
    assert queued_on(session.page.values())
    cleared = ForwardMsg()
    cleared.metadata.delta_path.extend((0, 3))
    cleared.delta.new_transient.SetInParent()  # the spinner goes away when the work starts
    session.handle(cleared, [])
    assert not queued_on(session.page.values())


def test_visitors_never_move_a_disabled_widget() -> None:
    # Streamlit discards a value sent for a disabled widget, so a visitor "setting" one would wrongly fail its check.
    session = Session("http://x")
    for key, disabled in (("steps", True), ("seed", False)):
        element = Page()._new()
        element.slider.id, element.slider.label, element.slider.disabled = f"$$ID-00-{key}", key, disabled
        element.slider.min, element.slider.max, element.slider.step = 0, 50, 1
        session.widgets[element.slider.id] = Widget("slider", element.slider.id, key, element.slider)
    plan = PagePlan(set={"steps": None, "seed": None})
    picked = {pick_interaction(session, plan, random.Random(i), Stats(), "p")[0].key for i in range(40)}
    assert picked == {"seed"}


def test_missing_chart_is_a_failure() -> None:
    page = Page().heading("🎲 Next token").metric("Tokens still allowed", "483 of 483")
    failure = check(NT, page)
    assert failure is not None and failure.kind == "missing" and "next-token odds" in failure.detail


def test_odds_that_add_up_to_more_than_one_are_implausible() -> None:
    failure = check(NT, next_token_page([0.9, 0.5, 0.3]))
    assert failure is not None and failure.kind == "implausible" and "add up" in failure.detail


def test_a_title_naming_the_wrong_token_is_implausible() -> None:
    failure = check(NT, next_token_page(GOOD_ODDS, top="tok3"))
    assert failure is not None and failure.kind == "implausible"


def test_all_allowed_tokens_shown_must_add_up_to_one() -> None:
    assert check(NT, next_token_page([0.5, 0.3, 0.2, 0, 0], allowed="3 of 483")) is None
    failure = check(NT, next_token_page([0.5, 0.3, 0.1, 0, 0], allowed="3 of 483"))
    assert failure is not None and failure.kind == "implausible"


def test_top_k_must_be_obeyed() -> None:
    requested = {"top_k": 2}
    action = Action("set", "top_k", ("top_k", ""), requested, {"top_k": 0})
    failure = check(NT, next_token_page([0.5, 0.3, 0.2, 0, 0], allowed="3 of 483"), action)
    assert failure is not None and "top-k" in failure.detail


def test_an_exception_box_is_still_a_failure() -> None:
    failure = check(NT, next_token_page(GOOD_ODDS).exception("boom"))
    assert failure is not None and failure.kind == "exception"


DIF = PLANS["diffusion"].expect


def player_data(steps: int = 20, seed: int = 0, blank: bool = False) -> dict[str, Any]:
    pixels = np.random.default_rng(seed).integers(0, 256, (steps, 3, 28, 28), dtype=np.uint8)
    if blank:
        pixels[3, 1] = 128  # one noise guess of all zeros: a blank picture
    return {
        "steps": steps,
        "size": [28, 28],
        "pixels": base64.b64encode(pixels.tobytes()).decode(),
        "t": list(range(steps - 1, -1, -1)),
        "curves": [{"name": "judge reads sneaker in the guess", "y": [0.5] * steps}],
        "start": steps // 2 - 1,
    }


def diffusion_page(kind: str, seed_pixels: str = "iVBORw0KGgo", steps: int = 20, player: dict | None = None) -> Page:
    image = {"type": "image", "source": "data:image/png;base64," + seed_pixels * 20}
    return (
        Page()
        .chart("fwd", picture(f"A real {kind} at t = 50:<br>92% signal"))
        .heading(f"2 · Reverse: making a {kind} from static")
        .player("player", player or player_data(seed=len(seed_pixels)))
        .chart(
            "gfast",
            {"data": [image], "layout": {"title": {"text": f"DDIM, {steps} steps:<br>15 of 16 read as a {kind}"}}},
        )
    )


def test_diffusion_must_show_the_kind_asked_for() -> None:
    asked = Action("set", "kind", ("kind", ""), {"kind": ["bag"]}, {"kind": ["sneaker"]})
    assert check(DIF, diffusion_page("bag"), asked) is None
    failure = check(DIF, diffusion_page("sneaker"), asked)  # a stale picture of the old kind
    assert failure is not None and failure.kind == "implausible" and "asked for" in failure.detail


def test_diffusion_pictures_must_change_with_the_seed() -> None:
    checker = Checker(DIF)
    session = Session("http://x")
    assert checker.check(run(session, diffusion_page("sneaker")), Action("open")) is None
    new_seed = Action("set", "seed", ("seed", ""), {"seed": 412}, {"seed": 0})
    failure = checker.check(run(session, diffusion_page("sneaker")), new_seed)  # same pictures: it did not run
    assert failure is not None and "unchanged after seed" in failure.detail
    other = Action("set", "seed", ("seed", ""), {"seed": 77}, {"seed": 412})
    assert checker.check(run(session, diffusion_page("sneaker", seed_pixels="R0lGODlh")), other) is None


def test_the_step_player_must_hold_a_whole_run() -> None:
    assert check(DIF, diffusion_page("sneaker")) is None
    failure = check(DIF, diffusion_page("sneaker", player=player_data(blank=True)))
    assert failure is not None and failure.kind == "implausible" and "blank picture" in failure.detail
    short = player_data() | {"t": list(range(19))}
    failure = check(DIF, diffusion_page("sneaker", player=short))
    assert failure is not None and "timesteps" in failure.detail
    wild = player_data() | {"curves": [{"name": "x", "y": [1.5] * 20}]}
    failure = check(DIF, diffusion_page("sneaker", player=wild))
    assert failure is not None and "outside 0-100%" in failure.detail
    missing = check(DIF, Page().chart("fwd", picture("A real sneaker at t = 50:<br>92% signal")))
    assert missing is not None and missing.kind == "missing"


def test_diffusion_without_pictures_is_implausible() -> None:
    page = diffusion_page("sneaker")
    page.chart(
        "gfast", {"data": [], "layout": {"title": {"text": "DDIM, 20 steps:<br>16 of 16 read as a sneaker"}}}, (0, 3)
    )
    failure = check(DIF, page)
    assert failure is not None and "no picture" in failure.detail


GAN = PLANS["gan"].expect


def gan_page(step: int) -> Page:
    return Page().markdown(f"**Step {step:,}** of at most 20,000 (ring).").image()


def test_gan_step_must_advance_when_stepped() -> None:
    checker, session = Checker(GAN), Session("http://x")
    assert checker.check(run(session, gan_page(10)), Action("open")) is None
    click = Action("click", "gan_points_step", ("gan_points_step", "⏭️ One step"))
    assert checker.check(run(session, gan_page(11)), click) is None
    failure = checker.check(run(session, gan_page(11)), click)
    assert failure is not None and "step stayed at 11" in failure.detail


def test_generate_must_write_new_tokens() -> None:
    expects = PLANS["generate"].expect
    checker, session = Checker(expects), Session("http://x")
    assert checker.check(run(session, Page().code("Once upon a time,")), Action("open")) is None
    click = Action("click", "", ("", "➡️ Next token"))
    failure = checker.check(run(session, Page().code("Once upon a time,")), click)  # no chart after a click
    assert failure is not None and failure.kind == "missing"
    chart = {"data": [], "layout": {"title": {"text": "1 tokens written; 0 were not the model's first choice"}}}
    assert checker.check(run(session, Page().code("Once upon a time, Tom").chart("timeline", chart)), click) is None


def test_fragment_runs_keep_the_rest_of_the_page() -> None:
    # A knob move reruns only its fragment: the page outside it stays, the fragment's own elements are replaced
    # and those it did not draw again are gone (as in the browser).
    session = Session("http://x")
    full = Page().markdown("outside the fragment")
    full.fragment_id = "frag"
    full.chart("bars", bars(["a", "b"], [0.6, 0.4])).metric("Tokens still allowed", "2 of 483")
    run(session, full)
    knob = Page(fragment_id="frag")
    knob.chart("bars", bars(["a", "b"], [0.7, 0.3]), path=(0, 1))
    result = run(session, knob, fragment_id="frag")
    assert [e.kind for e in result.page] == ["markdown", "plotly_chart"]
    assert result.page[1].chart()["data"][0]["x"] == [0.7, 0.3]
    assert page_failure(result) is None


def test_a_page_without_expect_rows_is_not_exercised() -> None:
    assert not_exercised(["tokens", "a_page_added_tomorrow"]) == ["a_page_added_tomorrow"]
    assert PLANS.get("a_page_added_tomorrow", PagePlan()).expect == ()


def test_every_plan_row_names_known_checks() -> None:
    from benchmarks.verify import CHECKS

    for key, plan in PLANS.items():
        for expect in plan.expect:
            assert not expect.check or expect.check in CHECKS, f"{key}: unknown check {expect.check}"


# ------------------------------------------------------------------------------------------ rows vs real pages


def _elements_from_apptest(at: Any) -> list[Element]:
    """AppTest's element tree as the websocket client would hold it (element type, delta path, proto)."""
    names = {
        "PlotlyChart": "plotly_chart",
        "ImageList": "imgs",
        "PageLink": "page_link",
        "ButtonGroup": "button_group",
        "BidiComponent": "bidi_component",
    }
    out: list[Element] = []

    def walk(node: Any, path: tuple[int, ...]) -> None:
        for index, child in sorted(getattr(node, "children", {}).items()):
            walk(child, (*path, index))
        proto = getattr(node, "proto", None)
        if proto is not None and not hasattr(node, "children"):
            name = proto.DESCRIPTOR.name
            out.append(Element(names.get(name, name.lower()), path, proto))

    for index, root in sorted(at._tree.children.items()):
        walk(root, (index,))
    return sorted(out, key=lambda e: e.path)


@pytest.mark.parametrize("key", sorted(k for k in PLANS if k != "home"))
def test_each_plan_matches_what_its_page_draws(key: str) -> None:
    """The plan rows are right about today's pages: opening the page passes its own checks."""
    from tests.conftest import open_script
    from ui.tour import page

    entry = page(key)
    if not entry.exists:
        pytest.skip(f"{entry.path} does not exist yet")
    at = open_script(entry.path)
    elements = _elements_from_apptest(at)
    exceptions = [str(e.value) for e in at.exception]
    result = RunResult(not exceptions, 0.0, 0, 0, exceptions, 0, False, elements, len(elements))
    failure = Checker(PLANS[key].expect).check(result, Action("open"))
    assert failure is None, f"{key}: {failure}"


# ------------------------------------------------------------------------------------------ a real server


@pytest.mark.browser
def test_load_test_fails_when_the_gpt_weights_are_truncated(tmp_path: Path) -> None:
    """A few visitors for ~15 s against a server whose GPT weights are cut short: the text pages must be
    reported as failures ("model not available"), while the image pages still pass their checks."""
    from benchmarks import loadtest

    broken = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", broken)
    weights = broken / "gpt" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    out = tmp_path / "load.json"
    code = loadtest.main(
        [
            "--visitors",
            "4",
            "--duration",
            "15",
            "--ramp-up",
            "1",
            "--think-min",
            "0.2",
            "--think-max",
            "0.8",
            "--skip-memory",
            "--pretrained",
            str(broken),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["errors_by_kind"]["model_unavailable"] > 0
    assert report["targets"]["zero_errors"] is False
    # Every page that stops without the story GPT: the four text pages, History (its transformer), Training
    # (fine-tuning) and Limits; Evaluation loses only its text section (its image sections still pass).
    text_pages = {"tokens", "next_token", "generate", "attention", "history", "training", "limits"}
    failed_pages = {page for page, kinds in report["errors_by_page"].items() if kinds.get("model_unavailable")}
    assert failed_pages and failed_pages <= text_pages | {"evaluation"}, report["errors_by_page"]
    assert not any(report["verified_runs_by_page"].get(page) for page in text_pages)
    # The warm-up visitor opens and uses every page: every text page was seen failing, the image pages passing.
    assert report["warm_up_failures"].get("model_unavailable", 0) >= len(text_pages & set(report["pages"]))
    image_pages = {"gan", "vae", "diffusion"} & set(report["pages"])
    assert all(report["warm_up_verified_runs_by_page"].get(page) for page in image_pages), report
