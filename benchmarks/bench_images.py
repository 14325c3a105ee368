"""Server compute for the image models (VAE, diffusion, GAN, judge), digits and clothes, on the shipped weights.

    .venv/bin/python benchmarks/bench_images.py [--threads N] [--reps R]

Writes benchmarks/results/images.json and prints a markdown table. Times are medians of repeated calls of the
same explain functions the pages use (no Streamlit overhead, no caching), as wall time and as this process's CPU
time (the machine is shared: when others are busy the wall time grows but the CPU time barely moves).
Targets: digits (issue 4): one digit's full DDPM trajectory with all intermediates <= 250 ms; a 16-digit grid with
20 DDIM steps <= 150 ms; decoding the VAE grid <= 50 ms. Clothes (issue 14): a 16-picture grid with 20 DDIM steps
<= 1.5 s; one full step-by-step (DDPM) trajectory <= 2 s; decoding the 15x15 VAE map <= 50 ms.
The GAN page's live figures come from benchmarks/bench_gan.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from explainers.datasets import get_dataset, real_pictures  # noqa: E402
from explainers.diffusion import load_diffusion, sample  # noqa: E402
from explainers.gan_images import load_image_gan  # noqa: E402
from explainers.judge import judge_report, load_judge  # noqa: E402
from explainers.store import ModelLoadError  # noqa: E402
from explainers.vae import FASHION_GRID_SIZE, encode_images, latent_grid, load_vae  # noqa: E402


def median_ms(fn: Callable[[], object], reps: int, warmup: int = 2) -> tuple[float, float]:
    """Median wall time and median CPU time of this process, in ms."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


Row = tuple[str, float | None, Callable[[], object], int]


def digits_rows(reps: int) -> list[Row]:
    diffusion, vae, judge = load_diffusion(), load_vae(), load_judge()
    steps = diffusion.schedule.num_train_timesteps
    one_digit = real_pictures("digits").images[:1]
    grid = list(range(10)) + [0] * 6
    return [
        (
            f"diffusion: one digit, full DDPM ({steps} steps), all intermediates recorded",
            250.0,
            lambda: sample(diffusion, [7], seed=1, sampler="ddpm", record=True),
            reps,
        ),
        (
            "diffusion: 16-digit grid, DDIM 20 steps",
            150.0,
            lambda: sample(diffusion, grid, seed=1, sampler="ddim", steps=20),
            reps,
        ),
        (
            f"diffusion: 16-digit grid, full DDPM ({steps} steps)",
            None,
            lambda: sample(diffusion, grid, seed=1, sampler="ddpm"),
            max(5, reps // 3),
        ),
        ("VAE: decode the 12x12 latent grid (144 images)", 50.0, lambda: latent_grid(vae), reps * 3),
        ("VAE: encode + reconstruct one digit", None, lambda: encode_images(vae, one_digit), reps * 3),
        ("judge: read 144 images", None, lambda: judge_report(judge, torch.rand(144, 1, 8, 8)), reps * 3),
    ]


def clothes_rows(reps: int) -> list[Row]:
    data = get_dataset("fashion")
    diffusion = load_diffusion(data.model("diffusion"))
    vae, judge, gan = load_vae(data.model("vae")), load_judge(data.model("judge")), load_image_gan(data.model("gan"))
    steps = diffusion.schedule.num_train_timesteps
    w = diffusion.default_guidance
    grid = list(range(10)) + list(range(6))
    one = real_pictures(data).images[:1]
    slow = max(3, reps // 5)
    return [
        (
            f"clothes diffusion: 16-picture grid, DDIM 20 steps, guidance {w:g}",
            1500.0,
            lambda: sample(diffusion, grid, seed=1, sampler="ddim", steps=20),
            slow,
        ),
        (
            f"clothes diffusion: one picture step by step, full DDPM ({steps} steps), all intermediates recorded",
            2000.0,
            lambda: sample(diffusion, [7], seed=1, sampler="ddpm", record=True),
            slow,
        ),
        (
            "clothes diffusion: one picture step by step, DDIM 20 steps, all intermediates recorded",
            None,
            lambda: sample(diffusion, [7], seed=1, sampler="ddim", steps=20, record=True),
            reps,
        ),
        (
            f"clothes VAE: decode the {FASHION_GRID_SIZE}x{FASHION_GRID_SIZE} map",
            50.0,
            lambda: latent_grid(vae, FASHION_GRID_SIZE),
            reps * 3,
        ),
        ("clothes VAE: encode + redraw one picture", None, lambda: encode_images(vae, one), reps * 3),
        ("clothes GAN: 64 fresh pictures", None, lambda: gan.sample(64, seed=1), reps * 3),
        ("clothes judge: read 144 pictures", None, lambda: judge_report(judge, torch.rand(144, 1, 28, 28)), reps),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    # The pages run these networks on one thread (the image pages' one_thread), so that is the default here.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = digits_rows(args.reps)
    missing = []
    try:
        rows += clothes_rows(args.reps)
    except ModelLoadError as error:  # the clothes models are not trained yet: measure the digits only
        missing.append(str(error))
    load_before = round(os.getloadavg()[0], 2)
    measured = [(name, target, *median_ms(fn, reps)) for name, target, fn, reps in rows]
    result = {
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_1min": load_before,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "median_ms": {name: round(ms, 2) for name, _, ms, _ in measured},
        "median_cpu_ms": {name: round(cpu, 2) for name, _, _, cpu in measured},
        "target_ms": {name: target for name, target, _, _ in measured if target is not None},
        "meets_target": {name: ms <= target for name, target, ms, _ in measured if target is not None},
        "not_measured": missing,
    }
    out = ROOT / "benchmarks" / "results" / "images.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"Image models, {args.threads} thread(s), load average {result['load_average_1min']} "
        f"on {result['cpu_count']} cores\n"
    )
    print("| what | median | CPU | target |\n|---|---|---|---|")
    for name, target, ms, cpu in measured:
        shown = f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"
        goal = "" if target is None else f"≤ {target:.0f} ms {'✅' if ms <= target else '❌'}"
        print(f"| {name} | {shown} | {cpu:.0f} ms | {goal} |")
    for line in missing:
        print(f"not measured: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
