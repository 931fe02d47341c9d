"""Shared fixtures. Every test runs offline: no Hub, the bundled sample and the starter model."""

import contextlib
import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bench.harness import free_port, start_app, stop_process_tree

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Two workers share two cores, and most tests start more processes (apps, trainers): one torch thread each.
# With two, each process's threads spin-wait on cores the others hold (the shared run's 13 s of CPU became 35 s).
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_REVIEWS = ROOT.parent / "shared" / "data" / "multilingual-sentiments-ja"
TOKENIZER_EXAMPLE = (
    "機械学習のコア部分のロジックを、定型的な実装部分から切り離して定義できるようなインターフェースに工夫されています。"
)


def run_cli(*args: str, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command line of the project as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout
    )


BENCH = ROOT / "bench"


def bench_main(script: str):
    """The script's `main`, loaded as `python bench/SCRIPT` loads it (its neighbours common and harness importable)."""
    spec = importlib.util.spec_from_file_location(f"bench_{script.removesuffix('.py')}", BENCH / script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as a script's __main__ is: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture()
def as_a_script(monkeypatch):
    """The repository root as the working folder, bench/ on the path, and torch's threads as they were after."""
    import torch

    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(BENCH))
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def starter_on_sample(output: Path, steps: int) -> list[str]:
    """train.py flags for a short starter run on the bundled sample."""
    return [
        "--dataset",
        "sample",
        "--model",
        "starter",
        "--output",
        str(output),
        "--max_steps",
        str(steps),
        "--logging_steps",
        "4",
        "--starter_vocab_size",
        "3000",
    ]


# `pytest -m "not slow"` gives quick feedback; `pytest` runs everything. Slow: what serves an app (its fixtures),
# drives a browser, runs a bench script or restarts processes (these modules), and each test marked so itself
# (a trainer of its own, several processes).
SLOW_FIXTURES = {"app_url", "client", "public_app"}
SLOW_MODULES = {
    "test_bench",
    "test_browser",
    "test_classroom",
    "test_distributed",
    "test_first_runs",
    "test_hostile",
    "test_run_choice",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def no_trainer_outlives_the_tests():
    """Every process the tests started (an app server, a trainer an in-process studio spawned) is stopped and
    reaped when the session ends, pass or fail, so no later run finds a trainer "already in progress"."""
    yield
    for child in psutil.Process().children():
        stop_process_tree(child)


STAND_IN_TRAINER = Path(__file__).resolve().parent / "stand_in_trainer.py"


@pytest.fixture()
def stand_in_trainer(monkeypatch):
    """Jobs started during the test run tests/stand_in_trainer.py instead of the real trainer: it writes the
    progress, metrics and folder a job reads, obeys SIGTERM, and starts in a fraction of a second. For tests of
    a job's bookkeeping; the real child stays covered by the tests whose point it is."""
    monkeypatch.setattr("sentiment.training.jobs.TRAINER_COMMAND", (sys.executable, str(STAND_IN_TRAINER), "train"))


def copy_run(run: Path, runs: Path) -> Path:
    """A copy of `run` inside the runs folder `runs`: tests that write to a run never touch the shared one."""
    return Path(shutil.copytree(run, runs / run.name))


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, worker_id) -> Path:
    """A starter model trained through `train.py` until it has learned the sample (8 epochs at a high rate).

    Trained once a session: the workers of `pytest -n` share it (the first to ask trains it, the others wait
    for it), so tests read it and never write to it (`copy_run` gives a test a copy of its own)."""
    session = tmp_path_factory.getbasetemp()
    session = session if worker_id == "master" else session.parent  # the workers' folders sit in the session's
    output = session / "shared-runs" / "starter-sample"
    with (session / "trained-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (output / "metrics.json").is_file():
            result = run_cli("train.py", *starter_on_sample(output, steps=64), "--learning_rate", "1e-3")
            assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="session")
def app_runs(trained_run, tmp_path_factory) -> Path:
    """The app's runs folder, holding one trained run to start with."""
    runs = tmp_path_factory.mktemp("app-runs")
    copy_run(trained_run, runs)
    return runs


def serve_app(
    runs: Path, *flags: str, log_name: str = "app.log", first_runs: bool = False
) -> tuple[str, subprocess.Popen]:
    """`python app.py --runs RUNS FLAGS…` serving offline on a free port (bench/harness.py, as the benchmarks
    serve it), its log beside the runs folder; its URL and process. The first runs (trained when no run has
    finished) only where a test asks for them: other tests want an idle trainer."""
    flags = flags if first_runs else (*flags, "--no-first-runs")
    return start_app(runs, *flags, log=runs.parent / log_name)


@contextlib.contextmanager
def served_app(runs: Path, *flags: str, log_name: str = "app.log", first_runs: bool = False):
    """`serve_app` for the length of a `with`: its URL; then the app and any trainer it started are stopped
    and reaped, whether the test passed or not."""
    url, server = serve_app(runs, *flags, log_name=log_name, first_runs=first_runs)
    try:
        yield url
    finally:
        stop_process_tree(server)


@contextlib.contextmanager
def app_in_process(runs: Path):
    """The app on a free port, served from this test process (`launch(prevent_thread_lock=True)`, as gradio's own
    tests do) for the length of a `with`: its URL. For tests of what the app answers, where what `python app.py`
    adds (its flags, its signal handling, a process of its own to restart) is not what is tested: it starts in the
    time the page takes to build, not the 10-15 s of a new interpreter importing torch and gradio."""
    from sentiment.serving.studio import Studio
    from sentiment.ui import launch_app

    studio = Studio(runs)
    app = launch_app(studio, "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        yield app.local_url
    finally:
        studio.desk.shutdown()  # a run the test left training stops with the app, as app.py's does
        app.close(verbose=False)


@pytest.fixture(scope="session")
def app_url(app_runs):
    """The app serving offline on a free port, in this process."""
    with app_in_process(app_runs) as url:
        yield url


@pytest.fixture()
def client(app_url):
    """A gradio_client of the shared app, as a remote script would use it."""
    from gradio_client import Client

    return Client(app_url, verbose=False)


def wait_for_training(client, states=("finished", "failed", "stopped", "idle"), timeout: float = 240) -> str:
    """Poll the app's training status until it reaches one of `states`; return the page's HTML."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = client.predict(api_name="/training_status")[0]
        if any(f'data-state="{state}"' in progress for state in states):
            return progress
        time.sleep(0.5)
    raise AssertionError(f"training did not reach {states}: {progress}")


# The Train tab's form as /start_training takes it, by the handler's parameter names: every number blank (the
# recipe's default), a starter run with no password.
BLANK_FORM = {
    "model": "starter",
    "method": "full",
    "run_name": "",
    **dict.fromkeys(("epochs", "learning_rate", "batch_size", "max_length", "train_examples", "seed")),
    "secret": "",
}


def train_form(**fields) -> dict:
    """The blank form with `fields` filled in, for `client.predict(**train_form(…), api_name="/start_training")`."""
    unknown = set(fields) - set(BLANK_FORM)
    assert not unknown, f"the Train form has no field {unknown}"
    return {**BLANK_FORM, **fields}


def start_training(client, name: str, epochs=None, password: str = "", method: str = "full") -> str:
    """Start a starter run through the app's /start_training, as the Train tab does (blank fields: defaults)."""
    form = train_form(method=method, run_name=name, epochs=epochs, secret=password)
    return client.predict(**form, api_name="/start_training")


def wait_until(condition, timeout: float = 60, what: str = "the condition"):
    """Poll `condition()` until it returns something true (which is returned), failing after `timeout` s."""
    import time

    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.2)
    return result


def training_step_recorded(run_folder: Path) -> bool:
    """Whether the trainer writing `run_folder` has logged an optimiser step (it is really training, so a stop
    now has a half-written folder to clean up)."""
    import json

    progress = run_folder.with_name(run_folder.name + ".partial") / "progress.jsonl"
    if not progress.is_file():
        return False
    lines = progress.read_text(encoding="utf-8").splitlines()
    return any(json.loads(line).get("step", 0) >= 1 for line in lines[:-1])  # the last may be half-written


@pytest.fixture(scope="module")
def pretrained_folder(tmp_path_factory):
    """A model folder in the pretrained format (a BERT encoder and its tokenizer, as save_pretrained writes
    them), small enough for a test: random weights over a vocabulary learned from the sample."""
    from transformers import BertConfig, BertModel

    from sentiment.corpus.loading import SAMPLE, load_dataset
    from sentiment.text.tokenization import build_starter_tokenizer

    folder = tmp_path_factory.mktemp("pretrained") / "tiny-bert-ja"
    tokenizer = build_starter_tokenizer(load_dataset(SAMPLE)["train"]["text"], vocab_size=800)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture()
def page(app_url):
    """A browser page (headless Chromium, an English visitor's) for the shared app."""
    from .test_browser import browser_page

    yield from browser_page("en-US")


@pytest.fixture()
def japanese_page(app_url):
    """A browser page of a visitor whose browser asks for Japanese, for the shared app."""
    from .test_browser import browser_page

    yield from browser_page("ja-JP")
