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
