"""Every script (app.py and each file in pages/) runs to the end under AppTest with no exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import open_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_without_exception(script: str) -> None:
    at = open_script(script)
    assert not at.exception, f"{script} raised: {[e.value for e in at.exception]}"
    assert at.title or at.markdown, f"{script} rendered nothing"
