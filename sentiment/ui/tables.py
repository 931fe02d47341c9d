"""Tables as the page shows them: headers and class names in the visitor's language, the API's values in English.

The parts below ui build their tables with English column names and values (what a script through the API
reads, and a CSV download holds). A handler's table is shown (`shown_table`) in the request's language: each
known header and each class, split or change named in its cells reads as the page names it. A table the page
sends back to a handler (a click on a row) is read back (`given_table`) into the English the parts know, so a
handler never sees the difference.
"""

from __future__ import annotations

import re

import pandas as pd

from ..bilingual import CLASSES, SPLIT_NAMES, Text, class_text, current_language
from ..serving.terms import DIMENSIONS, LENGTH_BUCKETS, LONGEST, NGRAM_MODEL, CharacterSplitter

HEADERS = {
    "index": Text("index", "番号"),
    "row": Text("row", "行"),
    "text": Text("text", "テキスト"),
    "label": Text("label", "ラベル"),
    "suggested": Text("suggested", "提案ラベル"),
    "score": Text("score", "疑わしさ"),
    "gold": Text("gold", "正解"),
    "predicted": Text("predicted", "予測"),
    "loss": Text("loss", "損失"),
    "truncated": Text("truncated", "切り詰め"),
    "split": Text("split", "分割"),
    "rows": Text("rows", "行数"),
    "features": Text("features", "特徴量"),
    "source": Text("source", "ソース"),
    "characters": Text("characters", "文字数"),
    "precision": Text("precision", "適合率"),
    "recall": Text("recall", "再現率"),
    "f1": Text("f1", "F1"),
    "support": Text("support", "件数"),
    "true \\ predicted": Text("true \\ predicted", "正解 \\ 予測"),
    "run": Text("run", "名前"),
    "method": Text("method", "手法"),
    "model": Text("model", "モデル"),
    "dataset": Text("dataset", "データ"),
    "finished": Text("finished", "完了日時"),
    "accuracy": Text("accuracy", "正解率"),
    "f1_weighted": Text("f1_weighted", "加重 F1"),
    "f1_macro": Text("f1_macro", "マクロ F1"),
    "train_seconds": Text("train_seconds", "学習秒数"),
    "examples": Text("examples", "例数"),
    "dimension": Text("dimension", "切り口"),
    "slice": Text("slice", "スライス"),
    "correct": Text("correct", "正解数"),
    "confidence": Text("confidence", "確信度"),
    "variability": Text("variability", "ばらつき"),
    "correctness": Text("correctness", "正答率"),
    "region": Text("region", "領域"),
    "given": Text("given", "元のラベル"),
    "by": Text("by", "判断した人"),
    "at": Text("at", "日時"),
    "provenance": Text("provenance", "ラベルの出所"),
    "change": Text("change", "変化"),
    "variant": Text("variant", "書き換え"),
    "edit": Text("edit", "変更点"),
    "tokenizer": Text("tokenizer", "トークナイザー"),
    "pieces": Text("pieces", "分割結果"),
    "count": Text("count", "個数"),
    "words": Text("words", "単語数"),
    "pieces per word": Text("pieces per word", "単語あたりの個数"),
    "normalised forms": Text("normalised forms", "正規化形"),
    "normalisation": Text("normalisation", "正規化"),
    "note": Text("note", "注記"),
    "median tokens": Text("median tokens", "トークン数の中央値"),
    "p95 tokens": Text("p95 tokens", "トークン数の 95 パーセンタイル"),
    "cut at 128": Text("cut at 128", "128 で切れる割合"),
    "cut at 512": Text("cut at 512", "512 で切れる割合"),
    "[UNK] rate": Text("[UNK] rate", "[UNK] の割合"),
    "vocabulary": Text("vocabulary", "語彙数"),
    "distinct pieces": Text("distinct pieces", "異なり数"),
    "failed": Text("failed", "失敗"),
    "token": Text("token", "トークン"),
    "word": Text("word", "単語"),
    "part of speech": Text("part of speech", "品詞"),
    "special": Text("special", "特殊"),
}
# What a cell of one of these columns says, as the page names it.
VALUES = {
    "split": SPLIT_NAMES,
    "change": {
        "better": Text("better", "改善"),
        "worse": Text("worse", "悪化"),
        "other": Text("other", "その他"),
    },
    "method": {
        "full": Text("full", "全体を学習"),
        "head": Text("head", "分類ヘッドのみ"),
        "ngram": Text("ngram", "n-gram ベースライン"),
    },
    "model": {NGRAM_MODEL: Text(NGRAM_MODEL, "文字 n-gram + ロジスティック回帰")},
    "dimension": {
        DIMENSIONS["source"]: Text(DIMENSIONS["source"], "ソース"),
        DIMENSIONS["length"]: Text(DIMENSIONS["length"], "長さ（MeCab の単語数）"),
        DIMENSIONS["negation"]: Text(DIMENSIONS["negation"], "否定"),
    },
    "slice": {
        LENGTH_BUCKETS[0][1]: Text(LENGTH_BUCKETS[0][1], "16 語以下"),
        LENGTH_BUCKETS[1][1]: Text(LENGTH_BUCKETS[1][1], "17–32 語"),
        LENGTH_BUCKETS[2][1]: Text(LENGTH_BUCKETS[2][1], "33–64 語"),
        LENGTH_BUCKETS[3][1]: Text(LENGTH_BUCKETS[3][1], "65–128 語"),
        LONGEST: Text(LONGEST, "129 語以上"),
        "with negation": Text("with negation", "否定あり"),
        "without negation": Text("without negation", "否定なし"),
    },
    "tokenizer": {CharacterSplitter.name: Text(CharacterSplitter.name, "文字単位")},
    "vocabulary": {"— (dictionary)": Text("— (dictionary)", "—（辞書）")},
}
# A yes/no cell (a token is special, is [UNK]) as the page says it; English keeps true / false.
BOOLEANS = {True: Text("true", "はい"), False: Text("false", "いいえ")}
# A split's features: a dataset's own column and type names (datasets' `Value`, `ClassLabel`) read as they are,
# the class names a ClassLabel holds as the page names them.
CLASS_LABEL = re.compile(r"ClassLabel\(([^)]*)\)")
PROBABILITY = "p_"
# Columns of free text: a review that reads "positive" is shown as written.
FREE_TEXT = {"text", "edit", "pieces", "token", "word", "source", "note", "normalised forms", "run"}


def _header(column: str) -> str:
    if column in HEADERS:
        return str(HEADERS[column])
    if column.startswith(PROBABILITY) and column[len(PROBABILITY) :] in CLASSES:
        return PROBABILITY + str(CLASSES[column[len(PROBABILITY) :]])
    if column in CLASSES:  # the confusion matrix's columns
        return str(CLASSES[column])
    return column


def _features(value: str) -> str:
    def classes(match: re.Match) -> str:
        return f"ClassLabel({', '.join(str(class_text(name.strip())) for name in match.group(1).split(','))})"

    return CLASS_LABEL.sub(classes, value)


def _cell(column: str, value):
    if isinstance(value, bool) or (hasattr(value, "dtype") and pd.api.types.is_bool_dtype(value.dtype)):
        return str(BOOLEANS[bool(value)])
    if not isinstance(value, str) or column in FREE_TEXT:
        return value
    if column == "features":
        return _features(value)
    names = VALUES.get(column, CLASSES)
    return str(names[value]) if value in names else value


def _words(column: pd.Series) -> bool:
    """A column whose cells may say something: words, or yes/no."""
    return (
        pd.api.types.is_object_dtype(column)
        or pd.api.types.is_string_dtype(column)
        or pd.api.types.is_bool_dtype(column)
    )


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as the page shows it in the request's language (as it is in English)."""
    if current_language() == "en" or frame is None:
        return frame
    shown = frame.copy()
    for column in shown.columns:
        if _words(shown[column]):
            shown[column] = [_cell(str(column), value) for value in shown[column]]
    return shown.rename(columns={column: _header(str(column)) for column in shown.columns})


def _english(language: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    headers = {getattr(text, language): name for name, text in HEADERS.items()}
    headers |= {getattr(text, language): name for name, text in CLASSES.items()}
    headers |= {PROBABILITY + getattr(text, language): PROBABILITY + name for name, text in CLASSES.items()}
    values = {column: {getattr(text, language): name for name, text in kind.items()} for column, kind in VALUES.items()}
    values[""] = {getattr(text, language): name for name, text in CLASSES.items()}
    return headers, values


def _given_cell(names: dict[str, str], value):
    if not isinstance(value, str):
        return value
    if value in names:
        return names[value]
    return next((answer for answer, text in BOOLEANS.items() if value == text.ja), value)


def given_table(frame):
    """A table the page sent back, with its headers and cells in English again (whatever the page showed)."""
    if not isinstance(frame, pd.DataFrame):
        return frame
    headers, values = _english("ja")
    if not any(str(column) in headers for column in frame.columns):
        return frame
    given = frame.rename(columns={column: headers.get(str(column), column) for column in frame.columns})
    for column in given.columns:
        if _words(given[column]) and column not in FREE_TEXT:
            names = values.get(str(column), values[""])
            given[column] = [_given_cell(names, value) for value in given[column]]
    return given


def shown_value(value):
    """A handler's output with each table in it shown in the request's language (tuples, lists, gradio
    updates and components looked into)."""
    if isinstance(value, pd.DataFrame):
        return shown_table(value)
    if isinstance(value, tuple):
        return tuple(shown_value(item) for item in value)
    if isinstance(value, list):
        return [shown_value(item) for item in value]
    if isinstance(value, dict) and value.get("__type__") == "update" and isinstance(value.get("value"), pd.DataFrame):
        return {**value, "value": shown_table(value["value"])}
    return value
