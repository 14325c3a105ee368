"""Retrain shipped models from scratch on CPU.

python -m training all             # every model, in dependency order, one after another
python -m training all --jobs 2    # two at a time (one per core), each after the models it reads
python -m training gpt judge       # just these
python -m training --list
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from training.runner import Trainer, run_trainer

# name -> module exposing TRAINER (or "module:ATTRIBUTE"). Order matters for `all`: a judge scores its image models.
TRAINERS: dict[str, str] = {
    "gpt": "training.gpt",
    "ngram": "training.ngram",  # these four read the GPT's tokenizer or weights: after "gpt"
    "rnn": "training.rnn",
    "bias_skewed": "training.bias_skewed",
    "bias_balanced": "training.bias_balanced",
    "fact_gaps": "training.fact_gaps",  # the Limits page's hallucination demo
    "judge": "training.judge",
    "vae": "training.vae",
    "diffusion": "training.diffusion",
    "gan_digits": "training.gan_digits",
    "fashion_judge": "training.judge:FASHION_TRAINER",
    "fashion_vae": "training.vae:FASHION_TRAINER",
    "fashion_diffusion": "training.diffusion:FASHION_TRAINER",
    "fashion_diffusion_tiny": "training.diffusion:TINY_TRAINER",
    "fashion_gan": "training.fashion_gan",
}

# name -> the shipped models its trainer reads (tokenizer, weights or judge). With --jobs, a model starts only after
# these finished in the same run (or right away when they are not being retrained).
DEPENDS: dict[str, tuple[str, ...]] = {
    "ngram": ("gpt",),
    "rnn": ("gpt",),
    "bias_skewed": ("gpt",),
    "bias_balanced": ("gpt",),
    "fact_gaps": ("gpt",),
    "vae": ("judge",),
    "diffusion": ("judge",),
    "gan_digits": ("judge",),
    "fashion_vae": ("fashion_judge",),
    "fashion_diffusion": ("fashion_judge",),
    "fashion_diffusion_tiny": ("fashion_judge",),
    "fashion_gan": ("fashion_judge",),
}


def get_trainer(name: str) -> Trainer:
    module, _, attribute = TRAINERS[name].partition(":")
    return getattr(importlib.import_module(module), attribute or "TRAINER")


def available() -> list[str]:
    names = []
    for name, target in TRAINERS.items():
        if importlib.util.find_spec(target.partition(":")[0]) is not None:
            names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="model names, or 'all'")
    parser.add_argument("--seed", type=int, default=None, help="override the model's default seed")
    parser.add_argument("--list", action="store_true", help="list trainable models")
    parser.add_argument(
        "--jobs", type=int, default=1, help="train this many models at once, each in its own process (default 1)"
    )
    args = parser.parse_args(argv)
    names = available()
    if args.list or not args.names:
        print("Trainable models:", ", ".join(names))
        return 0
    chosen = names if args.names == ["all"] else args.names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"Unknown model(s): {', '.join(unknown)}. Choose from: {', '.join(names)} or 'all'.", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("--jobs must be at least 1.", file=sys.stderr)
        return 2
    if args.jobs > 1 and len(chosen) > 1:
        return run_parallel(chosen, args.jobs, args.seed)
    for name in chosen:
        started = time.perf_counter()
        path = run_trainer(get_trainer(name), seed=args.seed)
        print(f"[{name}] saved to {path} in {time.perf_counter() - started:.0f} s")
    return 0


def estimated_seconds(name: str) -> float:
    """How long `name` took last time (CPU seconds, else wall seconds, from its shipped config); 60 if unknown."""
    from explainers.store import ModelLoadError, read_config

    try:
        training = read_config(name)["training"]
    except (ModelLoadError, KeyError):
        return 60.0
    return float(training.get("cpu_seconds") or training.get("wall_seconds") or 60.0)


def priorities(work: dict[str, float]) -> dict[str, float]:
    """Each model's longest chain to the end of the run: its own time plus the longest chain of the models that
    read it. Starting the longest chains first (list scheduling by 'bottom level') keeps both cores busy to the end:
    the clothes judge and diffusion model, the longest chain, start at once instead of after the text models."""
    readers: dict[str, list[str]] = {n: [] for n in work}
    for name in work:
        for needed in DEPENDS.get(name, ()):
            if needed in readers:
                readers[needed].append(name)
    level: dict[str, float] = {}
    for name in reversed([n for n in TRAINERS if n in work]):  # readers come after what they read
        level[name] = work[name] + max((level[r] for r in readers[name]), default=0.0)
    return level


def run_parallel(names: list[str], jobs: int, seed: int | None) -> int:
    """Train `names` in up to `jobs` child processes (`python -m training NAME`), each once the models it reads
    are done, longest chains first (`priorities`, from the times in the shipped configs). Every trainer uses one
    torch thread, so on 2 cores `--jobs 2` takes about half the time.
    A failed model stops the models that read it; the others still run. Returns 1 if any failed."""
    order = sorted(names, key=list(TRAINERS).index)
    level = priorities({name: estimated_seconds(name) for name in order})
    waiting = sorted(order, key=lambda name: -level[name])  # longest chain first (a stable sort keeps ties in order)
    running: dict[str, tuple[subprocess.Popen, Path, float]] = {}
    done: set[str] = set()
    failed: set[str] = set()
    logs = Path(tempfile.mkdtemp(prefix="glassbox-training-"))
    started = time.perf_counter()
    print(f"Training {len(order)} models, {jobs} at a time; each one's output goes to {logs}/NAME.log")
    while waiting or running:
        for name in list(waiting):
            needs = [d for d in DEPENDS.get(name, ()) if d in order]
            if any(d in failed for d in needs):
                waiting.remove(name)
                failed.add(name)
                print(f"[{name}] skipped: it reads {', '.join(d for d in needs if d in failed)}, which failed")
            elif len(running) < jobs and all(d in done for d in needs):
                waiting.remove(name)
                command = [sys.executable, "-m", "training", name] + ([] if seed is None else ["--seed", str(seed)])
                log = logs / f"{name}.log"
                with log.open("w") as out:
                    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
                running[name] = (process, log, time.perf_counter())
                print(f"[{name}] started")
        if waiting and not running:  # nothing can start: a dependency is missing from this run and failed before
            print(f"Cannot start: {', '.join(waiting)}", file=sys.stderr)
            return 1
        time.sleep(1.0)
        for name, (process, log, began) in list(running.items()):
            if process.poll() is None:
                continue
            del running[name]
            seconds = time.perf_counter() - began
            if process.returncode == 0:
                done.add(name)
                print(f"[{name}] finished in {seconds:.0f} s")
            else:
                failed.add(name)
                print(f"[{name}] FAILED after {seconds:.0f} s (exit {process.returncode}); see {log}", file=sys.stderr)
    total = time.perf_counter() - started
    print(f"{len(done)} of {len(order)} models trained in {total:.0f} s ({total / 60:.1f} min) with --jobs {jobs}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
