"""`python -m training all --jobs 2`: models train side by side, each only after the models it reads."""

from __future__ import annotations

import pytest

import training.__main__ as cli


class FakeProcess:
    """Stands in for a trainer process: finishes on its second poll, with the exit code the test chose."""

    log: list[tuple[str, str]] = []
    running: set[str] = set()
    most_at_once = 0

    def __init__(self, command: list[str], code: int) -> None:
        self.name = command[3]
        self.code = code
        self.polls = 0
        FakeProcess.log.append(("start", self.name))
        FakeProcess.running.add(self.name)
        FakeProcess.most_at_once = max(FakeProcess.most_at_once, len(FakeProcess.running))

    def poll(self) -> int | None:
        self.polls += 1
        if self.polls < 2:
            return None
        if self.name in FakeProcess.running:
            FakeProcess.running.discard(self.name)
            FakeProcess.log.append(("end", self.name))
        return self.code

    @property
    def returncode(self) -> int:
        return self.code


@pytest.fixture()
def fake_children(monkeypatch: pytest.MonkeyPatch):
    FakeProcess.log, FakeProcess.running, FakeProcess.most_at_once = [], set(), 0
    failing: set[str] = set()
    monkeypatch.setattr(
        cli.subprocess, "Popen", lambda command, **kw: FakeProcess(command, 1 if command[3] in failing else 0)
    )
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    return failing


def _finished_before_start(log: list[tuple[str, str]], first: str, then: str) -> bool:
    return log.index(("end", first)) < log.index(("start", then))


def test_jobs_respect_what_each_model_reads(fake_children) -> None:
    names = ["gpt", "ngram", "rnn", "judge", "vae", "fashion_judge", "fashion_gan", "fashion_vae"]
    assert cli.run_parallel(names, jobs=2, seed=None) == 0
    log = FakeProcess.log
    assert sorted(n for kind, n in log if kind == "start") == sorted(names)
    assert FakeProcess.most_at_once == 2
    for name in names:
        for needed in cli.DEPENDS.get(name, ()):
            assert _finished_before_start(log, needed, name)


def test_a_failed_model_skips_only_the_models_that_read_it(fake_children, capsys) -> None:
    fake_children.add("fashion_judge")
    assert cli.run_parallel(["fashion_judge", "fashion_gan", "judge", "vae"], jobs=2, seed=None) == 1
    started = {n for kind, n in FakeProcess.log if kind == "start"}
    assert started == {"fashion_judge", "judge", "vae"}
    assert "[fashion_gan] skipped" in capsys.readouterr().out


def test_every_trainer_dependency_is_a_trainer() -> None:
    for name, needs in cli.DEPENDS.items():
        assert name in cli.TRAINERS and all(n in cli.TRAINERS for n in needs)
        assert all(list(cli.TRAINERS).index(n) < list(cli.TRAINERS).index(name) for n in needs)
    assert cli.main(["gpt", "--jobs", "0"]) == 2


def test_longest_chains_start_first() -> None:
    work = {"gpt": 400.0, "ngram": 30.0, "fashion_judge": 180.0, "fashion_diffusion": 900.0, "judge": 60.0}
    level = cli.priorities(work)
    assert level["fashion_judge"] == 1080.0 and level["gpt"] == 430.0 and level["judge"] == 60.0
    assert max(level, key=level.get) == "fashion_diffusion" or level["fashion_judge"] > level["gpt"]
