"""The background warm-up belongs to a real server: AppTest runs (which also have a runtime) never start it."""

from __future__ import annotations

from tests.conftest import open_script
from ui import warmup


def test_apptest_runs_do_not_start_the_warm_up() -> None:
    at = open_script("pages/1_Tokens.py")
    assert not at.exception
    assert warmup._started is False  # noqa: SLF001 - the module's own flag is the thing to check
