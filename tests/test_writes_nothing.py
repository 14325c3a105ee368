"""The app writes nothing into the project folder at run time, so it can run from a read-only directory.

Every page is run (as a visitor opens it) and the project's files are compared before and after.
Python's bytecode caches are left out: Python skips them by itself when the folder is read-only
(and the Dockerfile sets PYTHONDONTWRITEBYTECODE)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import open_script

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", ".git", "artifacts", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def snapshot() -> dict[str, tuple[int, int]]:
    files = {}
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts) or not path.is_file():
            continue
        stat = path.stat()
        files[str(path.relative_to(ROOT))] = (stat.st_size, stat.st_mtime_ns)
    return files


def test_running_every_page_writes_nothing() -> None:
    before = snapshot()
    scripts = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
    for script in scripts:
        at = open_script(script)
        assert not at.exception, script
        for button in at.button[:3]:  # a few main interactions too (next token, one GAN step, ...)
            button.click().run()
    after = snapshot()
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert not changed, f"files changed at run time: {changed[:10]}"
    assert not (after.keys() - before.keys()), f"files created at run time: {sorted(after.keys() - before.keys())[:10]}"
