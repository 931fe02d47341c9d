"""Issue 43, item 6: a visitor's string placed in the page's Markdown shows as the text it is. A shared link's run,
a word typed into the WordPiece walk, a token looked up in the vocabulary: Markdown, HTML and a link sent through
each come back as literal text, with no emphasis, link, image or tag of the visitor's (rendered by a CommonMark
renderer, the grammar gradio's Markdown follows)."""

import html
import re

import gradio as gr
import pytest
from markdown_it import MarkdownIt

from sentiment.markup import code, literal
from sentiment.serving.studio import Studio
from sentiment.ui import open_page
from sentiment.ui.inside_bert import vocabulary, wordpiece
from sentiment.ui.run_pickers import opened_picker

from .conftest import copy_run

PLANTED = "**bold** [x](http://evil.example/) <img src=x>"
HOSTILE = [
    PLANTED,
    "<script>alert(1)</script>",
    "# Server moving\n\n[sign in again](https://evil.example/login)",
    "1. one\n- two",
    "![tracker](http://evil.example/t.png)",
    "``` `code` `` _em_ ~~gone~~ | a | b |",
    "&lt;img src=x&gt; &amp;",
    "\\*not emphasis\\*",
]
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def rendered(markdown: str) -> str:
    return RENDER.render(markdown)


def shown_text(markdown: str) -> str:
    """What a reader sees: the rendered HTML without its tags, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered(markdown)))


def assert_literal(markdown: str, planted: str, allowed_tags=("p", "strong", "code")) -> None:
    """`planted` shows as written (line breaks read as spaces) and the only tags are the page's own."""
    tags = set(re.findall(r"<([a-zA-Z0-9]+)", rendered(markdown)))
    assert tags <= set(allowed_tags), f"{sorted(tags - set(allowed_tags))} from {markdown!r}"
    assert re.sub(r"\s+", " ", planted) in re.sub(r"\s+", " ", shown_text(markdown))


@pytest.mark.parametrize("planted", HOSTILE)
def test_a_visitors_string_in_running_text_or_a_code_span_shows_as_written(planted):
    assert_literal(f"There is no run “{literal(planted)}” here. Showing **{literal(planted)}** instead.", planted)
    assert_literal(f"- {literal(planted)}", planted, allowed_tags=("ul", "li"))
    assert_literal(f"**{literal(planted)}**\n- {literal(planted)}", planted, allowed_tags=("p", "strong", "ul", "li"))
    assert_literal(f"{code(planted)} = id **3**", planted)


@pytest.fixture(scope="module")
def studio(trained_run, tmp_path_factory):
    runs = tmp_path_factory.mktemp("markup") / "runs"
    copy_run(trained_run, runs)
    return Studio(runs)


def test_a_links_run_that_is_not_here_is_named_as_text(studio):
    _, _, notice = opened_picker(studio, PLANTED)
    assert_literal(str(notice), PLANTED)
    # Through the page's own link handler, as `?tab=classify&run=…` reaches it.
    answer = open_page(studio, gr.Request(query_params={"tab": "classify", "run": PLANTED}))
    notices = [value for value in answer if isinstance(value, str) and "There is no run" in value]
    assert len(notices) == 2, "Classify's and Evaluate's pickers both say so"
    for notice in notices:
        assert_literal(notice, PLANTED)
        assert "<img" not in rendered(notice) and "<a " not in rendered(notice)


def test_a_looked_up_token_and_a_walked_word_show_as_text(studio):
    chosen = studio.models.tokenizer_choices()[0][1]
    entry = vocabulary(studio, chosen, "``x`` **b** <img src=x> [l](http://evil.example/)", "sample")
    assert_literal(entry, "``x`` **b** <img src=x> [l](http://evil.example/)")
    caption, _, _ = wordpiece(studio, chosen, "", "**<img src=x>**")
    tags = set(re.findall(r"<([a-zA-Z0-9]+)", rendered(caption)))
    assert tags <= {"p", "strong", "code"}, caption
    assert "<img" not in rendered(caption)
