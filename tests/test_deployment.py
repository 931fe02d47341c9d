"""What a deployment allows, the files it keeps, and a training job that outlives or loses its app."""

import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from sentiment.errors import UserError
from sentiment.insight.evaluation import report
from sentiment.run_files import METRICS_FILE, PREDICTIONS_FILE, partial_dir
from sentiment.serving.deployment import Deployment
from sentiment.serving.guards import FREE_GUESSES, PasswordThrottle, UploadGuard
from sentiment.serving.studio import Studio
from sentiment.storage import Downloads, keep_newest
from sentiment.text.limits import LESSON_MINUTES, LESSON_STEPS, LOCAL, PUBLIC
from sentiment.training.active_run import ACTIVE_FILE
from sentiment.training.config import TrainConfig, check_run_name
from sentiment.training.jobs import JobError, TrainingJob
from sentiment.training.trainer import TrainingError, train

from .conftest import free_port, wait_until


def test_a_lessons_time_limit_follows_this_machines_pace(trained_run, tmp_path, stand_in_trainer):
    """Three times the lesson's expected length at the pace of the last timed run of its model and method, from 3
    up to 10 minutes; 3 before any was timed."""
    from .conftest import copy_run

    lesson = TrainConfig(model="starter", dataset="sample", method="full")
    deployment = Deployment(public=True, bounds=PUBLIC)
    expected = [deployment.admit(lesson, None, expected_seconds=lambda s=s: s)[1] for s in (None, 20, 120, 1000)]
    assert expected == [3, 3, 6, 10]

    run = copy_run(trained_run, tmp_path / "runs")  # a starter run timed here, at a pace this test sets
    metrics = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))
    paced = {**metrics, "examples_trained": 2490, "train_seconds": 100.0}  # 24.9 training examples a second
    (run / METRICS_FILE).write_text(json.dumps(paced), encoding="utf-8")
    studio = Studio(tmp_path / "runs", dataset="sample", model="starter", deployment=deployment)
    assert studio.desk.start(dataclasses.replace(lesson, output=str(tmp_path / "runs" / "paced")), "page")[1] == 0
    try:
        # The lesson: 10 epochs of the sample's 249 reviews in batches of 32 (80 steps, under its 100), 2,490
        # examples: 100 s at that pace, three times that is 5 minutes.
        active = json.loads((tmp_path / "runs" / ".jobs" / ACTIVE_FILE).read_text(encoding="utf-8"))
        assert active["max_minutes"] == 5
    finally:
        studio.desk.shutdown()


def test_a_public_server_without_a_password_trains_lessons_only():
    deployment = Deployment(public=True, bounds=PUBLIC)
    assert not deployment.training_open
    with pytest.raises(UserError, match="Bigger runs need a training password"):
        deployment.check_may_train("anything")
    for method in ("full", "head", "ngram"):
        lesson, minutes = deployment.admit(TrainConfig(model="starter", dataset="sample", method=method), None)
        assert (lesson.step_limit, minutes) == (LESSON_STEPS, LESSON_MINUTES)
    bigger = [
        TrainConfig(model="starter", dataset="sample", epochs=50),
        TrainConfig(model="starter", dataset="sample", starter_layers=12),
        TrainConfig(model="starter", dataset="someone/reviews"),
        TrainConfig(model="cl-tohoku/bert-base-japanese-whole-word-masking", dataset="sample"),
    ]
    for config in bigger:
        with pytest.raises(UserError, match="Bigger runs need a training password"):
            deployment.admit(config, None)
    Deployment().check_may_train(None)  # a private app trains for anyone at its keyboard


def test_wrong_passwords_make_a_visitor_wait_longer_and_longer():
    now = [0.0]
    deployment = Deployment(public=True, train_password="pw", bounds=PUBLIC, throttle=PasswordThrottle(lambda: now[0]))
    for _ in range(FREE_GUESSES):
        assert not deployment.holds_password("guess", "visitor-a")
    waits = []
    for _ in range(4):
        with pytest.raises(UserError, match="Too many wrong passwords") as refused:
            deployment.holds_password("pw", "visitor-a")  # even the right one is not checked while waiting
        waits.append(float(re.search(r"wait (\d+) s", str(refused.value)).group(1)))
        now[0] += waits[-1]
        assert not deployment.holds_password("guess", "visitor-a")  # checked again once the wait has passed
    assert waits == [1, 2, 4, 8]
    assert deployment.holds_password("pw", "visitor-b"), "another visitor is not held up"
    now[0] += 16
    assert deployment.holds_password("pw", "visitor-a") and not deployment.holds_password("x", "visitor-a"), (
        "the right password clears the record"
    )
    assert not deployment.holds_password("", "visitor-c") and not deployment.holds_password("", "visitor-c")


def test_public_steps_are_bounded_even_when_the_epochs_would_take_more():
    public = Deployment(public=True, train_password="pw", bounds=PUBLIC)
    asked = TrainConfig(model="starter", dataset="sample", batch_size=1, epochs=10)  # 2,490 steps on the sample
    assert public.bounded(asked).step_limit == PUBLIC.max_steps  # training.py stops there: see test_training
    with pytest.raises(UserError, match="max steps can be at most 2,000"):
        public.bounded(dataclasses.replace(asked, max_steps=5000))
    assert Deployment().bounded(asked).step_limit is None


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
        choices.append(studio.catalog.save_upload(upload))
        time.sleep(0.01)
    assert len(list((tmp_path / "runs" / ".uploads").iterdir())) == 2
    with pytest.raises(UserError, match="no longer on this server"):
        studio.catalog.dataset(choices[0])
    assert studio.catalog.dataset(choices[2])["train"].num_rows == 8


@pytest.mark.slow
def test_runs_started_from_the_page_beyond_the_quota_are_removed_oldest_first(tmp_path, stand_in_trainer):
    runs = tmp_path / "runs"
    studio = Studio(runs, deployment=Deployment(bounds=dataclasses.replace(LOCAL, runs_kept=2)))
    for age, name in enumerate(["old", "newer"]):  # two finished runs the page started earlier
        (runs / name).mkdir()
        (runs / name / METRICS_FILE).write_text("{}")
        (runs / ".jobs" / f"{name}.json").write_text("{}")
        os.utime(runs / name, (age, age))
    config = TrainConfig(model="starter", dataset="sample", method="ngram", output=str(runs / "old"))
    with pytest.raises(JobError, match="already exists"):
        studio.desk.start(config)
    assert (runs / "old").is_dir(), "a refused start removes nothing"
    studio.desk.start(dataclasses.replace(config, output=str(runs / "new")))
    assert not (runs / "old").exists() and (runs / "newer").is_dir()
    assert not (runs / ".jobs" / "old.json").exists(), "a removed run's job record goes with it"
    deadline = time.monotonic() + 120
    while studio.desk.status().state == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert studio.desk.status().state == "finished"


def test_a_public_launch_keeps_its_quotas_and_limits_a_run_to_its_minutes(tmp_path, monkeypatch, stand_in_trainer):
    """The bounds a public launch really gets, none replaced: 20 uploads, 50 downloads, 20 runs started from
    the page, and a run trained with the password stopped after 30 minutes."""
    monkeypatch.delenv("SPACE_ID", raising=False)
    runs = tmp_path / "runs"
    studio = Studio(runs, deployment=Deployment.from_launch(public=True, train_password="pw"))
    assert (PUBLIC.uploads_kept, PUBLIC.downloads_kept, PUBLIC.runs_kept, PUBLIC.run_minutes) == (20, 50, 20, 30)
    for number in range(PUBLIC.uploads_kept + 1):
        upload = tmp_path / f"reviews{number}.csv"
        upload.write_text("text,label\n" + "".join(f"文{number}-{i},positive\n" for i in range(10)), encoding="utf-8")
        studio.catalog.save_upload(upload)
    assert len(list((runs / ".uploads").iterdir())) == 20
    for number in range(PUBLIC.downloads_kept + 1):
        studio.downloads.csv(pd.DataFrame({"text": [str(number)]}), "out.csv")
    assert len(list(studio.downloads.folder.iterdir())) == 50
    earlier = [f"earlier-{number:02d}" for number in range(PUBLIC.runs_kept)]  # finished runs the page started
    for age, name in enumerate(earlier):
        (runs / name).mkdir()
        (runs / name / METRICS_FILE).write_text("{}")
        (runs / ".jobs" / f"{name}.json").write_text("{}")
        os.utime(runs / name, (age, age))
    config = TrainConfig(model="starter", dataset="sample", method="ngram", output=str(runs / "new"))
    assert studio.desk.start(config, password="pw") == ("new", 0)
    assert [name for name in earlier if (runs / name).is_dir()] == earlier[1:], "the oldest went, 19 + the new one"
    assert json.loads((runs / ".jobs" / ACTIVE_FILE).read_text(encoding="utf-8"))["max_minutes"] == 30
    studio.desk.shutdown()  # the run may have finished already: the stand-in trains an n-gram run in 0.05 s


def test_a_start_from_the_page_checks_the_password_once(tmp_path, monkeypatch, stand_in_trainer):
    """Before the form is read, and not again when the run is admitted."""
    studio = Studio(tmp_path / "runs", deployment=Deployment.from_launch(public=True, train_password="pw"))
    checks = []
    real_check = studio.deployment.throttle.check
    monkeypatch.setattr(
        studio.deployment.throttle, "check", lambda visitor, guess: checks.append(visitor) or real_check(visitor, guess)
    )
    started = studio.desk.start_from_page("starter", "ngram", "sample", "once", {}, "page", password="pw", visitor="v")
    assert started == ("once", 0) and checks == ["v"]
    studio.desk.shutdown()


def test_predictions_file_neutralises_formulas(tmp_path):
    probabilities = [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]]
    report(["=1+1", "良い"], [0, 0], probabilities, ["positive", "neutral", "negative"], "validation").save(tmp_path)
    assert sorted(pd.read_csv(tmp_path / PREDICTIONS_FILE)["text"]) == ["'=1+1", "良い"]


def test_a_partial_folder_is_never_written_into(tmp_path):
    output = tmp_path / "busy"
    partial_dir(output).mkdir()
    config = TrainConfig(model="starter", dataset="sample", output=str(output))
    with pytest.raises(JobError, match="still being written"):
        TrainingJob(tmp_path).submit(config)
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
    assert status.state == "failed" and "the app stopped while it was training" in str(status.message)
    with pytest.raises(JobError, match="No training run is in progress"):
        job.stop()


def test_a_run_past_the_time_limit_is_stopped(tmp_path, stand_in_trainer):
    job = TrainingJob(tmp_path)
    slow = TrainConfig(model="starter", dataset="sample", output=str(tmp_path / "slow"), epochs=50)
    job.submit(slow, max_minutes=0.05)
    deadline = time.monotonic() + 60
    while job.status().state == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    status = job.status()
    assert status.state == "stopped" and "limit of 0.05 minutes" in str(status.message)
    assert not partial_dir(tmp_path / "slow").exists()


def test_a_public_app_bounds_its_queue(tmp_path):
    from gradio_client import Client

    from sentiment.ui import launch_app

    studio = Studio(tmp_path / "runs", deployment=Deployment(public=True, bounds=PUBLIC))
    port = free_port()
    app = launch_app(studio, "127.0.0.1", port, prevent_thread_lock=True)
    try:
        assert app._queue.max_size == PUBLIC.queue_size
        # The requests that read a split or draw figures take turns, two at a time; the small ones don't wait.
        grouped = {fn.api_name for fn in app.fns.values() if fn.concurrency_id == "analysis"}
        assert {"evaluate", "compare_runs", "model_map", "classify_batch", "upload_dataset"} <= grouped
        assert not {"tokenize", "classify", "explain"} & grouped
        assert {fn.concurrency_limit for fn in app.fns.values() if fn.concurrency_id == "analysis"} == {2}
        # gradio's per-event analytics summary (for a monitoring page this app doesn't enable) is not made.
        Client(f"http://127.0.0.1:{port}/", verbose=False).predict(api_name="/training_status")
        assert app._queue.events_recorded >= 1 and app._queue.cached_event_analytics_summary == {"functions": {}}
    finally:
        app.close()


def test_uploads_that_runs_were_trained_on_outlive_the_upload_quota(tmp_path):
    runs = tmp_path / "runs"
    studio = Studio(runs, deployment=Deployment(bounds=dataclasses.replace(LOCAL, uploads_kept=1)))
    first = tmp_path / "first.csv"
    first.write_text("text,label\n" + "".join(f"良い{i},positive\n悪い{i},negative\n" for i in range(10)), "utf-8")
    choice = studio.catalog.save_upload(first)
    config = TrainConfig(dataset=studio.catalog.resolve(choice), method="ngram", output=str(runs / "on-upload"))
    train(config)
    for number in range(2):
        later = tmp_path / f"later{number}.csv"
        later.write_text(first.read_text("utf-8").replace("良い", f"最高{number}"), "utf-8")
        studio.catalog.save_upload(later)
        time.sleep(0.01)
    assert studio.analyses.evaluation("on-upload", "test").metrics["examples"] > 0


def test_a_stop_is_recorded_before_another_apps_queue_starts_its_run(tmp_path, stand_in_trainer):
    """Two apps on one runs folder: the second one's queue starts its run the moment the first one's trainer
    ends. The first app's record of the stop must not land on top of the new run's, or both pages would show
    "stopped" while the new run trains unseen."""
    first, second = TrainingJob(tmp_path), TrainingJob(tmp_path)
    running = TrainConfig(model="starter", dataset="sample", output=str(tmp_path / "to-stop"), epochs=50)
    queued = TrainConfig(model="starter", dataset="sample", output=str(tmp_path / "queued"), epochs=50)
    first.submit(running)
    end_trainer, started = first._end, []

    def end_then_the_other_app_starts(active):  # the timing of the other app's queue, made certain
        ended = end_trainer(active)
        other = threading.Thread(target=lambda: started.append(second.submit(queued)))
        other.start()
        other.join(2)  # unguarded, the other app has started its run and written its record by now
        return ended

    first._end = end_then_the_other_app_starts
    assert first.stop() == "to-stop"
    wait_until(lambda: started, 30, "the other app's start")
    for job in (first, second):
        assert job.status().run_name == "queued", "both apps see the run that is training now"
    second.stop()


@pytest.mark.slow
def test_a_trainer_killed_on_its_own_leaves_no_partial_folder_and_its_name_free(tmp_path, stand_in_trainer):
    job = TrainingJob(tmp_path)
    config = TrainConfig(model="starter", dataset="sample", output=str(tmp_path / "killed"), epochs=50)
    job.submit(config)
    deadline = time.monotonic() + 60
    while not partial_dir(tmp_path / "killed").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    active = json.loads((tmp_path / ".jobs" / ACTIVE_FILE).read_text(encoding="utf-8"))
    os.kill(active["pid"], 9)
    while job.status().state == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    status = job.status()
    assert status.state == "failed" and "details are in the server's log" in str(status.message)
    assert not partial_dir(tmp_path / "killed").exists() and not job.name_taken("killed")


def test_the_upload_guard_refuses_past_the_disk_budget(tmp_path):
    guard = UploadGuard(None, tmp_path, max_bytes=1000, per_hour=100)
    assert guard.refusal("visitor", 600) == ""
    (tmp_path / "kept.csv").write_bytes(b"x" * 600)
    assert "upload space is full" in guard.refusal("visitor", 600)


def test_one_visitor_cannot_fill_the_upload_space_for_everyone(tmp_path):
    guard = UploadGuard(None, tmp_path, max_bytes=10 * 2**20, per_hour=100, visitor_bytes=2 * 2**20)
    assert guard.refusal("greedy", 2**20) == "" and guard.refusal("greedy", 2**20) == ""
    assert "2 MB in the last hour" in guard.refusal("greedy", 1)
    assert guard.refusal("another", 2**20) == "", "the others still have room"


def test_an_upload_that_does_not_say_its_length_is_refused(tmp_path):
    import asyncio

    reached = []

    async def gradio(scope, receive, send):  # what stands behind the guard: here it only records who got through
        reached.append(scope["headers"])

    guard = UploadGuard(gradio, tmp_path, max_bytes=2**20, per_hour=100)

    def post(headers: dict) -> int:
        sent = []

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/gradio_api/upload",
            "client": ("203.0.113.7", 5000),
            "headers": [(key.encode(), value.encode()) for key, value in headers.items()],
        }
        asyncio.run(guard(scope, None, send))
        return sent[0]["status"] if sent else 200

    assert post({"transfer-encoding": "chunked"}) == 411
    assert post({"content-length": "10", "transfer-encoding": "chunked"}) == 411  # chunked framing would win
    assert not reached
    assert post({"content-length": "10"}) == 200 and len(reached) == 1


@pytest.fixture()
def guarded_gradio(tmp_path, monkeypatch):
    """A gradio app on 127.0.0.1 with the upload guard in front of its upload route, as a public server has it
    (launch_app), a folder of 1,000,000 bytes at most, saving to `uploads`: its port and that folder."""
    import gradio as gr
    from starlette.middleware import Middleware

    folder = tmp_path / "uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    guard = Middleware(UploadGuard, folder=folder, max_bytes=1_000_000, per_hour=1_000)
    with gr.Blocks() as demo:
        gr.File()
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        app_kwargs={"middleware": [guard]},
    )
    try:
        yield port, folder
    finally:
        demo.close()


def multipart(sizes: list[int], boundary: str = "guard-test") -> tuple[bytes, str]:
    """A body posting one file of each size, and its content type."""
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f{number}.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + b"x" * size
        + b"\r\n"
        for number, size in enumerate(sizes)
    )
    return parts + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_upload(port: int, sizes: list[int], headers_sent: threading.Barrier | None = None) -> tuple[int, str]:
    """A post to gradio's upload route over real HTTP: the headers first, then (once every poster sharing the
    barrier has sent theirs) the body in pieces, stopping early if the server has answered already."""
    import http.client
    import select

    body, content_type = multipart(sizes)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("POST", "/gradio_api/upload")
        connection.putheader("Content-Type", content_type)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if headers_sent is not None:
            headers_sent.wait(timeout=60)
        for offset in range(0, len(body), 32_768):
            if select.select([connection.sock], [], [], 0)[0]:
                break  # answered before its body: refused
            connection.sock.sendall(body[offset : offset + 32_768])
        response = connection.getresponse()
        return response.status, response.read().decode()
    except OSError as error:  # a refused post's connection closed under it
        return 0, str(error)
    finally:
        connection.close()


def test_eight_posters_at_once_cannot_pass_the_upload_folders_bound(guarded_gradio):
    """Issue 43, item 5: the guard reserved nothing for posts still arriving, so posters admitted together each
    saw the folder as it was before any of them: 8 addresses posting 95 MB took a 500 MB folder to 1,033 MB.
    Here 8 posters of 300,000 bytes send their headers together into a folder of 1,000,000 bytes at most: three
    fit, and the folder stays within its bound; then a small honest upload still fits (nothing stays reserved)."""
    from concurrent.futures import ThreadPoolExecutor

    from sentiment.serving.guards import folder_bytes

    port, folder = guarded_gradio
    headers_sent = threading.Barrier(8)
    with ThreadPoolExecutor(8) as posters:
        answers = list(posters.map(lambda _: post_upload(port, [300_000], headers_sent), range(8)))
    admitted = [answer for answer in answers if answer[0] == 200]
    assert 1 <= len(admitted) <= 3, answers
    assert folder_bytes(folder) <= 1_000_000, f"{len(admitted)} posts admitted together"
    refused = [message for status, message in answers if status == 429]
    assert all("upload space is full" in message for message in refused)
    assert post_upload(port, [200])[0] == 200, "the posts that arrived are on disk, and no longer reserved"


def test_a_post_holds_one_file_and_one_holding_more_leaves_nothing(guarded_gradio):
    """Issue 43, item 5: one post could hold 1,000 files (gradio's own bound). A post of three files is now
    answered with one sentence, and what gradio had begun to write of it is gone."""
    from sentiment.serving.guards import folder_bytes

    port, folder = guarded_gradio
    status, message = post_upload(port, [1_000, 1_000, 1_000])
    assert status == 400 and "at most 1 file(s) at a time" in message, (status, message)
    assert folder_bytes(folder) == 0
    assert post_upload(port, [1_000])[0] == 200 and 1_000 <= folder_bytes(folder) < 2_000


def test_run_names_fit_a_file_name_in_bytes():
    check_run_name("感" * 33)
    with pytest.raises(UserError, match="can't be a run name"):
        check_run_name("感" * 34)  # 102 bytes


def test_run_names_that_pass_for_another_are_refused(tmp_path):
    with pytest.raises(UserError, match="mixes Latin letters with Cyrillic or Greek ones"):
        check_run_name("t\u0456ny")  # the і is Cyrillic
    assert check_run_name("ｔｉｎｙ") == "ｔｉｎｙ" and check_run_name("感想-run") == "感想-run"  # fine on their own
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / METRICS_FILE).write_text("{}")
    job = TrainingJob(tmp_path)
    for look_alike in ("ｔｉｎｙ", "Tiny"):  # full-width, and another case
        config = TrainConfig(model="starter", dataset="sample", method="ngram", output=str(tmp_path / look_alike))
        with pytest.raises(JobError, match="reads the same as the run tiny"):
            job.submit(config)
    assert job.name_taken("ＴＩＮＹ") and not job.name_taken("tiny-2")
    assert [folder.name for folder in tmp_path.iterdir() if not folder.name.startswith(".")] == ["tiny"]


@pytest.mark.parametrize(
    ("look_alike", "taken"),
    [("\u0455\u0441\u043e\u0440\u0435", "scope"), ("ngr\u0251m", "ngram"), ("n\u0261ram", "ngram")],
    ids=["cyrillic-scope", "latin-alpha-ngram", "script-g-ngram"],
)
def test_a_run_name_in_letters_that_imitate_another_reads_the_same(tmp_path, look_alike, taken):
    """Issue 43, item 8: `ѕсоре` (all Cyrillic), `ngrɑm` (Latin alpha) and `nɡram` (script g) each use one script,
    so they passed the mixed-scripts rule, and trained beside `scope` and `ngram`."""
    check_run_name(look_alike)  # one script: a valid name on its own
    (tmp_path / taken).mkdir()
    (tmp_path / taken / METRICS_FILE).write_text("{}")
    job = TrainingJob(tmp_path)
    config = TrainConfig(model="starter", dataset="sample", method="ngram", output=str(tmp_path / look_alike))
    with pytest.raises(JobError, match=f"reads the same as the run {taken}"):
        job.submit(config)
    assert job.name_taken(look_alike) and not (tmp_path / look_alike).exists()
    assert not job.name_taken("\u043c\u043e\u0434\u0435\u043b\u044c"), "a Cyrillic word is a name of its own"


def test_only_the_proxies_a_deployment_names_say_who_the_visitor_is(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    # --public on a LAN, in Docker, over a VPN: a neighbour's private address is no proxy.
    plain = Deployment.from_launch(public=True)
    assert plain.visitor("192.168.1.20", "203.0.113.7") == "192.168.1.20"
    assert plain.visitor("127.0.0.1", "203.0.113.7") == "127.0.0.1"
    behind = Deployment.from_launch(public=True, trusted_proxies=["10.0.0.0/8"])
    assert behind.visitor("10.1.2.3", "198.51.100.1, 203.0.113.7") == "203.0.113.7", "the address the proxy saw"
    assert behind.visitor("192.168.1.20", "203.0.113.7") == "192.168.1.20"
    assert Deployment.from_launch(share=True).visitor("127.0.0.1", "203.0.113.7") == "203.0.113.7"  # the tunnel
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    assert Deployment.from_launch().visitor("10.20.30.40", "203.0.113.7") == "203.0.113.7"  # the Space's proxy
    with pytest.raises(UserError, match="not an address or a network"):
        Deployment.from_launch(trusted_proxies=["proxy.example"])


def test_a_batch_is_bounded_by_the_work_its_tokens_make_the_model_do(trained_run, tmp_path):
    """The bound is in BERT-base tokens: the starter (2 layers × 256) reads 1/54 of BERT-base's work per token,
    so a bound of 20 BERT-base tokens lets it read 1,080 of its own."""
    from transformers import AutoTokenizer

    from .conftest import SHARED_REVIEWS, copy_run

    run = copy_run(trained_run, tmp_path / "runs")
    bounds = dataclasses.replace(PUBLIC, batch_work=20)
    studio = Studio(tmp_path / "runs", dataset="sample", model="starter", deployment=Deployment(True, bounds=bounds))
    tokenizer = AutoTokenizer.from_pretrained(run)
    texts = [text for text in pd.read_csv(SHARED_REVIEWS / "validation.csv")["text"] if 100 <= len(text) <= 300][:40]
    max_length = json.loads((run / "train_config.json").read_text(encoding="utf-8"))["max_length"]
    tokens = [min(len(ids), max_length) for ids in tokenizer(texts)["input_ids"]]
    within = next(count for count in range(len(texts), 0, -1) if sum(tokens[:count]) <= 1080)
    assert within < len(texts), "the reviews make more tokens than the bound"
    assert len(studio.models.classify_many(run.name, texts[:within])) == within
    with pytest.raises(UserError, match=f"These texts make {sum(tokens[: within + 1]):,} tokens.*up to 1,080 at"):
        studio.models.classify_many(run.name, texts[: within + 1])


def test_an_analysis_reads_a_seeded_sample_within_the_bound_and_says_so(trained_run, tmp_path):
    """20 BERT-base tokens are 1,080 of the starter's: Evaluate of the training split (no answers saved for it)
    and a map read a seeded sample within that; the run's own validation answers are read whole."""
    from transformers import AutoTokenizer

    from sentiment.corpus.loading import load_dataset
    from sentiment.ui.evaluate_tab import metrics_text

    from .conftest import copy_run

    run = copy_run(trained_run, tmp_path / "runs")
    bounds = dataclasses.replace(PUBLIC, analysis_work=20)
    studio = Studio(tmp_path / "runs", dataset="sample", model="starter", deployment=Deployment(True, bounds=bounds))
    train = load_dataset("sample")["train"]
    report = studio.analyses.evaluation(run.name, "train")
    assert report.metrics["sampled_from"] == len(train) > report.metrics["examples"] > 0
    tokenizer = AutoTokenizer.from_pretrained(run)
    max_length = json.loads((run / "train_config.json").read_text(encoding="utf-8"))["max_length"]
    read = sum(min(len(ids), max_length) for ids in tokenizer(list(report.rows["text"]))["input_ids"])
    assert read <= 1080 < read + max_length, "as many reviews as fit the bound"
    assert f"a seeded sample of its {len(train):,}" in str(metrics_text(report.metrics))
    assert studio.analyses.evaluation(run.name, "train").rows.equals(report.rows), "the same sample each time"

    validation = studio.analyses.evaluation(run.name, "validation")
    assert "sampled_from" not in validation.metrics and validation.metrics["examples"] == 30
    before, after = studio.analyses.model_maps(run.name, "validation")
    assert after.of == 30 and 0 < len(after.texts) < 30 and before.texts == after.texts


def test_a_batch_is_bounded_by_its_characters_after_normalisation(tmp_path):
    studio = Studio(tmp_path / "runs", deployment=Deployment(public=True, bounds=PUBLIC))
    # 1,000 lines of 200 '㌖': 200,000 characters as written, within the bound; 1,200,000 once NFKC makes each
    # one キロメートル, which is what MeCab and the model would read. Refused before any model is loaded.
    lines = ["㌖" * 200] * PUBLIC.batch_rows
    with pytest.raises(UserError, match=f"more than {PUBLIC.batch_chars:,} characters together once normalised"):
        studio.models.classify_many("no-run-needed", lines)
