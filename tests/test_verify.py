"""benchmarks/verify.py compares what a page shows with what the visitor asked for: the comparison itself."""

from __future__ import annotations

import pytest

from benchmarks.verify import same_value


@pytest.mark.parametrize(
    ("shown", "wanted", "same"),
    [
        (["Who is the friend?"], ["Who is the friend?"], True),  # a segmented control's pick, before and after
        (["clothes"], "clothes", True),
        (["clothes"], ["digits"], False),
        ("3", "3 ★ copies names", True),  # a chart title's head number against the option's label
        ("3", "4 ★ copies names", False),
        ("3", "30 stories", False),
        ("0.5", 0.5, True),
        ("1.0", 1.04, True),  # titles round to one decimal
        ("2", "2.5x", False),
    ],
)
def test_same_value(shown, wanted, same) -> None:
    assert same_value(shown, wanted) is same


@pytest.mark.parametrize("mistakes", [True, False])
def test_history_plan_reads_the_curve_with_the_zoom_on_and_off(mistakes: bool) -> None:
    """The load test's History row finds the long-range chart whichever way the visitor set the zoom toggle: it
    once expected only the zoomed title and counted 27 'missing' charts in a classroom run."""
    import re

    from benchmarks.loadtest import PLANS
    from figures import history as figs

    row = next(e for e in PLANS["history"].expect if e.element == "chart:hist_curve")
    fig = figs.long_range_chart([10, 50, 100], [0.99, 0.98, 0.97], [0.999, 0.999, 0.998], 50, mistakes)
    title = fig.layout.title.text.replace("<br>", " ")
    assert re.search(row.pattern, title), title


@pytest.mark.parametrize(
    ("heading", "excused"), [("from static to a picture (guidance 0 ...)", True), ("making a shirt", False)]
)
def test_a_change_the_page_says_it_ignores_may_leave_a_chart_as_it_was(heading: str, excused: bool) -> None:
    """At guidance 0 the Diffusion page ignores the kind asked for and says so: the same pictures are right then."""
    from streamlit.proto.Markdown_pb2 import Markdown
    from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

    from benchmarks.stclient import Element
    from benchmarks.verify import Action, Checker, Expect

    chart = PlotlyChart(id="$$ID-abc-revstep", spec='{"layout": {"title": {"text": "Step 1 of 20"}}}')
    page = [Element("heading", (0,), Markdown(body=heading)), Element("plotly_chart", (1,), chart)]
    checker = Checker(
        (Expect("the reverse step", "chart:revstep", changes_with=("kind",), same_when={"kind": r"guidance 0"}),)
    )
    assert checker._expected(page, Action("open")) is None
    changed = Action("set", "kind", requested={"kind": "shirt"}, before={"kind": "sneaker"})
    failure = checker._expected(page, changed)
    assert (failure is None) is excused


def test_a_widget_reads_as_the_value_the_page_shows() -> None:
    """A reader who comes back to the Evaluation page finds the story they picked before (Streamlit keeps a keyed
    widget's value in the session when it lives in an st.fragment): the load client took the default for the value
    shown, so picking that story again counted as 'unchanged after a change' (the classroom run's last failure)."""
    from streamlit.proto.Selectbox_pb2 import Selectbox

    from benchmarks.stclient import Widget

    proto = Selectbox(options=["Sam and Zoe (the ball)", "Mia and Anna (the hat)"], default=0)
    fresh = Widget("selectbox", "$$ID-abc-eval_story", "Held-out story", proto)
    assert fresh.shown_value() == fresh.default_value() == "Sam and Zoe (the ball)"
    proto.set_value, proto.raw_value = True, "Mia and Anna (the hat)"
    kept = Widget("selectbox", "$$ID-abc-eval_story", "Held-out story", proto)
    assert kept.shown_value() == "Mia and Anna (the hat)" and kept.default_value() == "Sam and Zoe (the ball)"


def test_a_return_visit_starts_from_the_values_kept_in_bound_widgets() -> None:
    """Streamlit keeps a URL-bound widget's value when the reader switches pages (bind="query-params" outranks page
    scope), so a visitor who comes back finds what they picked; the load client must start from it, not from the
    default (the classroom's 'Evaluation story unchanged after a change')."""
    from types import SimpleNamespace

    from streamlit.proto.Checkbox_pb2 import Checkbox
    from streamlit.proto.Selectbox_pb2 import Selectbox

    from benchmarks.loadtest import PageVisit
    from benchmarks.stclient import Widget

    story = Widget("selectbox", "$$ID-a-eval_story", "Held-out story", Selectbox(query_param_key="eval_story"))
    mark = Widget("checkbox", "$$ID-b-eval_mark_1", "Fake?", Checkbox())
    session = SimpleNamespace(widgets={story.id: story, mark.id: mark})
    visit = PageVisit(session, "evaluation", stats=None, visitor=1, timeout=1.0)  # type: ignore[arg-type]
    kept = {"eval_story": "Mia and Anna (the hat)", "eval_mark_1": True}
    assert visit.still_bound(kept) == {"eval_story": "Mia and Anna (the hat)"}, "an unbound widget resets"
