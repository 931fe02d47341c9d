"""A Japanese visitor, in a real browser, reads no English: not in the app's refusals, not in its tables.

Each kind of refusal is provoked as a visitor would (a file that can't be used, a split the data lacks, a run that
can't do what is asked, a start that is refused), and once a run exists every table of the page is read. Names stay
as they are (a run's, a model's, a file's, a tool's); every other word is Japanese."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sentiment.corpus.loading import SAMPLE, load_dataset
from sentiment.serving.pool import RUN_PREFIX

from .conftest import app_in_process, copy_run, run_cli
from .test_browser import CHROMIUM, KEPT_NAMES, browser_page, choose_run, english_words, shoot

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

NGRAM_RUN = "ngram-sample"
# What a refusal or a table may name as it is: formats and encodings, a file's columns, a typed value.
NAMES = KEPT_NAMES | {"CSV", "TSV", "JSON", "Lines", "Parquet", "UTF", "Shift", "JIS", "EUC", "JP", "text", "label"}
NAMES |= {"xyz", "ID", "owner", "name", "ngram", "starter", "IPADIC", "UniDic", "Sudachi", "SudachiPy", "fugashi"}
NAMES |= {"SentencePiece"}
# The bundled sample's own `source` values (restaurant, app, …): the data's words, shown as the data has them.
NAMES |= set(load_dataset(SAMPLE)["train"]["source"])
# What is shown as it is, exactly where it is (patterns): data or code, not prose. Each is taken out before the
# words are read, so the same word anywhere else is still English.
AS_WRITTEN = [
    r"'bad name'",  # the run name the visitor typed, quoted back to them
    r" \.partial\b",  # the suffix a run's folder may not end with: part of a file name
    r"positive・neutral・negative",  # the values an uploaded file's label column must hold, as the file writes them
    r"\d MB\b",  # a unit: the largest file, in megabytes
    r"(text|label|source): (Value|ClassLabel)\b",  # a split's features: its columns and datasets' type names
    r"SentencePiece \(unigram\)",  # a tokenizer's name: "unigram" is SentencePiece's model_type
]
TOAST = "[data-testid='toast-body']"


def english(text: str) -> list[str]:
    for kept in AS_WRITTEN:
        text = re.sub(kept, " ", text)
    return [word for word in english_words(text) if word not in NAMES]


@pytest.fixture(scope="module")
def japanese_app(trained_run, tmp_path_factory):
    """An app of its own with the shared starter run and an n-gram run beside it."""
    runs = tmp_path_factory.mktemp("japanese-runs")
    copy_run(trained_run, runs)
    result = run_cli("train.py", "--dataset", "sample", "--method", "ngram", "--output", str(runs / NGRAM_RUN))
    assert result.returncode == 0, result.stderr
    with app_in_process(runs) as url:
        yield url


def refusal(page, containing: str) -> str:
    """The sentence of the toast that says `containing`, once it is shown (after gradio's own header and its ×)."""
    toast = page.locator(TOAST).filter(has_text=containing).first
    expect(toast).to_be_visible()
    return toast.inner_text().split("×", 1)[-1]


def visible(page, label: str):
    return page.locator(f"input[aria-label='{label}']:visible")


def test_a_japanese_visitor_is_refused_in_japanese_and_reads_every_table_in_japanese(
    japanese_app, trained_run, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n", encoding="utf-8")
    for page in browser_page("ja-JP"):
        page.goto(japanese_app, wait_until="load")
        expect(page.locator("#dataset-caption")).to_contain_text("13")
        read = {}

        # A file that can't be used: the reason beside the upload, in Japanese.
        page.locator("input[type=file]").first.set_input_files(bad)
        expect(page.locator("#upload-note")).to_contain_text("bad.csv に行がありません")
        read["upload"] = page.locator("#upload-note").inner_text()

        # A split the data lacks.
        page.get_by_role("tab", name="4. 評価").click()
        choose_run(page, "学習済みモデル", trained_run.name)
        split = visible(page, "分割")
        split.fill("xyz")
        split.press("Enter")
        page.get_by_role("button", name="評価", exact=True).click()
        read["split"] = refusal(page, "xyz")
        assert "という分割が" in read["split"]

        # A run that can't do this: the n-gram baseline has no tokenizer.
        page.get_by_role("tab", name="2. トークナイザー").click()
        tokenizer = visible(page, "トークナイザー")
        tokenizer.fill(RUN_PREFIX + NGRAM_RUN)
        tokenizer.press("Enter")
        tokenizer.blur()  # a typed choice is taken when the box is left
        read["ngram"] = refusal(page, "n-gram ベースライン")
        assert "トークナイザーがありません" in read["ngram"]

        # A refused start: a run name the app can't use.
        page.get_by_role("tab", name="3. 学習").click()
        page.get_by_label("学習名（任意）", exact=True).fill("bad name")
        page.get_by_role("button", name="開始", exact=True).click()
        read["start"] = refusal(page, "bad name")
        assert "モデル名に使えません" in read["start"]
        shoot(page, "15-japanese-refusals")

        # Every table, once a run exists: the dataset's, the doubted reviews', the runs', the evaluation's and the
        # tokenizer's.
        expect(page.locator(".run-table")).to_contain_text(trained_run.name)
        page.get_by_role("tab", name="1. データ").click()
        page.get_by_role("button", name="ラベルが疑わしいレビューを探す").click()
        expect(page.locator("#suspects-table")).to_contain_text("提案ラベル")
        page.get_by_role("tab", name="4. 評価").click()
        split = visible(page, "分割")
        split.fill("検証")
        page.get_by_role("option", name="検証", exact=True).click()
        page.get_by_role("button", name="評価", exact=True).click()
        expect(page.locator("#confusion-table")).to_contain_text("正解 \\ 予測")
        page.get_by_role("tab", name="2. トークナイザー").click()
        tokenizer = visible(page, "トークナイザー")
        tokenizer.fill(RUN_PREFIX + trained_run.name)
        tokenizer.press("Enter")
        expect(page.get_by_text("モデルへの入力").first).to_be_visible()
        tables = page.locator("table")
        expect(tables.first).to_be_attached()
        texts = [text for text in tables.evaluate_all("ts => ts.map(t => t.textContent)") if text.strip()]
        assert len(texts) >= 6, texts
        for number, text in enumerate(texts):
            read[f"table {number}"] = text
        shoot(page, "15-japanese-tables")
        found = {where: words for where, text in read.items() if (words := english(text))}
        assert not found, f"English on the Japanese page: {found}"
        for name in ("ポジティブ", "ネガティブ", "ニュートラル", "正解", "予測"):
            assert any(name in text for text in texts), f"{name} is in no table"
        assert not re.search(r"\b(positive|negative|neutral)\b", " ".join(texts))
