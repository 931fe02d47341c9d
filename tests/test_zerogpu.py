"""The ZeroGPU contract, tested on the CPU as far as a CPU can go.

`spaces`' ZeroGPU mode cannot be imported with a CPU-only torch (its patching reads `torch.version.cuda`), so
these tests emulate what its worker does: the GPU function runs in a process forked for the call, its
arguments and each yield cross pickled, closing the generator early closes it in the worker, and a worker
that dies ends the call with an error. What they cannot show: the GPU itself, the platform's quota and queue,
and the visitor's request context reaching `spaces` (README, "On a Space").
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from sentiment.bilingual import speaking
from sentiment.errors import UserError
from sentiment.run_files import partial_dir
from sentiment.serving.deployment import Deployment
from sentiment.serving.gpu_window import GpuWindow, WindowSize, refusal
from sentiment.serving.studio import Studio
from sentiment.text.limits import PUBLIC
from sentiment.training.active_run import ACTIVE_FILE
from sentiment.training.config import TrainConfig
from sentiment.training.jobs import TrainingJob
from sentiment.training.prepared import prepare

from .conftest import SHARED_REVIEWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _worker(connection, closing) -> None:
    """The forked GPU worker: unpickle the call, run the window, send each yield back pickled."""
    args = pickle.loads(connection.recv_bytes())
    records = GpuWindow.train(*args)
    try:
        for record in records:
            connection.send_bytes(pickle.dumps(("yield", record)))
            if closing.is_set():
                records.close()
                break
        connection.send_bytes(pickle.dumps(("end", None)))
    except BaseException as error:
        connection.send_bytes(pickle.dumps(("error", error)))


class ForkedWindow:
    """A GpuWindow whose calls run as ZeroGPU runs them: in a forked worker, everything crossing pickled."""

    refusal = staticmethod(refusal)
    factor = staticmethod(lambda: 1.0)  # an H200's (spaces/zero/configs.json)

    def __init__(self, kill_on: str | None = None):
        self.kill_on = kill_on  # kill the worker when it sends a record of this event, as a time-out would

    def train(self, *args):
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe()
        closing = context.Event()
        worker = context.Process(target=_worker, args=(there, closing), daemon=True)
        worker.start()
        here.send_bytes(pickle.dumps(args))
        try:
            while True:
                if not here.poll(0.2):
                    if not worker.is_alive():
                        raise RuntimeError("GPU task aborted")
                    continue
                try:
                    kind, value = pickle.loads(here.recv_bytes())
                except EOFError:
                    raise RuntimeError("GPU task aborted") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
                if value.get("event") == self.kill_on:
                    os.kill(worker.pid, signal.SIGKILL)
        finally:
            closing.set()
            worker.join(120)
            if worker.is_alive():
                worker.kill()


def tiny(runs, name, **options) -> TrainConfig:
    settings = {"max_steps": 6, "logging_steps": 1, "train_examples": 64, "eval_examples": 32, **options}
    return TrainConfig(model="starter", dataset="sample", output=str(runs / name), **settings)


def wait_for(job: TrainingJob, states: set[str], limit: float = 420):
    deadline = time.monotonic() + limit
    while (status := job.status()).state not in states:
        assert time.monotonic() < deadline, f"still {status.state} after {limit} s"
        time.sleep(0.2)
    return status


@pytest.mark.slow
def test_zerogpu_app_imports_spaces_before_torch_and_registers_the_window_unchanged_off_zerogpu():
    probe = (
        "import sys, app\n"
        "print('spaces' in sys.modules, 'torch' in sys.modules)\n"
        "from sentiment.serving.gpu_window import GpuWindow\n"
        "from sentiment.training.window import stream_training\n"
        "print(GpuWindow.train is stream_training)\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["True", "False", "True"], shown.stdout + shown.stderr


@pytest.mark.slow
def test_zerogpu_the_window_function_is_registered_with_spaces_and_its_duration_is_the_runs_window():
    """On ZeroGPU `spaces.GPU` registers the function for the start-up report; here a recording stand-in
    for `spaces.GPU` sees what the module hands it (the real one hands the function back unchanged)."""
    probe = (
        "import json, spaces\n"
        "seen = []\n"
        "spaces.GPU = lambda **options: (lambda task: seen.append((task, options)) or task)\n"
        "from sentiment.serving import gpu_window\n"
        "(task, options), = seen\n"
        "print(json.dumps([task.__name__, sorted(options), options['duration']({'model': 'starter'}, 95)]))\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout) == ["stream_training", ["duration"], 95]


def test_zerogpu_a_studio_on_zerogpu_trains_through_the_window(tmp_path, monkeypatch):
    monkeypatch.setattr("sentiment.serving.studio.on_zerogpu", lambda: True)
    studio = Studio(tmp_path / "runs")
    assert isinstance(studio.desk.job.window, GpuWindow)
    assert isinstance(Studio(tmp_path / "other").desk.job.window, GpuWindow)
    monkeypatch.setattr("sentiment.serving.studio.on_zerogpu", lambda: False)
    assert Studio(tmp_path / "cpu").desk.job.window is None


def test_zerogpu_window_in_a_forked_worker_trains_streams_and_writes_a_complete_run(tmp_path):
    job = TrainingJob(tmp_path, ForkedWindow())
    assert job.submit(tiny(tmp_path, "in-window"), window_seconds=60) == 0
    status = wait_for(job, {"finished", "failed", "stopped"})
    assert status.state == "finished", str(status.message) + status.log_tail
    run = tmp_path / "in-window"
    assert (run / "metrics.json").is_file() and (run / "model.safetensors").is_file()
    assert not partial_dir(run).exists()
    steps = [record.step for record in status.records if record.event == "log"]
    assert steps and steps[-1] == 6, "each step's record was streamed and written"
    assert "step 6/6" in status.log_tail and "saved in-window" in status.log_tail
    assert "Prepared in" in status.log_tail, "the server tokenized the data before it opened the window"


def test_zerogpu_the_window_reads_the_prepared_inputs_and_loads_or_tokenizes_nothing(tmp_path, monkeypatch):
    config = tiny(tmp_path, "from-prepared").resolved()
    folder = prepare(config)
    assert prepare(config) == folder, "a retried run reuses what was prepared"

    def refuse(*args, **kwargs):
        raise AssertionError("the window loaded or tokenized the data itself")

    # Both are CPU work the window would bill to the visitor's quota; the forked worker inherits the patches.
    monkeypatch.setattr("sentiment.training.trainer.build_inputs", refuse)
    monkeypatch.setattr("sentiment.training.trainer.splits", refuse)
    monkeypatch.setattr("sentiment.training.prepared.tokenize_split", refuse)  # the test split's answers too
    records = list(ForkedWindow().train(config.to_dict(), 60, str(folder)))
    assert records[-1]["event"] == "done", records[-3:]
    assert (tmp_path / "from-prepared" / "answers-test.parquet").is_file(), "the test split answered in the window"
    loaded = next(record for record in records if record["event"] == "loaded")
    assert loaded["train_examples"] == 64
    assert (tmp_path / "from-prepared" / "metrics.json").is_file()
    settings = json.loads((tmp_path / "from-prepared" / "train_config.json").read_text(encoding="utf-8"))
    assert settings["dataset_source"] == "sample (bundled)", "the report names the data the run was prepared from"


def test_zerogpu_a_worker_killed_mid_run_leaves_no_half_written_folder(tmp_path):
    job = TrainingJob(tmp_path, ForkedWindow(kill_on="log"))
    job.submit(tiny(tmp_path, "killed", max_steps=200), window_seconds=60)
    status = wait_for(job, {"finished", "failed", "stopped"})
    assert status.state == "failed"
    assert str(status.message).startswith("ZeroGPU's GPU worker stopped after "), status.message
    assert "of its 60 s window, before the run finished" in str(status.message), "not a window that timed out"
    with speaking("ja"):
        assert "GPU ワーカーが時間枠 60 秒のうち" in str(status.message), "and in a Japanese page's language"
    assert not (tmp_path / "killed").exists() and not partial_dir(tmp_path / "killed").exists()


def test_zerogpu_stop_closes_the_window_and_nothing_is_saved(tmp_path):
    job = TrainingJob(tmp_path, ForkedWindow())
    job.submit(tiny(tmp_path, "stopped", max_steps=100_000, epochs=1000), window_seconds=60)
    deadline = time.monotonic() + 300
    while not any(record.event == "log" for record in job.status().records):
        assert time.monotonic() < deadline, "the run never logged a step"
        time.sleep(0.2)
    assert job.stop() == "stopped"
    status = wait_for(job, {"stopped", "failed", "finished"}, limit=300)
    assert status.state == "stopped"
    deadline = time.monotonic() + 120  # the worker unwinds at the run's next step
    while partial_dir(tmp_path / "stopped").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not partial_dir(tmp_path / "stopped").exists() and not (tmp_path / "stopped").exists()


@pytest.mark.slow
def test_zerogpu_a_stop_while_the_data_is_prepared_ends_it_at_once_and_opens_no_window(tmp_path):
    """Preparing 60,000 reviews takes a minute or more; a Stop must not wait for it, and no window may open."""
    reviews = pd.read_csv(SHARED_REVIEWS / "validation.csv")
    folder = tmp_path / "big"
    folder.mkdir()
    pd.concat([reviews] * 20, ignore_index=True).to_csv(folder / "train.csv", index=False)
    reviews.to_csv(folder / "validation.csv", index=False)
    runs = tmp_path / "runs"
    window = ForkedWindow()
    opened = []
    window.train = lambda *args: opened.append(args) or iter(())
    job = TrainingJob(runs, window)
    job.submit(TrainConfig(model="starter", dataset=str(folder), output=str(runs / "big"), max_steps=2),
               window_seconds=60)
    log = runs / ".jobs" / "big.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and "Preparing the data" in log.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, "the preparation never began"
        time.sleep(0.2)
    assert job.stop() == "big"
    assert job.status().state == "stopped", "the slot is free once the stop returns"
    assert job.submit(tiny(runs, "next", method="ngram")) == 0, "the next run starts at once, not after the data"
    wait_for(job, {"finished", "failed", "stopped"})
    assert not opened and "Prepared in" not in log.read_text(encoding="utf-8")
    assert not (runs / "big").exists() and not partial_dir(runs / "big").exists()


def test_zerogpu_window_sizes_count_what_zerogpu_counts_on_each_card():
    """`spaces` asks ZeroGPU for the declared seconds × the card's factor (H200 1.0, RTX PRO 6000 Blackwell 1.5):
    the app declares so that what is counted is what the run needs, and a lesson's count fits 120 s."""
    assert WindowSize.of(None, lesson=True, factor=1.0) == WindowSize(120, 1.0)
    blackwell = WindowSize.of(None, lesson=True, factor=1.5)
    assert (blackwell.declared, blackwell.charged) == (80, 120), "no pace timed yet: the whole anonymous quota"
    assert WindowSize.of(None, lesson=False, factor=1.0).charged == 900
    assert WindowSize.of(60.0, lesson=False, factor=1.0) == WindowSize(110, 1.0)  # 20 s start, 60 s with a 1.5 margin
    assert WindowSize.of(60.0, lesson=False, factor=1.5) == WindowSize(74, 1.5)  # 74 × 1.5 = 111 counted
    WindowSize(80, 1.5).check_fits(lesson=True)
    with pytest.raises(UserError, match=r"about 122 s of GPU time, more than the 120 s") as refused:
        WindowSize(81, 1.5).check_fits(lesson=True)
    with speaking("ja"):
        assert "GPU 時間が約 122 秒" in str(refused.value), "and in Japanese for a Japanese page"


def test_zerogpu_refusals_are_one_true_sentence_in_both_languages():
    quota = "You have exceeded your free ZeroGPU quota (90s requested vs. 12s left). Try again in 3:10:00. "
    said = refusal(RuntimeError(quota), elapsed=0.2, charged=90)
    assert said.en.startswith("ZeroGPU refused this run: it asks for 90 s of GPU time and your quota has 12 s left")
    assert "Try again in 3:10:00" in said.en and "残りは 12 秒" in said.ja
    runs = "You have exceeded your ZeroGPU runs limit. "
    assert refusal(RuntimeError(runs), 0.2, 90).en.startswith("You have started as many GPU runs")
    assert refusal(RuntimeError("No GPU was available after 60s."), 61, 90).en.startswith("No GPU was free")
    illegal = "The requested GPU duration (2000s) is larger than the maximum allowed"
    assert refusal(RuntimeError(illegal), 0.1, 2000).en.startswith("ZeroGPU refused the time this run asked for (2000")
    expired = refusal(RuntimeError("Expired ZeroGPU proxy token"), 0.1, 90)
    assert "start it again" in expired.en and "通行証" in expired.ja
    assert refusal(RuntimeError("GPU task aborted"), 91, 90).en.startswith("The GPU window ended at its 90 s")
    early = refusal(RuntimeError("GPU task aborted"), 12.4, 90)
    assert early.en.startswith("ZeroGPU's GPU worker stopped after 12 s of its 90 s window"), early.en


def test_zerogpu_a_run_too_long_for_a_lesson_window_is_refused_before_it_starts(tmp_path):
    """The window comes from the pace of the newest run of the same model and method on this hardware."""
    runs = tmp_path / "runs"
    timed = runs / "slow-starter"
    timed.mkdir(parents=True)
    (timed / "metrics.json").write_text(
        json.dumps({"accuracy": 0.5, "f1_weighted": 0.5, "train_seconds": 100.0, "examples_trained": 100})
    )
    (timed / "train_config.json").write_text(json.dumps({"method": "full", "model": "starter", "dataset": "sample"}))
    studio = Studio(runs, deployment=Deployment(public=True, bounds=PUBLIC))
    studio.desk.window = GpuWindow()  # what a studio on ZeroGPU has; nothing is submitted here
    lesson = TrainConfig(model="starter", dataset="sample", output=str(runs / "lesson"))
    with pytest.raises(UserError, match="more than the 120 s that a lesson run may have"):
        studio.desk.window_seconds(lesson)
    small = TrainConfig(model="starter", dataset="sample", output=str(runs / "small"), max_steps=2, batch_size=8)
    assert studio.desk.window_seconds(small) == 20 + 24  # 16 examples at one a second, with the margin


@pytest.mark.slow
def test_zerogpu_the_baseline_trains_on_the_cpu_and_costs_no_gpu_window(tmp_path, monkeypatch):
    monkeypatch.setattr("sentiment.serving.studio.on_zerogpu", lambda: True)
    runs = tmp_path / "runs"
    studio = Studio(runs)
    studio.desk.start(TrainConfig(method="ngram", dataset="sample", output=str(runs / "baseline")))
    active = json.loads((runs / ".jobs" / ACTIVE_FILE).read_text(encoding="utf-8"))
    assert active["window"] is False and active["pid"] != os.getpid(), "a child process, not a window"
    assert wait_for(studio.desk.job, {"finished", "failed", "stopped"}).state == "finished"
