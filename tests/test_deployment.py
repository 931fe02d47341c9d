"""What a deployment allows, the files it keeps, and a training job that outlives or loses its app."""

import dataclasses
import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from sentiment.config import TrainConfig
from sentiment.deployment import Deployment
from sentiment.errors import UserError
from sentiment.evaluation import METRICS_FILE, PREDICTIONS_FILE, report
from sentiment.jobs import ACTIVE_FILE, JobError, TrainingJob
from sentiment.limits import LOCAL, PUBLIC
from sentiment.storage import Downloads, keep_newest
from sentiment.studio import Studio
from sentiment.training import TrainingError, partial_dir, train

from .conftest import free_port


def test_a_public_server_without_a_password_does_not_train():
    deployment = Deployment(public=True, bounds=PUBLIC)
    assert not deployment.training_open
    with pytest.raises(UserError, match="Training is off"):
        deployment.check_may_train("anything")
    Deployment().check_may_train(None)  # a private app trains for anyone at its keyboard


def test_space_and_share_make_an_app_public(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setenv("TRAIN_PASSWORD", "from-the-secret")
    assert Deployment.from_launch().bounds == LOCAL
    assert Deployment.from_launch(share=True).public
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    public = Deployment.from_launch()
    assert public.public and public.bounds == PUBLIC and public.holds_password("from-the-secret")


def test_bounds_refuse_excess_and_cap_unset_examples():
    public = Deployment(public=True, train_password="x", bounds=PUBLIC)
    with pytest.raises(UserError, match="batch size can be at most 64"):
        public.bounded(TrainConfig(model="starter", batch_size=65))
    bounded = public.bounded(TrainConfig(model="starter", dataset="sample"))
    assert (bounded.train_examples, bounded.eval_examples) == (PUBLIC.train_examples, PUBLIC.eval_examples)
    assert Deployment().bounded(TrainConfig(model="starter")).train_examples is None


def test_only_the_starting_page_or_the_password_holder_stops_a_public_run():
    public = Deployment(public=True, train_password="pw", bounds=PUBLIC)
    public.check_may_stop("page-a", "page-a", None)
    public.check_may_stop("page-a", "page-b", "pw")
    with pytest.raises(UserError, match="Only the page that started"):
        public.check_may_stop("page-a", "page-b", "wrong")
    Deployment().check_may_stop("page-a", "page-b", None)


def test_quotas_keep_the_newest_entries(tmp_path):
    downloads = Downloads(tmp_path / "downloads", keep=2)
    paths = []
    for number in range(3):
        paths.append(downloads.csv(pd.DataFrame({"text": [str(number)]}), "out.csv"))
        time.sleep(0.01)
    assert [path.exists() for path in paths] == [False, True, True]
    files = [tmp_path / f"{n}.txt" for n in range(4)]
    for n, path in enumerate(files):
        path.write_text("x")
        os.utime(path, (n, n))
    keep_newest(files, 1)
    assert [path.exists() for path in files] == [False, False, False, True]


def test_uploads_beyond_the_quota_are_removed_oldest_first(tmp_path):
    deployment = Deployment(bounds=dataclasses.replace(LOCAL, uploads_kept=2))
    studio = Studio(tmp_path / "runs", deployment=deployment)
    choices = []
    for number in range(3):
        upload = tmp_path / f"reviews{number}.csv"
        upload.write_text("text,label\n" + "".join(f"文{number}-{i},positive\n" for i in range(10)), encoding="utf-8")
        choices.append(studio.save_upload(upload))
        time.sleep(0.01)
    assert len(list((tmp_path / "runs" / ".uploads").iterdir())) == 2
    with pytest.raises(UserError, match="no longer on this server"):
        studio.dataset(choices[0])
    assert studio.dataset(choices[2])["train"].num_rows == 8


def test_runs_started_from_the_page_beyond_the_quota_are_removed_oldest_first(tmp_path):
    runs = tmp_path / "runs"
    studio = Studio(runs, deployment=Deployment(bounds=dataclasses.replace(LOCAL, runs_kept=2)))
    for age, name in enumerate(["old", "newer"]):  # two finished runs the page started earlier
        (runs / name).mkdir()
        (runs / name / METRICS_FILE).write_text("{}")
        (runs / ".jobs" / f"{name}.json").write_text("{}")
        os.utime(runs / name, (age, age))
    config = TrainConfig(model="starter", dataset="sample", method="ngram", output=str(runs / "old"))
    with pytest.raises(JobError, match="already exists"):
        studio.start_training(config)
    assert (runs / "old").is_dir(), "a refused start removes nothing"
    studio.start_training(dataclasses.replace(config, output=str(runs / "new")))
    assert not (runs / "old").exists() and (runs / "newer").is_dir()
    deadline = time.monotonic() + 120
    while studio.job.status().state == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert studio.job.status().state == "finished"


def test_predictions_file_neutralises_formulas(tmp_path):
    probabilities = [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]]
    report(["=1+1", "良い"], [0, 0], probabilities, ["positive", "neutral", "negative"], "validation").save(tmp_path)
    assert sorted(pd.read_csv(tmp_path / PREDICTIONS_FILE)["text"]) == ["'=1+1", "良い"]


def test_a_partial_folder_is_never_written_into(tmp_path):
    output = tmp_path / "busy"
    partial_dir(output).mkdir()
    config = TrainConfig(model="starter", dataset="sample", output=str(output))
    with pytest.raises(JobError, match="still being written"):
        TrainingJob(tmp_path).start(config)
    with pytest.raises(TrainingError, match=r"busy\.partial exists"):
        train(config)
    assert partial_dir(output).is_dir(), "the other trainer's folder is left alone"


def test_an_app_restart_cleans_up_after_a_trainer_that_died(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    jobs = tmp_path / ".jobs"
    jobs.mkdir()
    record = {"name": "lost", "pid": ended.pid, "config_file": str(jobs / "lost.json"), "started": time.time()}
    (jobs / ACTIVE_FILE).write_text(json.dumps(record), encoding="utf-8")
    partial_dir(tmp_path / "lost").mkdir()

    job = TrainingJob(tmp_path)
    assert not partial_dir(tmp_path / "lost").exists()
    status = job.status()
    assert status.state == "failed" and "the app stopped while it was training" in status.message
    with pytest.raises(JobError, match="No training run is in progress"):
        job.stop()


def test_a_run_past_the_time_limit_is_stopped(tmp_path):
    job = TrainingJob(tmp_path, max_minutes=0.05)
    job.start(TrainConfig(model="starter", dataset="sample", output=str(tmp_path / "slow"), epochs=50))
    deadline = time.monotonic() + 60
    while job.status().state == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    status = job.status()
    assert status.state == "stopped" and "limit of 0.05 minutes" in status.message
    assert not partial_dir(tmp_path / "slow").exists()


def test_a_public_app_bounds_its_queue(tmp_path):
    from sentiment.ui import launch_app

    studio = Studio(tmp_path / "runs", deployment=Deployment(public=True, bounds=PUBLIC))
    app = launch_app(studio, "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        assert app._queue.max_size == PUBLIC.queue_size
    finally:
        app.close()
