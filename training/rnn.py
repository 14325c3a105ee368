"""Train the story RNN (an LSTM) from scratch on the GPT's stories with the GPT's tokenizer.

    python -m training rnn

Same data (the stories from the same seed), same tokenizer (read from pretrained/gpt, so train the
GPT first), about the same number of parameters, measured on the same held-out stories: the History
page compares the two models and nothing else differs but the architecture and the training steps.
"""

from __future__ import annotations

import os
import time

from explainers import corpus, text_eval
from explainers.lm import load_lm
from explainers.lm_quality import heldout_stories
from explainers.long_range import DISTANCE_FILLERS, long_range_curve
from explainers.rnn import RNNLM, RNNConfig
from explainers.storage import INT8_STORAGE
from explainers.tokenizer import eot_id
from training.common import encode_stories, loop_settings, model_config, run_record, tokenizer_files, tokenizer_note
from training.gpt import SETTINGS as GPT_SETTINGS
from training.runner import Trainer, TrainResult, ship_int8, single_thread
from training.story_lm import gpt_tokenizer, train_loop

SETTINGS = {
    "stories": GPT_SETTINGS["stories"],  # the GPT's training stories: same seed, same count
    "n_embd": 96,
    "n_hidden": 192,
    "n_layer": 1,
    "block_size": GPT_SETTINGS["block_size"],
    "batch_stories": 32,
    "steps": int(os.environ.get("GLASSBOX_RNN_STEPS", 1500)),
    "lr": float(os.environ.get("GLASSBOX_RNN_LR", 4e-3)),
    "warmup": 100,
    "weight_decay": 0.01,
    "eval_stories": 400,
    "long_range_prompts": 100,
}
EVAL_EVERY = int(os.environ.get("GLASSBOX_RNN_EVAL_EVERY", 0))  # development only: a learning curve in the log


def train(seed: int) -> TrainResult:
    with single_thread():  # bit-identical weights on any machine (see training.gpt)
        return _train(seed)


def _train(seed: int) -> TrainResult:
    s = SETTINGS
    started = time.perf_counter()
    tok = gpt_tokenizer()
    stories = corpus.generate_stories(s["stories"], seed)
    eot = eot_id(tok)
    data = encode_stories(tok, stories, s["block_size"])
    cfg = model_config(RNNConfig, tok, s)
    model = RNNLM(cfg)
    held = heldout_stories(s["eval_stories"])

    def report(step: int) -> None:
        ppl = text_eval.perplexity(text_eval.token_model_word_nats(model, tok, held[:100]))
        print(f"\nstep {step}: per-word perplexity {ppl.perplexity:.4f}", flush=True)

    log = train_loop(model, data, eot, loop_settings(s), seed, "rnn", every=EVAL_EVERY, on_every=report)
    train_seconds = time.perf_counter() - started
    shipped = ship_int8(model)  # measured below after the round trip

    nats = text_eval.token_model_word_nats(model, tok, held)
    ppl = text_eval.perplexity(nats)
    true = text_eval.floor(held)
    curve = long_range_curve(model, tok, n_prompts=s["long_range_prompts"])
    # The GPT shipped now, measured the same way, so the pages need not run it over 400 stories; they use these
    # numbers only while the GPT's weights still have this checksum (`python -m training all` trains it first).
    gpt = load_lm("gpt")
    gpt_ppl = text_eval.perplexity(text_eval.token_model_word_nats(gpt.model, tok, held))
    gpt_curve = long_range_curve(gpt.model, tok, n_prompts=s["long_range_prompts"])
    model_story = float(sum(a.sum() for a in nats)) / len(held)
    true_story = -sum(st.log_prob for st in held) / len(held)
    metrics = {
        "per_word_perplexity": round(ppl.perplexity, 4),
        "nats_per_word": round(ppl.nats_per_word, 5),
        "true_per_word_perplexity_heldout": round(true.perplexity, 4),
        "cross_entropy_ratio": round(model_story / true_story, 4),
        "heldout_words": ppl.words,
        "heldout_stories": ppl.stories,
        "long_range_distance_words": [round(float(d), 1) for d in curve.distance],
        "long_range_p_right_name": [round(float(p), 4) for p in curve.p_right],
        "long_range_prompts_per_distance": curve.prompts,
        "gpt_per_word_perplexity": round(gpt_ppl.perplexity, 4),
        "gpt_long_range_p_right_name": [round(float(p), 4) for p in gpt_curve.p_right],
        "gpt_weights_sha256": gpt.config["weights"]["sha256"],
    }
    notes = {
        "per_word_perplexity": "exp(mean surprise per word) on the held-out stories; a word's surprise is the sum of "
        "its tokens' (the GPT is measured the same way)",
        "nats_per_word": "the same as mean nats per word",
        "true_per_word_perplexity_heldout": "the grammar's exact per-word perplexity on the same stories: the floor",
        "cross_entropy_ratio": "the model's nats per held-out story ÷ the grammar's true nats (1 is perfect)",
        "heldout_words": "words scored (including . and ,)",
        "heldout_stories": "held-out stories (a seed never used in training), the same as the GPT's",
        "long_range_distance_words": "long-range test: mean words between a friend's name and where it must be "
        f"repeated, for {', '.join(map(str, DISTANCE_FILLERS))} filler sentences",
        "long_range_p_right_name": "mean probability the model gives the right name at each distance",
        "long_range_prompts_per_distance": "held-out prompts per distance",
        "gpt_per_word_perplexity": "the story GPT's per-word perplexity on the same stories, measured the same way",
        "gpt_long_range_p_right_name": "the story GPT's mean probability of the right name at the same distances",
        "gpt_weights_sha256": "checksum of the GPT weights these two GPT numbers were measured on",
    }
    card = (
        "An LSTM language model trained on exactly the stories and tokenizer of the story GPT, with about the "
        "same number of parameters, for the History page's comparison. It reads one token at a time and keeps "
        f"everything it has read in a state of {cfg.n_hidden} numbers (plus the LSTM's cell state).\n\n"
        f"**Steps.** {s['steps']} steps of {s['batch_stories']} stories (the GPT had "
        f"{GPT_SETTINGS['steps']}): this is what fits the retrain budget. Its learning curve is in config.json.\n\n"
        "**Two details that mattered.** The LSTM's gate biases start with chrono initialisation (Tallec & "
        "Ollivier 2018, 'Can recurrent neural networks warp time?'), so each unit starts out remembering for a "
        "different span of up to ~100 tokens, and the embeddings are normalised before the LSTM. With PyTorch's "
        "default start, the same LSTM trained for the same steps learned that the friend is a boy, but never "
        "which boy (measured: per-word perplexity 1.93 and 17% on the right name at every distance).\n\n"
        "**Long-range test.** A friend's name is introduced, then filler sentences from the story grammar that do "
        "not mention the friend, then 'Mia and', which the grammar always follows with the friend's name. "
        "The table gives the probability this model puts on the right name as the filler grows.\n\n"
        "**Limits.** The model only knows this tiny story world."
    )
    return TrainResult(
        tensors=shipped,
        architecture={"type": "rnn", "cell": "lstm", **cfg.to_dict()},
        training={k: v for k, v in s.items() if k not in ("eval_stories", "long_range_prompts")}
        | run_record(log, train_seconds)
        | {"weights_storage": INT8_STORAGE},
        data={
            "description": f"{len(data):,} generated children's stories from the Glassbox story grammar, the same "
            "stories as the story GPT's",
            "source": "explainers/corpus.py (generated from the seed; no downloads)",
            "tokenizer": tokenizer_note(tok),
        },
        metrics=metrics,
        metric_notes=notes,
        extra_files=tokenizer_files(tok),
        card_notes=card,
    )


TRAINER = Trainer(
    name="rnn",
    title="Story RNN (LSTM)",
    description=(
        f"A one-layer LSTM with a {SETTINGS['n_hidden']}-number state, trained on CPU on the same generated stories "
        "and tokenizer as the story GPT, with about as many parameters. It powers the History page's comparison "
        "of RNNs and transformers and the Evaluation page's text measures."
    ),
    train=train,
    default_seed=0,
)
