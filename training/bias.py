"""Fine-tune the story GPT on a story world with a deliberate skew: who is the doctor?

    python -m training bias_skewed     # 80% of doctors are "he" in the data
    python -m training bias_balanced   # 50/50: the same world without the skew

The doctor world (`corpus.doctor_world`) is the default story world plus one sentence,
"Mia met a doctor , and the doctor said that he would help .", whose pronoun is "he" with a set
probability. Both models start from the shipped story GPT (read from pretrained/gpt, so train the GPT
first) and take a few hundred steps on stories of their world: fine-tuning rather than training from
scratch keeps the retrain within budget, and only the new sentence has anything new to learn.
The bias measurements (data's split, the model's odds, greedy decoding, sampling) go in the card.
"""

from __future__ import annotations

import os

from explainers import corpus, limits
from training.common import FINE_TUNING, fine_tuned_result, start_fine_tune, world_measures
from training.runner import Trainer, TrainResult, on_one_thread

SETTINGS = {
    **FINE_TUNING,
    "doctor_weight": 2.0,
    "steps": int(os.environ.get("GLASSBOX_BIAS_STEPS", 300)),
    "bias_prompts": 200,
    "samples_per_prompt": 5,
    "eval_stories": 200,
}


def _train(p_he: float, seed: int) -> TrainResult:
    s = SETTINGS
    g = corpus.doctor_world(p_he, s["doctor_weight"])
    tune = start_fine_tune(g, s, seed)
    lm, record = tune.run(s, seed, f"bias {p_he:.0%} he")
    share, sentences = limits.data_share_he(p_he, tune.stories)
    bias = limits.measure_bias(lm, limits.doctor_prompts(p_he, s["bias_prompts"]), s["samples_per_prompt"])
    # The default world's measures still hold after fine-tuning (the Attention page's name head among them).
    measures, measure_notes = world_measures(lm, g, s["eval_stories"])
    metrics = {
        "grammar_share_he": p_he,
        "data_share_he": round(share, 4),
        "data_doctor_sentences": sentences,
        "model_odds_he": round(bias.odds_he, 4),
        "model_pronoun_mass": round(float((bias.p_he + bias.p_she).mean()), 4),
        "greedy_he": bias.greedy_he,
        "greedy_she": bias.greedy_she,
        "bias_prompts": bias.prompts,
        "sampled_share_he": round(bias.sampled_share_he, 4),
        "sampled_she": bias.sampled_she,
        "samples": bias.samples,
    } | measures
    notes = {
        "grammar_share_he": "the world's rule: the probability that a doctor is 'he'",
        "data_share_he": "share of 'he' among the doctor sentences of the training stories actually drawn",
        "data_doctor_sentences": "doctor sentences in the training stories",
        "model_odds_he": "the model's P(he) / (P(he) + P(she)) after '... the doctor said that', mean over "
        "held-out prompts (bar: within 0.05 of the data's share)",
        "model_pronoun_mass": "P(he) + P(she) there: how sure the model is that a pronoun comes next",
        "greedy_he": "held-out prompts where greedy decoding (always the top token) writes 'he'",
        "greedy_she": "... and 'she'",
        "bias_prompts": "held-out doctor-world prompts (a seed never used in training)",
        "sampled_share_he": "share of 'he' when sampling at temperature 1 "
        f"({s['samples_per_prompt']} draws per prompt; bar: within 0.05 of the data's share)",
        "sampled_she": "draws that wrote 'she'",
        "samples": "draws at temperature 1",
    } | measure_notes
    skew = "skewed" if p_he != 0.5 else "balanced"
    card = (
        f"A deliberately {skew} story world for the Limits page's bias demo: the default Glassbox story world plus "
        "one sentence, 'Mia met a doctor, and the doctor said that he would help.', in which the doctor is 'he' "
        f"with probability {p_he:.0%} and 'she' otherwise (`corpus.doctor_world({p_he})`). Nothing else about "
        "doctors, or about anyone, differs.\n\n"
        f"**How it was made.** Fine-tuned from the shipped story GPT (pretrained/gpt, its weights' sha256 "
        f"`{record['base_weights_sha256'][:12]}…`) for {s['steps']} steps of {s['batch_stories']} stories "
        "of this world: the base model already writes the stories, so only the new sentence has anything new "
        "to learn, and fine-tuning keeps the retrain within budget.\n\n"
        f"**Measured.** In the training data {share:.1%} of {sentences:,} doctors are 'he'. After '... the doctor "
        f"said that', the model gives 'he' {bias.odds_he:.1%} of the two pronouns' odds (mean over {bias.prompts} "
        f"held-out prompts). Greedy decoding writes 'he' {bias.greedy_he} times out of {bias.prompts}. Sampling at "
        f"temperature 1 writes 'he' in {bias.sampled_share_he:.1%} of {bias.samples} draws.\n\n"
        "**Limits.** The model only knows this tiny story world."
    )
    return fine_tuned_result(
        lm,
        s,
        measuring=("bias_prompts", "samples_per_prompt", "eval_stories"),
        training={"p_doctor_he": p_he, **record},
        data={
            "description": f"{len(tune.data):,} generated stories of the doctor world ({p_he:.0%} of doctors 'he')",
            "source": f"explainers/corpus.py, doctor_world({p_he}) (generated from the seed; no downloads)",
        },
        measured=(metrics, notes),
        card=card,
    )


def make_trainer(name: str, p_he: float) -> Trainer:
    label = "80% of doctors 'he'" if p_he == 0.8 else f"{p_he:.0%} of doctors 'he'"
    return Trainer(
        name=name,
        title=f"Story GPT, doctor world ({label})",
        description=(
            f"The story GPT fine-tuned on a story world where {label}: the Limits page's bias demo "
            "(data's split, the model's odds, greedy decoding and sampling)."
        ),
        train=on_one_thread(_train, p_he),  # bit-identical weights on any machine
        default_seed=0,
    )
