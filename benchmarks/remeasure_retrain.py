"""Retrain shipped models into a scratch folder to measure what retraining costs, without replacing anything.

    .venv/bin/python benchmarks/remeasure_retrain.py fashion_judge judge vae

Some models were trained before the trainers recorded their CPU time, or while the shared machine was so busy that
their wall time mostly counts waiting. This runs the same trainer (`training.runner.run_trainer`, one torch thread,
the model's default seed) into a temporary folder, records its CPU and wall time and whether it reproduced the
shipped weights byte for byte, and merges that into benchmarks/results/retrain.json under the model's
`remeasured` key; benchmarks/retrain_times.py then counts that CPU time. The shipped model is never touched.
Each model runs in its own process, so one model's memory or threads cannot affect the next one's time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "results" / "retrain.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _train_into(name: str, folder: str) -> None:
    """Child process: train `name` into `folder` (the trainers' own entry point, as `python -m training` runs it)."""
    import torch

    from training.__main__ import get_trainer
    from training.runner import run_trainer

    torch.set_num_threads(1)
    run_trainer(get_trainer(name), root=Path(folder))


def remeasure(name: str) -> dict[str, object]:
    from explainers.store import pretrained_root

    with tempfile.TemporaryDirectory(prefix=f"retrain-{name}-") as folder:
        load_before = os.getloadavg()[0]
        subprocess.run([sys.executable, __file__, "--child", name, folder], check=True, cwd=ROOT)
        config = json.loads((Path(folder) / name / "config.json").read_text())
        fresh = {p.name: _sha256(p) for p in (Path(folder) / name).glob("*.safetensors")}
    shipped = {p.name: _sha256(p) for p in (pretrained_root() / name).glob("*.safetensors")}
    training = config["training"]
    return {
        "cpu_seconds": training["cpu_seconds"],
        "wall_seconds": training["wall_seconds"],
        "torch_threads": training.get("torch_threads"),
        "same_weights_as_shipped": bool(fresh) and fresh == shipped,
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _train_into(*args.child)
        return 0
    if not args.names:
        parser.print_help()
        return 2
    for name in args.names:
        result = remeasure(name)
        data = json.loads(OUT.read_text()) if OUT.is_file() else {}  # read now: keep what others wrote meanwhile
        data.setdefault("models", {}).setdefault(name, {})["remeasured"] = result
        OUT.write_text(json.dumps(data, indent=2) + "\n")
        print(
            f"{name}: {result['cpu_seconds']} s CPU, {result['wall_seconds']} s wall, "
            f"same weights: {result['same_weights_as_shipped']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
