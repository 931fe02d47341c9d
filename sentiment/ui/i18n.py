"""The page in the visitor's language: English or Japanese, chosen by the browser (gradio's I18n).

Each text is written once, in both languages, where it is used: `t("Run", "学習済みモデル")`. What the
server says (errors, progress, notices) is not translated by the browser, so those messages carry both
languages where a visitor must act on them.
"""

from __future__ import annotations

import re

import gradio as gr
from gradio.i18n import I18nData

_ENGLISH: dict[str, str] = {}
_JAPANESE: dict[str, str] = {}
# gradio keeps these dictionaries, not copies: texts registered while the page is built are served.
TRANSLATIONS = gr.I18n(en=_ENGLISH, ja=_JAPANESE)


def t(english: str, japanese: str) -> I18nData:
    """A text the browser shows in its language (keys have no dots: the browser reads dots as nesting)."""
    key = "studio_" + re.sub(r"\W+", "_", english.lower()).strip("_")[:80]
    _ENGLISH[key], _JAPANESE[key] = english, japanese
    return I18nData(key)
