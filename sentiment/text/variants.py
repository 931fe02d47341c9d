"""Japanese-aware edits of a text, for asking a model "what if it had said …": negation on and off,
polite and plain style, the other character width, and each word left out.

The edits read MeCab's conjugation fields (IPA dictionary: part of speech, conjugation type, conjugation
form and base form), not the text's letters: 良い is 形容詞・アウオ段 in 基本形, so its negation is its stem
良 + く + ない; 泊まる is 五段・ラ行, so its negative stem is 泊まら. Only forms whose rewriting is certain
are edited; anything else is left as it is (an edit that would need guessing is no edit).
"""

from __future__ import annotations

from dataclasses import dataclass

from .limits import has_content
from .morphology import mecab_nodes

# Fields of an IPA dictionary node's feature.
POS, POS1, CTYPE, CFORM, BASE = 0, 1, 4, 5, 6
# Each variant is one more text to classify: at most this many words left out in turn, and this many
# predicates negated (or affirmed), the first ones of the text.
MAX_LEFT_OUT = 20
MAX_NEGATED = 5
# A 五段 verb's last kana, and the same row's kana for the negative (未然) and the polite (連用) stem.
NEGATIVE_ROW = dict(zip("うくぐすつぬぶむる", "わかがさたなばまら", strict=True))
POLITE_ROW = dict(zip("うくぐすつぬぶむる", "いきぎしちにびみり", strict=True))
PAST = {
    "く": "いた",
    "ぐ": "いだ",
    "す": "した",
    "つ": "った",
    "る": "った",
    "う": "った",
    "ぬ": "んだ",
    "ぶ": "んだ",
    "む": "んだ",
}
# An adjective's ending in each form, and its negation's (ない conjugates as an adjective).
ADJECTIVE_ENDINGS = {"基本形": "い", "連用タ接続": "かっ", "連用テ接続": "く", "仮定形": "けれ"}
NEGATED_ENDINGS = {form: "な" + ending for form, ending in ADJECTIVE_ENDINGS.items()}
SENTENCE_END = set("。．.！!？?\n")


@dataclass(frozen=True)
class Variant:
    kind: str  # negation, affirmation, plain, polite, half width, full width, left out
    text: str
    detail: str  # what changed, e.g. 良い → 良くない


@dataclass(frozen=True)
class Edit:
    start: int  # the first node replaced
    end: int  # the node after the last one replaced
    replacement: str


def variants(text: str) -> list[Variant]:
    """Every edit of `text` this module knows, each once, none equal to `text` and none empty."""
    nodes = mecab_nodes(text)
    found = [
        *(_variant(nodes, "negation", [edit]) for edit in _each(nodes, _negate)[:MAX_NEGATED]),
        *(_variant(nodes, "affirmation", [edit]) for edit in _each(nodes, _affirm)[:MAX_NEGATED]),
        _style_variant(nodes),
        *_width_variants(text),
        *_left_out(nodes),
    ]
    unique: dict[str, Variant] = {}
    for variant in found:
        if variant and variant.text != text and has_content(variant.text):
            unique.setdefault(variant.text, variant)
    return list(unique.values())


def _each(nodes, rule) -> list[Edit]:
    return [edit for index in range(len(nodes)) if (edit := rule(nodes, index))]


def _variant(nodes, kind: str, edits: list[Edit]) -> Variant | None:
    """`nodes` with `edits` applied, left to right; an edit overlapping an earlier one is skipped."""
    parts, details, position = [], [], 0
    for edit in sorted(edits, key=lambda edit: edit.start):
        if edit.start < position:
            continue
        parts += [_spaced(node) for node in nodes[position : edit.start]]
        before = "".join(_spaced(node) for node in nodes[edit.start : edit.end])
        parts.append(_spacing(nodes[edit.start]) + edit.replacement)
        details.append(f"{before.strip()} → {edit.replacement or '∅'}")
        position = edit.end
    if not details:
        return None
    parts += [_spaced(node) for node in nodes[position:]]
    return Variant(kind, "".join(parts), "; ".join(details))


def _spaced(node) -> str:
    return _spacing(node) + node.surface


def _spacing(node) -> str:
    return getattr(node, "white_space", "")


def _field(node, index: int) -> str:
    feature = tuple(node.feature)
    return feature[index] if len(feature) > index else "*"


def _is(node, pos: str, ctype: str | None = None, cform: str | None = None) -> bool:
    return (
        node is not None
        and _field(node, POS) == pos
        and (ctype is None or _field(node, CTYPE).startswith(ctype))
        and (cform is None or _field(node, CFORM) == cform)
    )


def _at(nodes, index: int):
    return nodes[index] if 0 <= index < len(nodes) else None


def _is_past(node) -> bool:
    return _is(node, "助動詞", "特殊・タ")


def _is_negative(node) -> bool:
    """ない after a verb (助動詞) or after an adjective's く form (形容詞), or the ん of ません."""
    return node is not None and (_field(node, BASE) == "ない" or _is(node, "助動詞", "不変化型"))


# Verb stems, from the conjugation type.
def _verb_stem(node, row: dict[str, str]) -> str | None:
    base, ctype = _field(node, BASE), _field(node, CTYPE)
    if ctype.startswith("五段") and base[-1:] in row:
        return base[:-1] + row[base[-1]]
    if ctype.startswith("一段"):
        return base[:-1]
    if ctype.startswith("サ変"):
        return base[:-2] + "し"
    if ctype.startswith("カ変"):  # 来る keeps its kanji; くる is こ- before ない, き- before ます
        return base[:-1] if base.startswith("来") else ("こ" if row is NEGATIVE_ROW else "き")
    return None


def _verb_negative(node, past: bool = False) -> str | None:
    ending = "なかった" if past else "ない"
    if _field(node, BASE) == "ある":  # ある has no negative stem: its negation is ない itself
        return ending
    stem = _verb_stem(node, NEGATIVE_ROW)
    return stem and stem + ending


def _verb_past(node) -> str | None:
    base, ctype = _field(node, BASE), _field(node, CTYPE)
    if ctype.startswith("五段"):
        return base[:-1] + ("った" if base.endswith("行く") or base == "いく" else PAST.get(base[-1], ""))
    stem = _verb_stem(node, POLITE_ROW)
    return stem and stem + "た"


def _adjective_stem(node) -> str:
    if _is(node, "助動詞", "特殊・タイ"):
        return "た"
    return "よ" if _field(node, CTYPE) == "形容詞・イイ" else _field(node, BASE)[:-1]


def _is_adjective(node) -> bool:
    return (_is(node, "形容詞") and _field(node, BASE) != "ない") or _is(node, "助動詞", "特殊・タイ")


# Negation on.
def _negate(nodes, i: int) -> Edit | None:
    node, following = nodes[i], _at(nodes, i + 1)
    if _is_negative(following):
        return None
    if _is_adjective(node) and _field(node, CFORM) in NEGATED_ENDINGS:
        return Edit(i, i + 1, _adjective_stem(node) + "く" + NEGATED_ENDINGS[_field(node, CFORM)])
    if _is(node, "動詞", cform="基本形"):
        return _edit(i, i + 1, _verb_negative(node))
    if _is(node, "動詞", cform="連用タ接続") and _is_past(following):
        return _edit(i, i + 2, _verb_negative(node, past=True))
    if _is(node, "助動詞", "特殊・マス"):
        return _past_or_present(nodes, i, "ません", "ませんでした")
    if _is(_at(nodes, i - 1), "名詞") and _is(node, "助動詞", "特殊・デス"):
        return _past_or_present(nodes, i, "ではありません", "ではありませんでした")
    if _is(_at(nodes, i - 1), "名詞") and _is(node, "助動詞", "特殊・ダ"):
        return _past_or_present(nodes, i, "ではない", "ではなかった")
    return None


def _past_or_present(nodes, i: int, present: str, past: str) -> Edit | None:
    if _field(nodes[i], CFORM) == "基本形":
        return Edit(i, i + 1, present)
    if _is_past(_at(nodes, i + 1)):
        return Edit(i, i + 2, past)
    return None


def _edit(start: int, end: int, replacement: str | None) -> Edit | None:
    return Edit(start, end, replacement) if replacement else None


# Negation off.
def _affirm(nodes, j: int) -> Edit | None:
    node, before = nodes[j], _at(nodes, j - 1)
    if not _is_negative(node) or before is None:
        return None
    past = _field(node, CFORM) == "連用タ接続" and _is_past(_at(nodes, j + 1))
    end = j + 2 if past else j + 1
    if _is(node, "助動詞", "不変化型"):  # ません(でした)
        return _affirm_polite(nodes, j)
    if _is(before, "動詞", cform="未然形") and _field(node, CFORM) in ("基本形", "連用タ接続"):
        return _edit(j - 1, end, _verb_past(before) if past else _field(before, BASE))
    if _is_adjective(before) and _field(before, CFORM) == "連用テ接続" and _field(node, CFORM) in ADJECTIVE_ENDINGS:
        return Edit(j - 1, j + 1, _adjective_stem(before) + ADJECTIVE_ENDINGS[_field(node, CFORM)])
    if before.surface == "じゃ":
        return Edit(j - 1, end, "だった" if past else "だ")
    if before.surface == "は" and _at(nodes, j - 2) is not None and nodes[j - 2].surface == "で":
        return Edit(j - 2, end, "だった" if past else "だ")
    return None


def _affirm_polite(nodes, j: int) -> Edit | None:
    """ませ + ん → ます; ませ + ん + でし + た → ました; で は あり ませ ん → です."""
    if not _is(_at(nodes, j - 1), "助動詞", "特殊・マス"):
        return None
    past = _is(_at(nodes, j + 1), "助動詞", "特殊・デス") and _is_past(_at(nodes, j + 2))
    end = j + 3 if past else j + 1
    if [node.surface for node in nodes[max(0, j - 4) : j - 1]] == ["で", "は", "あり"]:
        return Edit(j - 4, end, "でした" if past else "です")
    return Edit(j - 1, end, "ました" if past else "ます")


# Polite ↔ plain: one variant with every sentence in the other style.
def _style_variant(nodes) -> Variant | None:
    to_plain = _each(nodes, _plain)
    if to_plain:
        return _variant(nodes, "plain", to_plain)
    return _variant(nodes, "polite", _each(nodes, _polite))


def _plain(nodes, i: int) -> Edit | None:
    node, before, following = nodes[i], _at(nodes, i - 1), _at(nodes, i + 1)
    if _is(node, "助動詞", "特殊・マス"):
        negative = _is(following, "助動詞", "不変化型")
        if not _is(before, "動詞"):
            return None
        if negative:
            past = _is(_at(nodes, i + 2), "助動詞", "特殊・デス") and _is_past(_at(nodes, i + 3))
            return _edit(i - 1, i + (4 if past else 2), _verb_negative(before, past))
        if _field(node, CFORM) == "基本形":
            return Edit(i - 1, i + 1, _field(before, BASE))
        if _is_past(following):
            return _edit(i - 1, i + 2, _verb_past(before))
        return None
    if _is(node, "助動詞", "特殊・デス"):
        if _is(before, "名詞"):
            return _past_or_present(nodes, i, "だ", "だった")
        if _field(node, CFORM) == "基本形":  # 良いです, 泊まりたいです, 買わなかったです: です only adds politeness
            return Edit(i, i + 1, "")
    return None


def _polite(nodes, i: int) -> Edit | None:
    """A sentence's last predicate in the polite style (before 。, ！, ？, a line break or the end)."""
    node, before, following = nodes[i], _at(nodes, i - 1), _at(nodes, i + 1)
    if following is not None and not (SENTENCE_END & set(following.surface) or _field(following, POS1) == "終助詞"):
        return None
    if _is(node, "動詞", cform="基本形"):
        stem = _verb_stem(node, POLITE_ROW) if _field(node, BASE) != "ある" else "あり"
        return _edit(i, i + 1, stem and stem + "ます")
    if _is_past(node) and _is(before, "動詞", cform="連用タ接続"):
        stem = _verb_stem(before, POLITE_ROW) if _field(before, BASE) != "ある" else "あり"
        return _edit(i - 1, i + 1, stem and stem + "ました")
    if _is(node, "助動詞", "特殊・ダ", "基本形"):
        return Edit(i, i + 1, "です")
    if _is_past(node) and _is(before, "助動詞", "特殊・ダ"):  # だった
        return Edit(i - 1, i + 1, "でした")
    if (_is_adjective(node) and _field(node, CFORM) == "基本形") or _is_past(node) or _is_negative(node):
        return Edit(i, i + 1, node.surface + "です")
    return None


def _width_variants(text: str) -> list[Variant]:
    import jaconv

    half = jaconv.z2h(text, kana=True, ascii=True, digit=True)
    full = jaconv.h2z(text, kana=True, ascii=True, digit=True)
    return [Variant("half width", half, "全角 → 半角"), Variant("full width", full, "半角 → 全角")]


def _left_out(nodes) -> list[Variant]:
    """The text without each word in turn (punctuation and spaces are not words), the first MAX_LEFT_OUT."""
    words = [i for i, node in enumerate(nodes) if _field(node, POS) != "記号" and node.surface.strip()]
    return [_variant(nodes, "left out", [Edit(i, i + 1, "")]) for i in words[:MAX_LEFT_OUT]]
