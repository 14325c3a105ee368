"""Bad URLs in a real browser: every live page opened with hostile query strings.

Every query key of the page (discovered like tests/test_fuzz_query_params.py does) gets the same nasty value:
markup, script, a javascript: link, control characters and right-to-left text.
The page must render without an exception element, never run injected script (no dialog may open, no
injected element may appear in the DOM) and make no request off the app's origin.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.conftest import EXCEPTION, wait_for_app
from tests.test_fuzz_query_params import _query_keys_in_source, _ui_modules
from ui.tour import live_pages

PAGES = live_pages()
# What only a browser can show: injected markup or script never becomes an element, a link or a running script.
# Numbers that do not parse (1,000 nines, -1e309, nan) and huge values are the server's concern: every key of every
# page gets those under AppTest (tests/test_fuzz_query_params.py), which costs a fraction of a browser opening.
NASTY = {
    "markup": '<script>alert(\'xss\')</script>"><img src=x onerror="alert(1)" id="injected">[click](javascript:alert(1))'
    " a\x01\x07\x1b[31m\u202eb 😀 مرحبا",
}


def _keys(path: str) -> list[str]:
    from tests.test_fuzz_query_params import ROOT, _helpers_binding_a_key

    page_path = ROOT / path
    helpers: dict = {}
    for module in _ui_modules(page_path):
        helpers |= _helpers_binding_a_key(module)
    keys = _query_keys_in_source(page_path, helpers)
    for module in _ui_modules(page_path):
        keys |= _query_keys_in_source(module)
    return sorted(keys)


def _cases():
    for entry in PAGES:
        for name, value in NASTY.items():
            yield pytest.param(entry, value, id=f"{entry.key}-{name}")


@pytest.mark.parametrize(("entry", "value"), list(_cases()))
def test_hostile_query_string_renders_safely(new_page, server_url: str, entry, value: str) -> None:
    keys = _keys(entry.path)
    if not keys:
        pytest.skip(f"{entry.key} keeps nothing in the URL")
    page = new_page()  # not open_page: the dialog watch must be in place before the first load
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    name = entry.path.split("/")[-1].removesuffix(".py").split("_", 1)[-1]
    page.goto(f"{server_url}/{name}?{urlencode(dict.fromkeys(keys, value))}")
    wait_for_app(page)
    assert page.locator(EXCEPTION).count() == 0, f"{entry.key}: exception for {value[:40]!r}"
    assert not dialogs, f"{entry.key}: injected script ran: {dialogs}"
    assert page.locator("#injected").count() == 0, f"{entry.key}: injected HTML became an element"
    assert page.locator("a[href^='javascript:']").count() == 0, f"{entry.key}: a javascript: link was rendered"
    assert not page.external_requests, f"{entry.key}: requests left the origin: {page.external_requests[:3]}"
