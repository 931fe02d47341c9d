"""The app in a real browser: headless Debian Chromium driven by Playwright.

Visits all five tabs as a person would and saves a screenshot of each, on success and on failure
(`SCREENSHOT_DIR`, default test-artifacts/screenshots; the README's come from
`SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser.py`).
"""

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "test-artifacts" / "screenshots"))

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def browser_page(locale: str):
    """A headless Chromium page that asks for `locale`, as a visitor's browser set to that language would."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale=locale)
        page.set_default_timeout(60_000)
        yield page
        browser.close()


@pytest.fixture()
def page(app_url):
    yield from browser_page("en-US")


@pytest.fixture()
def japanese_page(app_url):
    yield from browser_page("ja-JP")


def test_a_japanese_browser_gets_the_page_in_japanese(japanese_page, app_url):
    japanese_page.goto(app_url, wait_until="load")
    japanese_page.get_by_role("tab", name="2. トークナイザー").wait_for()
    assert japanese_page.get_by_role("tab", name="2. Tokenizer").count() == 0
    japanese_page.get_by_role("tab", name="5. 分類").click()
    run = japanese_page.get_by_label("学習済みモデル（新しい順）")
    expect(run).not_to_have_value("")  # the app's other tests may have added runs: pick the BERT one
    run.click()
    run.fill("starter-sample")
    run.press("Enter")
    expect(run).to_have_value("starter-sample")
    japanese_page.get_by_label("レビュー", exact=True).fill("最高のホテルでした。また泊まりたいです。")
    japanese_page.get_by_role("button", name="分類", exact=True).click()
    expect(japanese_page.locator("#prediction-info")).to_contain_text(" ms")
    japanese_page.get_by_role("button", name="理由を見る").click()
    japanese_page.get_by_text("[CLS]").first.wait_for()
    shoot(japanese_page, "6-japanese")


def shoot(page, name: str) -> None:
    page.wait_for_timeout(600)  # let plots finish their transition
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_a_visitor_uses_every_tab(page, app_url):
    step = "start"
    try:
        # 1. Dataset: the sample loads by itself offline, with its plots and rows.
        step = "dataset"
        page.goto(app_url, wait_until="load")
        page.get_by_text("can't be reached").first.wait_for()
        page.locator(".js-plotly-plot").first.wait_for()
        page.get_by_text("Page 1 of 13").wait_for()
        page.get_by_label("Search text").fill("最悪")
        page.get_by_label("Search text").press("Enter")
        page.get_by_text("matching rows").filter(has_text="Page 1 of 1 ").wait_for()
        shoot(page, "1-dataset")

        # 2. Tokenizer: typing Japanese shows MeCab words, ## pieces and ids, updated as you type.
        step = "tokenizer"
        open_tab(page, "2. Tokenizer")
        box = page.locator("#tokenizer-text textarea")
        box.fill("")
        box.press_sequentially("このレストランはとても美味しかった", delay=20)
        expect(page.locator("#mecab-words .tok")).to_have_count(6)  # この/レストラン/は/とても/美味しかっ/た
        expect(page.locator("#mecab-words .tok").nth(4)).to_contain_text("美味しかっ")
        expect(page.locator("#wordpiece-pieces .tok.special")).to_have_count(2)
        page.locator("#padded-pair .tok.pad").first.wait_for()
        shoot(page, "2-tokenizer")

        # A shared link pre-fills the text.
        page.goto(app_url + "?text=" + quote("悪くないけど高い"), wait_until="load")
        open_tab(page, "2. Tokenizer")
        page.locator("#mecab-words").get_by_text("けど").wait_for()
        assert page.locator("#tokenizer-text textarea").input_value() == "悪くないけど高い"

        # 3. Train: a few steps of the starter on the sample; progress, chart and the runs list update.
        step = "train"
        open_tab(page, "3. Train")
        page.get_by_label("Run name (optional)").fill("browser-run")
        assert page.get_by_label("Dataset (from the Dataset tab)").input_value() == "sample"
        page.locator("#train-epochs input").fill("8")
        page.locator("#train-learning_rate input").fill("0.001")
        page.get_by_role("button", name="Start", exact=True).click()
        page.locator('#train-progress[data-state="running"]').wait_for()
        page.reload(wait_until="load")  # a reload finds the running job again
        open_tab(page, "3. Train")
        page.locator('#train-progress[data-state="finished"]').wait_for(timeout=180_000)
        page.get_by_text("Training / 学習曲線").wait_for()
        page.get_by_role("gridcell", name="browser-run").first.wait_for()
        shoot(page, "3-train")

        # 4. Evaluate: the new run is picked; the matrix renders and a cell lists its examples.
        step = "evaluate"
        open_tab(page, "4. Evaluate")
        assert page.get_by_label("Run", exact=True).input_value() == "browser-run"
        page.get_by_role("button", name="Evaluate", exact=True).click()
        page.get_by_text("Confusion matrix, normalised").wait_for()
        cell = page.locator('#confusion-table [data-testid="cell-2-2"]')
        cell.click()
        page.get_by_text("examples: true").wait_for()
        picker = page.get_by_label("Runs to compare")
        picker.click()
        picker.fill("browser-run")
        picker.press("Enter")
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator("#compare-table")).to_contain_text("browser-run")
        page.get_by_role("button", name="Draw the maps for the run above").click()
        page.locator("#map-after .js-plotly-plot").wait_for()
        shoot(page, "4-evaluate")

        # 5. Classify: a sentence gets a label and per-class probabilities; empty text gets a sentence.
        step = "classify"
        open_tab(page, "5. Classify")
        page.get_by_label("Review", exact=True).fill("このホテルは最高でした！また泊まりたいです。")
        page.get_by_role("button", name="Classify", exact=True).click()
        expect(page.locator("#prediction-info")).to_contain_text(" ms")
        expect(page.locator("#prediction")).to_contain_text("negative")
        page.get_by_role("button", name="Why?").click()
        expect(page.locator("#why-words .tok").first).to_contain_text("この")
        shoot(page, "5-classify")
        page.get_by_label("Review", exact=True).fill("   ")
        page.get_by_role("button", name="Classify", exact=True).click()
        page.get_by_text("The text is empty").wait_for()
        assert page.get_by_text("Traceback").count() == 0
    except Exception:
        page.screenshot(path=str(SHOTS / f"failed-{step}.png"), full_page=True)
        raise
