"""In a real browser (headless Debian Chromium, Playwright): a visitor opens the Tokenizer tab's Code panel and reads
the code of what the tab shows, in English and in Japanese, and downloads a finished run's notebook from Evaluate
(`SCREENSHOT_DIR` keeps a screenshot of each, as tests/test_browser.py does)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from playwright.sync_api import expect

from .test_browser import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
TEXT = "悪くないけど高い"



def test_a_visitor_reads_the_tokenizers_code_and_downloads_a_runs_notebook(page, app_url, trained_run, tmp_path):
    page.goto(f"{app_url}?tab=tokenizer&text={quote(TEXT)}", wait_until="load")
    expect(page.locator("#wordpiece-pieces")).to_contain_text("高")
    page.locator("#tokenizer-code-panel").get_by_text("Code", exact=True).click()
    code = page.locator("#tokenizer-code")
    # The editor draws the lines in view: the first say whose tokenizer it is (the test reads the rest, run).
    expect(code).to_contain_text("# The starter's tokenizer: a vocabulary counted from the sample")
    expect(code).to_contain_text("BertJapaneseTokenizer")
    page.screenshot(path=str(SHOTS / "19-code-panel.png"), full_page=False)

    page.get_by_role("tab", name="4. Evaluate").click()
    page.get_by_role("button", name="Download the run as a notebook").click()
    link = page.locator("#notebook-file").get_by_role("link").first
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "notebook.ipynb"
    download.value.save_as(saved)
    notebook = nbformat.read(saved, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].source == f"# {trained_run.name}" or notebook.cells[0].source.startswith("# ")


def test_a_japanese_visitor_reads_the_code_with_japanese_comments(japanese_page, app_url):
    japanese_page.goto(f"{app_url}?tab=tokenizer&text={quote(TEXT)}", wait_until="load")
    expect(japanese_page.locator("#wordpiece-pieces")).to_contain_text("高")
    japanese_page.locator("#tokenizer-code-panel").get_by_text("コード", exact=True).click()
    code = japanese_page.locator("#tokenizer-code")
    expect(code).to_contain_text("# スターターのトークナイザー: サンプル（ローカルファイル）から数えた語彙")
    assert "The starter's tokenizer" not in code.inner_text()
    japanese_page.screenshot(path=str(SHOTS / "19-code-panel-ja.png"), full_page=False)


def test_a_script_downloads_a_runs_notebook_through_the_api(client, trained_run):
    notebook = nbformat.read(client.predict(trained_run.name, api_name="/notebook"), as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].source.startswith(f"# {trained_run.name}")
