"""A window into a benchmark's `streamlit run` server: what it really holds, not what glibc keeps.

Python imports a module named `sitecustomize` at start-up if one is on its path. The training benchmark starts the
server with this folder on PYTHONPATH and GLASSBOX_PROBE_DIR set; nothing happens otherwise (the app never imports
it). A daemon thread then waits for a request file in that folder (`<name>.request`) and answers it in
`<name>.json`, after a full garbage collection:

- `live_runs`: LiveRun objects (one visitor's training run: model, optimizer, data, history) still alive;
- `connected_sessions` / `app_sessions`: Streamlit's connected tabs / its session objects alive (connected, or
  closed and kept for reconnecting until the app shuts them down, or leaked);
- `tensor_mb`: every torch tensor's storage reachable from Python objects, each storage counted once (the shared
  models' weights are in it; a run's weights, gradients and optimizer state come on top while it lives);
- `rss_mb` and `rss_after_trim_mb`: resident memory before and after asking glibc to hand back what it keeps.

Resident memory alone is a poor witness: glibc keeps freed memory in its arenas, so it can stay up after a run is
freed, or fall for unrelated reasons. Counting the live objects and their tensors says whether a closed tab's run
is still referenced.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import sys
import threading
import time
import types
import warnings
from pathlib import Path


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _run_bytes(run: object, torch: object) -> int:
    params = list(run.model.parameters())
    total = sum(p.numel() * p.element_size() for p in params)
    total += sum(p.grad.numel() * p.grad.element_size() for p in params if p.grad is not None)
    for state in run.opt.state.values():
        total += sum(t.numel() * t.element_size() for t in state.values() if torch.is_tensor(t))
    return total


def snapshot() -> dict:
    with warnings.catch_warnings():  # isinstance() on every object touches deprecated torch aliases
        warnings.simplefilter("ignore")
        return _snapshot()


def _snapshot() -> dict:
    gc.collect()
    live_runs = 0
    run_bytes = 0  # weights, gradients and optimizer state of the live runs
    gpt_models = 0
    app_sessions = 0
    storages: dict[int, int] = {}
    torch = sys.modules.get("torch")
    lt = sys.modules.get("explainers.live_training")
    gpt_cls = getattr(sys.modules.get("explainers.gpt"), "GPT", None)
    app_session_cls = getattr(sys.modules.get("streamlit.runtime.app_session"), "AppSession", None)
    for obj in gc.get_objects():
        if lt is not None and isinstance(obj, lt.LiveRun):
            live_runs += 1
            run_bytes += _run_bytes(obj, torch)
        elif gpt_cls is not None and isinstance(obj, gpt_cls):
            gpt_models += 1
        elif app_session_cls is not None and isinstance(obj, app_session_cls):
            app_sessions += 1
        elif torch is not None and isinstance(obj, torch.Tensor):
            try:
                storage = obj.untyped_storage()
                storages[storage.data_ptr()] = storage.nbytes()
            except Exception:  # a meta or sparse tensor: no plain storage
                continue
    sessions = None
    with contextlib.suppress(Exception):
        from streamlit.runtime import Runtime

        # Connected tabs only: listing the closed ones kept for reconnecting would expire them, unlike the app.
        sessions = len(Runtime.instance()._session_mgr.list_active_sessions())
    rss = _status_kb("VmRSS")
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {
        "live_runs": live_runs,
        "live_runs_mb": round(run_bytes / 2**20, 2),
        "gpt_models": gpt_models,
        "connected_sessions": sessions,
        "app_sessions": app_sessions,
        "tensor_mb": round(sum(storages.values()) / 2**20, 2),
        "rss_mb": round(rss / 1024, 1),
        "rss_after_trim_mb": round(_status_kb("VmRSS") / 1024, 1),
    }


def _describe(obj: object) -> str:
    if isinstance(obj, dict):
        return "dict" + str([str(k)[:40] for k in list(obj)[:4]])
    if isinstance(obj, types.FunctionType):
        return f"function {obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, types.ModuleType):
        return f"module {obj.__name__}"
    if isinstance(obj, types.FrameType):
        return f"frame {obj.f_code.co_filename.rsplit('/', 2)[-1]}:{obj.f_code.co_name}"
    if isinstance(obj, (list, tuple, set)):
        return f"{type(obj).__name__}[{len(obj)}]"
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def why_alive(target: object | None = None, depth: int = 14, width: int = 400) -> list[list[str]]:
    """For `target` (default: the oldest live training run): chains of what refers to it, up to a module, a thread
    or an object nothing else refers to (held from C: a running thread's stack, a C extension)."""
    gc.collect()
    runs = [target]
    if target is None:
        lt = sys.modules.get("explainers.live_training")
        runs = [o for o in gc.get_objects() if lt is not None and isinstance(o, lt.LiveRun)]
        if not runs:
            return []
    mine = {id(runs)}
    frontier = [(runs[0], [_describe(runs[0])])]
    seen = {id(runs[0])}
    roots: list[list[str]] = []
    for _ in range(depth):
        mine.add(id(frontier))
        following = []
        mine.add(id(following))
        for obj, path in frontier:
            referrers = [
                r
                for r in gc.get_referrers(obj)
                if id(r) not in mine and id(r) not in seen and r is not sys._getframe() and r is not frontier
            ]
            if not referrers:
                roots.append([*path, "(nothing else: held from C)"])
            for r in referrers:
                seen.add(id(r))
                step = [*path, _describe(r)]
                if isinstance(r, (types.ModuleType, threading.Thread)):
                    roots.append(step)
                else:
                    following.append((r, step))
        frontier = following[:width]
        if not frontier:
            break
    return roots[:12] or [path for _, path in frontier[:12]]


def _serve(folder: Path) -> None:
    while True:
        for request in sorted(folder.glob("*.request")):
            try:
                answer = {"why": why_alive()} if request.read_text().strip() == "why" else snapshot()
            except Exception as error:  # a probe must never take the server down
                answer = {"error": repr(error)}
            target = request.with_suffix(".json")
            target.with_suffix(".tmp").write_text(json.dumps(answer))
            target.with_suffix(".tmp").replace(target)
            request.unlink(missing_ok=True)
        time.sleep(0.2)


def ask(folder: Path, name: str, timeout: float = 60.0, question: str = "") -> dict:
    """From the benchmark: ask the server in `folder` for a snapshot (or, with question="why", what keeps the
    oldest live training run alive) and wait for the answer."""
    answer = folder / f"{name}.json"
    answer.unlink(missing_ok=True)
    (folder / f"{name}.request").write_text(question)
    deadline = time.monotonic() + timeout
    while not answer.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server probe in {folder} did not answer in {timeout:.0f} s")
        time.sleep(0.1)
    return json.loads(answer.read_text())


_folder = os.environ.get("GLASSBOX_PROBE_DIR")
if _folder:
    threading.Thread(target=_serve, args=(Path(_folder),), name="glassbox-probe", daemon=True).start()
