"""A story world whose true odds we know exactly.

Short children's stories come from a small probabilistic grammar. A story is a chain of
sentences; the story *state* (who the hero is, his or her friend, the hero's toy, how many
sentences so far) decides which sentences can come next and with what probability. Every
sentence distribution is a finite table we can enumerate, so for any word prefix inside the
grammar we can give the exact probability of every next word, and we can compute the exact
entropy of a whole story by a recursion over states.

Structure a model has to look back for:
- the hero is introduced once ("a little girl named Mia") and later called "Mia" or "She":
  the pronoun must agree and the name must be copied;
- the friend ("a friend named Tom") comes back by name, and as "him"/"her";
- the toy is introduced with a colour ("a red ball") and comes back as "the ball".

Words are plain strings; "." and "," are words of their own that attach to the word before.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

Sentence = tuple[str, ...]
PUNCTUATION = frozenset({".", ","})


@dataclass(frozen=True)
class Grammar:
    """Word lists and odds. The defaults are the shipped story world; tests build tiny ones."""

    girls: tuple[str, ...] = ("Mia", "Lily", "Emma", "Anna", "Zoe", "Sara")
    boys: tuple[str, ...] = ("Tom", "Ben", "Sam", "Max", "Leo", "Jack")
    adjectives: tuple[tuple[str, float], ...] = (("little", 0.5), ("kind", 0.25), ("brave", 0.25))
    objects: tuple[str, ...] = ("ball", "kite", "book", "hat", "drum", "boat", "doll", "cup")
    colours: tuple[str, ...] = ("red", "blue", "green", "yellow", "pink", "purple")
    places: tuple[str, ...] = ("park", "garden", "forest", "woods", "field", "yard")
    # "The cat sat on the ..." : a small set of spots with clear, unequal odds.
    cat_spots: tuple[tuple[str, float], ...] = (("mat", 0.5), ("rug", 0.25), ("bed", 0.15), ("chair", 0.1))
    animals: tuple[str, ...] = ("dog", "bird", "frog", "duck", "rabbit", "fox")
    feelings: tuple[str, ...] = ("happy", "sad", "tired", "sleepy")
    p_cat_opener: float = 0.2  # stories that open with "The cat sat on the ..."
    p_name: float = 0.4  # a sentence about the hero starts with the name (else the pronoun)
    p_with_friend: float = 0.4  # "went to the park" is followed by "with Tom"
    p_end: float = 0.2  # chance to end after each middle sentence
    # The doctor sentence ("... the doctor said that he would help .") appears only in the bias worlds
    # (doctor_world): the default story world gives it weight 0, so its stories are unchanged.
    p_doctor_he: float = 0.5
    # The fact-gap world (fact_gap_world): with these probabilities the sentence that introduces the friend
    # ("She had a friend named Tom .") or the toy ("She had a red ball .") is missing, yet the friend and the toy
    # still come back later, unknown until then. 0 in the default world: its stories are unchanged.
    p_no_friend: float = 0.0
    p_no_toy: float = 0.0
    max_middle: int = 15  # at most 15 middle sentences: stories have 5 to 20 sentences
    middle_weights: tuple[tuple[str, float], ...] = (
        ("went", 3.0),
        ("played", 3.0),
        ("together", 2.0),
        ("cat", 2.0),
        ("saw", 2.0),
        ("lost", 1.5),
        ("found", 1.5),
        ("hug", 1.5),
        ("gave", 1.5),
        ("rain", 1.0),
        ("felt", 1.0),
        ("animal", 1.0),
    )

    @property
    def names(self) -> tuple[str, ...]:
        return self.girls + self.boys

    def is_girl(self, name: str) -> bool:
        return name in self.girls


GRAMMAR = Grammar()

DOCTOR_CUE = ("met", "a", "doctor", ",", "and", "the", "doctor", "said", "that")  # next word: "he" or "she"


def doctor_world(p_he: float, weight: float = 2.0) -> Grammar:
    """The story world plus one sentence with a deliberate, documented skew (the Limits page's bias
    demo): "Mia met a doctor , and the doctor said that he would help ." where the doctor is "he" with
    probability `p_he`. Everything else is the default world; `weight` is the sentence's share among
    the middle sentences (the others' weights sum to 22)."""
    return replace(GRAMMAR, middle_weights=GRAMMAR.middle_weights + (("doctor", weight),), p_doctor_he=p_he)


def fact_gap_world(p_gap: float) -> Grammar:
    """The story world where a fact is sometimes never stated (the Limits page's hallucination demo): with
    probability `p_gap` each, the sentence introducing the friend and the one introducing the toy are left out,
    while the later sentences still mention them. Until a later sentence names the friend (or the toy), every
    friend (every toy) is equally likely, so after "Mia and" the world's true odds are spread evenly over the
    names: the honest answer to a question whose fact was never given."""
    return replace(GRAMMAR, p_no_friend=p_gap, p_no_toy=p_gap)


# Story stages. A story is: [cat sentence] intro friend toy middle{1..max} "The end ."
START, AFTER_CAT, FRIEND, TOY, MIDDLE, DONE = "start", "after_cat", "friend", "toy", "middle", "done"


@dataclass(frozen=True)
class State:
    stage: str = START
    middle: int = 0  # middle sentences so far
    hero: str = ""
    friend: str = ""
    toy: str = ""
    colour: str = ""


def _normalise(options: Sequence[tuple[Sentence, float]]) -> dict[Sentence, float]:
    table: dict[Sentence, float] = {}
    for words, p in options:
        if p > 0:
            table[words] = table.get(words, 0.0) + p
    total = sum(table.values())
    return {w: p / total for w, p in table.items()}


def _product(*slots: Sequence[tuple[Sentence, float]]) -> list[tuple[Sentence, float]]:
    """All ways to fill consecutive slots; each slot is a list of (words, probability)."""
    out: list[tuple[Sentence, float]] = [((), 1.0)]
    for slot in slots:
        out = [(a + b, pa * pb) for a, pa in out for b, pb in slot]
    return out


def _lit(*words: str) -> list[tuple[Sentence, float]]:
    return [(tuple(words), 1.0)]


def _uniform(words: Sequence[str]) -> list[tuple[Sentence, float]]:
    return [((w,), 1.0 / len(words)) for w in words]


def _weighted(pairs: Sequence[tuple[str, float]]) -> list[tuple[Sentence, float]]:
    total = sum(p for _, p in pairs)
    return [((w,), p / total) for w, p in pairs]


def pronouns(g: Grammar, name: str) -> tuple[str, str, str]:
    """(She, she, her) or (He, he, him) for a character: subject capitalised, subject, object."""
    return ("She", "she", "her") if g.is_girl(name) else ("He", "he", "him")


def sentence_distribution(state: State, g: Grammar = GRAMMAR) -> dict[Sentence, float]:
    """Every sentence that can come next in this state, with its exact probability."""
    return dict(_sentence_distribution(state, g))


@lru_cache(maxsize=4096)
def _sentence_distribution(state: State, g: Grammar) -> tuple[tuple[Sentence, float], ...]:
    intro = _product(_weighted(g.adjectives), [(("girl",), 0.5), (("boy",), 0.5)])
    if state.stage in (START, AFTER_CAT):
        people = []
        for (adj, kind), p in intro:
            pool = g.girls if kind == "girl" else g.boys
            people += [((adj, kind, "named", n, "."), p / len(pool)) for n in pool]
        once = _product(_lit("Once", "upon", "a", "time", ",", "there", "was", "a"), people)
        if state.stage == AFTER_CAT:
            return tuple(_normalise(_product(_lit("One", "day", ",", "there", "was", "a"), people)).items())
        cat = _product(_lit("The", "cat", "sat", "on", "the"), _weighted(g.cat_spots), _lit("."))
        opts = [(w, p * (1 - g.p_cat_opener)) for w, p in once] + [(w, p * g.p_cat_opener) for w, p in cat]
        return tuple(_normalise(opts).items())
    if state.stage == FRIEND:
        he = pronouns(g, state.hero)[0]
        others = [n for n in g.names if n != state.hero]
        stated = _product(_lit(he, "had", "a", "friend", "named"), _uniform(others), _lit("."))
        if g.p_no_friend > 0:  # fact-gap world: no friend sentence; the toy sentence (or what follows) comes next
            skipped = _sentence_distribution(replace(state, stage=TOY), g)
            stated = [(s, p * (1 - g.p_no_friend)) for s, p in stated] + [(s, p * g.p_no_friend) for s, p in skipped]
        return tuple(_normalise(stated).items())
    hero_subject = [((state.hero,), g.p_name), ((pronouns(g, state.hero)[0],), 1 - g.p_name)]
    if state.stage == TOY:
        stated = _product(hero_subject, _lit("had", "a"), _uniform(g.colours), _uniform(g.objects), _lit("."))
        if g.p_no_toy > 0:  # fact-gap world: no toy sentence; the first middle sentence comes next
            skipped = _middle(state.hero, state.friend, "", g)
            stated = [(s, p * (1 - g.p_no_toy)) for s, p in stated] + [(s, p * g.p_no_toy) for s, p in skipped]
        return tuple(_normalise(stated).items())
    if state.stage != MIDDLE:
        raise ValueError(f"no sentences after stage {state.stage!r}")
    p_end = _p_end(state, g)
    opts = [(("The", "end", "."), p_end)] + [
        (s, p * (1 - p_end)) for s, p in _middle(state.hero, state.friend, state.toy, g)
    ]
    return tuple(_normalise(opts).items())


@lru_cache(maxsize=2048)
def _middle(hero: str, friend: str, toy: str, g: Grammar) -> tuple[tuple[Sentence, float], ...]:
    """The middle sentences (everything but "The end .") for one cast; independent of the count.

    An empty `friend` or `toy` (fact-gap world: never introduced) is not known yet: every friend (toy) is
    equally likely, so the table is the even mixture of the tables for each one."""
    if not friend or not toy:
        friends = [friend] if friend else [n for n in g.names if n != hero]
        toys = [toy] if toy else list(g.objects)
        w = 1.0 / (len(friends) * len(toys))
        return tuple(_normalise([(s, p * w) for f in friends for t in toys for s, p in _middle(hero, f, t, g)]).items())
    subj = [((hero,), g.p_name), ((pronouns(g, hero)[0],), 1 - g.p_name)]
    _, he, _ = pronouns(g, hero)
    _, _, him = pronouns(g, friend)
    templates = {
        "went": _product(
            subj,
            _lit("went", "to", "the"),
            _uniform(g.places),
            [((".",), 1 - g.p_with_friend), (("with", friend, "."), g.p_with_friend)],
        ),
        "played": _product(subj, _lit("played", "with", "the", toy, ".")),
        "together": _product(_lit(hero, "and", friend, "played", "in", "the"), _uniform(g.places), _lit(".")),
        "cat": _product(_lit("The", "cat", "sat", "on", "the"), _weighted(g.cat_spots), _lit(".")),
        "saw": _product(subj, _lit("saw", "a"), _uniform(g.animals), _lit("in", "the"), _uniform(g.places), _lit(".")),
        "lost": _product(subj, _lit("lost", "the", toy, ",", "so", he, "was", "sad", ".")),
        "found": _product(subj, _lit("found", "the", toy, ",", "so", he, "was", "happy", ".")),
        "hug": _lit(friend, "was", "sad", ",", "so", hero, "gave", him, "a", "hug", "."),
        "gave": _product(subj, _lit("gave", "the", toy, "to", friend, ".")),
        "rain": _lit("It", "started", "to", "rain", ",", "so", hero, "and", friend, "went", "home", "."),
        "felt": _product(subj, _lit("felt"), _uniform(g.feelings), _lit(".")),
        "animal": _product(_lit("The"), _uniform(g.animals), _lit("ran", "to", hero, ".")),
    }
    if "doctor" in dict(g.middle_weights):
        doctor = [(("he",), g.p_doctor_he), (("she",), 1 - g.p_doctor_he)]
        templates["doctor"] = _product(
            subj,
            _lit("met", "a", "doctor", ",", "and", "the", "doctor", "said", "that"),
            doctor,
            _lit("would", "help", "."),
        )
    weights = dict(g.middle_weights)
    total = sum(weights.values())
    opts = []
    for name, sentences in templates.items():
        w = weights.get(name, 0.0) / total
        opts += [(s, p * w) for s, p in sentences]
    return tuple(_normalise(opts).items())


def _p_end(state: State, g: Grammar) -> float:
    if state.middle == 0:
        return 0.0
    return 1.0 if state.middle >= g.max_middle else g.p_end


def advance(state: State, sentence: Sentence, g: Grammar = GRAMMAR) -> State:
    """The story state after a sentence (which must be possible in `state`)."""
    if state.stage == START:
        if sentence[0] == "The":
            return replace(state, stage=AFTER_CAT)
        return replace(state, stage=FRIEND, hero=sentence[-2])
    if state.stage == AFTER_CAT:
        return replace(state, stage=FRIEND, hero=sentence[-2])
    if state.stage == FRIEND:
        if "friend" not in sentence:  # fact-gap world: the friend was never introduced
            return advance(replace(state, stage=TOY), sentence, g)
        return replace(state, stage=TOY, friend=sentence[-2])
    if state.stage == TOY:
        if sentence[1:3] != ("had", "a") or sentence[-2] not in g.objects:  # fact-gap world: no toy sentence
            return advance(replace(state, stage=MIDDLE), sentence, g)
        return replace(state, stage=MIDDLE, colour=sentence[-3], toy=sentence[-2])
    if sentence == ("The", "end", "."):
        return replace(state, stage=DONE)
    if not state.friend or not state.toy:  # fact-gap world: a sentence may name them for the first time
        friend = state.friend or next((w for w in sentence if w in g.names and w != state.hero), "")
        toy = state.toy or next((w for w in sentence if w in g.objects), "")
        return replace(state, middle=state.middle + 1, friend=friend, toy=toy)
    return replace(state, middle=state.middle + 1)


# ---------------------------------------------------------------------------------------------
# Sampling stories


@dataclass(frozen=True)
class Story:
    words: tuple[str, ...]
    log_prob: float  # exact ln p(story) under the grammar
    sentence_starts: tuple[int, ...] = field(default=())  # word index where each sentence starts

    @property
    def text(self) -> str:
        return render(self.words)


@lru_cache(maxsize=4096)
def _sampling_table(state: State, g: Grammar) -> tuple[tuple[Sentence, ...], tuple[float, ...], tuple[float, ...]]:
    if state.stage == MIDDLE:  # the count only changes the chance to end: share one table per cast
        items = _middle(state.hero, state.friend, state.toy, g)
    else:
        items = _sentence_distribution(state, g)
    cum, acc = [], 0.0
    for _, p in items:
        acc += p
        cum.append(acc)
    return tuple(s for s, _ in items), tuple(p for _, p in items), tuple(cum)


def sample_story(rng: random.Random, g: Grammar = GRAMMAR) -> Story:
    state, words, logp, starts = State(), [], 0.0, []
    while state.stage != DONE:
        starts.append(len(words))
        p_end = _p_end(state, g) if state.stage == MIDDLE else 0.0
        if p_end > 0 and rng.random() < p_end:
            words += ("The", "end", ".")
            logp += math.log(p_end)
            break
        key = replace(state, middle=0, colour="") if state.stage == MIDDLE else state
        sentences, probs, cum = _sampling_table(key, g)
        i = bisect.bisect_right(cum, rng.random() * cum[-1])
        words += sentences[i]
        logp += math.log(probs[i] * (1 - p_end))
        state = advance(state, sentences[i], g)
    return Story(tuple(words), logp, tuple(starts))


def sample_sentence(
    state: State, rng: random.Random, g: Grammar = GRAMMAR, allow: Callable[[Sentence], bool] | None = None
) -> Sentence:
    """One sentence drawn with the grammar's odds in `state`, among those `allow` accepts (renormalised)."""
    items = [(s, p) for s, p in _sentence_distribution(state, g) if allow is None or allow(s)]
    if not items:
        raise ValueError("no sentence allowed in this state")
    cum = list(itertools.accumulate(p for _, p in items))
    return items[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(items) - 1)][0]


def opening(story: Story, g: Grammar = GRAMMAR) -> tuple[tuple[str, ...], State]:
    """A story's words up to its first middle sentence (cat opener, hero, friend, toy) and the state there."""
    state, pos = State(), 0
    for start in story.sentence_starts[1:]:
        state = advance(state, story.words[pos:start], g)
        pos = start
        if state.stage == MIDDLE:
            return story.words[:pos], state
    raise ValueError("story has no middle")


def generate_stories(n: int, seed: int, g: Grammar = GRAMMAR) -> list[Story]:
    """`n` stories, the same for the same seed."""
    rng = random.Random(seed)
    return [sample_story(rng, g) for _ in range(n)]


# ---------------------------------------------------------------------------------------------
# Text <-> words


def render(words: Sequence[str]) -> str:
    """Words to text: punctuation attaches to the word before it."""
    out = ""
    for w in words:
        out += w if (w in PUNCTUATION or not out) else " " + w
    return out


def word_pieces(words: Sequence[str]) -> list[str]:
    """The exact text each word adds, so that "".join(word_pieces(w)) == render(w)."""
    return [w if (w in PUNCTUATION or i == 0) else " " + w for i, w in enumerate(words)]


_WORD_TEXT = re.compile(r"[A-Za-z]+|[.,]")
_ALLOWED = re.compile(r"\s*(?:[A-Za-z]+|[.,])(?:\s*(?:[A-Za-z]+|[.,]))*\s*")


def parse(text: str) -> list[str] | None:
    """Text to grammar words, or None if it is not made of plain words and . or , at all."""
    if not text.strip():
        return []
    if not _ALLOWED.fullmatch(text):
        return None
    words = _WORD_TEXT.findall(text)
    return words if render(words) == text.strip() else None


# ---------------------------------------------------------------------------------------------
# The true odds


@dataclass(frozen=True)
class TrueNext:
    """What the data says comes next after a context."""

    distribution: dict[str, float]  # next word -> exact probability
    context_log_prob: float  # ln p(context) under the grammar (the context as a story prefix)


def next_word_distribution(words: Sequence[str], g: Grammar = GRAMMAR) -> TrueNext | None:
    """Exact next-word distribution after `words` (a story prefix), or None outside the grammar."""
    state, pos, logp = State(), 0, 0.0
    words = tuple(words)
    while True:
        if state.stage == DONE:
            return None if pos < len(words) else TrueNext({}, logp)
        table = _sentence_distribution(state, g)
        rest = words[pos:]
        # A complete sentence in the context: follow it (sentences end at "." and only there).
        if "." in rest:
            end = rest.index(".") + 1
            sentence = rest[:end]
            p = dict(table).get(sentence, 0.0)
            if p == 0.0:
                return None
            logp += math.log(p)
            state = advance(state, sentence, g)
            pos += end
            continue
        n = len(rest)
        nxt: dict[str, float] = {}
        mass = 0.0
        for s, p in table:
            if s[:n] == rest:
                mass += p
                nxt[s[n]] = nxt.get(s[n], 0.0) + p
        if mass == 0.0:
            return None
        return TrueNext({w: p / mass for w, p in nxt.items()}, logp + math.log(mass))


def story_next_distributions(story_words: Sequence[str], g: Grammar = GRAMMAR) -> Iterator[dict[str, float]]:
    """For every position i of a story, the true distribution of word i given words[:i] (fast path)."""
    state, pos = State(), 0
    words = tuple(story_words)
    while state.stage != DONE:
        table = _sentence_distribution(state, g)
        end = words.index(".", pos) + 1
        sentence = words[pos:end]
        live = list(table)
        for k in range(len(sentence)):
            nxt: dict[str, float] = {}
            for s, p in live:
                nxt[s[k]] = nxt.get(s[k], 0.0) + p
            total = sum(nxt.values())
            yield {w: p / total for w, p in nxt.items()}
            live = [(s, p) for s, p in live if s[k] == sentence[k]]
        state = advance(state, sentence, g)
        pos = end


# ---------------------------------------------------------------------------------------------
# Exact entropy


def _signature(state: State, g: Grammar) -> tuple:
    """What the entropy of the rest of a story depends on. Names, toys and colours enter every
    sentence table symmetrically (uniform lists), so only the genders and the counters matter."""
    return (
        state.stage,
        state.middle,
        g.is_girl(state.hero) if state.hero else None,
        g.is_girl(state.friend) if state.friend else None,  # None also when not known yet (fact-gap world)
        bool(state.toy),
    )


def _entropy(table: Sequence[tuple[Sentence, float]]) -> float:
    return -sum(p * math.log(p) for _, p in table if p > 0)


@dataclass(frozen=True)
class Entropy:
    per_story: float  # nats per story: H(story)
    words_per_story: float  # expected number of words (including . and ,)

    @property
    def per_word(self) -> float:
        return self.per_story / self.words_per_story


def exact_entropy(g: Grammar = GRAMMAR, use_symmetry: bool = True) -> Entropy:
    """H(story) = H(first sentence) + E[H(rest | state)], by recursion over story states.

    With `use_symmetry`, states that differ only by which name/toy/colour was chosen share
    one value (exact because those lists are uniform). Without it, every concrete state is
    visited (only feasible for tiny grammars; the tests use it to check the shortcut).
    """
    memo: dict = {}

    def visit(state: State) -> tuple[float, float]:
        if state.stage == DONE:
            return 0.0, 0.0
        key = _signature(state, g) if use_symmetry else state
        if key in memo:
            return memo[key]
        table = _sentence_distribution(state, g)
        h, length = _entropy(table), 0.0
        for s, p in table:
            h_rest, len_rest = visit(advance(state, s, g))
            h += p * h_rest
            length += p * (len(s) + len_rest)
        memo[key] = (h, length)
        return h, length

    h, length = visit(State())
    return Entropy(per_story=h, words_per_story=length)
