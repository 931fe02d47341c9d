"""Issue 27: which run answers. A link's run is the run that answers, the best run opens first, a weak run's
notes say a weak model is speaking, and each analysis a run cannot do says so in place.

One runs folder of three runs trained on the bundled sample, oldest first: the session's starter run, the
n-gram baseline, and a starter trained for four steps only (a deliberately weak run, and the newest)."""

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .conftest import app_in_process, copy_run, run_cli, starter_on_sample
from .test_browser import CHROMIUM, browser_page, choose_run, shoot, shown_top_label

WEAK = "weak-starter"
BASELINE = "ngram-sample"
REVIEW = "最高の買い物でした。また買いたいです。"
WEAK_SENTENCE = "A weak model is speaking"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, trained_run) -> Path:
    runs = tmp_path_factory.mktemp("run-choice") / "runs"
    runs.mkdir()
    copy_run(trained_run, runs)
    baseline = run_cli("train.py", "--method", "ngram", "--dataset", "sample", "--output", str(runs / BASELINE))
    assert baseline.returncode == 0, baseline.stderr
    weak = run_cli("train.py", *starter_on_sample(runs / WEAK, steps=4))
    assert weak.returncode == 0, weak.stderr
    return runs


@pytest.fixture(scope="module")
def url(runs):
    with app_in_process(runs) as url:
        yield url


def accuracy(runs: Path, name: str) -> float:
    return json.loads((runs / name / "metrics.json").read_text(encoding="utf-8"))["accuracy"]


def finished(runs: Path) -> list[Path]:
    """The run folders, newest first."""
    folders = [folder for folder in runs.iterdir() if (folder / "metrics.json").is_file()]
    return sorted(folders, key=lambda folder: -(folder / "metrics.json").stat().st_mtime)


def best_run(runs: Path) -> str:
    """The run with the highest recorded validation accuracy, the newest of equals, read from the run folders."""
    return max(finished(runs), key=lambda folder: accuracy(runs, folder.name)).name


@pytest.fixture()
def page(url):
    yield from browser_page("en-US")


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def test_the_weak_run_is_the_newest_and_the_worst(runs):
    """What the other tests rest on: the newest run is not the best."""
    assert finished(runs)[0].name == WEAK and best_run(runs) != WEAK
    assert accuracy(runs, WEAK) < accuracy(runs, BASELINE)


def test_classify_and_evaluate_open_on_the_best_run_and_say_why(page, url, runs):
    best = best_run(runs)
    page.goto(url, wait_until="load")
    for tab, label in (("5. Classify", "Run (newest first)"), ("4. Evaluate", "Run")):
        page.get_by_role("tab", name=tab).click()
        picker = page.get_by_label(label, exact=True)
        expect(picker).to_have_value(re.compile(f"^{re.escape(best)} · "))
        expect(page.get_by_text(f"Opens on {best}: the highest validation accuracy").first).to_be_visible()


def test_a_link_selects_its_run_and_classify_keeps_answering_with_it(page, url, runs):
    from gradio_client import Client

    page.goto(f"{url}?tab=classify&run={WEAK}&text={quote(REVIEW)}", wait_until="load")
    picker = page.get_by_label("Run (newest first)", exact=True)
    expect(picker).to_have_value(re.compile(f"^{WEAK} · "))
    expect(page.locator("#prediction-info")).to_contain_text(f"· {WEAK} ·")
    other = "届いた商品が壊れていました。"
    page.get_by_label("Review", exact=True).fill(other)
    page.get_by_role("button", name="Classify", exact=True).click()
    expect(page.locator("#prediction-info")).to_contain_text(f"· {WEAK} ·")
    expect(page.locator("#prediction-info")).to_contain_text(f"{accuracy(runs, WEAK):.2f}")
    expected = Client(url, verbose=False).predict(WEAK, other, api_name="/classify")[0]["label"]
    assert shown_top_label(page) == expected
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#classify-link textarea")).to_have_value(re.compile(f"tab=classify&run={WEAK}&text="))


def test_a_link_to_evaluate_evaluates_its_run(page, url, runs):
    page.goto(f"{url}?tab=evaluate&run={WEAK}", wait_until="load")
    expect(page.get_by_label("Run", exact=True)).to_have_value(re.compile(f"^{WEAK} · "))
    expect(page.locator("#evaluate-summary")).to_contain_text(f"Accuracy {accuracy(runs, WEAK):.3f}")
    expect(page.locator("#confusion-table")).to_be_visible()


def test_a_link_to_a_run_that_is_not_here_says_so_in_place(page, url, runs):
    best = best_run(runs)
    page.goto(f"{url}?tab=classify&run=removed-run&text={quote(REVIEW)}", wait_until="load")
    notice = page.locator("#classify-run-notice")
    expect(notice).to_contain_text("There is no run “removed-run”")
    for name in (WEAK, BASELINE, "starter-sample"):
        expect(notice).to_contain_text(name)
    expect(page.locator("#prediction-info")).to_contain_text(f"· {best} ·")
    assert page.get_by_text("Error", exact=True).count() == 0
    shoot(page, "17-unknown-run")


def test_the_data_map_is_off_in_place_for_a_run_that_has_none(page, url):
    page.goto(url + "?tab=evaluate", wait_until="load")
    choose_run(page, "Run", BASELINE)
    expect(page.locator("#data-map-note")).to_contain_text("only full fine-tuning records a data map")
    expect(page.get_by_role("button", name="Draw the data map of the run above")).to_be_disabled()
    expect(page.locator("#map-note")).to_contain_text("a BERT run is needed for the maps")  # no other run in its place
    assert page.get_by_text("Error", exact=True).count() == 0


def test_a_phone_reaches_every_tab_in_one_tap(url):
    for page in browser_page("en-US", viewport=(390, 844)):
        page.goto(url, wait_until="load")
        tabs = page.get_by_role("tab")
        expect(tabs).to_have_count(5)
        for name, shown in (("3. Train", "Fine-tune on the dataset"), ("4. Evaluate", "Pick a run and a split")):
            page.get_by_role("tab", name=name).click()
            expect(page.get_by_text(shown).first).to_be_visible()
        for name in ("1. Dataset", "2. Tokenizer", "5. Classify"):
            page.get_by_role("tab", name=name).click()
            expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_a_weak_run_says_so_first_in_the_data_map_the_doubted_labels_and_why(url, runs):
    from gradio_client import Client

    client = Client(url, verbose=False)
    _, data_map = client.predict(WEAK, api_name="/data_map")
    assert data_map.startswith("⚠ " + WEAK_SENTENCE) and "not learned yet" in data_map
    cell, _ = client.predict(WEAK, "validation", "positive", "negative", api_name="/cell_examples")
    assert cell.startswith("⚠ " + WEAK_SENTENCE)
    why, _, _ = client.predict(WEAK, REVIEW, "predicted", api_name="/explain")
    assert why.startswith("⚠ " + WEAK_SENTENCE)
    baseline_cell, _ = client.predict(BASELINE, "validation", "positive", "negative", api_name="/cell_examples")
    assert WEAK_SENTENCE not in baseline_cell, "the baseline is the floor, not weak"


def test_why_explains_the_baseline_with_its_own_reasons_and_nothing_answers_in_its_place(url):
    """Issue 46: "Why?" explains the run whose answer is shown: the baseline by its own weights, exactly, over the
    text's characters; the layers and the probe, which it has not, say so instead of showing another run."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    answer = client.predict(BASELINE, REVIEW, api_name="/classify")[0]["label"]
    caption, words, characters = client.predict(BASELINE, REVIEW, "predicted", api_name="/explain")
    assert f"Why **{answer}**: MeCab words, then characters" in caption and "add up exactly" in caption
    assert "best BERT run" not in caption and "starter" not in caption
    assert "最高" in words and "買" in characters
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"is the n-gram baseline.*a BERT run is needed for the layer view"):
        client.predict(BASELINE, REVIEW, 1, "average", api_name="/layers")
