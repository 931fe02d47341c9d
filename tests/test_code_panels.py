"""Each view's Code panel, executed as a learner would run it (a fresh Python, offline, the app's folder), prints what
the view showed: the overview's counts, the tokenizer's pieces and ids, the WordPiece walk, the confusion matrix's
cells and Classify's answer; the Train form's code trains the run Start would."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pandas as pd
import pytest

from sentiment.bilingual import speaking
from sentiment.serving.code_panels import CodePanels
from sentiment.serving.pool import RUN_PREFIX, STARTER_TOKENIZER
from sentiment.serving.studio import Studio

from .conftest import ROOT, copy_run

TEXT = "外国人参政権は悪くないけど、値段が高い。"
SECOND = "短い文です。"
SEPARATOR = "----- next panel -----"
# Runs each panel's code in a namespace of its own, one after the other, in one interpreter (one import of torch).
DRIVER = f"""
import json, sys
for code in json.load(sys.stdin):
    exec(compile(code, "<panel>", "exec"), {{"__name__": "__main__"}})
    print({SEPARATOR!r}, flush=True)
"""


@pytest.fixture(scope="module")
def studio(trained_run, tmp_path_factory):
    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    runs = tmp_path_factory.mktemp("panel-runs")
    copy_run(trained_run, runs)
    train(TrainConfig(dataset="sample", method="ngram", output=str(runs / "ngram-sample")))
    return Studio(runs, "sample", "starter")


def run_panels(*codes: str) -> list[str]:
    """Each code's printed output, executed in a fresh Python in the app's folder, offline."""
    result = subprocess.run(
        [sys.executable, "-c", DRIVER], input=json.dumps(codes), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split(SEPARATOR + "\n")[: len(codes)]


def lines_starting(output: str, prefix: str) -> list:
    return [
        ast.literal_eval(line.removeprefix(prefix).strip()) for line in output.splitlines() if line.startswith(prefix)
    ]


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_every_panels_code_prints_what_its_view_showed(studio, trained_run):
    panels, run = CodePanels(studio), trained_run.name
    with speaking("ja"):  # a Japanese visitor's panel: the comments in Japanese, the code the same
        japanese = str(panels.classify(run, TEXT))
    assert "このサーバーの学習済みモデルのフォルダー" in japanese and "The run folder" not in japanese
    choices = (STARTER_TOKENIZER, RUN_PREFIX + run)
    codes = [str(panels.dataset("sample"))]
    codes += [str(panels.tokenization(choice, TEXT, None, SECOND)) for choice in choices]
    codes += [str(panels.wordpiece(choice, TEXT, "")) for choice in choices]
    codes += [str(panels.evaluation(name, "validation")) for name in (run, "ngram-sample")]
    codes += [str(panels.classify(name, TEXT)) for name in (run, "ngram-sample")]
    outputs = iter(run_panels(*codes))

    # The Dataset tab's overview: rows per split, labels per split, sources × labels
    shown = studio.catalog.overview("sample")
    printed = next(outputs)
    assert str(shown.label_counts.to_string()) in printed
    assert shown.source_counts.set_index("source").to_string().split("\n")[-1] in printed
    assert str(dict(shown.summary[["split", "rows"]].itertuples(index=False))) in printed

    # The Tokenizer tab: pieces, ids and mask of the text, and the padded pair; MeCab's words
    for choice in choices:
        explanation, _, pair = studio.models.tokenization(choice, TEXT, None, SECOND)
        printed = next(outputs)
        assert lines_starting(printed, "pieces:") == [[row.token for row in explanation.rows]]
        assert lines_starting(printed, "input_ids:") == [[row.input_id for row in explanation.rows]]
        assert lines_starting(printed, "attention_mask:") == [[row.attention_mask for row in explanation.rows]]
        assert lines_starting(printed, "words:") == [explanation.words]
        assert lines_starting(printed, "pair:") == [[token.token for token in tokens] for tokens in pair]
        assert lines_starting(printed, "pair input_ids:") == [[token.input_id for token in tokens] for tokens in pair]
        masks = [[token.attention_mask for token in tokens] for tokens in pair]
        assert lines_starting(printed, "pair attention_mask:") == masks and 0 in masks[1]

    # The WordPiece walk: each MeCab word's pieces and ids
    for choice in choices:
        printed = next(outputs).splitlines()
        walks = [walk for walk, _ in studio.inside.words(choice, TEXT)]
        assert printed == [f"{walk.word} → {walk.pieces} {walk.ids}" for walk in walks]

    # Evaluate: accuracy and the confusion matrix's cells, counts and normalised
    for name in (run, "ngram-sample"):
        metrics = studio.analyses.evaluation(name, "validation").metrics
        printed = next(outputs)
        assert f"accuracy: {round(metrics['accuracy'], 4)}" in printed
        labels = metrics["confusion_matrix"]["labels"]
        for key in ("counts", "normalized"):
            table = pd.DataFrame(metrics["confusion_matrix"][key], index=labels, columns=labels)
            assert table.to_string() in printed

    # Classify: the label and each class's probability (the page may serve in bf16 or int8: within 0.01)
    for name in (run, "ngram-sample"):
        prediction, _ = studio.models.classify(name, TEXT)
        printed = next(outputs).splitlines()
        assert printed[0] == f"label: {prediction.label}"
        scores = {line.split()[0]: float(line.split()[1]) for line in printed[1:]}
        assert scores.keys() == prediction.probabilities.keys()
        assert all(abs(scores[key] - value) <= 0.01 for key, value in prediction.probabilities.items())


@pytest.mark.slow  # executes what it generates in a kernel or Python of its own
def test_the_train_forms_code_trains_the_run_start_would(studio, tmp_path):
    """An n-gram run of the form's settings: the code's accuracy is the one a run of the same form reached."""
    code = str(CodePanels(studio).train("starter", "ngram", "sample", "", {}))
    assert "sentiment" not in {line.split()[1] for line in code.splitlines() if line.startswith(("import ", "from "))}
    (printed,) = run_panels(code.replace('OUTPUT_DIR = f"{RUN_NAME}-notebook"', f"OUTPUT_DIR = {str(tmp_path)!r}"))
    accuracy = json.loads((studio.runs_dir / "ngram-sample" / "metrics.json").read_text())["accuracy"]
    assert f"accuracy {accuracy:.4f}" in printed


def test_the_train_forms_code_reads_the_forms_numbers_in_their_order():
    import inspect

    from sentiment.ui.code_panels import train_code
    from sentiment.ui.train_tab import FORM_FIELDS

    assert list(inspect.signature(train_code).parameters)[5:] == list(FORM_FIELDS)
