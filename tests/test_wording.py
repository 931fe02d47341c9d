"""A count reads as English writes it ("1 review", "an n-gram run", "occurs 1 time"; issue 46), and the lines the
page builds once read in both languages (issue 44)."""

from __future__ import annotations

from sentiment.bilingual import counted, speaking
from sentiment.serving.run_choice import data_map_unavailable
from sentiment.serving.runbook import RunBook

from .conftest import run_cli


def test_one_is_singular_and_every_other_count_plural():
    assert [counted(n, "review") for n in (0, 1, 2, 1000)] == ["0 reviews", "1 review", "2 reviews", "1,000 reviews"]
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == "3 entries"


def test_an_n_gram_run_without_a_data_map_is_an_n_gram_run(tmp_path):
    runs = tmp_path / "runs"
    made = run_cli("train.py", "--method", "ngram", "--dataset", "sample", "--output", str(runs / "baseline"))
    assert made.returncode == 0, made.stderr
    note = data_map_unavailable(RunBook(runs), "baseline")
    assert "is an n-gram run: only full fine-tuning records a data map" in note.en
    with speaking("ja"):
        assert "n-gram の学習です" in str(note)


def test_the_device_line_reads_in_both_languages(tmp_path):
    """Issue 44: the Train tab's device line was English on a Japanese page."""
    from sentiment.serving.studio import Studio

    device = Studio(tmp_path / "runs").desk.device()
    assert device.en.startswith(("CPU: ", "GPU: ")) and device.ja != device.en
    assert "コア" in device.ja or "GPU" in device.ja
