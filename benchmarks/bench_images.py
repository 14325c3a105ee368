"""Server compute for the VAE and diffusion pages, on the shipped weights.

    .venv/bin/python benchmarks/bench_images.py [--threads N] [--reps R]

Writes benchmarks/results/images.json and prints a markdown table. Times are medians of repeated calls
of the same explain functions the pages use (no Streamlit overhead, no caching). Targets (issue 4):
one digit's full DDPM trajectory with all intermediates <= 250 ms; a 16-digit grid with 20 DDIM steps
<= 150 ms; decoding the VAE grid <= 50 ms. The GAN figures come from benchmarks/bench_gan.py.
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

from explainers.diffusion import load_diffusion, sample  # noqa: E402
from explainers.digits import split  # noqa: E402
from explainers.judge import judge_report, load_judge  # noqa: E402
from explainers.vae import encode_images, latent_grid, load_vae  # noqa: E402


def median_ms(fn, reps: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    # The pages run these networks on one thread (ui/compute.py: TORCH_THREADS), so that is the default here.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    diffusion, vae, judge = load_diffusion(), load_vae(), load_judge()
    steps = diffusion.schedule.num_train_timesteps
    one_digit = split().heldout_images[:1]
    rows = [
        (
            f"diffusion: one digit, full DDPM ({steps} steps), all intermediates recorded",
            250.0,
            median_ms(lambda: sample(diffusion, [7], seed=1, sampler="ddpm", record=True), args.reps),
        ),
        (
            "diffusion: 16-digit grid, DDIM 20 steps",
            150.0,
            median_ms(
                lambda: sample(diffusion, list(range(10)) + [0] * 6, seed=1, sampler="ddim", steps=20), args.reps
            ),
        ),
        (
            f"diffusion: 16-digit grid, full DDPM ({steps} steps)",
            None,
            median_ms(
                lambda: sample(diffusion, list(range(10)) + [0] * 6, seed=1, sampler="ddpm"), max(5, args.reps // 3)
            ),
        ),
        ("VAE: decode the 12x12 latent grid (144 images)", 50.0, median_ms(lambda: latent_grid(vae), args.reps * 3)),
        ("VAE: encode + reconstruct one digit", None, median_ms(lambda: encode_images(vae, one_digit), args.reps * 3)),
        (
            "judge: read 144 images",
            None,
            median_ms(lambda: judge_report(judge, torch.rand(144, 1, 8, 8)), args.reps * 3),
        ),
    ]
    result = {
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "median_ms": {name: round(ms, 2) for name, _, ms in rows},
        "target_ms": {name: target for name, target, _ in rows if target is not None},
        "meets_target": {name: ms <= target for name, target, ms in rows if target is not None},
    }
    out = ROOT / "benchmarks" / "results" / "images.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"Image models, {args.threads} thread(s), load average {result['load_average_1min']} "
        f"on {result['cpu_count']} cores\n"
    )
    print("| what | median | target |\n|---|---|---|")
    for name, target, ms in rows:
        shown = f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"
        goal = "" if target is None else f"≤ {target:.0f} ms {'✅' if ms <= target else '❌'}"
        print(f"| {name} | {shown} | {goal} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
