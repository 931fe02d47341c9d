"""A finished run downloads as a notebook that trains it again: the notebooks of an n-gram run, a starter run, and a
head-only and a full fine-tune of a pretrained-format folder are executed in a real Jupyter kernel (nbclient,
offline) and give the run's own answers on the validation split; the folder a notebook saves opens as a run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

from sentiment.training.notebook import NOTEBOOK_FILE, build_notebook

from .conftest import run_cli

ANSWERS = "answers-validation.parquet"


def execute(run: Path, where: Path) -> Path:
    """Run `run`'s notebook in a fresh kernel with `where` as its working folder; the folder it saved."""
    notebook = build_notebook(run)
    where.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(where)}})
    try:
        client.execute()
    finally:
        (where / "executed.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    return where / f"{run.name}-notebook"


def answers(folder: Path) -> pd.DataFrame:
    table = pd.read_parquet(folder / ANSWERS)
    return table.set_index("text").sort_index()


def compare(run: Path, saved: Path) -> tuple[float, float, float]:
    """How often the notebook's model and the run agree on a validation label, the largest difference of a
    probability, and the difference of their accuracies."""
    ours, theirs = answers(run), answers(saved)
    assert list(ours.index) == list(theirs.index) and list(ours["gold"]) == list(theirs["gold"])
    columns = [column for column in ours.columns if column.startswith("p_")]
    agree = float(np.mean(ours[columns].to_numpy().argmax(1) == theirs[columns].to_numpy().argmax(1)))
    largest = float(np.abs(ours[columns].to_numpy() - theirs[columns].to_numpy()).max())
    accuracy = json.loads((run / "metrics.json").read_text())["accuracy"]
    return agree, largest, abs(accuracy - json.loads((saved / "metrics.json").read_text())["accuracy"])


def train_here(output: Path, **settings) -> Path:
    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    return train(TrainConfig(dataset="sample", output=str(output), logging_steps=4, **settings))


def test_a_notebook_is_written_in_the_tutorials_order_in_both_languages_without_the_apps_package(trained_run):
    notebook = build_notebook(trained_run)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    imported = {line.split()[1].split(".")[0] for line in code.splitlines() if line.startswith(("import", "from"))}
    assert "sentiment" not in imported and {"datasets", "transformers", "sklearn", "pandas"} <= imported
    steps = [
        "set_seed(SEED)",
        "datasets.Dataset.from_dict",
        "value_counts",
        "BertJapaneseTokenizer(",
        "BertConfig(",
        "tokenizer(batch",
        "cross_val_predict",
        "TrainingArguments(",
        "trainer.train()",
        "classification_report",
        "ConfusionMatrixDisplay",
        "save_pretrained",
        'pipeline("text-classification"',
    ]
    positions = [code.index(step) for step in steps]
    assert positions == sorted(positions)
    japanese = [any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text) for text in markdown]
    english = [any(c.isascii() and c.isalpha() for c in text) for text in markdown]
    assert all(japanese) and all(english)
    assert "Where this run differs" in markdown[1] and "n-gram" in markdown[1] and "Starter" in markdown[1]
    settings = json.loads((trained_run / "train_config.json").read_text())
    assert f"MAX_STEPS = {settings['max_steps']}" in code and f"LEARNING_RATE = {settings['learning_rate']!r}" in code


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_an_ngram_runs_notebook_trains_it_again_exactly_and_the_cli_writes_it(tmp_path):
    run = train_here(tmp_path / "runs" / "ngram-sample", method="ngram")
    result = run_cli("-m", "sentiment", "notebook", "--model", str(run))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == run / NOTEBOOK_FILE
    nbformat.validate(nbformat.read(run / NOTEBOOK_FILE, as_version=4))
    saved = execute(run, tmp_path / "kernel")
    agree, largest, accuracy = compare(run, saved)
    assert agree == 1.0 and accuracy == 0.0 and largest < 1e-9, (agree, largest, accuracy)
    from sentiment.models.baseline import NgramClassifier

    assert NgramClassifier(saved).predict("最高です")[0].label in ("positive", "neutral", "negative")


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_a_starter_runs_notebook_gives_the_runs_labels_and_its_folder_opens_as_a_run(trained_run, tmp_path):
    saved = execute(trained_run, tmp_path / "kernel")
    agree, largest, accuracy = compare(trained_run, saved)
    # Same machine, same seed, same order of work: measured identical (largest difference 0.0).
    assert agree >= 0.99 and accuracy <= 0.01, (agree, largest, accuracy)
    # Both ways: copied into a runs folder it is listed as a run and answers like the run.
    from sentiment.corpus.loading import SAMPLE, load_dataset
    from sentiment.insight.evaluation import evaluate
    from sentiment.training.runs import list_runs

    runs = tmp_path / "runs"
    shutil.copytree(saved, runs / saved.name)
    (listed,) = list_runs(runs)
    assert listed.name == saved.name and listed.method == "full" and listed.model == "starter"
    report = evaluate(runs / saved.name, load_dataset(SAMPLE), "validation")
    assert abs(report.metrics["accuracy"] - listed.accuracy) <= 0.01  # what `evaluate --model FOLDER` prints


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_a_head_only_runs_notebook_of_a_pretrained_folder_gives_the_runs_labels(pretrained_folder, tmp_path):
    run = train_here(tmp_path / "runs" / "head-tiny", method="head", model=str(pretrained_folder))
    saved = execute(run, tmp_path / "kernel")
    agree, largest, accuracy = compare(run, saved)
    assert agree >= 0.99 and accuracy <= 0.01, (agree, largest, accuracy)


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_a_full_fine_tunes_notebook_of_a_pretrained_folder_gives_the_runs_labels(pretrained_folder, tmp_path):
    run = train_here(tmp_path / "runs" / "full-tiny", method="full", model=str(pretrained_folder), max_steps=8)
    saved = execute(run, tmp_path / "kernel")
    agree, largest, accuracy = compare(run, saved)
    assert agree >= 0.99 and accuracy <= 0.01, (agree, largest, accuracy)
