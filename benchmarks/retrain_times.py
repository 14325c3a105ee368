"""How long retraining every shipped model takes, collected from the models' own config.json files.

    .venv/bin/python benchmarks/retrain_times.py

Every trainer records `training.wall_seconds` (and, since the clothes models, `training.cpu_seconds`: this
process's CPU time, which on a shared machine is the better measure of the work, because wall time also counts
other people's jobs). Writes benchmarks/results/retrain.json: one entry per model plus the totals, and whether
the whole retrain fits the budget (45 minutes on 2 cores). Models trained before CPU time was recorded count
with their wall time, which can only overstate the work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explainers.store import ModelLoadError, pretrained_root, read_config  # noqa: E402

BUDGET_MINUTES = 45.0  # issue 14: retraining every model from scratch, on 2 cores


def main() -> int:
    out = ROOT / "benchmarks" / "results" / "retrain.json"
    previous = json.loads(out.read_text()) if out.is_file() else {}
    models: dict[str, dict[str, object]] = {}
    for path in sorted(pretrained_root().glob("*/config.json")):
        name = path.parent.name
        try:
            training = read_config(name)["training"]
        except ModelLoadError as error:
            print(f"skipped {name}: {error.reason}")
            continue
        wall = float(training.get("wall_seconds", 0.0))
        cpu = training.get("cpu_seconds")
        models[name] = {
            "wall_seconds": wall,
            "cpu_seconds": None if cpu is None else float(cpu),
            "work_seconds": wall if cpu is None else float(cpu),  # what the budget counts
            "torch_threads_used": training.get("torch_threads_used", training.get("torch_threads")),
        }
        # Hand-added notes (for example how a model was timed) survive a rerun.
        note = previous.get("models", {}).get(name, {}).get("note")
        if note:
            models[name]["note"] = note
    work = sum(float(m["work_seconds"]) for m in models.values())
    result = {
        "what": "time to retrain each shipped model from scratch (python -m training <name>), from its config.json",
        "models": models,
        "total_work_minutes": round(work / 60, 1),
        "total_wall_minutes_as_recorded": round(sum(float(m["wall_seconds"]) for m in models.values()) / 60, 1),
        "budget_minutes": BUDGET_MINUTES,
        "fits_budget_one_core_after_another": work / 60 <= BUDGET_MINUTES,
        "note": "work_seconds is CPU time where recorded (each trainer uses one torch thread), else wall time. "
        "Trained one after another on one core this is the wall time of an idle machine; two trainers at once on "
        "the two cores take about half.",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| model | wall | CPU |\n|---|---|---|")
    for name, m in models.items():
        cpu = "" if m["cpu_seconds"] is None else f"{m['cpu_seconds']:.0f} s"
        print(f"| {name} | {m['wall_seconds']:.0f} s | {cpu} |")
    print(f"\ntotal work {result['total_work_minutes']} min (budget {BUDGET_MINUTES:.0f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
