"""Word splitters for Japanese: MeCab (IPA dictionary or UniDic, through fugashi) and Sudachi.

A MeCab tagger or a Sudachi tokenizer must not be used by two threads at once, and making one takes
longer than splitting a review, so each thread keeps its own, made on first use. The IPA split is the one
cl-tohoku's BERT tokenizer makes (tests/test_tokenizer_lab.py checks it word for word on the real reviews).
"""

from __future__ import annotations

import threading

IPADIC = "ipadic"
UNIDIC = "unidic_lite"
_local = threading.local()


def _mecab(dictionary: str):
    taggers = _local.__dict__.setdefault("mecab", {})
    if dictionary not in taggers:
        import fugashi

        if dictionary == IPADIC:
            import ipadic

            taggers[dictionary] = fugashi.GenericTagger(ipadic.MECAB_ARGS)
        else:
            import unidic_lite

            rc = f"{unidic_lite.DICDIR}/mecabrc"
            taggers[dictionary] = fugashi.GenericTagger(f'-d "{unidic_lite.DICDIR}" -r "{rc}"')
    return taggers[dictionary]


def mecab_words(text: str, dictionary: str = IPADIC) -> list:
    """MeCab's nodes for `text` (surface, feature, white_space) with `dictionary`."""
    return list(_mecab(dictionary)(text))


def mecab_nodes(text: str) -> list:
    """MeCab-IPA nodes, whose features carry part of speech, conjugation and base form."""
    return mecab_words(text, IPADIC)


def sudachi_morphemes(text: str, mode: str):
    """Sudachi's morphemes of `text` in split mode A, B or C (sudachidict-core)."""
    if not hasattr(_local, "sudachi"):
        from sudachipy import Dictionary

        _local.sudachi = Dictionary(dict="core").create()
    from sudachipy import SplitMode

    return _local.sudachi.tokenize(text, getattr(SplitMode, mode))
