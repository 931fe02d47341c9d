"""The data lesson: reviews whose label the models doubt, the data map of a run, metrics by slice, model cards."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from gradio_client import Client

from sentiment.errors import UserError
from sentiment.insight.data_map import REGIONS, read_data_map, region, region_reviews
from sentiment.insight.slices import slice_metrics

from .conftest import ROOT, run_cli

ITEMS = ["ホテル", "イヤホン", "カメラ", "映画", "アプリ", "ラーメン", "靴", "本", "時計", "掃除機", "椅子", "傘"]
PHRASES = {
    "positive": ["は最高でした。また買いたいです。", "がとても良くて大満足です！", "は素晴らしい、おすすめです。"],
    "neutral": ["は普通です。特に何もありません。", "は値段相応だと思います。", "は可もなく不可もなくです。"],
    "negative": ["は最悪でした。二度と買いません。", "がひどくてがっかりです。", "はすぐ壊れて返品しました。"],
}


def planted_flips(folder, flips: dict[int, str]):
    """A dataset folder whose train split has clear reviews, with the rows in `flips` given the wrong label."""
    rows = [
        {"text": f"{item}{phrase}", "label": label, "source": item}
        for item in ITEMS
        for label, phrases in PHRASES.items()
        for phrase in phrases
    ]
    train = pd.DataFrame(rows)
    for index, wrong in flips.items():
        train.loc[index, "label"] = wrong
    folder.mkdir()
    train.to_csv(folder / "train.csv", index=False)
    for split in ("validation", "test"):
        train.head(30).to_csv(folder / f"{split}.csv", index=False)
    return train


@pytest.mark.slow
def test_suspects_cli_ranks_planted_flips_first(tmp_path):
    flips = {0: "negative", 13: "positive", 22: "positive", 40: "negative", 51: "neutral"}
    train = planted_flips(tmp_path / "reviews", flips)
    assert train.loc[0, "text"] == "ホテルは最高でした。また買いたいです。"  # a positive review, labelled negative
    result = run_cli("-m", "sentiment", "suspects", "--dataset", str(tmp_path / "reviews"), "--split", "train",
                     "--top", "8")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 8 and set(lines[0]) == {"index", "text", "label", "suggested", "score"}
    assert {line["index"] for line in lines[: len(flips)]} == set(flips), lines
    for line in lines[: len(flips)]:
        assert line["label"] == flips[line["index"]] and line["text"] == train.loc[line["index"], "text"]
        assert line["suggested"] != line["label"]
    scores = [line["score"] for line in lines]
    assert scores == sorted(scores, reverse=True) and 0 <= scores[-1] <= scores[0] <= 1


@pytest.mark.slow
def test_suspects_cli_refuses_a_split_too_small_to_judge(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    pd.DataFrame({"text": ["良い", "悪い", "普通"] * 4, "label": ["positive", "negative", "neutral"] * 4}).to_csv(
        folder / "train.csv", index=False
    )
    result = run_cli("-m", "sentiment", "suspects", "--dataset", str(folder))
    assert result.returncode == 2 and result.stderr.startswith("error:") and "at least 5 reviews" in result.stderr


def front_matter(card: str) -> tuple[dict, str]:
    """A model card's YAML metadata and its Markdown, as the Hub splits them."""
    assert card.startswith("---\n")
    metadata, body = card[4:].split("\n---\n", 1)
    return yaml.safe_load(metadata), body


def test_a_finished_run_has_a_model_card_with_its_metrics(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    metadata, body = front_matter((trained_run / "README.md").read_text(encoding="utf-8"))
    assert metadata["language"] == "ja" and metadata["license"] and metadata["pipeline_tag"] == "text-classification"
    assert set(metadata["metrics"]) == {"accuracy", "f1"}
    (result,) = metadata["model-index"][0]["results"]
    assert result["dataset"]["split"] == "validation"
    reported = {entry["name"]: entry["value"] for entry in result["metrics"]}
    assert reported["Accuracy"] == round(metrics["accuracy"], 4)
    assert reported["F1 (weighted)"] == round(metrics["f1_weighted"], 4)
    for heading in ("## Data", "## Method", "### Hyper-parameters", "## Metrics", "### Confusion matrix",
                    "## Metrics by slice", "## Limitations"):
        assert f"\n{heading}" in body, heading
    assert f"Accuracy **{metrics['accuracy']:.4f}**" in body and f"{metrics['train_seconds']:,.1f} s" in body
    assert "| learning_rate | 0.001 |" in body and "Trained on 249 reviews" in body
    counts = metrics["confusion_matrix"]["counts"]
    assert "| positive | " + " | ".join(map(str, counts[0])) + " |" in body


def test_full_fine_tuning_records_a_data_map(trained_run):
    data_map = read_data_map(trained_run)
    assert data_map.epochs == 8 and len(data_map.reviews) == 249, "the sample's whole train split, once per epoch"
    reviews = data_map.reviews
    assert reviews["confidence"].between(0, 1).all() and reviews["variability"].between(0, 0.5).all()
    assert set(reviews["region"]) <= set(REGIONS) and reviews["region"].nunique() >= 2
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert data_map.seconds < 0.05 * metrics["train_seconds"], "recording costs under 5% of the run"
    sample = pd.read_csv(ROOT / "sentiment" / "corpus" / "samples" / "train.csv")
    assert list(reviews["text"]) == list(sample["text"]) and list(reviews["label"]) == list(sample["label"])


def test_data_map_regions_follow_confidence_and_variability():
    confidence = np.array([0.9, 0.1, 0.5, 0.6])
    variability = np.array([0.05, 0.05, 0.3, 0.1])
    assert region(confidence, variability).tolist() == ["easy-to-learn", "hard-to-learn", "ambiguous", "easy-to-learn"]


def test_slice_metrics_sum_back_to_the_overall_counts():
    texts = ["悪くない。", "最高です。", "普通でした。" * 10, "使えません。" * 40, "良い"]
    gold = ["positive", "positive", "neutral", "negative", "positive"]
    predicted = ["negative", "positive", "neutral", "negative", "neutral"]
    sources = ["a", "b", "a", "b", "b"]
    table = slice_metrics(texts, gold, predicted, sources)
    assert list(table["dimension"].unique()) == ["source", "length (MeCab words)", "negation"]
    for _, slices in table.groupby("dimension"):
        assert slices["examples"].sum() == 5 and slices["correct"].sum() == 3
    negation = table[table["dimension"] == "negation"].set_index("slice")
    assert negation.loc["with negation", "examples"] == 2 and negation.loc["with negation", "accuracy"] == 0.5
    assert "source" not in set(slice_metrics(texts, gold, predicted, ["a"] * 5)["dimension"]), "one source: no slices"


@pytest.fixture()
def client(app_url):
    return Client(app_url, verbose=False)


def test_evaluate_draws_the_data_map_slices_card_and_doubts(client, trained_run):
    figure, note = client.predict(trained_run.name, api_name="/data_map")
    (points,) = [trace for trace in json.loads(figure["plot"])["data"] if trace["type"] == "scattergl"]
    assert len(points["x"]) == 249 and "8 epochs" in note
    rows = client.predict(trained_run.name, "hard-to-learn", api_name="/data_map_region")
    confidences = [row[rows["headers"].index("confidence")] for row in rows["data"]]
    assert confidences == sorted(confidences) and all(c < 0.5 for c in confidences)

    matrix = client.predict(trained_run.name, "validation", "counts", api_name="/evaluate")[3]
    correct = sum(int(row[i + 1].split(" ")[0]) for i, row in enumerate(matrix["data"]))  # the diagonal
    plot, table = client.predict(trained_run.name, "validation", api_name="/slice_metrics")
    slices = pd.DataFrame(table["data"], columns=table["headers"])
    assert set(slices["dimension"]) == {"source", "length (MeCab words)", "negation"}
    for _, group in slices.groupby("dimension"):
        assert group["examples"].sum() == 30 and group["correct"].sum() == correct
    assert [trace["type"] for trace in json.loads(plot["plot"])["data"]] == ["bar", "bar"]

    card = client.predict(trained_run.name, api_name="/model_card")
    assert Path(card).read_text(encoding="utf-8") == (trained_run / "README.md").read_text(encoding="utf-8")

    caption, examples = client.predict(trained_run.name, "validation", "negative", "positive",
                                       api_name="/cell_examples")
    assert examples["headers"][-1] == "label doubted" and "the models doubt the label" in caption
    assert all(mark == "" or mark.startswith("⚠ ") for mark in (row[-1] for row in examples["data"]))


def test_the_dataset_tab_lists_doubted_labels(client):
    note, table = client.predict("train", api_name="/suspects")
    assert table["headers"] == ["index", "text", "label", "suggested", "score"] and len(table["data"]) == 50
    scores = [row[4] for row in table["data"]]
    assert scores == sorted(scores, reverse=True) and "of 249 train reviews" in note
    assert all(row[2] != row[3] for row in table["data"])


def test_the_data_lesson_answers_the_same_under_concurrency(app_url, trained_run):
    """Many visitors asking at once (the first answers are being made meanwhile) get what one visitor gets."""
    from concurrent.futures import ThreadPoolExecutor

    requests = [("test", "/suspects"), (trained_run.name, "test", "/slice_metrics"),
                (trained_run.name, "test", "positive", "negative", "/cell_examples")] * 4

    def ask(request):
        *args, endpoint = request
        return json.dumps(Client(app_url, verbose=False).predict(*args, api_name=endpoint), ensure_ascii=False)

    with ThreadPoolExecutor(len(requests)) as pool:
        answers = list(pool.map(ask, requests))
    for request, answer in zip(requests, answers, strict=True):
        assert answer == ask(request), request


def test_bad_requests_get_one_sentence(client, trained_run):
    from gradio_client.exceptions import AppError

    for args, endpoint, message in [
        (("../etc",), "/suspects", "not in the list of choices"),  # gradio checks a dropdown's choices itself
        ((trained_run.name, "<b>region</b>"), "/data_map_region", "not in the list of choices"),
        (("../outside",), "/model_card", "not a run name"),
        (("nonexistent-run",), "/data_map", "no finished run"),
    ]:
        with pytest.raises(AppError, match=message):
            client.predict(*args, api_name=endpoint)
    with pytest.raises(UserError, match="'<b>region</b>' is not a region"):  # what a script calling Studio gets
        region_reviews(read_data_map(trained_run), "<b>region</b>")
    with pytest.raises(UserError, match="has no data map"):
        read_data_map(trained_run.parent)
