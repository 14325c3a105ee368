"""How long retraining every shipped model takes, collected from the models' own config.json files.

    .venv/bin/python benchmarks/retrain_times.py

Every trainer records `training.wall_seconds` (and, since the clothes models, `training.cpu_seconds`: this
process's CPU time, which on a shared machine is the better measure of the work, because wall time also counts
other people's jobs). Writes benchmarks/results/retrain.json: one entry per model plus the totals, and whether
the whole retrain fits the budget (45 minutes on 2 cores, issue 14; 30 minutes, issues 16 and 17). Models trained
before CPU time was recorded count with the CPU time of a rerun into a scratch folder where one was made
(benchmarks/remeasure_retrain.py), else with their wall time, which can only overstate the work.

`python -m training all --jobs 2` trains two models at once, each after the models it reads; the two-core estimate
replays that schedule with each model's work time (one torch thread per trainer, one core each).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explainers.store import ModelLoadError, pretrained_root, read_config  # noqa: E402

BUDGET_MINUTES = 45.0  # issue 14: retraining every model from scratch, on 2 cores
TIGHT_BUDGET_MINUTES = 30.0  # issues 16 and 17
CORES = 2


def two_core_minutes(work: dict[str, float], cores: int = CORES) -> float:
    """Minutes `python -m training all --jobs <cores>` takes if each model needs its work time on one core: the
    same rule as training/__main__.py (TRAINERS order, a model starts once the models it reads are done)."""
    from training.__main__ import DEPENDS, TRAINERS, priorities

    level = priorities(work)
    waiting = sorted((n for n in TRAINERS if n in work), key=lambda n: -level[n])
    finish: dict[str, float] = {}
    free = [0.0] * cores  # when each core is next free
    while waiting:  # when a core frees up, it takes the first waiting model whose inputs are done
        core = min(range(cores), key=free.__getitem__)
        now = free[core]
        ready = [n for n in waiting if all(finish.get(d, 0.0) <= now for d in DEPENDS.get(n, ()) if d in work)]
        if not ready:  # wait for the next running model to finish
            free[core] = min(t for t in finish.values() if t > now)
            continue
        name = ready[0]
        waiting.remove(name)
        finish[name] = now + work[name]
        free[core] = finish[name]
    return max(finish.values(), default=0.0) / 60


def main() -> int:
    out = ROOT / "benchmarks" / "results" / "retrain.json"
    previous = json.loads(out.read_text()) if out.is_file() else {}
    models: dict[str, dict[str, object]] = {}
    for path in sorted(pretrained_root().glob("*/config.json")):
        name = path.parent.name
        try:
            config = read_config(name)
            training = config["training"]
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
        sha = config.get("weights", {}).get("sha256")
        models[name]["weights_sha256"] = sha
        # Hand-added facts (how a model was timed, the load while it trained, a note) survive a rerun while the
        # weights are the ones they describe.
        before = previous.get("models", {}).get(name, {})
        if before.get("weights_sha256") in (None, sha):
            for key, value in before.items():
                models[name].setdefault(key, value)
        remeasured = models[name].get("remeasured")
        if cpu is None and isinstance(remeasured, dict):  # benchmarks/remeasure_retrain.py ran the same trainer
            # Both are upper bounds of the work (the wall time counts waiting; a busy machine also inflates CPU time).
            models[name]["work_seconds"] = min(wall, float(remeasured["cpu_seconds"]))
            models[name]["work_seconds_from"] = "remeasured CPU time (benchmarks/remeasure_retrain.py)"
    work = sum(float(m["work_seconds"]) for m in models.values())
    parallel = two_core_minutes({name: float(m["work_seconds"]) for name, m in models.items()})
    result = {
        "what": "time to retrain each shipped model from scratch (python -m training <name>), from its config.json",
        "models": models,
        "total_work_minutes": round(work / 60, 1),
        "total_wall_minutes_as_recorded": round(sum(float(m["wall_seconds"]) for m in models.values()) / 60, 1),
        "budget_minutes": BUDGET_MINUTES,
        "fits_budget_one_core_after_another": work / 60 <= BUDGET_MINUTES,
        "two_cores_jobs_2_minutes": round(parallel, 1),
        "tight_budget_minutes": TIGHT_BUDGET_MINUTES,
        "fits_budget_two_cores": parallel <= BUDGET_MINUTES,
        "fits_tight_budget_two_cores": parallel <= TIGHT_BUDGET_MINUTES,
        "no_cpu_time_recorded": sorted(
            n for n, m in models.items() if m["cpu_seconds"] is None and "remeasured" not in m
        ),
        "note": "work_seconds is CPU time where recorded (each trainer uses one torch thread), else the CPU time of "
        "a rerun of the same trainer into a scratch folder (the model's `remeasured` entry), else wall time. "
        "Trained one after another on one core this is the wall time of an idle machine. two_cores_jobs_2_minutes "
        "replays `python -m training all --jobs 2` (two models at once, each after the models it reads) with these "
        "work times. Models in no_cpu_time_recorded count with their wall time, which on the shared machine includes "
        "waiting for a core, so both totals are upper bounds.",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| model | wall | CPU | counted |\n|---|---|---|---|")
    for name, m in models.items():
        cpu = "" if m["cpu_seconds"] is None else f"{m['cpu_seconds']:.0f} s"
        print(f"| {name} | {m['wall_seconds']:.0f} s | {cpu} | {float(m['work_seconds']):.0f} s |")
    print(f"\ntotal work {result['total_work_minutes']} min one after another; {parallel:.1f} min with --jobs {CORES}")
    print(f"(budget {BUDGET_MINUTES:.0f} min, issues 16/17: {TIGHT_BUDGET_MINUTES:.0f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
