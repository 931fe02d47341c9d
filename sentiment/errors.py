"""Errors a person can cause, and how their input is quoted back to them.

A `UserError` carries one sentence for the person who asked: what was wrong and what to do. The
app shows those sentences and nothing else: any other exception (a library's message, an errno, a
server path) is logged on the server and answered with one general sentence.
"""

from __future__ import annotations

from .bilingual import Text, splits_listed

QUOTE_LIMIT = 40


class UserError(ValueError):
    """A request that can't be done as asked; the message says why, in the user's terms."""


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`value` as a short quotation: an error never echoes a huge input back whole."""
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def unknown_split(split: object) -> Text:
    """A split asked for by a name no dataset has: which ones there are."""
    return Text(
        f"There is no {quoted(split)} split: choose train, validation or test.",
        f"{quoted(split)} という分割はありません。{splits_listed(('train', 'validation', 'test')).ja} から選んでくだ"
        "さい。",
    )
