"""What MeCab (IPA dictionary, as in the source model's tokenizer) says about a text: how many words it has
and whether it is negated.

Negation is where sentiment models stumble (「悪くない」 is praise), so the Evaluate tab scores the reviews
that contain one apart from the rest. A review is negated when MeCab finds the auxiliary ない / ぬ / ん
(「ない」「なかった」「ず」「ません」「わからん」) or the adjective ない / 無い (「問題ない」「無いです」).
"""

from __future__ import annotations

from dataclasses import dataclass

import fugashi
import ipadic

from .limits import cap_text

NEGATING = {("助動詞", "ない"), ("助動詞", "ぬ"), ("助動詞", "ん"), ("形容詞", "ない"), ("形容詞", "無い")}
BASE_FORM = 6  # the IPA dictionary's feature fields: part of speech, 3 sub-categories, conjugation (2), base form


@dataclass
class WordCount:
    words: int
    negated: bool


def word_counts(texts: list[str]) -> list[WordCount]:
    """Each text's MeCab words and whether one of them negates."""
    tagger = fugashi.GenericTagger(ipadic.MECAB_ARGS)  # one per call: a MeCab tagger is not shared across threads
    counts = []
    for text in texts:
        nodes = tagger(cap_text(text))
        negated = any((node.feature[0], node.feature[BASE_FORM]) in NEGATING for node in nodes)
        counts.append(WordCount(len(nodes), negated))
    return counts
