"""MeCab's words for a learner of Japanese: each with its reading in kana, in romaji, and its part of speech in
English, all from the IPA dictionary's own fields.

An IPA dictionary entry's features are: part of speech, three sub-categories, conjugation type and form, base
form, reading (katakana, as written: 東京 トウキョウ, the particle は ハ) and pronunciation (as said: トーキョー, ワ).
The kana shown is the reading in hiragana; the romaji is the pronunciation in Hepburn with long vowels as macrons
(tōkyō, wa), which is what a learner says aloud. Words the dictionary does not know have neither field: one
written in kana is read as written, any other has no reading.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

READING, PRONUNCIATION = 7, 8  # the fields' places in an IPA dictionary entry
NONE = "*"

# The IPA dictionary's parts of speech and sub-categories, in English (a learner's grammar's names).
GLOSSES = {
    "名詞": "noun",
    "動詞": "verb",
    "形容詞": "adjective",
    "副詞": "adverb",
    "助詞": "particle",
    "助動詞": "auxiliary verb",
    "連体詞": "pre-noun adjectival",
    "接続詞": "conjunction",
    "感動詞": "interjection",
    "記号": "symbol",
    "接頭詞": "prefix",
    "フィラー": "filler",
    "その他": "other",
    "一般": "common",
    "固有名詞": "proper noun",
    "代名詞": "pronoun",
    "数": "number",
    "サ変接続": "takes する",
    "形容動詞語幹": "na-adjective stem",
    "副詞可能": "adverbial",
    "ナイ形容詞語幹": "ない-adjective stem",
    "非自立": "dependent",
    "接尾": "suffix",
    "自立": "independent",
    "特殊": "special",
    "引用文字列": "quoted",
    "動詞非自立的": "verb-like",
    "接続詞的": "conjunction-like",
    "格助詞": "case particle",
    "係助詞": "binding particle",
    "副助詞": "adverbial particle",
    "接続助詞": "conjunctive particle",
    "終助詞": "sentence-ending particle",
    "並立助詞": "coordinating particle",
    "連体化": "noun-linking の",
    "副詞化": "adverbialiser",
    "副助詞／並立助詞／終助詞": "adverbial / coordinating / sentence-ending particle",
    "間投助詞": "interjectory particle",
    "句点": "full stop",
    "読点": "comma",
    "括弧開": "opening bracket",
    "括弧閉": "closing bracket",
    "空白": "space",
    "アルファベット": "letter",
    "名詞接続": "before a noun",
    "数接続": "before a number",
    "動詞接続": "before a verb",
    "形容詞接続": "before an adjective",
    "助詞類接続": "before a particle",
    "地域": "place",
    "人名": "person's name",
    "組織": "organisation",
}

# Hepburn romaji of the katakana, two-kana sounds first (キャ kya); ッ doubles the next consonant and ー
# lengthens the vowel before it (a macron), handled in `romaji`.
DIGRAPHS = {
    **{k + s: r + v for k, r in (("キ", "k"), ("ギ", "g"), ("ニ", "n"), ("ヒ", "h"), ("ビ", "b"), ("ピ", "p"),
                                 ("ミ", "m"), ("リ", "r")) for s, v in (("ャ", "ya"), ("ュ", "yu"), ("ョ", "yo"))},
    **{k + s: r + v for k, r in (("シ", "sh"), ("ジ", "j"), ("チ", "ch"), ("ヂ", "j"))
       for s, v in (("ャ", "a"), ("ュ", "u"), ("ョ", "o"), ("ェ", "e"))},
    "ティ": "ti", "ディ": "di", "トゥ": "tu", "ドゥ": "du", "ファ": "fa", "フィ": "fi", "フェ": "fe", "フォ": "fo",
    "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "ヴァ": "va", "ヴィ": "vi", "ヴェ": "ve", "ヴォ": "vo", "ツァ": "tsa",
}  # fmt: skip
SYLLABLES = (
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo "
    "ya yu yo ra ri ru re ro wa i e o n ga gi gu ge go za ji zu ze zo da ji zu de do ba bi bu be bo pa pi pu "
    "pe po vu a i u e o ya yu yo wa"
)
KANA = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲン"
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォャュョヮ",
        SYLLABLES.split(),
        strict=True,
    )
)
MACRONS = {"a": "ā", "i": "ī", "u": "ū", "e": "ē", "o": "ō"}


@dataclass(frozen=True)
class Reading:
    surface: str
    kana: str  # the reading in hiragana ('' where the dictionary has none and the word is not kana)
    romaji: str
    part_of_speech: str  # the dictionary's: 名詞-固有名詞
    gloss: str  # in English: noun, proper noun


def reading_of(surface: str, feature) -> Reading:
    """A MeCab word's reading from its IPA dictionary features."""
    feature = tuple(feature)
    parts = [part for part in feature[:2] if part and part != NONE]
    known = len(feature) > PRONUNCIATION and feature[READING] != NONE
    kana_surface = unicodedata.normalize("NFKC", surface)
    if known:
        reading, said = feature[READING], feature[PRONUNCIATION]
    elif all(is_katakana(c) for c in hiragana_to_katakana(kana_surface)):
        reading = said = hiragana_to_katakana(kana_surface)
    else:
        reading = said = ""
    return Reading(
        surface=surface,
        kana=katakana_to_hiragana(reading),
        romaji=romaji(said) if said else surface if surface.isascii() else "",
        part_of_speech="-".join(parts),
        gloss=", ".join(GLOSSES.get(part, part) for part in parts),
    )


def is_katakana(character: str) -> bool:
    return "\u30a1" <= character <= "\u30fc"


def katakana_to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def romaji(katakana: str) -> str:
    """Hepburn romaji of a katakana pronunciation: シンブン shinbun, トーキョー tōkyō, ガッコウ gakkou."""
    out: list[str] = []
    double, i = False, 0
    while i < len(katakana):
        pair, char = katakana[i : i + 2], katakana[i]
        if pair in DIGRAPHS:
            syllable, i = DIGRAPHS[pair], i + 2
        elif char == "ッ":
            double, i = True, i + 1
            continue
        elif char == "ー" and out and out[-1][-1] in MACRONS:
            out[-1] = out[-1][:-1] + MACRONS[out[-1][-1]]
            i += 1
            continue
        else:
            syllable, i = KANA.get(char, char), i + 1
        if double and syllable[0].isalpha() and syllable[0] not in "aiueon":
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
        double = False
        if syllable[0] in "aiueoy" and out and out[-1] == "n":
            out[-1] = "n'"  # ン before a vowel or y: kan'i, not kani
        out.append(syllable)
    return "".join(out) + ("t" if double else "")  # a word that ends in ッ (行っ of 行った): itt-
