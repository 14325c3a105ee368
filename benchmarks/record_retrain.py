"""Record models' measured training wall times in benchmarks/results/retrain.json (merging: other entries stay).

    .venv/bin/python benchmarks/record_retrain.py ngram rnn bias_skewed bias_balanced

The times are those the trainers measured and saved in pretrained/<name>/config.json (training.wall_seconds):
the real cost of `python -m training <name>` on this machine, one torch thread, under whatever load the
shared machine had then (the load at recording time is noted).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explainers.store import read_config  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "retrain.json"


def main(names: list[str]) -> int:
    if not names:
        print(__doc__)
        return 2
    data = json.loads(OUT.read_text()) if OUT.is_file() else {}
    models = data.setdefault("models", {})
    for name in names:
        config = read_config(name)
        models[name] = {
            "wall_seconds": config["training"]["wall_seconds"],
            "command": f"python -m training {name}",
            "weights_sha256": config["weights"]["sha256"],
            "recorded": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average_1min_when_recorded": round(os.getloadavg()[0], 2),
        }
        print(f"{name}: {models[name]['wall_seconds']:.0f} s")
    data["total_wall_seconds_recorded"] = round(sum(m["wall_seconds"] for m in models.values()), 1)
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
