"""Architecture boundaries: model code imports neither streamlit nor plotly; figure code imports no streamlit
and nothing of ui/; serving/ stays free of models and UI; our modules import each other without cycles; pages
hold no model math (no torch); nothing unpickles."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("explainers", "figures", "ui", "serving", "training", "benchmarks", "classroom")


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


@pytest.mark.parametrize("path", python_files("figures"), ids=lambda p: p.name)
def test_figures_import_nothing_of_ui(path: Path) -> None:
    assert not {m for m in our_imports(path) if m.split(".")[0] == "ui"}, "figures/ builds figures; ui/ shows them"


@pytest.mark.parametrize("path", python_files("serving"), ids=lambda p: p.name)
def test_serving_imports_no_models_and_no_ui(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "plotly", "torch", "explainers", "figures", "ui"}


@pytest.mark.parametrize("path", python_files("classroom"), ids=lambda p: p.name)
def test_classroom_content_imports_no_ui_and_no_models(path: Path) -> None:
    # Lessons, questions and the glossary are data with pure loaders; ui/classroom.py draws them.
    assert not imported_modules(path) & {"streamlit", "plotly", "torch", "explainers", "figures", "ui", "serving"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def our_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in python_files(package)}


def our_imports(path: Path) -> set[str]:
    """Our modules that `path` imports anywhere in it (inside functions too): a lazy import is still a dependency.
    `from ui import gan` counts as ui.gan when that is a module, else as the package ui."""
    modules = our_modules()
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules} - {module_name(path)}


def import_cycles() -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), as sorted names."""
    graph = {name: sorted(our_imports(path)) for name, path in our_modules().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in graph:
        if name not in index:
            visit(name)
    return groups


def test_no_import_cycles() -> None:
    # A cycle means two modules can only be understood (and imported) together; it also made warm-up order fragile.
    assert import_cycles() == []


def test_the_cycle_finder_sees_our_imports() -> None:
    assert "serving.limiter" in our_imports(ROOT / "ui" / "compute.py")
    assert "explainers.store" in our_imports(ROOT / "ui" / "frame.py")


@pytest.mark.parametrize("path", python_files("pages"), ids=lambda p: p.name)
def test_pages_hold_no_model_math(path: Path) -> None:
    assert not imported_modules(path) & {"torch", "numpy", "safetensors", "tokenizers", "sklearn"}


def test_pages_folder_holds_only_pages() -> None:
    # Every .py in pages/ becomes a page, so helper modules must live elsewhere.
    for path in (ROOT / "pages").glob("*.py"):
        assert path.name[0].isdigit(), f"{path.name} is not a numbered page"


def test_nothing_unpickles_or_uses_st_navigation() -> None:
    forbidden = ("pickle.load", "torch.load(", "weights_only=False", "st.navigation(")
    for folder in ("explainers", "figures", "ui", "serving", "pages", "training", "benchmarks"):
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
