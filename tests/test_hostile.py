"""The app as a hostile visitor finds it: a public server (`--public`, a training password, one
`--data-dir`) driven through gradio_client and HTTP, and an app killed with SIGKILL mid-training."""

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from sentiment.limits import MAX_TEXT_CHARS, PUBLIC
from sentiment.studio import STARTER_TOKENIZER

from .conftest import ROOT, serve_app, wait_for_training
from .conftest import start_training as start

PASSWORD = "s3cret-for-tests"
HUGE = "a" * 300_000  # MeCab segfaults the whole process on a run like this
# What must never reach a visitor: library text, errnos, tracebacks, server paths.
LEAKS = ("Errno", "null byte", "Traceback", "/tmp/", "pyarrow", "Error tokenizing", "Expected object", str(ROOT))


@pytest.fixture(scope="module")
def public_app(trained_run, tmp_path_factory):
    """A public app: training behind a password, the sample's files offered as the folder `reviews`."""
    root = tmp_path_factory.mktemp("public")
    runs, data = root / "runs", root / "datasets"
    shutil.copytree(trained_run, runs / trained_run.name)
    shutil.copytree(ROOT / "sentiment" / "samples", data / "reviews")
    url, server = serve_app(runs, "--public", "--train-password", PASSWORD, "--data-dir", str(data))
    yield url, server, runs
    server.terminate()
    server.wait(20)


@pytest.fixture()
def client(public_app):
    return Client(public_app[0], verbose=False)


def refusal(call, *args, **kwargs) -> str:
    """The one sentence a refused request gets, checked to leak nothing of the server."""
    with pytest.raises(AppError) as refused:
        call(*args, **kwargs)
    message = str(refused.value)
    assert not any(leak in message for leak in LEAKS), message
    return message


# 1. No text crashes the server.
def test_a_huge_text_reaches_every_endpoint_cut_and_the_server_survives(client, public_app, trained_run, tmp_path):
    _, server, _ = public_app
    _, info = client.predict(trained_run.name, HUGE, api_name="/classify")
    assert "✂" in info and f"{MAX_TEXT_CHARS:,} characters" in info
    counts = client.predict(STARTER_TOKENIZER, HUGE, None, HUGE, api_name="/tokenize")[0]
    assert f"only the first {MAX_TEXT_CHARS:,} characters" in counts
    table, _ = client.predict(trained_run.name, HUGE + "\n良い", None, api_name="/classify_batch")
    assert [row[-1] for row in table["data"]] == [True, False], "the huge text is marked as cut"
    huge_cell = tmp_path / "huge.csv"
    rows = "".join(f"良い{i},positive\n普通{i},neutral\n悪い{i},negative\n" for i in range(4))
    huge_cell.write_text(f"text,label\n{HUGE},negative\n{rows}", encoding="utf-8")
    choice = client.predict(handle_file(str(huge_cell)), api_name="/upload_dataset")
    notices = client.predict(choice, api_name="/load_dataset")[0]
    assert f"longer than {MAX_TEXT_CHARS:,} characters and were cut" in notices
    table, _ = client.predict(trained_run.name, "", handle_file(str(huge_cell)), api_name="/classify_batch")
    assert len(table["data"]) == 13
    assert server.poll() is None, "the server is still running"
    assert client.predict(trained_run.name, "良い", api_name="/classify")[0]["label"]


# 2. Datasets come only from what the app offers.
@pytest.mark.parametrize(
    "choice",
    [
        "/etc/passwd",
        "/etc",
        "sentiment/samples",
        "../shared/data/multilingual-sentiments-ja",
        "/no/such/folder",
        "x" * 5000,
        "a\x00b",
    ],
)
def test_load_dataset_reads_no_server_path(client, choice):
    message = refusal(client.predict, choice, api_name="/load_dataset")
    assert "is not a dataset this app offers" in message, "one answer, whether or not the path exists"


def test_a_data_dir_folder_and_an_upload_are_offered_by_label(client, tmp_path):
    assert client.predict("data: datasets/reviews", api_name="/load_dataset")[1]["data"][0][:2] == ["train", 249]
    message = refusal(client.predict, "upload: ../../../etc/passwd", api_name="/load_dataset")
    assert "no longer on this server" in message


# 3. Public mode: a password for training, bounded runs, stops by the starter only, row cap, queue.
def test_public_training_needs_the_password_and_stays_within_bounds(client, public_app):
    assert "not the training password" in refusal(start, client, "no-password")
    assert "not the training password" in refusal(start, client, "wrong", None, "guess")
    message = refusal(start, client, "too-long", 1000, PASSWORD)
    assert f"epochs can be at most {PUBLIC.epochs:g}" in message


def test_only_the_page_that_started_a_run_or_the_password_holder_stops_it(client, public_app):
    url, _, runs = public_app
    wait_for_training(client)
    assert start(client, "owned", 10, PASSWORD) == "owned"
    config = json.loads((runs / ".jobs" / "owned.json").read_text(encoding="utf-8"))
    assert config["train_examples"] == PUBLIC.train_examples, "unset examples are capped on a public server"
    visitor = Client(url, verbose=False)
    assert "Only the page that started" in refusal(visitor.predict, "", api_name="/stop_training")
    assert "Stopped owned" in client.predict("", api_name="/stop_training")
    assert start(client, "owned-2", 10, PASSWORD) == "owned-2"
    assert "Stopped owned-2" in visitor.predict(PASSWORD, api_name="/stop_training")
    wait_for_training(client, states=("stopped",), timeout=20)


def test_batch_rows_are_capped(client, trained_run):
    lines = "\n".join(["良い"] * (PUBLIC.batch_rows + 1))
    message = refusal(client.predict, trained_run.name, lines, None, api_name="/classify_batch")
    assert f"up to {PUBLIC.batch_rows:,} at a time" in message


def test_public_page_says_training_needs_the_password(public_app):
    import urllib.request

    config = urllib.request.urlopen(public_app[0] + "config").read().decode("utf-8")
    assert "training needs the password" in config


# 5. Downloads are safe to open in a spreadsheet.
def test_downloads_neutralise_formulas(client, trained_run):
    formulas = ['=HYPERLINK("http://example.com","x")', "+1+1", "-2+3", "@SUM(A1)", "普通の文"]
    _, download = client.predict(trained_run.name, "\n".join(formulas), None, api_name="/classify_batch")
    import pandas as pd

    cells = pd.read_csv(download["value"])["text"].tolist()
    assert cells == ["'" + text for text in formulas[:4]] + [formulas[4]]


# 6 and 7. Errors are one sentence in the user's terms; run names follow one rule everywhere.
@pytest.mark.parametrize("name", ["a" * 5000, "x\x00y", "../../etc", "<img src=x onerror=alert(1)>"])
def test_odd_run_names_get_one_sentence(client, name):
    assert "is not a run name" in refusal(client.predict, name, "validation", "counts", api_name="/evaluate")
    assert "is not a run name" in refusal(client.predict, name, "良い", api_name="/classify")


@pytest.mark.parametrize("name", ["<b>bold</b>", "a" * 101, ".hidden", "run.partial", "a\x00b", "x y"])
def test_a_new_run_name_follows_the_rule(client, name):
    assert "can't be a run name" in refusal(start, client, name, None, PASSWORD)


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("broken.parquet", b"PAR1 this is not parquet", "broken.parquet is not a readable Parquet file"),
        ("quotes.csv", 'text,label\n"良い,positive\n悪い,negative,extra\n'.encode(), "quotes.csv could not be read"),
        ("bad.jsonl", b"{not json}\n", "bad.jsonl is not JSON Lines"),
        ("latin.csv", b"text,label\n\xff\xfe\xfa,positive\n", "neither UTF-8 nor cp932"),
    ],
)
def test_bad_files_get_one_sentence_naming_the_file(client, tmp_path, filename, content, expected):
    path = tmp_path / filename
    path.write_bytes(content)
    assert expected in refusal(client.predict, handle_file(str(path)), api_name="/upload_dataset")


# 4. A trainer outlives an app crash, and the restarted app re-attaches to it.
def test_a_restarted_app_reattaches_to_the_trainer_a_crash_left_running(tmp_path):
    runs = tmp_path / "runs"
    url, app = serve_app(runs, log_name="crashed.log")
    assert start(Client(url, verbose=False), "survivor", 50) == "survivor"
    app.send_signal(signal.SIGKILL)
    app.wait()
    trainer = json.loads((runs / ".jobs" / ".active.json").read_text(encoding="utf-8"))["pid"]
    os.kill(trainer, 0)  # still running, unseen

    url, app = serve_app(runs, log_name="restarted.log")
    try:
        client = Client(url, verbose=False)
        assert "survivor" in wait_for_training(client, states=("running",), timeout=30)
        assert "already in progress" in refusal(start, client, "second", 1)
        assert "Stopped survivor" in client.predict("", api_name="/stop_training")
        deadline = time.monotonic() + 10
        while running(trainer) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(trainer), "the re-attached trainer was ended"
        assert not (runs / "survivor.partial").exists() and not (runs / "survivor").exists()
    finally:
        app.terminate()
        app.wait(20)


def running(pid: int) -> bool:
    """Whether `pid` is a live process (an ended one may linger as a zombie until its parent reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False
