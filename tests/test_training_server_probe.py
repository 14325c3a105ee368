"""The benchmark's window into a server (benchmarks/server_probe): it counts the training runs really alive after a
garbage collection, and says what keeps one alive (the browser benchmark's verdict on closed tabs rests on it)."""

from __future__ import annotations

import sys
import types

from benchmarks.server_probe import sitecustomize as probe
from explainers import live_training as lt


def _tiny_run() -> lt.LiveRun:
    return lt.LiveRun(lt.data_for("a small text to learn from, nothing more. " * 4), lt.RunSettings())


def test_snapshot_counts_live_runs_and_their_tensors() -> None:
    before = probe.snapshot()
    run = _tiny_run()
    run.train(steps=2)
    during = probe.snapshot()
    assert during["live_runs"] == before["live_runs"] + 1
    assert during["live_runs_mb"] > before["live_runs_mb"]
    assert during["tensor_mb"] > before["tensor_mb"]
    del run
    after = probe.snapshot()
    assert after["live_runs"] == before["live_runs"]
    assert {"connected_sessions", "app_sessions", "rss_mb", "rss_after_trim_mb"} <= set(after)


def test_why_alive_names_the_module_that_keeps_a_run() -> None:
    holder = types.ModuleType("glassbox_test_holder")
    holder.kept = {"a visitor": [_tiny_run()]}  # a module-level dict keeping a run, as a leak would
    sys.modules[holder.__name__] = holder
    try:
        chains = probe.why_alive(holder.kept["a visitor"][0])
        assert any(chain[-1] == "module glassbox_test_holder" for chain in chains), chains
        assert any("list[1]" in chain for chain in chains)
    finally:
        del sys.modules[holder.__name__]
