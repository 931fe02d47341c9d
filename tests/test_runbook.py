"""The run book remembers the runs: the runs folder is listed again only when it has changed, so a request or a
page's timer tick costs at most one listing, however many times the page asks which runs there are."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from sentiment.serving.runbook import RunBook

from .conftest import app_in_process, copy_run


class Listings:
    """Counts the listings of one folder (os.scandir and os.listdir, which pathlib's iterdir and glob use), from
    any thread of this process."""

    def __init__(self, folder: Path, monkeypatch):
        self.folder, self.count, self._lock = str(Path(folder).resolve()), 0, threading.Lock()
        for name in ("scandir", "listdir"):
            original = getattr(os, name)
            monkeypatch.setattr(os, name, self._counting(original))

    def _counting(self, original):
        def listing(path=".", *args, **kwargs):
            if isinstance(path, (str, os.PathLike)) and os.path.abspath(os.fspath(path)) == self.folder:
                with self._lock:
                    self.count += 1
            return original(path, *args, **kwargs)

        return listing

    def taken(self) -> int:
        """The listings since the last call."""
        with self._lock:
            count, self.count = self.count, 0
        return count


def test_the_book_lists_the_folder_once_until_it_changes(tmp_path, trained_run, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    copy_run(trained_run, runs)
    book = RunBook(runs)
    listings = Listings(runs, monkeypatch)
    for _ in range(50):
        assert [run.name for run in book.runs()] == [trained_run.name]
        book.best(), book.choices(), book.info(trained_run.name)
    assert listings.taken() == 1, "fifty asks, one listing"
    shutil.copytree(trained_run, runs / "second")
    assert {run.name for run in book.runs()} == {trained_run.name, "second"}, "a new run is seen at once"
    shutil.rmtree(runs / "second")
    assert [run.name for run in book.runs()] == [trained_run.name], "and a removed one is gone at once"
    assert listings.taken() == 2


def test_a_run_whose_metrics_arrive_last_is_seen_when_they_do(tmp_path, trained_run, monkeypatch):
    """A copy into a bucket makes the run's folder first and its metrics.json last, inside it: the runs folder's
    own change time does not move when the metrics arrive, the run's folder's does."""
    runs = tmp_path / "runs"
    arriving = runs / "arriving"
    shutil.copytree(trained_run, arriving)
    metrics = (arriving / "metrics.json").read_bytes()
    (arriving / "metrics.json").unlink()
    book = RunBook(runs)
    assert book.runs() == []
    before = os.stat(runs).st_mtime_ns
    (arriving / "metrics.json").write_bytes(metrics)
    assert os.stat(runs).st_mtime_ns == before, "the runs folder itself did not change"
    assert [run.name for run in book.runs()] == ["arriving"]


def test_a_run_carries_its_settings_read_once(tmp_path, trained_run):
    runs = tmp_path / "runs"
    copy_run(trained_run, runs)
    (run,) = RunBook(runs).runs()
    assert run.settings["model"] == "starter" and run.source == "sample"
    assert run.reads_tokens and not run.frozen_encoder and not run.is_baseline


@pytest.mark.slow
def test_a_served_request_and_a_timer_tick_each_list_the_runs_at_most_once(tmp_path, trained_run, monkeypatch):
    from gradio_client import Client

    runs = tmp_path / "runs"
    copy_run(trained_run, runs)
    listings = Listings(runs, monkeypatch)
    with app_in_process(runs) as url:
        client = Client(url, verbose=False)
        listings.taken()  # the page's building and the client's first look
        for text in ("とても良い商品でした", "最悪の対応でした", "普通です"):
            client.predict(trained_run.name, text, api_name="/classify")
            assert listings.taken() <= 1, f"classifying {text} listed the runs more than once"
        for drawn in (-1, 0, 0):
            client.predict(drawn, api_name="/training_status")
            assert listings.taken() <= 1, "a timer tick listed the runs more than once"
