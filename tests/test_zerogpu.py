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
from sentiment.serving import gpu_window
from sentiment.serving.deployment import Deployment
from sentiment.serving.gpu_window import GpuWindow, check_fits, refusal, window_length
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
    assert str(status.message) == gpu_window.ABORTED
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


def test_zerogpu_window_lengths_and_refusals():
    assert window_length(None, lesson=True) == gpu_window.LESSON_WINDOW_SECONDS == 120
    assert window_length(None, lesson=False) == gpu_window.MAX_WINDOW_SECONDS
    assert window_length(60.0, lesson=False) == 20 + 90  # start-up, then the estimate with a 1.5 margin
    check_fits(120, lesson=True)
    with pytest.raises(UserError, match=r"about 121 s of GPU time, more than 120 s") as refused:
        check_fits(121, lesson=True)
    with speaking("ja"):
        assert "GPU 時間が約 121 秒" in str(refused.value), "and in Japanese for a Japanese page"
    quota = "You have exceeded your free ZeroGPU quota (90s requested vs. 12s left). Try again in 3:10:00. "
    assert refusal(RuntimeError(quota)).startswith("Your ZeroGPU quota for today is used up")
    assert "利用枠" in refusal(RuntimeError(quota))
    assert refusal(RuntimeError("No GPU was available after 60s.")).startswith("No GPU was free")
    illegal = "The requested GPU duration (2000s) is larger than the maximum allowed"
    assert refusal(RuntimeError(illegal)).startswith("ZeroGPU refused the time")
    assert refusal(RuntimeError("GPU task aborted")) == gpu_window.ABORTED


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
    with pytest.raises(UserError, match="more than 120 s that a lesson run may have"):
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
