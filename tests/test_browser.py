"""The app in a real browser: headless Debian Chromium driven by Playwright.

Visits all five tabs as a person would and saves a screenshot of each, on success and on failure
(`SCREENSHOT_DIR`, default test-artifacts/screenshots; the README's come from
`SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser.py`).
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .conftest import ROOT, served_app

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
# Every assertion waits for its condition, up to a minute: Playwright's 5 s default failed on a loaded machine
# (the tokenizer lab's seven rows took longer to appear while the other worker trained).
expect.set_options(timeout=60_000)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def browser_page(locale: str, viewport=(1400, 1000)):
    """A headless Chromium page that asks for `locale`, as a visitor's browser set to that language would."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
        page.set_default_timeout(60_000)
        yield page
        browser.close()


@pytest.fixture()
def phone_page(app_url):
    yield from browser_page("en-US", viewport=(390, 844))


# Texts of the page's own labels, help and hints: a Japanese browser shows none of them in English.
ENGLISH = [
    "Choose a dataset",
    "Search text",
    "Splits and features",
    "reads Japanese in two stages",
    "MeCab words (part of speech)",
    "Round trip",
    "Fine-tune on the dataset",
    "Passes over the training data",
    "Peak learning rate",
    "Random seed for",
    "Run name (optional)",
    "Loss and metrics",
    "Finished runs",
    "Pick a run and a split",
    "Compare runs",
    "Draw the maps",
    "Run (newest first)",
    "Class to explain",
    "Examples: click",
    "Many texts",
    "Classify all",
    "Copy link",
    "can't be reached",
    "no run has been started yet",
]
# Each tab, and the label of a field it shows in Japanese once it has rendered.
TABS = {
    "1. データ": "検索",
    "2. トークナイザー": "復元: convert_tokens_to_string",
    "3. 学習": "学習名（任意）",
    "4. 評価": "学習済みモデル",
    "5. 分類": "学習済みモデル（新しい順）",
}


def choose_run(page, label: str, name: str) -> None:
    """Pick the run `name` in the picker labelled `label` (its choices read `name · method · accuracy`)."""
    run = page.get_by_label(label, exact=True)
    run.click()
    run.fill(name)
    page.get_by_role("option", name=re.compile(f"^{re.escape(name)} · ")).first.click()
    expect(run).to_have_value(re.compile(f"^{re.escape(name)} · "))


def shown_top_label(page) -> str:
    """The class the page shows on top of its prediction (as the page writes it)."""
    return page.locator('#prediction [data-testid="label-output-value"], #prediction .output-class').first.inner_text()


def test_a_japanese_browser_gets_the_page_in_japanese(japanese_page, app_url):
    japanese_page.goto(app_url, wait_until="load")
    japanese_page.get_by_role("tab", name="2. トークナイザー").wait_for()
    assert japanese_page.get_by_role("tab", name="2. Tokenizer").count() == 0
    japanese_page.locator(".js-plotly-plot").first.wait_for()
    for tab, label in TABS.items():
        japanese_page.get_by_role("tab", name=tab).click()
        expect(japanese_page.get_by_label(label, exact=True).filter(visible=True).first).to_be_visible()
        shown = japanese_page.locator("body").inner_text()
        english = [text for text in ENGLISH if text in shown]
        assert not english, f"{tab} shows English: {english}"
    choose_run(japanese_page, "学習済みモデル（新しい順）", "starter-sample")
    japanese_page.get_by_label("レビュー", exact=True).fill("最高のホテルでした。また泊まりたいです。")
    japanese_page.get_by_role("button", name="分類", exact=True).click()
    expect(japanese_page.locator("#prediction-info")).to_contain_text(" ms")
    expect(japanese_page.locator("#prediction-info")).to_contain_text("検証データでの正解率")  # how good this run is
    assert shown_top_label(japanese_page) in ("ポジティブ", "ニュートラル", "ネガティブ")
    japanese_page.get_by_role("button", name="理由を見る").click()
    japanese_page.locator("#why-tokens").get_by_text("[CLS]").wait_for()
    shoot(japanese_page, "6-japanese")


def test_a_link_opens_the_tokenizer_with_its_text(page, app_url):
    page.goto(app_url + "?tab=tokenizer&text=" + quote("悪くないけど高い"), wait_until="load")
    page.locator("#mecab-words").get_by_text("けど").wait_for()  # no click: the link opened the tab
    assert page.locator("#tokenizer-text textarea").input_value() == "悪くないけど高い"
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#tokenizer-link textarea")).to_have_value(re.compile(r"\?tab=tokenizer&text=%E6%82%AA"))


def test_a_link_opens_classify_with_the_text_classified(page, app_url, trained_run):
    from gradio_client import Client

    text = "最高のホテルでした。"
    page.goto(f"{app_url}?tab=classify&run={trained_run.name}&text={quote(text)}", wait_until="load")
    expect(page.locator("#prediction-info")).to_contain_text(" ms")
    assert page.locator("#classify-text textarea").input_value() == text
    expected = Client(app_url, verbose=False).predict(trained_run.name, text, api_name="/classify")[0]["label"]
    assert shown_top_label(page) == expected


def test_a_fresh_app_classifies_an_example_without_training(tmp_path):
    """An empty runs folder: the app prepares its first runs, and Classify fills in by itself."""
    from gradio_client import Client

    with served_app(tmp_path / "runs", first_runs=True, log_name="fresh.log") as url:
        for page in browser_page("en-US"):
            page.goto(url, wait_until="load")
            page.get_by_role("tab", name="5. Classify").click()
            picker = page.get_by_label("Run (newest first)", exact=True)
            if not picker.is_visible():  # the first runs are being prepared: the card says so, then fills in
                expect(page.get_by_text("The first model is being prepared")).to_be_visible()
                assert page.get_by_text("Error", exact=True).count() == 0
            picker.wait_for(state="visible", timeout=120_000)
            example = "このイヤホン、音がすごくクリアで買ってよかったです！"
            page.get_by_text(example).first.click()
            expect(page.locator("#prediction-info")).to_contain_text(" ms")
            assert page.locator("#classify-text textarea").input_value() == example
            run_name = picker.input_value().split(" · ")[0]
            expected = Client(url, verbose=False).predict(run_name, example, api_name="/classify")[0]["label"]
            assert shown_top_label(page) == expected
            assert page.get_by_text("Error", exact=True).count() == 0
            shoot(page, "0-first-run")


def answers_from_the_server(page, count: int) -> None:
    """Wait until the server has answered `count` more of the page's requests (on an idle page, its timers' ticks:
    the Train tab's status every second, the runs' poll every two)."""
    def answered(response) -> bool:
        return response.request.method == "POST" and "/gradio_api/" in response.url

    for _ in range(count):
        with page.expect_response(answered):
            pass


def shoot(page, name: str) -> None:
    page.wait_for_timeout(600)  # let plots finish their transition
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_a_visitor_uses_every_tab(page, app_url, app_runs):
    from gradio_client import Client

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
        page.get_by_label("Search text").fill("")
        page.get_by_label("Search text").press("Enter")
        page.get_by_text("Page 1 of 13").wait_for()  # the cleared search has answered before the page is typed
        page.get_by_label("Page", exact=True).fill("3")
        page.get_by_label("Page", exact=True).press("Enter")
        page.get_by_text("Page 3 of 13").wait_for()
        page.get_by_label("Split", exact=True).click()
        page.get_by_role("option", name="validation", exact=True).click()
        page.get_by_text("Page 1 of 2 ").wait_for()  # another split starts at its first page

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

        # A shared link (the older `?text=…` too) opens the tokenizer with the text.
        page.goto(app_url + "?text=" + quote("悪くないけど高い"), wait_until="load")
        page.locator("#mecab-words").get_by_text("けど").wait_for()
        assert page.locator("#tokenizer-text textarea").input_value() == "悪くないけど高い"

        # 3. Train: a few steps of the starter on the sample; progress, chart and the runs list update.
        step = "train"
        open_tab(page, "3. Train")
        expect(page.locator("#train-estimate")).to_contain_text("on this machine")  # what a run costs, before Start
        page.get_by_label("Run name (optional)").fill("browser-run")
        assert page.get_by_label("Dataset (from the Dataset tab)").input_value() == "sample"
        page.locator("#train-epochs input").fill("1")  # one epoch of 64 reviews: the walk needs a run, not a good one
        page.locator("#train-train_examples input").fill("64")
        page.locator("#train-learning_rate input").fill("0.001")
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator('#train-progress[data-state="running"]')).to_contain_text("browser-run")
        page.locator('#train-progress[data-state="finished"]').wait_for(timeout=180_000)
        page.get_by_text("Training", exact=True).wait_for()
        page.get_by_role("gridcell", name="browser-run").first.wait_for()
        shoot(page, "3-train")

        # 4. Evaluate: the new run joins the picker (which opens on the most accurate run: test_run_choice.py);
        # the matrix renders and a cell lists its examples.
        step = "evaluate"
        open_tab(page, "4. Evaluate")
        choose_run(page, "Run", "browser-run")
        page.get_by_role("button", name="Evaluate", exact=True).click()
        page.get_by_text("Confusion matrix, normalised").wait_for()
        cell = page.locator('#confusion-table [data-testid="cell-2-2"]')
        cell.click()
        page.get_by_text("examples: true").wait_for()
        picker = page.get_by_label("Runs to compare")
        picker.click()
        picker.fill("browser-run")
        page.get_by_role("option", name=re.compile("^browser-run · ")).first.click()
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator("#compare-table")).to_contain_text("browser-run")
        page.get_by_role("button", name="Draw the maps for the run above").click()
        page.locator("#map-after .js-plotly-plot").wait_for()
        shoot(page, "4-evaluate")

        # 5. Classify: a sentence gets a label and per-class probabilities; empty text gets a sentence.
        step = "classify"
        open_tab(page, "5. Classify")
        choose_run(page, "Run (newest first)", "browser-run")
        text = "このホテルは最高でした！また泊まりたいです。"
        page.get_by_label("Review", exact=True).fill(text)
        page.get_by_role("button", name="Classify", exact=True).click()
        expect(page.locator("#prediction-info")).to_contain_text(" ms")
        run_name = page.get_by_label("Run (newest first)", exact=True).input_value().split(" · ")[0]
        assert run_name == "browser-run"
        expected = Client(app_url, verbose=False).predict(run_name, text, api_name="/classify")[0]["label"]
        assert shown_top_label(page) == expected
        page.get_by_role("button", name="Why?").click()
        expect(page.locator("#why-words .tok").first).to_contain_text("この")
        shoot(page, "5-classify")
        page.get_by_label("Review", exact=True).fill("   ")
        page.get_by_role("button", name="Classify", exact=True).click()
        page.get_by_text("The text is empty").wait_for()
        assert page.get_by_text("Traceback").count() == 0

        # A reloaded page finds a run still training and stops it: nothing half-written is left.
        step = "stop"
        open_tab(page, "3. Train")
        page.get_by_label("Run name (optional)").fill("browser-stop")
        page.locator("#train-epochs input").fill("10000")  # only the Stop below ends it, however fast the machine
        page.get_by_role("button", name="Start", exact=True).click()
        page.locator('#train-progress[data-state="running"]').wait_for()
        page.goto(app_url, wait_until="load")  # a new page (a reload) finds the running job again
        page.get_by_text("Page 1 of 13").wait_for()  # the page has loaded its first views
        open_tab(page, "3. Train")
        running = page.locator('#train-progress[data-state="running"]')
        expect(running).to_contain_text("browser-stop")
        expect(running).to_contain_text(re.compile(r"step [1-9][\d,]* / "), timeout=120_000)  # really training
        started = page.get_by_label("Started run", exact=True)
        expect(started).to_have_value("browser-stop")  # the reloaded page names the run training
        expect(page.get_by_label("Log", exact=True)).not_to_have_value("")
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(started).to_have_value(re.compile("Stopped browser-stop; nothing was saved"))
        expect(page.locator('#train-progress[data-state="stopped"]')).to_contain_text("browser-stop")
        assert not (app_runs / "browser-stop").exists() and not (app_runs / "browser-stop.partial").exists()
        answers_from_the_server(page, 3)  # two ticks of the status timer at least, which once wiped what was drawn
        expect(page.get_by_label("Log", exact=True)).not_to_have_value("")
        expect(page.locator("#train-curves .js-plotly-plot")).to_be_visible()
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(started).to_have_value(re.compile("Nothing is training right now"))  # a calm sentence, no toast
        assert page.get_by_text("Please check").count() == 0
    except Exception:
        page.screenshot(path=str(SHOTS / f"failed-{step}.png"), full_page=True)
        raise


def test_a_phone_gets_the_prediction_under_the_input(phone_page, app_url):
    phone_page.goto(app_url, wait_until="load")
    header = phone_page.locator("#app-header").bounding_box()
    assert header["height"] < 844 / 3, "the header leaves the first screen to the app"
    phone_page.get_by_role("tab", name="5. Classify").click()
    choose_run(phone_page, "Run (newest first)", "starter-sample")
    phone_page.get_by_label("Review", exact=True).fill("最高のホテルでした。")
    phone_page.get_by_role("button", name="Classify", exact=True).click()
    expect(phone_page.locator("#prediction-info")).to_contain_text(" ms")
    box = phone_page.locator("#classify-text").bounding_box()
    prediction = phone_page.locator("#prediction").bounding_box()
    examples_top = phone_page.get_by_text("Examples: click").bounding_box()["y"]
    assert box["y"] < prediction["y"] < examples_top, "the prediction sits right under the input"
    phone_page.get_by_label("One text per line").fill("良い\n悪い")
    phone_page.get_by_role("button", name="Classify all").click()
    heading = phone_page.locator("#batch-table th").filter(has_text="p_positive").first
    heading.wait_for()
    assert heading.bounding_box()["height"] < 60, "table headers stay on a line or two"
    shoot(phone_page, "7-phone")


def test_tokenizers_side_by_side_and_what_if(page, app_url, trained_run):
    """Issue 17: the tokenizers compared on a linked text, by script, over the dataset; then what-if edits in
    Classify, where a click on a variant explains it."""
    page.goto(app_url + "?tab=tokenizer&text=" + quote("外国人参政権とｶﾀｶﾅ、ＡＢＣ１２３😊"), wait_until="load")
    rows = page.locator("#compare-view .cmp-row")
    expect(rows).to_have_count(7)
    expect(rows.filter(has_text="Sudachi C").locator(".tok").first).to_have_text("外国人参政権")
    expect(rows.filter(has_text="Sudachi A").locator(".tok")).to_have_count(10)
    expect(page.locator("#nfkc-line")).to_contain_text("ｶﾀｶﾅ → カタカナ")
    page.get_by_label("Colour by script").check()
    expect(page.locator("#compare-view .script-legend")).to_contain_text("katakana / カタカナ")
    kanji = rows.filter(has_text="Sudachi C").locator(".script-char").first
    expect(kanji).to_have_css("background-color", "rgb(255, 173, 173)")  # kanji's colour
    page.locator("#tokenizer-compare").screenshot(path=str(SHOTS / "8-tokenizers.png"))
    page.get_by_role("button", name="Statistics over the whole dataset").click()
    expect(page.locator("#stats-caption")).to_contain_text("309")
    for name in ("MeCab (UniDic) → WordPiece", "SentencePiece (unigram)"):
        expect(page.locator("#stats-table").get_by_role("gridcell", name=name).first).to_be_visible()

    open_tab(page, "5. Classify")
    choose_run(page, "Run (newest first)", trained_run.name)
    page.get_by_label("Review", exact=True).fill("とても良い商品です")
    page.get_by_role("button", name="What if?").click()
    variant = page.locator("#what-if-table").get_by_text("とても良くない商品です", exact=True)
    variant.click()
    expect(page.locator("#why-caption")).to_contain_text("「とても良くない商品です」")
    expect(page.locator("#why-words .tok").nth(1)).to_contain_text("良く")
    page.locator("#what-if-table").scroll_into_view_if_needed()
    shoot(page, "9-what-if")


def lesson_screenshot(page, locator, name: str) -> None:
    """A screenshot of the screen around `locator` (the tab's page is too long to read whole)."""
    locator.scroll_into_view_if_needed()
    page.wait_for_timeout(600)  # let plots finish their transition
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("en-US", {"find": "Find reviews whose label the models doubt", "dataset_tab": "1. Dataset",
                   "evaluate_tab": "4. Evaluate", "run": "Run", "draw": "Draw the data map of the run above",
                   "region": "Reviews of a region", "absent": "星の数から作ったラベル",
                   "counted": "of 249 train reviews", "mapped": "249 training reviews over 8 epochs",
                   "hard": "hard-to-learn", "shots": ("10-suspects", "11-data-map")}),
        ("ja-JP", {"find": "ラベルが疑わしいレビューを探す", "dataset_tab": "1. データ", "evaluate_tab": "4. 評価",
                   "run": "学習済みモデル", "draw": "上の学習のデータマップを描く", "region": "領域のレビュー",
                   "absent": "Star ratings make noisy labels", "counted": "学習データ 249 件のうち",
                   "mapped": "学習データ 249 件、8 エポック", "hard": "難しい",
                   "shots": ("12-suspects-ja", "13-data-map-ja")}),
    ],
)
def test_the_data_lesson_doubted_labels_and_the_data_map(app_url, trained_run, locale, texts):
    """The suspect list in the Dataset tab and the data map in Evaluate, in English and in Japanese."""
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    most_doubted = client.predict("train", api_name="/suspects")[1]["data"][0][1]
    hardest = client.predict(trained_run.name, "hard-to-learn", api_name="/data_map_region")["data"][0][1]
    for page in browser_page(locale):
        page.goto(app_url, wait_until="load")
        page.get_by_role("tab", name=texts["dataset_tab"]).click()
        page.get_by_role("button", name=texts["find"]).click()
        expect(page.locator("#suspects-note")).to_contain_text(texts["counted"])
        expect(page.locator("#suspects-table")).to_contain_text(most_doubted)
        assert page.get_by_text(texts["absent"]).count() == 0, "the section speaks the browser's language"
        lesson_screenshot(page, page.locator("#suspects-table"), texts["shots"][0])
        page.get_by_role("tab", name=texts["evaluate_tab"]).click()
        choose_run(page, texts["run"], trained_run.name)
        page.get_by_role("button", name=texts["draw"]).click()
        page.locator("#data-map .js-plotly-plot").wait_for()
        expect(page.locator("#data-map-note")).to_contain_text(texts["mapped"])
        region = page.get_by_label(texts["region"], exact=True)
        region.click()
        page.get_by_role("option", name=texts["hard"], exact=True).click()
        expect(page.locator("#region-rows")).to_contain_text(hardest)
        lesson_screenshot(page, page.locator("#data-map"), texts["shots"][1])
        assert page.get_by_text("Traceback").count() == 0


# What the server writes into the page: counts, states, notes, table headers and every chart's words.
SERVER_WRITTEN = [
    "#dataset-caption",
    "#train-progress",
    ".run-table th",
    "#evaluate-summary",
    "#prediction",
    "#prediction-info",
    "#why-caption",
    ".js-plotly-plot .gtitle",
    ".js-plotly-plot .xtitle",
    ".js-plotly-plot .ytitle",
    ".js-plotly-plot .legendtext",
]
JAPANESE_CHARACTERS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Names a Japanese page keeps as they are: tools, models, tokens and units. Hyphenated names (a run's,
# cl-tohoku, n-gram) are left out before the words are read.
KEPT_NAMES = {"MeCab", "WordPiece", "BERT", "Hub", "Wikipedia", "ms", "PAD", "UNK", "CLS", "SEP", "NFKC", "F1"}
PAGE_TEXTS = {
    "en-US": {"dataset": "1. Dataset", "train": "3. Train", "evaluate": "4. Evaluate", "classify": "5. Classify",
              "evaluate_run": "Run", "evaluate_button": "Evaluate", "classify_run": "Run (newest first)",
              "review": "Review", "classify_button": "Classify", "why": "Why?"},
    "ja-JP": {"dataset": "1. データ", "train": "3. 学習", "evaluate": "4. 評価", "classify": "5. 分類",
              "evaluate_run": "学習済みモデル", "evaluate_button": "評価", "classify_run": "学習済みモデル（新しい順）",
              "review": "レビュー", "classify_button": "分類", "why": "理由を見る"},
}


def english_words(text: str) -> list[str]:
    without_names = re.sub(r"\S*[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+\S*", " ", text)
    return [word for word in re.findall(r"[A-Za-z]{2,}", without_names) if word not in KEPT_NAMES]


def server_written(page) -> list[str]:
    return [text for selector in SERVER_WRITTEN for text in page.locator(selector).all_text_contents() if text.strip()]


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_what_the_server_writes_reads_in_the_visitors_language(app_url, trained_run, locale):
    """After a run exists, every tab's server-written words are in the browser's language: a Japanese page has
    no English word in them (names aside), an English page no Japanese."""
    words = PAGE_TEXTS[locale]
    for page in browser_page(locale):
        page.goto(app_url, wait_until="load")
        expect(page.locator("#dataset-caption")).to_contain_text("13")  # the sample's first page, 13 pages
        page.locator(".js-plotly-plot .gtitle").first.wait_for()
        seen = server_written(page)
        page.get_by_role("tab", name=words["train"]).click()
        page.locator(".run-table th").first.wait_for()
        expect(page.locator(".run-table")).to_contain_text(trained_run.name)
        page.locator("#train-progress").wait_for()
        seen += server_written(page)
        page.get_by_role("tab", name=words["evaluate"]).click()
        choose_run(page, words["evaluate_run"], trained_run.name)
        page.get_by_role("button", name=words["evaluate_button"], exact=True).click()
        expect(page.locator("#evaluate-summary")).to_contain_text("F1")
        matrix_title = re.compile("^Confusion matrix, |^混同行列（")
        page.locator(".js-plotly-plot .gtitle").filter(has_text=matrix_title).first.wait_for()
        seen += server_written(page)
        page.get_by_role("tab", name=words["classify"]).click()
        choose_run(page, words["classify_run"], trained_run.name)
        page.get_by_label(words["review"], exact=True).fill("最高のホテルでした。また泊まりたいです。")
        page.get_by_role("button", name=words["classify_button"], exact=True).click()
        expect(page.locator("#prediction-info")).to_contain_text(" ms")
        page.get_by_role("button", name=words["why"]).click()
        expect(page.locator("#why-caption")).to_contain_text("MeCab")
        seen += server_written(page)
        shoot(page, f"14-server-words-{locale}")
        assert len(seen) > 20, seen
        if locale == "ja-JP":
            english = {text: found for text in seen if (found := english_words(text))}
            assert not english, f"English on the Japanese page: {english}"
        else:
            japanese = [text for text in seen if JAPANESE_CHARACTERS.search(text)]
            assert not japanese, f"Japanese on the English page: {japanese}"


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("en-US", {"walk": "Walk through WordPiece", "look": "Look up", "token": "Token or id",
                   "run": "Run (newest first)", "evaluate_run": "Run", "evaluate_tab": "4. Evaluate",
                   "classify_tab": "5. Classify", "layers": "Show the layers", "probe": "Probe each layer",
                   "reading": "gaikoku", "through": "tokens through", "probed": "reviews of the train split",
                   "split": "Split", "train": "train",
                   "found": "occurs", "shots": ("14-wordpiece", "15-layers", "16-probe")}),
        ("ja-JP", {"walk": "WordPiece の手順を見る", "look": "検索", "token": "トークンまたは ID",
                   "run": "学習済みモデル（新しい順）", "evaluate_run": "学習済みモデル", "evaluate_tab": "4. 評価",
                   "classify_tab": "5. 分類", "layers": "層を見る", "probe": "各層をプローブ",
                   "reading": "名詞", "through": "層を通ります", "probed": "件から", "found": "回",
                   "split": "分割", "train": "学習",
                   "shots": ("14-wordpiece-ja", "15-layers-ja", "16-probe-ja")}),
    ],
)  # fmt: skip
def test_inside_bert_the_walk_the_layers_and_the_probe(app_url, trained_run, locale, texts):
    """The WordPiece walk and vocabulary in Tokenizer, the layer view in Classify, the probe in Evaluate."""
    for page in browser_page(locale):
        page.goto(f"{app_url}?tab=tokenizer&text={quote('外国人の友達が買った')}", wait_until="load")
        expect(page.locator("#wordpiece-pieces")).to_contain_text("##国")
        page.get_by_role("button", name=texts["walk"]).click()
        expect(page.locator("#wordpiece-walk")).to_contain_text("##国")
        expect(page.locator("#wordpiece-words")).to_contain_text("がいこく")
        expect(page.locator("#wordpiece-words")).to_contain_text(texts["reading"])
        page.get_by_label(texts["token"], exact=True).fill("外")
        page.get_by_role("button", name=texts["look"], exact=True).click()
        expect(page.locator("#vocabulary-entry")).to_contain_text(texts["found"])
        lesson_screenshot(page, page.locator("#wordpiece-caption"), texts["shots"][0])

        page.get_by_role("tab", name=texts["classify_tab"]).click()
        choose_run(page, texts["run"], trained_run.name)
        page.locator("#classify-text textarea").fill("最高の買い物でした")
        page.get_by_role("button", name=texts["layers"]).click()
        page.locator("#layers-attention .js-plotly-plot").wait_for()
        expect(page.locator("#layers-caption")).to_contain_text(texts["through"])
        expect(page.locator("#layers-chart .js-plotly-plot")).to_be_visible()
        lesson_screenshot(page, page.locator("#layers-caption"), texts["shots"][1])

        page.get_by_role("tab", name=texts["evaluate_tab"]).click()
        choose_run(page, texts["evaluate_run"], trained_run.name)
        # The split the run learned: a clear curve (the Dataset tab has a Split picker too, hidden here).
        page.locator(f"input[aria-label='{texts['split']}']:visible").click()
        page.get_by_role("option", name=texts["train"], exact=True).click()
        page.get_by_role("button", name=texts["probe"]).click()
        page.locator("#probe-chart .js-plotly-plot").wait_for()
        expect(page.locator("#probe-caption")).to_contain_text(texts["probed"])
        lesson_screenshot(page, page.locator("#probe-chart"), texts["shots"][2])
        assert page.locator(".toast-wrap .error, [data-testid='toast-body']").count() == 0
