"""Store shipped float32 story models in 8 bits without retraining them, measured again after the round trip.

    python -m training.restore_int8 gpt bias_skewed bias_balanced fact_gaps

The story GPT (2026-11-23) and the GPTs fine-tuned from it were trained by earlier versions of their trainers.
Retraining them today gives models as good by every bar on their cards but not the same ones, and the pages'
demos (the Limits page's hallucination and bias, the classroom questions) were measured on the shipped ones. So
these keep their trained weights: each is stored like every other model (explainers/storage.py), its trainer
measures it again after the round trip with the same code as after training, and its card and config are
rewritten. The run record (seed, times, loss curves) stays the original run's; `restored_int8` says what was
done. A model already in 8 bits is refused. Models that read these (the RNN measures the GPT) are retrained
afterwards with `python -m training`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from explainers.storage import INT8_STORAGE
from explainers.store import read_config
from training.__main__ import get_trainer
from training.common import keeping_shipped
from training.runner import save_result, single_thread

FINE_TUNED = ("bias_skewed", "bias_balanced", "fact_gaps")
RUN_KEYS = ("seed", "wall_seconds", "cpu_seconds", "torch_threads", "torch_version")
NOTE = (
    "\n\n**Stored in 8 bits, not retrained.** These are the weights of the original run, stored in 8 bits on "
    "2026-12-02 and measured again (`python -m training.restore_int8 {name}`). Retraining with `python -m "
    "training {name}` gives a model as good by every bar on this card but not the same one."
)


def restore(name: str) -> Path:
    if name == "gpt":
        from training.gpt import restore_int8

        return restore_int8()
    if name not in FINE_TUNED:
        raise SystemExit(f"{name}: only gpt and {', '.join(FINE_TUNED)} are restored this way")
    trainer = get_trainer(name)
    old = read_config(name)["training"]
    if old.get("weights_storage") == INT8_STORAGE:
        raise SystemExit(f"pretrained/{name} is already stored in 8 bits")
    started, cpu_started = time.perf_counter(), time.process_time()
    with single_thread(), keeping_shipped(name):
        result = trainer.train(old["seed"])
    result.training["restored_int8"] = (
        f"stored in 8 bits and measured again on {time.strftime('%Y-%m-%d')} ({time.process_time() - cpu_started:.0f}"
        f" s of CPU, {time.perf_counter() - started:.0f} s) by training.restore_int8, without retraining"
    )
    result = replace(result, card_notes=result.card_notes + NOTE.format(name=name))
    return save_result(trainer, result, {k: old[k] for k in RUN_KEYS if k in old}, None)


def main(names: list[str]) -> int:
    if not names:
        print(__doc__)
        return 2
    for name in names:
        print(f"[{name}] saved to {restore(name)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
