"""What the app says, in English and Japanese: every message built for the page is a `Text` carrying both.

A `Text` is data until it is shown. The page shows the visitor's language: the ui sets it for each request it
handles (ui/common.py `user_errors`, from the request's Accept-Language, as the browser tells gradio its own
for a component's label), and a `Text` turned into a string inside that request reads in it, the way Django's
`translation.activate` makes `gettext` speak the active language. Outside a request (the CLI, logs, the API's
own callers that send no language) a `Text` reads in English.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

LANGUAGES = ("en", "ja")
_language: ContextVar[str] = ContextVar("language", default="en")


@dataclass(frozen=True)
class Text:
    en: str
    ja: str

    def __str__(self) -> str:
        return self.ja if _language.get() == "ja" else self.en

    def __bool__(self) -> bool:
        return bool(self.en or self.ja)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def format(self, **values) -> Text:
        """Both languages with the same values filled in (each value shown in its language when it is a Text)."""
        with speaking("en"):
            english = self.en.format(**{key: str(value) for key, value in values.items()})
        with speaking("ja"):
            japanese = self.ja.format(**{key: str(value) for key, value in values.items()})
        return Text(english, japanese)

    def __add__(self, other: Text | str) -> Text:
        other = other if isinstance(other, Text) else Text(other, other)
        return Text(self.en + other.en, self.ja + other.ja)

    def __radd__(self, other: str) -> Text:
        return Text(other + self.en, other + self.ja)


def same(text: str) -> Text:
    """A text that reads the same in both languages (a name, a number, an error a lower floor wrote in English)."""
    return Text(text, text)


def join(separator: str, texts) -> Text:
    texts = [text if isinstance(text, Text) else same(text) for text in texts]
    return Text(separator.join(text.en for text in texts), separator.join(text.ja for text in texts))


def language_of(accept_language: str) -> str:
    """The language a browser asks for first (`ja-JP,ja;q=0.9,en;q=0.8` → ja), English for any other."""
    first = accept_language.split(",")[0].strip().lower()
    return "ja" if first.startswith("ja") else "en"


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Show every Text turned into a string inside the block in `language`."""
    token = _language.set(language if language in LANGUAGES else "en")
    try:
        yield
    finally:
        _language.reset(token)


def current_language() -> str:
    """The language Texts read in here: the request's (see `speaking`), English outside one."""
    return _language.get()


def shown(value):
    """A handler's output with each Text in it turned into the current language (tuples and lists looked into)."""
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, tuple):
        return tuple(shown(item) for item in value)
    if isinstance(value, list):
        return [shown(item) for item in value]
    return value


# The names of the classes and splits, one table for every page, chart and message (the API keeps the English).
CLASSES = {
    "positive": Text("positive", "ポジティブ"),
    "neutral": Text("neutral", "ニュートラル"),
    "negative": Text("negative", "ネガティブ"),
}
SPLIT_NAMES = {"train": Text("train", "学習"), "validation": Text("validation", "検証"), "test": Text("test", "テスト")}


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and its English noun, in the singular for one ("1 review", "2 reviews", "1,000 reviews")."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


# A run's method as a noun phrase with its article ("an n-gram run"), in both languages.
METHOD_RUNS = {
    "full": Text("a full fine-tuning run", "全体のファインチューニングの学習"),
    "head": Text("a head-only run", "分類ヘッドのみの学習"),
    "ngram": Text("an n-gram run", "n-gram の学習"),
}


def class_text(name: str) -> Text:
    """A class as the page names it (a dataset's own class names read as they are)."""
    return CLASSES.get(name) or same(name)


def split_text(name: str) -> Text:
    return SPLIT_NAMES.get(name) or same(name)


def splits_listed(names) -> Text:
    """Splits as a sentence lists them: "train, validation, test" / "学習・検証・テスト"."""
    return Text(", ".join(names), "・".join(split_text(name).ja for name in names))


def classes_listed(names) -> Text:
    """Classes as a sentence lists them: "positive, neutral, negative" / "ポジティブ・ニュートラル・ネガティブ"."""
    return Text(", ".join(names), "・".join(class_text(name).ja for name in names))
