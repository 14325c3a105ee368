"""Every predict-then-see question is answered by its page: open the page at the question's `reveal` URL state
(as the reveal link does) and check that what the page shows agrees with the right choice, from the page's own
numbers (metrics, chart titles and data, headline text). Heavy pages: run selectively (`-k diffusion`)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from classroom import content
from tests.classroom_apptest import chart_title, elements, metric, open_at, text_match


@pytest.fixture(autouse=True)
def _one_visitor_may_use_every_slot():
    """Every AppTest here is the same visitor to the heavy-work limiter: without this, the reveals checked one after
    another would exceed one visitor's fair share and the page would (rightly) decline to run a step."""
    import ui.compute  # noqa: F401 - sets the shares
    from serving.limiter import HEAVY

    share = HEAVY.visitor_share
    HEAVY.set_slots(HEAVY.slots, visitor_share=1.0)
    yield
    HEAVY.set_slots(HEAVY.slots, visitor_share=share)


def _not_refused(at) -> None:
    refused = [w.value for w in at.warning if "did not run" in w.value]
    assert not refused, f"the limiter refused a step: {refused}"


def _number(text: str) -> float:
    return float(re.search(r"[-\d.,]+", text).group(0).replace(",", ""))


def _reveal(question_id: str, **override: str):
    question = content.questions()[question_id]
    at = open_at(question.page, question.reveal | override)
    _not_refused(at)
    return at


def _setup(question_id: str):
    question = content.questions()[question_id]
    at = open_at(question.page, question.setup)
    _not_refused(at)
    return at


def tokens_made_up() -> None:
    at = _reveal("tokens.made_up")
    pieces = int(text_match(at, r"`snorkelwhistle\.` is cut into \*\*(\d+) pieces").group(1))
    assert pieces > 1
    assert _number(metric(at, "Tokens (what the model reads)")) > _number(metric(at, "Words"))
    before = _setup("tokens.made_up")  # a word the stories use: one token each
    assert _number(metric(before, "Tokens (what the model reads)")) < _number(
        metric(at, "Tokens (what the model reads)")
    )


def next_token_hotter() -> None:
    before, after = _setup("next_token.hotter"), _reveal("next_token.hotter")
    assert _number(metric(after, "Like choosing among")) > 1.5 * _number(metric(before, "Like choosing among"))
    top = lambda at: float(re.search(r"\((\d+)%\)", chart_title(at, r"Most likely next").string).group(1))  # noqa: E731
    assert top(after) < top(before)  # the favourite loses


def next_token_zero() -> None:
    at = _reveal("next_token.zero")
    assert metric(at, "Like choosing among") == "1.0 tokens"
    assert "(100%)" in chart_title(at, r"Most likely next").string


def _story(at) -> str:
    return next(e.value for e in elements(at) if getattr(e, "type", "") == "code")


def _ranks(at) -> list[int]:
    return [int(r) for r in at.dataframe[0].value["rank"]]


def generate_sampled() -> None:
    at = _reveal("generate.sampled")
    ranks = _ranks(at)
    assert len(ranks) == 20 and max(ranks) > 1 and ranks.count(1) > len(ranks) // 2


def generate_greedy() -> None:
    at = _reveal("generate.greedy")
    other = _reveal("generate.greedy", dice="7")
    assert _story(at) == _story(other)
    assert set(_ranks(at)) == {1}


def attention_name_head() -> None:
    at = _reveal("attention.name_head")
    share = int(text_match(at, r"that head puts \*\*(\d+)%\*\* of its attention on the earlier").group(1))
    assert share >= 50


def diffusion_forward_end() -> None:
    before, after = _setup("diffusion.forward_end"), _reveal("diffusion.forward_end")
    assert chart_title(after, r"has faded to (<?[\d.]+)%").group(1) in ("<0.1", "0", "1")
    assert int(chart_title(before, r"has faded to (\d+)%").group(1)) > 50


def _read_as(at, sampler: str) -> tuple[int, int]:
    match = chart_title(at, rf"{sampler}, \d+ steps: (\d+) of (\d+) read as")
    return int(match.group(1)), int(match.group(2))


def diffusion_guidance_zero() -> None:
    question = content.questions()["diffusion.guidance_zero"]
    guided = open_at("diffusion", {})
    ignored = _reveal(question.id)
    hits_guided, n = _read_as(guided, "DDIM")
    hits_ignored, _ = _read_as(ignored, "DDIM")
    assert hits_ignored < hits_guided and hits_ignored < n


def diffusion_ddim_ddpm() -> None:
    at = _reveal("diffusion.ddim_ddpm")
    assert _number(chart_title(at, r"DDIM was ([\d.,]+)× faster").group(1)) >= 3
    fast, n_fast = _read_as(at, "DDIM")
    full, n_full = _read_as(at, "DDPM")
    assert abs(fast / n_fast - full / n_full) <= 0.5  # similar pictures: about as many read as the prompt


def gan_first_step() -> None:
    at = _reveal("gan.first_step")
    text_match(at, r"Before training: noise")
    text_match(at, r"Too early: the judge's readings of noise mean nothing")


def vae_middle() -> None:
    at = _reveal("vae.middle")
    sure = int(chart_title(at, r"At \(0\.0, 0\.0\) the judge sees .* \((\d+)% sure\)").group(1))
    assert sure >= 50


def training_first_step() -> None:
    at = _reveal("training.first_step")
    text_match(at, r"At step 0: Random pieces")
    assert _number(chart_title(at, r"Step 0: held-out loss [\d.]+, as unsure as picking among ([\d,]+)").group(1)) > 100


def limits_cut_fact() -> None:
    stated, cut = _setup("limits.cut_fact"), _reveal("limits.cut_fact")
    assert _number(chart_title(stated, r"Fact stated: '\w+' gets (?:over )?([\d.]+)%").group(1)) > 90
    assert _number(chart_title(cut, r"Fact cut: still ([\d.]+)% sure").group(1)) > 50
    finding = text_match(cut, r"still names one, (\d+)% sure on average, but right only ([\d.]+)% of the time")
    assert float(finding.group(1)) > 50 > float(finding.group(2))


def limits_memorize() -> None:
    at = _reveal("limits.memorize")
    assert _number(chart_title(at, r"Drawn pictures sit ([\d.]+)× as far").group(1)) < 0.5


def history_long_gap() -> None:
    at = _reveal("history.long_gap")
    curve = chart_title(
        at, r"The RNN's mistakes grow with distance \(([\d.]+)% → ([\d.]+)%\); the transformer's stay near ([\d.]+)%"
    )
    rnn_near, rnn_far, gpt = (float(x) for x in curve.groups())
    assert rnn_far > rnn_near > gpt


def evaluation_closest() -> None:
    at = _reveal("evaluation.closest")
    text_match(at, r"the diffusion model's pictures sit closest to real ones \(Fréchet distance")


def glossary_temperature() -> None:
    at = _reveal("glossary.temperature")
    assert at.selectbox(key="term").value == "Temperature"
    opened = [str(e.value) for e in elements(at) if getattr(e, "type", "") == "markdown"]
    start = opened.index("#### 📖 Temperature")  # the opened word comes first, above the list
    assert "low makes the model stick to its favourite, high spreads its odds out" in opened[start + 1]
    assert start < opened.index(
        "A piece of text the model reads and writes: a whole word, part of a word, or a single character."
    )  # before the list's entries (Token is one of them)


QUESTION_CHECKS: dict[str, Callable[[], None]] = {
    "tokens.made_up": tokens_made_up,
    "next_token.hotter": next_token_hotter,
    "next_token.zero": next_token_zero,
    "generate.sampled": generate_sampled,
    "generate.greedy": generate_greedy,
    "attention.name_head": attention_name_head,
    "diffusion.forward_end": diffusion_forward_end,
    "diffusion.guidance_zero": diffusion_guidance_zero,
    "diffusion.ddim_ddpm": diffusion_ddim_ddpm,
    "gan.first_step": gan_first_step,
    "vae.middle": vae_middle,
    "training.first_step": training_first_step,
    "limits.cut_fact": limits_cut_fact,
    "limits.memorize": limits_memorize,
    "history.long_gap": history_long_gap,
    "evaluation.closest": evaluation_closest,
    "glossary.temperature": glossary_temperature,
}


def test_every_question_has_a_check() -> None:
    assert sorted(QUESTION_CHECKS) == sorted(content.questions())


@pytest.mark.parametrize("question_id", sorted(content.questions()))
def test_the_reveal_shows_the_right_answer(question_id: str) -> None:
    if question_id not in QUESTION_CHECKS:
        pytest.fail(f"{question_id} has no check in QUESTION_CHECKS")
    QUESTION_CHECKS[question_id]()
