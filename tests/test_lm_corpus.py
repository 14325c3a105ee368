"""The story grammar: exact next-word odds, exact entropy, and the structure the model must learn."""

from __future__ import annotations

import math
import random

import pytest

from explainers import corpus
from explainers.corpus import Grammar, State

TINY = Grammar(
    girls=("Mia",),
    boys=("Tom",),
    adjectives=(("little", 1.0),),
    objects=("ball",),
    colours=("red",),
    places=("park",),
    cat_spots=(("mat", 0.5), ("rug", 0.5)),
    animals=("dog",),
    feelings=("happy",),
    p_cat_opener=0.5,
    p_name=0.5,
    max_middle=1,
    middle_weights=(("cat", 1.0),),
)


def test_tiny_grammar_entropy_by_hand() -> None:
    # opener: cat or not (ln 2), if cat: which spot (ln 2, half the time); hero girl or boy (ln 2);
    # the friend is then the only other name (0); "Mia had" or "She had" (ln 2); the toy is fixed (0);
    # one middle sentence: "The cat sat on the" mat or rug (ln 2); then the story must end (0).
    assert corpus.exact_entropy(TINY).per_story == pytest.approx(4.5 * math.log(2), abs=1e-12)


def test_symmetry_shortcut_equals_full_recursion() -> None:
    small = Grammar(
        girls=("Mia", "Zoe"),
        boys=("Tom",),
        objects=("ball", "kite"),
        colours=("red", "blue"),
        places=("park", "yard"),
        animals=("dog", "fox"),
        max_middle=2,
    )
    fast = corpus.exact_entropy(small, use_symmetry=True)
    full = corpus.exact_entropy(small, use_symmetry=False)
    assert fast.per_story == pytest.approx(full.per_story, rel=1e-12)
    assert fast.words_per_story == pytest.approx(full.words_per_story, rel=1e-12)


def test_tiny_grammar_entropy_equals_enumeration() -> None:
    # Enumerate every story of the tiny grammar and sum -p ln p directly.
    def stories(state: State, p: float):
        if state.stage == corpus.DONE:
            yield p
            return
        for s, q in corpus.sentence_distribution(state, TINY).items():
            yield from stories(corpus.advance(state, s, TINY), p * q)

    probs = list(stories(State(), 1.0))
    assert sum(probs) == pytest.approx(1.0)
    assert -sum(p * math.log(p) for p in probs) == pytest.approx(corpus.exact_entropy(TINY).per_story)


def test_monte_carlo_agrees_with_exact_entropy() -> None:
    stories = corpus.generate_stories(3000, seed=123)
    nll = [-s.log_prob for s in stories]
    mean = sum(nll) / len(nll)
    sd = math.sqrt(sum((x - mean) ** 2 for x in nll) / (len(nll) - 1))
    assert abs(mean - corpus.exact_entropy().per_story) < 4 * sd / math.sqrt(len(nll))


def test_sentence_distributions_sum_to_one() -> None:
    rng = random.Random(0)
    for story in corpus.generate_stories(30, seed=5):
        state = State()
        pos = 0
        for start in story.sentence_starts[1:] + (len(story.words),):
            table = corpus.sentence_distribution(state, corpus.GRAMMAR)
            assert sum(table.values()) == pytest.approx(1.0)
            state = corpus.advance(state, story.words[pos:start])
            pos = start
        for i in rng.sample(range(len(story.words)), 8):
            nxt = corpus.next_word_distribution(story.words[:i])
            assert nxt is not None and sum(nxt.distribution.values()) == pytest.approx(1.0)
            assert story.words[i] in nxt.distribution


def test_the_cat_sat_on_the() -> None:
    nxt = corpus.next_word_distribution(corpus.parse("The cat sat on the"))
    assert nxt is not None
    assert nxt.distribution == pytest.approx({"mat": 0.5, "rug": 0.25, "bed": 0.15, "chair": 0.1})


def test_fast_story_path_matches_prefix_queries() -> None:
    story = corpus.generate_stories(1, seed=9)[0]
    fast = list(corpus.story_next_distributions(story.words))
    assert len(fast) == len(story.words)
    for i in range(0, len(story.words), 5):
        assert fast[i] == pytest.approx(corpus.next_word_distribution(story.words[:i]).distribution)
    assert sum(math.log(d[w]) for d, w in zip(fast, story.words, strict=True)) == pytest.approx(story.log_prob)


def test_stories_are_deterministic_and_well_formed() -> None:
    a = corpus.generate_stories(200, seed=3)
    assert [s.words for s in a] == [s.words for s in corpus.generate_stories(200, seed=3)]
    assert [s.words for s in a] != [s.words for s in corpus.generate_stories(200, seed=4)]
    g = corpus.GRAMMAR
    for s in a:
        assert 5 <= s.words.count(".") <= 20
        assert s.words[-3:] == ("The", "end", ".")
        named = s.words.index("named")
        hero = s.words[named + 1]
        she = "She" if hero in g.girls else "He"
        assert s.words[s.words.index("had")] == "had" and s.words[named + 3] == she  # pronoun agrees
        wrong = "He" if she == "She" else "She"
        assert wrong not in s.words  # the hero is the only one called by a pronoun
        assert corpus.parse(s.text) == list(s.words)


def test_toy_and_name_come_back() -> None:
    stories = corpus.generate_stories(300, seed=11)
    toy_back = name_back = 0
    for s in stories:
        w = s.words
        toy = w[w.index(".", w.index("friend")) - 1]
        hero = w[w.index("named") + 1]
        toy_back += w.count(toy) > 1
        name_back += w.count(hero) > 1
    assert toy_back > 150 and name_back > 250


@pytest.mark.parametrize("text", ["", "hello", "The cat sat on the", "Mia, Tom.", "emoji 🙂", "a  b", "x<y>"])
def test_parse_render(text: str) -> None:
    words = corpus.parse(text)
    if words is not None and words:
        assert corpus.render(words) == " ".join(text.split()).replace(" ,", ",").replace(" .", ".")


def test_outside_grammar_has_no_true_odds() -> None:
    assert corpus.next_word_distribution(["My", "favourite"]) is None
    assert corpus.next_word_distribution(corpus.parse("The cat sat on the sofa")) is None
