"""benchmarks/verify.py compares what a page shows with what the visitor asked for: the comparison itself."""

from __future__ import annotations

import pytest

from benchmarks.verify import same_value


@pytest.mark.parametrize(
    ("shown", "wanted", "same"),
    [
        (["Who is the friend?"], ["Who is the friend?"], True),  # a segmented control's pick, before and after
        (["clothes"], "clothes", True),
        (["clothes"], ["digits"], False),
        ("3", "3 ★ copies names", True),  # a chart title's head number against the option's label
        ("3", "4 ★ copies names", False),
        ("3", "30 stories", False),
        ("0.5", 0.5, True),
        ("1.0", 1.04, True),  # titles round to one decimal
        ("2", "2.5x", False),
    ],
)
def test_same_value(shown, wanted, same) -> None:
    assert same_value(shown, wanted) is same
