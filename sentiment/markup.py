"""A visitor's string inside the page's Markdown, shown as the text it is: never a link, an image, emphasis or HTML.

Whatever a visitor can put in front of another visitor (a shared link's run name, a review's text, a file's or a
dataset's name, a word typed into a box) passes through `literal` (running text) or `code` (a code span) before it
is placed in a string a `gr.Markdown` renders."""

from __future__ import annotations

import html
import re

from .bilingual import Text

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start or end markup anywhere in a
# line (emphasis, links, images, code, tables, strikethrough, maths, e-mail links). '&', '<' and '>' become entities
# instead, so no tag or entity of the visitor's is ever read as one. What makes markup only at a line's start (a
# heading, a list, a quote, a rule) is escaped there, and the two ways GFM turns bare text into a link (`scheme://`,
# `www.`) are broken by a backslash; elsewhere '-', '.' and ':' stay as they are, so a run's name reads as it is.
_MARKUP = re.compile(r"([\\`*_{}\[\]()!|~$@^])")
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)", re.IGNORECASE)
_LINE_START = re.compile(r"^(\s*)([-+#=]|\d+(?=[.)]))")
_LINES = re.compile(r"[\r\n\u2028\u2029]+")


def literal(value) -> str | Text:
    """`value` (a string, or a Text in both its languages) as Markdown that shows exactly its characters, on
    one line (a visitor's line breaks become spaces: a blank line would end the sentence it is quoted in)."""
    if isinstance(value, Text):
        return Text(literal(value.en), literal(value.ja))
    text = _MARKUP.sub(r"\\\1", _LINES.sub(" ", str(value)))
    text = _AUTOLINK.sub(lambda match: "\\" + match.group(0), text)
    text = _LINE_START.sub(_escape_start, text)
    return html.escape(text, quote=False)


def _escape_start(match: re.Match) -> str:
    spaces, marker = match.groups()
    # A list's number is escaped by its '.' or ')': "1\." is text, "\1." is not valid.
    return spaces + (marker + "\\" if marker[0].isdigit() else "\\" + marker)


def code(value) -> str:
    """`value` as a Markdown code span showing exactly its characters (on one line): fenced by more backticks
    than any run of them inside it, so no backtick of the visitor's closes it."""
    text = _LINES.sub(" ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    return f"{fence}{padded}{fence}"
