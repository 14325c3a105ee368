"""Server compute for the language-model pages, on the shipped weights.

    .venv/bin/python benchmarks/bench_lm.py [--threads N]

Writes benchmarks/results/lm.json and prints a markdown table. Times are medians of repeated
calls of the same explain functions the pages use (no Streamlit overhead, no caching).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from explainers import lm as lmx  # noqa: E402
from explainers.lm_quality import heldout_stories  # noqa: E402


def timed_ms(fn, reps: int, warmup: int = 3) -> tuple[float, float]:
    """(median, fastest) in ms. On a shared machine the fastest run is the best guess of the
    uncontended cost; the median is what a visitor would have seen right now."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def training_step_ms(reps: int = 40) -> tuple[float, float]:
    """One optimisation step of the shipped architecture on a typical batch (32 stories)."""
    import torch.nn.functional as F

    from explainers import corpus
    from explainers.gpt import GPT, GPTConfig
    from training.gpt import SETTINGS

    cfg = GPTConfig(
        vocab_size=483,
        block_size=SETTINGS["block_size"],
        n_layer=SETTINGS["n_layer"],
        n_head=SETTINGS["n_head"],
        n_embd=SETTINGS["n_embd"],
    )
    model = GPT(cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    T = round(corpus.exact_entropy().words_per_story) + 1
    x = torch.randint(0, cfg.vocab_size, (SETTINGS["batch_stories"], T))

    def step() -> None:
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), x.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return timed_ms(step, reps)


def prompt_of(lm: lmx.LM, n_tokens: int) -> str:
    """A real story prefix that is n_tokens long once the start marker is added."""
    text = " ".join(s.text for s in heldout_stories()[:20])
    ids = lm.tok.encode(text).ids[: n_tokens - 1]
    return lm.tok.decode(ids)


def _fmt(ms: float) -> str:
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch threads (deployment runs 1 per replica)")
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = lmx.load_lm("gpt")
    rows = []
    for n in (32, 128):
        prompt = prompt_of(lm, n)
        assert len(lmx.prompt_ids(lm, prompt)) == n, len(lmx.prompt_ids(lm, prompt))
        rows.append((f"tokens page: tokenize, {n} tokens", timed_ms(lambda p=prompt: lmx.tokenize(lm, p), args.reps)))
        rows.append(
            (f"next-token page: forward pass, {n} tokens", timed_ms(lambda p=prompt: lmx.next_token(lm, p), args.reps))
        )
        rows.append(
            (
                f"attention page: forward pass with attention, {n} tokens",
                timed_ms(lambda p=prompt: lmx.attention(lm, p), args.reps),
            )
        )
    logits = lmx.next_token(lm, prompt_of(lm, 32)).logits
    rows.append(
        (
            "sampling-knob change (temperature, top-k, top-p on cached scores)",
            timed_ms(lambda: lmx.apply_sampling(logits, 0.8, 20, 0.9), args.reps * 10),
        )
    )
    start = "Once upon a time,"
    rows.append(
        (
            "generate 50 tokens, sampled",
            timed_ms(lambda: lmx.generate(lm, start, 50, seed=1, temperature=1.0), 7, warmup=1),
        )
    )
    rows.append(
        (
            "generate 50 tokens, greedy",
            timed_ms(lambda: lmx.generate(lm, start, 50, seed=1, temperature=0.0), 7, warmup=1),
        )
    )
    rows.append(("one training step (32 stories), for the retrain estimate", training_step_ms()))
    result = {
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "parameters": lm.config["weights"]["parameters"],
        "median_ms": {name: round(med, 3) for name, (med, _) in rows},
        "fastest_ms": {name: round(best, 3) for name, (_, best) in rows},
    }
    steps = 4000  # training/gpt.py SETTINGS["steps"]
    result["retrain_estimate_minutes_uncontended"] = round(steps * rows[-1][1][1] / 1000 / 60 + 1, 1)
    out = ROOT / "benchmarks" / "results" / "lm.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"Language model ({result['parameters']:,} parameters), {args.threads} thread(s), "
        f"load average {result['load_average_1min']} on {result['cpu_count']} cores\n"
    )
    print("| what | median | fastest |\n|---|---|---|")
    for name, (med, best) in rows:
        print(f"| {name} | {_fmt(med)} | {_fmt(best)} |")
    print(
        f"\nRetrain estimate without contention: {result['retrain_estimate_minutes_uncontended']} min "
        f"(4,000 steps at the fastest step time, plus about a minute for data, tokenizer and evaluation)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
