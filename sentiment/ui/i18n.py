"""The page in the visitor's language: English or Japanese, chosen by the browser.

Every text is written once, in both languages, as a `bilingual.Text`. A component's label, help or first
value is registered here with `t(...)` and translated by the browser (gradio's I18n); what a handler returns
is turned into the request's language on the server (common.user_errors), so numbers and names can be
filled in. Both follow the language the browser asks for.
"""

from __future__ import annotations

import hashlib
import re

import gradio as gr
from gradio.i18n import I18nData

from ..bilingual import Text

_ENGLISH: dict[str, str] = {}
_JAPANESE: dict[str, str] = {}
# gradio keeps these dictionaries, not copies: texts registered while the page is built are served.
TRANSLATIONS = gr.I18n(en=_ENGLISH, ja=_JAPANESE)


def t(english: str | Text, japanese: str | None = None) -> I18nData | str:
    """A text the browser shows in its language: `t("Run", "学習済みモデル")` or `t(Text(...))`. (Keys have no
    dots: the browser reads dots as nesting; the same English names the same key.)"""
    if isinstance(english, Text):
        english, japanese = english.en, english.ja
    if not english:
        return ""
    key = "studio_" + re.sub(r"\W+", "_", english.lower()).strip("_")[:80]
    if key in _ENGLISH and _ENGLISH[key] != english:  # a long text that starts like another: keep both apart
        key += "_" + hashlib.sha256(english.encode()).hexdigest()[:8]
    _ENGLISH[key], _JAPANESE[key] = english, japanese
    return I18nData(key)
