"""The Limits page's measurements on the shipped models (issue 16): hallucination, calibration, bias, randomness.

    .venv/bin/python benchmarks/bench_limits.py [--stories 400]

Writes benchmarks/results/limits.json with each model's weights checksum; rerun after any retrain.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explainers import limits  # noqa: E402
from explainers import lm as lmx  # noqa: E402


def _r(x: float, n: int = 4) -> float:
    return round(float(x), n)


def calibration_json(c: limits.Calibration) -> dict:
    return {
        "bin_edges": [_r(e, 2) for e in c.edges],
        "count": [int(n) for n in c.count],
        "mean_confidence": [None if np.isnan(x) else _r(x) for x in c.confidence],
        "accuracy": [None if np.isnan(x) else _r(x) for x in c.accuracy],
        "questions": c.questions,
        "expected_calibration_error": _r(c.expected_calibration_error),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=400, help="held-out stories per fact question (bar: >= 200)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    gpt = lmx.load_lm("gpt")
    result: dict = {
        "threads": 1,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "weights_sha256": {"gpt": gpt.config["weights"]["sha256"]},
        "hallucination": {},
    }
    # The same measurement on the model fine-tuned on stories with missing facts (training/fact_gaps.py).
    gap = lmx.load_lm("fact_gaps")
    result["weights_sha256"]["fact_gaps"] = gap.config["weights"]["sha256"]
    result["hallucination_fact_gaps"] = {}
    for (model, section), kind in itertools.product(
        ((gpt, "hallucination"), (gap, "hallucination_fact_gaps")), limits.FACT_KINDS
    ):
        h = limits.measure_hallucination(model, kind, args.stories)
        result[section][kind] = {
            "stories": h.stories,
            "candidates": h.candidates,
            "filler_sentences": limits.FACT_FILLERS,
            "present_mean_p_right": _r(h.p_right_present.mean()),
            "present_min_p_right": _r(h.p_right_present.min()),
            "present_share_p_right_at_least_0.9": _r(np.mean(h.p_right_present >= 0.9)),
            "present_greedy_right": _r(h.greedy_right_present.mean()),
            "cut_mean_p_top": _r(h.p_top_cut.mean()),
            "cut_median_p_top": _r(np.median(h.p_top_cut)),
            "cut_share_p_top_at_most_0.5": _r(np.mean(h.p_top_cut <= 0.5)),
            "cut_mean_p_right": _r(h.p_right_cut.mean()),
            "cut_greedy_names_a_candidate": _r(h.greedy_names_one_cut.mean()),
            "cut_greedy_right": _r(h.greedy_right_cut.mean()),
            "bar_present_mean_p_right_at_least_0.9": bool(h.p_right_present.mean() >= 0.9),
            "bar_cut_mean_p_top_at_most_0.5": bool(h.p_top_cut.mean() <= 0.5),
            "bar_cut_greedy_names_one": bool(h.greedy_names_one_cut.mean() >= 0.95),
        }
    result["calibration"] = {
        "fact_questions": calibration_json(limits.fact_calibration(gpt, min(args.stories, 200))),
        "next_word": calibration_json(limits.next_word_calibration(gpt, 200)),
        "fact_gaps_fact_questions": calibration_json(limits.fact_calibration(gap, min(args.stories, 200))),
    }
    result["bias"] = {}
    for name, p_he in (("bias_skewed", 0.8), ("bias_balanced", 0.5)):
        lm = lmx.load_lm(name)
        m = lm.config["metrics"]
        b = limits.measure_bias(lm, limits.doctor_prompts(p_he, 200), samples_per_prompt=5)
        result["weights_sha256"][name] = lm.config["weights"]["sha256"]
        result["bias"][name] = {
            "grammar_share_he": p_he,
            "data_share_he": m["data_share_he"],
            "model_odds_he": _r(b.odds_he),
            "greedy_he": b.greedy_he,
            "greedy_she": b.greedy_she,
            "prompts": b.prompts,
            "sampled_share_he": _r(b.sampled_share_he),
            "samples": b.samples,
            "bar_odds_within_5_points": bool(abs(b.odds_he - m["data_share_he"]) <= 0.05),
            "bar_greedy_majority_every_time": bool(b.greedy_he == b.prompts) if p_he > 0.5 else None,
            "bar_sampling_within_5_points": bool(abs(b.sampled_share_he - m["data_share_he"]) <= 0.05),
        }
    prompt = "Once upon a time, there was a little girl named Mia. She had a friend named"
    fw = limits.first_words(gpt, prompt, n=100, seed=0)
    spread = limits.temperature_spread(gpt, prompt, n=100)
    result["randomness"] = {
        "prompt": prompt,
        "first_words": dict(zip(fw.words, [int(c) for c in fw.counts], strict=True)),
        "model_probability": dict(zip(fw.words, [_r(p) for p in fw.model_probs], strict=True)),
        "temperatures": [float(t) for t in spread.temperatures],
        "entropy_nats": [_r(x) for x in spread.entropy_nats],
        "distinct_first_words_of_100": [int(x) for x in spread.distinct_first_words],
        "top_word_share": [_r(x) for x in spread.top_share],
        "continuations": list(limits.continuations(gpt, prompt)),
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    out = ROOT / "benchmarks" / "results" / "limits.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: result[k] for k in ("hallucination", "bias")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
