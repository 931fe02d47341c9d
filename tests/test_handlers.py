"""The page's handlers are module-level functions of the studio: each can be called, and tested, without
building the page, and `over` hands them to gradio with what gradio reads from a handler kept."""

import inspect

import gradio as gr
import pytest
from gradio.helpers import special_args

from sentiment.corpus.loading import SAMPLE
from sentiment.serving.studio import Studio
from sentiment.ui import classify_tab, dataset_tab, open_page
from sentiment.ui.common import over
from sentiment.ui.tokenizer_tab import DEFAULT_TEXT

from .conftest import copy_run

REVIEW = "最高のホテルでした😊また泊まりたい"


@pytest.fixture()
def studio(trained_run, tmp_path):
    """A studio over a runs folder of its own holding the session's one trained run (the app's shared folder
    gains the runs other tests train)."""
    copy_run(trained_run, tmp_path / "runs")
    return Studio(tmp_path / "runs")


def a_run(studio) -> str:
    (name,) = studio.runbook.names()
    return name


def test_classify_answers_without_a_page_in_english_when_no_one_asked_for_a_language(studio):
    probabilities, note = classify_tab.classify_text(studio, a_run(studio), REVIEW)
    assert set(probabilities) == {"positive", "neutral", "negative"}
    assert sum(probabilities.values()) == pytest.approx(1, abs=1e-4)
    assert " ms" in note and "This run's accuracy on its validation split" in note


def test_a_handler_without_a_run_says_one_sentence(studio):
    with pytest.raises(gr.Error) as raised:
        classify_tab.classify_text(studio, "", REVIEW)
    assert raised.value.message == classify_tab.NO_RUN.en


def test_a_dataset_page_is_the_rows_that_match(studio):
    rows, caption, page = dataset_tab.show_page(studio, SAMPLE, "train", "all", "最高", 1)
    assert page == 1 and len(rows) > 0
    assert all("最高" in text for text in rows["text"]), "every row shown contains the searched text"
    assert caption.startswith("Page 1 of ")


def test_gradio_still_hands_a_bound_handler_its_request(studio):
    """gradio finds `gr.Request` by annotation: bound by `over`, the link handler still gets the visitor's
    address, and the studio is not one of the page's inputs."""
    linked = over(studio, open_page)
    assert list(inspect.signature(linked).parameters) == ["request"]
    address = gr.Request(query_params={"tab": "classify", "text": REVIEW, "run": a_run(studio)})
    inputs, *_ = special_args(linked, [], address)
    tabs, tokenizer_text, classify_text, asked, run, seen, notice, evaluate_run, _, _ = linked(*inputs)
    assert tabs.selected == "classify" and classify_text == REVIEW and asked is True
    assert tokenizer_text == DEFAULT_TEXT, "the Tokenizer tab keeps its own text"
    assert run.value == evaluate_run.value == a_run(studio) and notice == ""
    assert seen == [a_run(studio)], "the runs the page has seen are those of now, not of the server's start"
