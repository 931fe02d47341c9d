"""A table the page shows reads in the visitor's language; the API's tables and what a handler reads stay English."""

import pandas as pd

from sentiment.bilingual import speaking
from sentiment.ui.tables import given_table, shown_table, shown_value

REPORT = pd.DataFrame(
    {
        "text": ["とても良い", "positive"],
        "gold": ["positive", "negative"],
        "predicted": ["neutral", "negative"],
        "p_positive": [0.5, 0.1],
        "split": ["train", "test"],
        "loss": [0.7, 0.1],
    }
)


def test_a_japanese_page_reads_headers_and_class_names_in_japanese():
    with speaking("ja"):
        shown = shown_table(REPORT)
    assert list(shown.columns) == ["テキスト", "正解", "予測", "p_ポジティブ", "分割", "損失"]
    assert list(shown["正解"]) == ["ポジティブ", "ネガティブ"] and list(shown["分割"]) == ["学習", "テスト"]
    assert shown["テキスト"][0] == "とても良い"


def test_english_and_the_api_keep_the_tables_as_the_parts_made_them():
    assert shown_table(REPORT) is REPORT
    with speaking("en"):
        assert shown_value((REPORT, "x"))[0] is REPORT


def test_a_table_sent_back_by_a_japanese_page_reaches_the_handler_in_english():
    with speaking("ja"):
        shown = shown_table(REPORT)
    given = given_table(shown)
    assert list(given.columns) == list(REPORT.columns)
    assert list(given["gold"]) == list(REPORT["gold"]) and list(given["split"]) == ["train", "test"]
    assert given_table(REPORT) is REPORT


def test_a_gradio_update_of_a_table_is_shown_too():
    with speaking("ja"):
        update = shown_value({"__type__": "update", "value": REPORT, "visible": True})
    assert "正解" in update["value"].columns and update["visible"]


def test_a_japanese_page_reads_yes_no_cells_slices_a_baseline_and_a_splits_features_in_japanese():
    tokens = pd.DataFrame({"token": ["[CLS]", "良い"], "special": [True, False], "[UNK]": [False, False]})
    slices = pd.DataFrame({"dimension": ["length (MeCab words)", "negation"], "slice": ["≤ 16 words", "with negation"]})
    runs = pd.DataFrame({"model": ["character n-grams + logistic regression", "cl-tohoku/bert-base-japanese"]})
    summary = pd.DataFrame(
        {"split": ["train"], "features": ["text: Value, label: ClassLabel(positive, neutral, negative), source: Value"]}
    )
    with speaking("ja"):
        tokens_shown, slices_shown = shown_table(tokens), shown_table(slices)
        runs_shown, summary_shown = shown_table(runs), shown_table(summary)
    assert list(tokens_shown["特殊"]) == ["はい", "いいえ"] and list(tokens_shown["[UNK]"]) == ["いいえ", "いいえ"]
    assert list(slices_shown["切り口"]) == ["長さ（MeCab の単語数）", "否定"]
    assert list(slices_shown["スライス"]) == ["16 語以下", "否定あり"]
    assert list(runs_shown["モデル"]) == ["文字 n-gram + ロジスティック回帰", "cl-tohoku/bert-base-japanese"]
    features = "text: Value, label: ClassLabel(ポジティブ, ニュートラル, ネガティブ), source: Value"
    assert summary_shown["特徴量"][0] == features
    given = given_table(tokens_shown)
    assert list(given["special"]) == [True, False] and list(given.columns) == list(tokens.columns)
    assert list(given_table(slices_shown)["slice"]) == list(slices["slice"])
