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

# name -> module exposing TRAINER. Order matters for `all`: the judge scores the image models.
TRAINERS: dict[str, str] = {
    "gpt": "training.gpt",
    "judge": "training.judge",
    "vae": "training.vae",
    "diffusion": "training.diffusion",
    "gan_digits": "training.gan_digits",
}


def get_trainer(name: str) -> Trainer:
    return importlib.import_module(TRAINERS[name]).TRAINER


def available() -> list[str]:
    names = []
    for name, module in TRAINERS.items():
        if importlib.util.find_spec(module) is not None:
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
