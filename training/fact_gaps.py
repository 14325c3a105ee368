"""Fine-tune the story GPT on a world where facts are sometimes never stated: the hallucination demo's second model.

    python -m training fact_gaps

Our story GPT has never read a story in which the friend or the toy comes back without first being introduced, so
when the Limits page cuts the sentence that states the fact, it does what it always does: it names one, as sure of
itself as ever, and is right about as often as chance. That is hallucination, and the page shows it. This model is
the same GPT fine-tuned for a few hundred steps on `corpus.fact_gap_world`, where the sentence introducing the friend
(and, separately, the toy) is missing in a quarter of the stories while later sentences still mention them. Having
seen unstated facts, it spreads its odds over every candidate when the fact is cut (the world's true odds are even),
yet greedy decoding still writes one name in the same fluent sentence: a confident-sounding answer from a model that
does not know.

Both models are measured with the same code (explainers.limits) on the same 400 held-out stories; the per-story
numbers and the calibration bins go into `hallucination.npz` beside the weights (checksummed), the headline numbers
into the config's metrics. Array names in the file: `{model}_{kind}_{measure}` with model "fact_gaps" or "gpt",
kind "friend" or "toy", measure one of HALLUCINATION_ARRAYS; and `{model}_{which}_{field}` with which "fact" or
"next_word" and field one of CALIBRATION_ARRAYS.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from explainers import corpus, limits
from explainers.datasets import pack_arrays
from explainers.lm import LM
from training.common import FINE_TUNING, fine_tuned_result, start_fine_tune, world_measures
from training.runner import Trainer, TrainResult, single_thread

NAME = "fact_gaps"
MEASUREMENTS_FILE = "hallucination.npz"
HALLUCINATION_ARRAYS = (
    "p_right_present",
    "p_top_cut",
    "p_right_cut",
    "greedy_names_one_cut",
    "greedy_right_present",
    "greedy_right_cut",
)
CALIBRATION_ARRAYS = ("edges", "count", "confidence", "accuracy")
SETTINGS = {
    **FINE_TUNING,
    "p_gap": 0.25,
    "steps": int(os.environ.get("GLASSBOX_FACT_GAPS_STEPS", 300)),
    "heldout_stories": 400,  # per fact question (the bar asks for at least 200)
    "calibration_stories": 200,
    "eval_stories": 200,
}


def train(seed: int) -> TrainResult:
    with single_thread():  # bit-identical weights on any machine (see training.gpt)
        return _train(seed)


def measure(lm: LM, prefix: str, n: int, n_calibration: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Hallucination and calibration of one model: headline numbers and the arrays behind them."""
    metrics: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for kind in limits.FACT_KINDS:
        h = limits.measure_hallucination(lm, kind, n)
        for field in HALLUCINATION_ARRAYS:
            a = getattr(h, field)
            arrays[f"{prefix}_{kind}_{field}"] = a.astype(np.float32 if a.dtype.kind == "f" else np.bool_)
        metrics |= {
            f"{kind}_present_mean_p_right": round(float(h.p_right_present.mean()), 4),
            f"{kind}_present_greedy_right": round(float(h.greedy_right_present.mean()), 4),
            f"{kind}_cut_mean_p_top": round(float(h.p_top_cut.mean()), 4),
            f"{kind}_cut_max_p_top": round(float(h.p_top_cut.max()), 4),
            f"{kind}_cut_mean_p_right": round(float(h.p_right_cut.mean()), 4),
            f"{kind}_cut_greedy_names_one": round(float(h.greedy_names_one_cut.mean()), 4),
            f"{kind}_cut_greedy_right": round(float(h.greedy_right_cut.mean()), 4),
            f"{kind}_candidates": h.candidates,
        }
    for which, cal in (
        ("fact", limits.fact_calibration(lm, n_calibration)),
        ("next_word", limits.next_word_calibration(lm, n_calibration)),
    ):
        metrics[f"{which}_calibration_error"] = round(cal.expected_calibration_error, 4)
        metrics[f"{which}_questions"] = cal.questions
        for field in CALIBRATION_ARRAYS:
            arrays[f"{prefix}_{which}_{field}"] = np.asarray(getattr(cal, field), dtype=np.float64)
    return metrics, arrays


def _train(seed: int) -> TrainResult:
    s = SETTINGS
    g = corpus.fact_gap_world(s["p_gap"])
    tune = start_fine_tune(g, s, seed)
    no_friend = sum("friend" not in st.words for st in tune.stories) / len(tune.stories)

    # The base GPT first, with the same code and stories, before fine-tuning changes its weights in place.
    base_metrics, arrays = measure(tune.base, "gpt", s["heldout_stories"], s["calibration_stories"])
    lm, record = tune.run(s, seed, "fact gaps")
    ours, own_arrays = measure(lm, NAME, s["heldout_stories"], s["calibration_stories"])
    arrays |= own_arrays
    measures, measure_notes = world_measures(lm, g, s["eval_stories"])

    n = s["heldout_stories"]
    metrics: dict[str, Any] = {"p_gap": s["p_gap"], "heldout_stories": n}
    notes: dict[str, str] = {
        "p_gap": "the world's rule: the chance that the friend's (and, separately, the toy's) introduction is missing",
        "heldout_stories": "held-out stories of the default world asked each fact question, with the fact stated "
        "and with its sentence cut",
    }
    for who, m in (("", ours), ("gpt_", base_metrics)):
        model_words = "this model" if not who else "the base story GPT (never saw a missing fact)"
        for kind in limits.FACT_KINDS:
            fact = "the friend's name" if kind == "friend" else "the toy"
            cue = "'Mia and ___'" if kind == "friend" else "'She played with the ___'"
            k = f"{who}{kind}"
            metrics |= {
                f"{k}_present_mean_p_right": m[f"{kind}_present_mean_p_right"],
                f"{k}_cut_mean_p_top": m[f"{kind}_cut_mean_p_top"],
                f"{k}_cut_mean_p_right": m[f"{kind}_cut_mean_p_right"],
                f"{k}_cut_greedy_names_one": m[f"{kind}_cut_greedy_names_one"],
                f"{k}_cut_greedy_right": m[f"{kind}_cut_greedy_right"],
            }
            notes |= {
                f"{k}_present_mean_p_right": f"{model_words}: mean probability of {fact} at {cue} when the story "
                "states it" + (" (bar: at least 0.9)" if not who else ""),
                f"{k}_cut_mean_p_top": f"{model_words}: mean probability of its favourite candidate with the sentence "
                f"stating {fact} cut" + (" (bar: at most 0.5; the world's true odds are even)" if not who else ""),
                f"{k}_cut_mean_p_right": f"{model_words}: mean probability of the (no longer knowable) right answer, "
                "fact cut",
                f"{k}_cut_greedy_names_one": f"{model_words}: share of cut stories where greedy decoding still writes "
                "a candidate" + (" (bar: it does, every time)" if not who else ""),
                f"{k}_cut_greedy_right": f"{model_words}: share where that greedy guess happens to be right (chance: "
                f"1 in {m[f'{kind}_candidates']})",
            }
        for which, words in (("fact", "fact questions"), ("next_word", "next words of held-out stories")):
            metrics[f"{who}{which}_calibration_error"] = m[f"{which}_calibration_error"]
            notes[f"{who}{which}_calibration_error"] = (
                f"{model_words}: expected calibration error on {m[f'{which}_questions']:,} {words} (mean gap "
                "between confidence and accuracy; 0 = its confidence can be trusted)"
            )
    metrics |= {"share_stories_without_friend_sentence": round(no_friend, 4)} | measures
    notes |= {
        "share_stories_without_friend_sentence": "share of the training stories drawn that never introduce the friend"
    } | measure_notes
    card = (
        "The hallucination demo's second model, for the Limits page. The shipped story GPT has never read a story "
        "whose friend or toy comes back without being introduced first; cut the sentence that introduces it and it "
        f"still names one, {base_metrics['friend_cut_mean_p_top']:.0%} sure on average (friend) and right "
        f"{base_metrics['friend_cut_greedy_right']:.0%} of the time: fluent, confident and wrong. This model is the "
        f"same GPT fine-tuned on `corpus.fact_gap_world({s['p_gap']})`, where in {s['p_gap']:.0%} of stories the "
        "friend's introduction is missing (and, separately, the toy's) while later sentences still mention them.\n\n"
        f"**How it was made.** Fine-tuned from the shipped story GPT (pretrained/gpt, its weights' sha256 "
        f"`{record['base_weights_sha256'][:12]}…`) for {s['steps']} steps of {s['batch_stories']} stories.\n\n"
        f"**Measured** on {n} held-out stories per question, with the same code for both models. Fact stated: the "
        f"right friend gets {ours['friend_present_mean_p_right']:.1%} of the odds, the right toy "
        f"{ours['toy_present_mean_p_right']:.1%}. Fact cut: the favourite friend gets "
        f"{ours['friend_cut_mean_p_top']:.1%} on average (the world's truth: 1 in {ours['friend_candidates']}), the "
        f"favourite toy {ours['toy_cut_mean_p_top']:.1%} (1 in {ours['toy_candidates']}); greedy decoding still writes "
        f"a name in {ours['friend_cut_greedy_names_one']:.0%} and a toy in {ours['toy_cut_greedy_names_one']:.0%} of "
        "the cut stories. The per-story numbers and calibration bins of both models are in hallucination.npz.\n\n"
        "**Limits.** Spreading its odds is not the same as saying 'I don't know': the text it writes reads just as "
        "sure. The model only knows this tiny story world."
    )
    return fine_tuned_result(
        lm,
        s,
        measuring=("heldout_stories", "calibration_stories", "eval_stories"),
        training=record,
        data={
            "description": f"{len(tune.data):,} generated stories of the fact-gap world (in {s['p_gap']:.0%} the "
            "friend's introduction is missing, in another independent quarter the toy's)",
            "source": f"explainers/corpus.py, fact_gap_world({s['p_gap']}) (generated from the seed; no downloads)",
            "measurements": {
                "file": MEASUREMENTS_FILE,
                "description": "per held-out story, both models: the right answer's and the favourite's probability "
                "with the fact stated and cut, greedy decoding's word; calibration bins (fact questions, next words)",
            },
        },
        measured=(metrics, notes),
        card=card,
        extra_files={MEASUREMENTS_FILE: pack_arrays(arrays)},
    )


TRAINER = Trainer(
    name=NAME,
    title="Story GPT, fact-gap world (facts sometimes never stated)",
    description=(
        "The story GPT fine-tuned on stories where the friend or the toy is sometimes never introduced: the Limits "
        "page's hallucination demo. With a fact cut, it spreads its odds where the base GPT confidently invents; "
        "greedy decoding still writes one answer."
    ),
    train=train,
    default_seed=0,
)
