"""A fresh app launched with a pretrained model prepares a head-only run of it on the launch dataset by itself."""

from __future__ import annotations

import csv
import json
import random
import time

import pytest

from sentiment.serving.run_choice import default_run
from sentiment.serving.studio import Studio

from .conftest import SHARED_REVIEWS, served_app


@pytest.fixture(scope="module")
def reviews_folder(tmp_path_factory):
    """The shared real reviews, split 80/20 (seeded) into train.csv and validation.csv."""
    with (SHARED_REVIEWS / "validation.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    random.Random(7).shuffle(rows)
    folder = tmp_path_factory.mktemp("data") / "reviews"
    folder.mkdir()
    cut = len(rows) * 4 // 5
    for name, part in (("train.csv", rows[:cut]), ("validation.csv", rows[cut:])):
        with (folder / name).open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=["text", "label", "source"])
            writer.writeheader()
            writer.writerows(part)
    return folder


def test_a_fresh_app_with_a_pretrained_model_trains_a_head_only_first_run_of_it(
    tmp_path, pretrained_folder, reviews_folder
):
    runs = tmp_path / "runs"
    flags = ("--model", str(pretrained_folder), "--dataset", str(reviews_folder))
    with served_app(runs, *flags, first_runs=True, log_name="pretrained.log"):
        deadline = time.monotonic() + 400
        while not any((run / "metrics.json").is_file() for run in runs.glob("head-*")):
            assert time.monotonic() < deadline, (tmp_path / "pretrained.log").read_text()[-3000:]
            time.sleep(1)
    (head,) = [run for run in runs.glob("head-*") if (run / "metrics.json").is_file()]
    settings = json.loads((head / "train_config.json").read_text(encoding="utf-8"))
    assert settings["method"] == "head" and settings["model"] == str(pretrained_folder)
    assert settings["dataset"] == str(reviews_folder)
    # 2.7 training reviews a second for the 220 s left of 300 once the run is saved: 594, and 198 to validate on
    assert settings["train_examples"] == 594 and settings["eval_examples"] == 198
    ngram = [run for run in runs.glob("ngram-*") if (run / "metrics.json").is_file()]
    assert ngram, "the baseline on the whole training split came first"
    assert json.loads((ngram[0] / "train_config.json").read_text())["train_examples"] is None
    studio = Studio(runs, str(reviews_folder), str(pretrained_folder))
    accuracy = {run.name: json.loads((run / "metrics.json").read_text())["accuracy"] for run in (head, ngram[0])}
    best = max(accuracy, key=accuracy.get)
    assert default_run(studio.runbook) == best, "Classify and Evaluate open on the better run"
