"""Retrain shipped models from scratch on CPU.

python -m training all          # every model, in dependency order
python -m training gpt judge    # just these
python -m training --list
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time

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
    for name in chosen:
        started = time.perf_counter()
        path = run_trainer(get_trainer(name), seed=args.seed)
        print(f"[{name}] saved to {path} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
