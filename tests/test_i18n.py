"""Every text the page shows goes through the Japanese table (ui/i18n.py's `t`) or carries both languages.

The browser test reads the Japanese page; this reads every component of the built app, so a label added
without a translation fails here whichever tab it is on."""

import re

import gradio as gr
import pytest

from sentiment.serving.studio import Studio
from sentiment.ui import build_app
from sentiment.ui.i18n import TRANSLATIONS

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TRANSLATED = "__i18n__"  # how gradio serialises a `t(...)` text in the page's config
SHOWN = ("label", "info", "placeholder")


def untranslated(text) -> bool:
    """A phrase (words with spaces) in English only. Names stay as they are: a run, a Hub id, 'CSV', 'sample'."""
    if not isinstance(text, str) or text.startswith(TRANSLATED) or JAPANESE.search(text):
        return False
    return bool(re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", text))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(Studio(tmp_path_factory.mktemp("i18n-runs")))


def test_an_english_only_phrase_is_caught_and_names_are_not():
    assert untranslated("starter (vocabulary learned from the sample)")
    assert not untranslated("starter (vocabulary learned from the sample) / スターター")
    assert not any(map(untranslated, ["CSV", "cl-tohoku/bert-base-japanese", "full-starter-sample", None]))


def test_every_label_button_and_text_of_the_page_is_translated(app):
    missing = []
    for block in app.blocks.values():
        kind = type(block).__name__
        texts = [(name, getattr(block, name, None)) for name in SHOWN]
        if isinstance(block, gr.Markdown | gr.Button):
            texts.append(("value", block.value))
        if isinstance(block, gr.Radio | gr.Dropdown):
            texts += [("choice", shown) for shown, _ in block.choices or []]
        missing += [f"{kind}.{name}: {text[:80]!r}" for name, text in texts if untranslated(text)]
    assert not missing, "shown in English only:\n" + "\n".join(missing)


def test_the_japanese_table_has_a_japanese_text_for_every_key(app):
    table = TRANSLATIONS.translations
    assert set(table["ja"]) == set(table["en"])
    not_japanese = {key: text for key, text in table["ja"].items() if not JAPANESE.search(text)}
    assert not not_japanese, not_japanese


def test_every_english_sentinel_of_the_browser_test_is_still_written_by_the_app():
    """A sentinel the app no longer writes can never fire: each text test_browser.py looks for on a Japanese page
    occurs in the package's source."""
    from .conftest import ROOT
    from .test_browser import ENGLISH

    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "sentiment").rglob("*.py"))
    assert [text for text in ENGLISH if text not in source] == []
