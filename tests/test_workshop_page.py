"""The workshop page's widget logic with AppTest (no browser): it opens on its own with default
settings, comments are saved in the Store (PLACEBASED_DB points at a temporary file) and shown back
as inert text, an empty comment is refused, counts in the cards are suppressed, and the main page's
settings are used when present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "workshop.py")
TIMEOUT = 180
XSS = '<img src=x onerror="window.__xss=1"> ![x](http://example.invalid/x.png) **bold** $x$'


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    import appcache

    path = tmp_path_factory.mktemp("ws") / "saved.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACEBASED_DB", str(path))
        appcache.c_store.clear()
        yield path
        appcache.c_store.clear()


@pytest.fixture(scope="module")
def page(db):  # noqa: ARG001 - the store must point at the temporary file first
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    return at


def _texts(at) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_page_runs_with_defaults(page):
    assert not page.exception
    assert not page.error
    assert page.title[0].value == "Community workshop"
    assert any("why these areas stand out" in t for t in _texts(page))
    assert any(b.label == "Save comment" for b in page.button)
    assert "Using the default settings" in " ".join(c.value for c in page.sidebar.caption)


def test_card_counts_are_suppressed(page):
    lines = [t for t in _texts(page) if t.startswith("All incidents")]
    assert lines
    for line in lines:
        for value in re.findall(r"&#58;\u2060? ([^·]+?)(?: ·|$)", line):
            v = value.strip().replace(",", "")
            assert v in ("&lt;5", "*", "0") or (v.isdigit() and int(v) >= 5), line


def test_comment_saved_and_shown_as_text(page, db):
    from placebased.io.store import Store

    first = page.text_area[0].key
    code = first.removeprefix("ws_text_")
    page.text_input(key=f"ws_author_{code}").set_value("Sam <b>Lee</b>")
    page.text_area(key=first).set_value(XSS)
    next(b for b in page.button if b.label == "Save comment" and b.form_id == f"ws_form_{code}").click()
    page.run()
    assert not page.exception
    saved = Store(db).comments(code)
    assert saved["text"].tolist() == [XSS] and saved["author"].tolist() == ["Sam <b>Lee</b>"]
    assert saved["session"].iloc[0].startswith("Workshop ")
    assert page.session_state[first] == ""  # the box is cleared, the name kept
    assert page.session_state[f"ws_author_{code}"] == "Sam <b>Lee</b>"
    assert any("your comment is saved" in s.value for s in page.success)
    shown = [t for t in _texts(page) if "onerror" in t]
    assert shown, "the comment is listed"
    for t in shown:  # no live markup or Markdown syntax survives
        for bad in ("<img", "<b>", "](", "**bold", "$x$", '"'):
            assert bad not in t, t
        assert "&lt;img" in t


def test_empty_comment_is_refused(page, db):
    from placebased.io.store import Store

    before = len(Store(db).comments())
    first = page.text_area[0].key
    code = first.removeprefix("ws_text_")
    page.text_area(key=first).set_value("   ")
    next(b for b in page.button if b.form_id == f"ws_form_{code}").click()
    page.run()
    assert not page.exception
    assert any("write your name and a comment" in e.value for e in page.error)
    assert len(Store(db).comments()) == before


def test_uses_main_page_settings(db):  # noqa: ARG001
    from placebased import pipeline as P  # noqa: N812
    from placebased.score.scenario import default_scenario

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    cats = ("Possession of weapons", "Robbery", "Violence and sexual offences")
    at.session_state["settings"] = (P.Sources(), P.Filters(categories=cats), P.StatsSettings(), default_scenario())
    at.run()
    assert not at.exception
    assert any("Recorded **serious violence**" in t for t in _texts(at))
    at.radio(key="ws_layer").set_value("priority").run()
    assert not at.exception
    assert any(t.lstrip("# ").startswith("Priority areas") for t in _texts(at))  # a heading of any level


def test_comment_on_another_area(page):
    box = page.selectbox(key="ws_other")
    code = next(c for c in box.options if c.endswith(")") and "E01" in c)
    chosen = code.rsplit("(", 1)[1].rstrip(")")
    shown_codes = {k.removeprefix("ws_text_") for k in (t.key for t in page.text_area)}
    if chosen in shown_codes:
        chosen = next(o.rsplit("(", 1)[1].rstrip(")") for o in box.options[1:]
                      if o.rsplit("(", 1)[1].rstrip(")") not in shown_codes)
    box.set_value(chosen).run()
    assert not page.exception
    assert any(t.key == f"ws_text_{chosen}" for t in page.text_area)


def test_map_click_puts_area_first(page):
    page.session_state["ws_pick"] = "E01027100"
    page.run()
    assert not page.exception
    assert page.text_area[0].key == "ws_text_E01027100"
    assert any(c.value == "Chosen on the map" for c in page.caption)
