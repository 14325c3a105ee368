"""Widget keys are unique across pages.

Streamlit keeps st.session_state across pages, so a value set on one page (say "steps" = 1 on Generate)
would reach a same-keyed widget on another page (Diffusion's "steps", minimum 2) and raise there."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def literal_keys(path: Path) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "key" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    keys.add(kw.value.value)
    return keys


def test_no_two_pages_share_a_widget_key() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]:
        for key in literal_keys(path):
            owners[key].append(path.name)
    shared = {key: pages for key, pages in owners.items() if len(pages) > 1}
    assert not shared, f"widget keys used on more than one page: {shared}"
