"""What a run will cost before it starts, timed from the runs already on this machine."""

import dataclasses
import json
import math

import pytest

from sentiment.corpus.loading import load_dataset
from sentiment.errors import UserError
from sentiment.serving.deployment import Deployment
from sentiment.serving.studio import Studio
from sentiment.text.limits import LESSON_STEPS, PUBLIC
from sentiment.training.config import TrainConfig
from sentiment.training.estimate import estimate, examples_to_train
from sentiment.training.runs import list_runs

from .conftest import copy_run


@pytest.fixture(scope="module")
def timed(trained_run):
    """The session run as the runs list sees it, its config, and the sample's training rows."""
    run = next(run for run in list_runs(trained_run.parent) if run.name == trained_run.name)
    settings = json.loads((trained_run / "train_config.json").read_text(encoding="utf-8"))
    config = TrainConfig(**{key: settings[key] for key in ("model", "method", "dataset", "max_steps", "output")})
    return run, config.resolved(), load_dataset("sample")["train"].num_rows


def test_a_run_records_how_many_examples_it_trained_on(timed):
    run, config, rows = timed
    assert config.max_steps == 64 and run.examples_trained == 64 * config.batch_size
    assert examples_to_train(config, rows) == run.examples_trained


def test_the_same_run_again_costs_what_it_cost_and_more_work_costs_more(timed):
    run, config, rows = timed
    again = estimate([run], config, rows)
    assert again.timed_from == run.name
    assert again.seconds == pytest.approx(run.train_seconds)
    half = estimate([run], dataclasses.replace(config, max_steps=32), rows)
    assert half.seconds == pytest.approx(run.train_seconds / 2)
    every_epoch = estimate([run], dataclasses.replace(config, max_steps=-1), rows)  # 10 epochs of the sample
    assert every_epoch.seconds == pytest.approx(run.train_seconds * rows * config.epochs / run.examples_trained)
    assert "minute" in half.sentence().en and "分" in half.sentence().ja


def test_no_run_of_the_model_and_method_means_no_estimate(timed):
    run, config, rows = timed
    assert estimate([run], dataclasses.replace(config, method="head"), rows) is None
    assert estimate([run], dataclasses.replace(config, model="some/other-model"), rows) is None
    assert estimate([], config, rows) is None


def test_the_train_tab_estimates_a_lesson_at_its_step_limit_and_refuses_past_the_bounds(timed, trained_run, tmp_path):
    _, _, rows = timed
    copy_run(trained_run, tmp_path / "runs")
    studio = Studio(tmp_path / "runs", deployment=Deployment(public=True, bounds=PUBLIC))
    lesson = TrainConfig(model="starter", method="full", dataset="sample", output=str(tmp_path / "x"))
    lesson = dataclasses.replace(lesson, step_limit=LESSON_STEPS, batch_size=8).resolved()
    assert examples_to_train(lesson, rows) == LESSON_STEPS * 8  # 10 epochs of batches of 8 would take more steps
    # Worked out by hand from the copied run's record: its pace, times the lesson's step limit in batches of 8.
    (run,) = studio.runbook.runs()
    pace = run.examples_trained / run.train_seconds
    minutes = max(1, math.ceil(LESSON_STEPS * 8 / pace / 60))
    form = {"epochs": 0, "batch_size": 8, "seed": 42}
    sentence = studio.desk.cost_estimate("starter", "full", "sample", form)
    assert sentence.en.startswith(f"About {minutes} minute{'s' if minutes > 1 else ''} on this machine")
    assert f"timed from {run.name}: {pace:,.1f} training examples a second" in sentence.en
    assert f"このマシンで約 {minutes} 分" in sentence.ja
    assert "can't be estimated" in studio.desk.cost_estimate("starter", "head", "sample", {}).en
    with pytest.raises(UserError, match="epochs can be at most"):
        studio.desk.cost_estimate("starter", "full", "sample", {"epochs": 1000})
