"""Architecture boundaries: model code imports neither streamlit nor plotly; figure code imports no
streamlit; pages hold no model math (no torch); nothing unpickles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("explainers"), ids=lambda p: p.name)
def test_explainers_import_no_ui(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "plotly"}


@pytest.mark.parametrize("path", python_files("training"), ids=lambda p: p.name)
def test_training_imports_no_ui(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "plotly"}


@pytest.mark.parametrize("path", python_files("figures"), ids=lambda p: p.name)
def test_figures_import_no_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", python_files("pages"), ids=lambda p: p.name)
def test_pages_hold_no_model_math(path: Path) -> None:
    assert not imported_modules(path) & {"torch", "numpy", "safetensors", "tokenizers", "sklearn"}


def test_pages_folder_holds_only_pages() -> None:
    # Every .py in pages/ becomes a page, so helper modules must live elsewhere.
    for path in (ROOT / "pages").glob("*.py"):
        assert path.name[0].isdigit(), f"{path.name} is not a numbered page"


def test_nothing_unpickles_or_uses_st_navigation() -> None:
    forbidden = ("pickle.load", "torch.load(", "weights_only=False", "st.navigation(")
    for folder in ("explainers", "figures", "ui", "pages", "training", "benchmarks"):
        for path in python_files(folder):
            text = path.read_text()
            for word in forbidden:
                assert word not in text, f"{path.relative_to(ROOT)} uses {word}"
    assert "st.navigation(" not in (ROOT / "app.py").read_text()


def test_charts_go_through_show_chart() -> None:
    # show_chart draws without Streamlit's chart theme; with it, every chart was drawn twice per change.
    allowed = {ROOT / "ui" / "frame.py"}  # show_chart itself, and the hidden chart that preloads Plotly's code
    for path in [*python_files("pages"), *python_files("ui"), ROOT / "app.py"]:
        if path not in allowed:
            assert ".plotly_chart(" not in path.read_text(), f"{path.relative_to(ROOT)}: use ui.frame.show_chart"
