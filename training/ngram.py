"""Count the unigram and bigram models on the GPT's training stories.

    python -m training ngram

No gradient descent: a count table is the whole model (explainers/ngram.py). A few seconds.
"""

from __future__ import annotations

import time

from explainers import corpus, ngram, text_eval
from explainers.lm_quality import heldout_stories
from training.gpt import SETTINGS as GPT_SETTINGS
from training.runner import Trainer, TrainResult

SETTINGS = {"stories": GPT_SETTINGS["stories"], "discount": ngram.DISCOUNT, "eval_stories": 400}


def train(seed: int) -> TrainResult:
    s = SETTINGS
    started = time.perf_counter()
    stories = corpus.generate_stories(s["stories"], seed)
    counts = ngram.count(st.words for st in stories)
    models = ngram.models_from_counts(counts)
    seconds = time.perf_counter() - started
    held = heldout_stories(s["eval_stories"])
    metrics: dict = {}
    notes: dict = {}
    for name, m in models.items():
        ppl = text_eval.perplexity([m.word_nats(st.words) for st in held])
        metrics[f"{name}_per_word_perplexity"] = round(ppl.perplexity, 4)
        notes[f"{name}_per_word_perplexity"] = f"the {name} model's exp(mean surprise per word) on the held-out stories"
    floor = text_eval.floor(held)
    metrics |= {
        "true_per_word_perplexity_heldout": round(floor.perplexity, 4),
        "heldout_words": floor.words,
        "heldout_stories": floor.stories,
        "vocabulary": len(counts.vocab) - 3,
        "bigram_types_seen": int((counts.bigrams > 0).sum()),
    }
    notes |= {
        "true_per_word_perplexity_heldout": "the grammar's exact per-word perplexity on the same stories: the floor",
        "heldout_words": "words scored (including . and ,), the end of each story charged to its last word",
        "heldout_stories": "held-out stories (a seed never used in training), the same as the GPT's and the RNN's",
        "vocabulary": "distinct words in the training stories",
        "bigram_types_seen": "distinct word pairs in the training stories",
    }
    card = (
        "Two counting models, the oldest kind of language model (Shannon 1948): the **unigram** guesses every "
        "word from how common it is, ignoring the text before it; the **bigram** looks at one previous word. "
        "Counted on exactly the story GPT's training stories; smoothing: add-one (unigram) and interpolated "
        f"Kneser-Ney with discount {ngram.DISCOUNT} (bigram), so no word ever gets probability 0. The counts are "
        "model.safetensors (`bigram_counts`, row = previous word); the vocabulary is in config.json.\n\n"
        "**Limits.** A bigram cannot repeat a name or a toy from earlier in the story: one word of memory."
    )
    return TrainResult(
        tensors=ngram.counts_to_tensors(counts),
        architecture={"type": "ngram", "orders": [1, 2], "vocab": list(counts.vocab)},
        training={"stories": s["stories"], "discount": s["discount"], "count_seconds": round(seconds, 1)},
        data={
            "description": f"{s['stories']:,} generated children's stories, the same as the story GPT's",
            "source": "explainers/corpus.py (generated from the seed; no downloads)",
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes=card,
    )


TRAINER = Trainer(
    name="ngram",
    title="Unigram and bigram word models",
    description=(
        "Word counts and word-pair counts over the story GPT's training stories: the baselines of the Evaluation "
        "page's text measures."
    ),
    train=train,
    default_seed=0,
)
