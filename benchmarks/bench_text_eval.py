"""Text evaluation and the long-range test, on the shipped models (issue 17).

    .venv/bin/python benchmarks/bench_text_eval.py

Per-word perplexity of the unigram, the bigram, the RNN and the GPT on the same 400 held-out stories, with the
grammar's floor; the long-range test (probability of the right name against distance) for the RNN and the GPT;
the per-word surprise of every model on the showcase story. Writes benchmarks/results/text_eval.json, with
each model's weights checksum, so a rerun after any retrain replaces every number.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from explainers import lm as lmx  # noqa: E402
from explainers import ngram, text_eval  # noqa: E402
from explainers.lm_quality import heldout_stories  # noqa: E402
from explainers.long_range import long_range_curve  # noqa: E402
from explainers.rnn import load_rnn_lm  # noqa: E402


def main() -> int:
    torch.set_num_threads(1)
    started = time.perf_counter()
    held = heldout_stories()
    grams = ngram.load_ngrams()
    rnn, gpt = load_rnn_lm(), lmx.load_lm("gpt")
    scorers = {
        "unigram": lambda stories: [grams["unigram"].word_nats(s.words) for s in stories],
        "bigram": lambda stories: [grams["bigram"].word_nats(s.words) for s in stories],
        "rnn": lambda stories: text_eval.token_model_word_nats(rnn.model, rnn.tok, stories),
        "gpt": lambda stories: text_eval.token_model_word_nats(gpt.model, gpt.tok, stories),
    }
    ppl = {name: text_eval.perplexity(score(held)) for name, score in scorers.items()}
    floor = text_eval.floor(held)
    story = text_eval.showcase_story()
    surprise = {name: [round(float(x), 4) for x in score([story])[0]] for name, score in scorers.items()}
    surprise["grammar"] = [round(float(x), 4) for x in text_eval.true_word_nats(story)]
    curves = {name: long_range_curve(lm.model, lm.tok, n_prompts=100) for name, lm in (("rnn", rnn), ("gpt", gpt))}
    result = {
        "threads": 1,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "heldout_stories": floor.stories,
        "heldout_words": floor.words,
        "per_word_perplexity": {name: round(p.perplexity, 4) for name, p in ppl.items()},
        "floor_per_word_perplexity_heldout": round(floor.perplexity, 4),
        "floor_per_word_perplexity_exact_entropy": round(text_eval.entropy_floor().perplexity, 4),
        "transformer_closer_to_floor": ppl["gpt"].perplexity < ppl["rnn"].perplexity,
        "long_range": {
            "filler_sentences": [int(k) for k in curves["gpt"].fillers],
            "mean_distance_words": [round(float(d), 1) for d in curves["gpt"].distance],
            "prompts_per_distance": curves["gpt"].prompts,
            **{
                name: {
                    "p_right_name": [round(float(p), 4) for p in c.p_right],
                    "min_p_right_name": [round(float(p), 4) for p in c.p_right_each.min(axis=1)],
                    "right_name_is_favourite": [round(float(p), 4) for p in c.top_right],
                }
                for name, c in curves.items()
            },
        },
        "showcase_story": {"words": list(story.words), "surprise_nats": surprise},
        "weights_sha256": {
            "gpt": gpt.config["weights"]["sha256"],
            "rnn": rnn.config["weights"]["sha256"],
            "ngram": json.loads((ROOT / "pretrained" / "ngram" / "config.json").read_text())["weights"]["sha256"],
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = ROOT / "benchmarks" / "results" / "text_eval.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("per_word_perplexity", "floor_per_word_perplexity_heldout")}, indent=2))
    print("long range:", result["long_range"]["mean_distance_words"])
    for name in ("rnn", "gpt"):
        print(f"  {name}:", result["long_range"][name]["p_right_name"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
