"""What a Japanese text is written in, character by character, and what NFKC normalisation changes.

Japanese mixes four scripts in one sentence (kanji, hiragana, katakana, Latin) with no spaces, and the
boundaries between scripts are where a word splitter most often cuts: seeing them explains its choices.
Before splitting, MeCab, the character tokenizer and SentencePiece apply NFKC, which folds the two widths
that Japanese keyboards type (half-width ｶﾀｶﾅ, full-width ＡＢＣ１２３) into one.
"""

from __future__ import annotations

import unicodedata

# Ranges by code point; anything else is told apart by its Unicode category (see script_of).
_RANGES = (
    ("hiragana", 0x3041, 0x309F),
    ("katakana", 0x30A0, 0x30FF),
    ("katakana", 0x31F0, 0x31FF),
    ("katakana", 0xFF66, 0xFF9F),  # half-width katakana
    ("kanji", 0x3400, 0x4DBF),
    ("kanji", 0x4E00, 0x9FFF),
    ("kanji", 0xF900, 0xFAFF),
    ("kanji", 0x20000, 0x3FFFF),
    ("emoji", 0x1F000, 0x1FAFF),
    ("emoji", 0x2600, 0x27BF),
)


def script_of(char: str) -> str:
    """kanji, hiragana, katakana, latin, digit, symbol, emoji or space: the script of a single character."""
    code = ord(char)
    for script, first, last in _RANGES:
        if first <= code <= last:
            return script
    if char in "々〆ヵヶ":  # iteration and abbreviation marks are written with kanji
        return "kanji"
    category = unicodedata.category(char)
    if category == "Nd":
        return "digit"
    if category.startswith("L"):
        return "latin"
    if category.startswith("Z") or char.isspace():
        return "space"
    return "symbol"


def script_runs(text: str) -> list[tuple[str, str]]:
    """`text` as runs of characters of one script: [("外国人", "kanji"), ("は", "hiragana"), …]."""
    runs: list[tuple[str, str]] = []
    for char in text:
        script = script_of(char)
        if runs and runs[-1][1] == script:
            runs[-1] = (runs[-1][0] + char, script)
        else:
            runs.append((char, script))
    return runs


def normalization_changes(text: str) -> list[tuple[str, str]]:
    """Each run of characters that NFKC rewrites, and what it becomes:
    [("ｶﾀｶﾅ", "カタカナ"), ("ＡＢＣ１２３", "ABC123")].

    Whole runs are normalised, not single characters: a half-width voiced mark joins the kana before it
    (ｶﾞ → ガ), which character by character would not show."""
    changes, run = [], ""
    for char in text:
        if unicodedata.normalize("NFKC", char) != char:
            run += char
            continue
        if run:
            changes.append((run, unicodedata.normalize("NFKC", run)))
            run = ""
    if run:
        changes.append((run, unicodedata.normalize("NFKC", run)))
    return changes
