"""What one output costs on this server, for every shipped generator, and the arithmetic for a large model
(issue 16).

    .venv/bin/python benchmarks/bench_cost.py

Writes benchmarks/results/cost.json: parameters, network passes per output and measured milliseconds (median
of repeated runs, one torch thread, model already loaded), this machine's measured single-thread arithmetic
speed, and the large-model figures with their assumptions and sources (explainers/cost.py).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from explainers import cost  # noqa: E402

LARGE = {"Llama 2 70B": 70e9, "GPT-3 175B": 175e9}
ANSWER_TOKENS = 500  # a long chat answer, about 375 English words


def main() -> int:
    table = cost.measure_costs(reps=7)
    flops = cost.measured_flops_per_second()
    ours = next(m for m in table.models if m.name == "gpt").parameters
    rows = {
        m.name: {
            "title": m.title,
            "output": m.output,
            "parameters": m.parameters,
            "passes_per_output": m.passes_per_output,
            "ms_per_output": round(m.ms_per_output, 2),
            "ms_per_pass": round(m.ms_per_pass, 3),
            "how_counted": m.note,
        }
        for m in table.models
    }
    large = {}
    for label, n in LARGE.items():
        c = cost.large_model_cost(n, ANSWER_TOKENS, flops, ours)
        large[label] = {
            "parameters": n,
            "answer_tokens": c.answer_tokens,
            "flops_per_token": c.flops_per_token,
            "flops_per_answer": c.flops_per_answer,
            "weights_gb_16bit": round(c.weight_bytes / 1e9, 1),
            "gpus_80gb_to_hold_the_weights": c.gpus_to_hold_weights,
            "minutes_per_answer_on_this_server_one_thread": round(c.seconds_per_answer_here / 60, 1),
            "ms_per_token_gpu_peak_arithmetic": round(c.seconds_per_token_gpu_compute * 1000, 3),
            "ms_per_token_reading_every_weight_at_one_gpus_memory_speed": round(
                c.seconds_per_token_gpu_memory * 1000, 1
            ),
            "times_our_gpt_per_token": round(c.ratio_to_ours),
        }
    result = {
        "threads": 1,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "torch": torch.__version__,
        "models": rows,
        "skipped": dict(table.skipped),
        "this_server_flops_per_second_one_thread": round(flops),
        "large_models": large,
        "assumptions": [
            "forward pass only: about 2 x parameters floating-point operations per token (multiply + add per weight)",
            "attention's own cost (grows with text length) left out: small next to 2 x parameters for short texts",
            "one answer at a time (batch of one); 16-bit weights (2 bytes per parameter)",
            "GPU figures at the datasheet's peak; real serving reaches a fraction of it",
            f"this server's speed: a {384}x{384} float32 matrix product on one thread, measured now",
            "reading every weight once per token bounds the time from below at batch one: one GPU's memory speed is "
            "used for the arithmetic, though weights this large are split over several GPUs that read in parallel",
        ],
        "sources": cost.SOURCES,
    }
    out = ROOT / "benchmarks" / "results" / "cost.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, r in rows.items():
        print(
            f"{name:24s} {r['parameters']:>9,} params  {r['passes_per_output']:>5} passes  {r['ms_per_output']:>9.2f} ms"
        )
    print(f"this server: {flops / 1e9:.1f} GFLOP/s on one thread; skipped: {dict(table.skipped)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
