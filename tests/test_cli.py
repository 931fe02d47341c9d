import dataclasses
import io
import json
import signal

import pandas as pd
import pytest

from sentiment import cli
from sentiment.corpus.loading import load_dataset
from sentiment.insight.inference import Classifier
from sentiment.training.config import TrainConfig

from .conftest import SHARED_REVIEWS, run_cli


@pytest.mark.slow
def test_train_help_documents_every_option():
    result = run_cli("train.py", "--help")
    assert result.returncode == 0
    for option in dataclasses.fields(TrainConfig):
        assert f"--{option.name}" in result.stdout and option.metadata["help"][:30] in " ".join(result.stdout.split())


@pytest.mark.slow
def test_evaluate_prints_metrics_as_json(trained_run):
    result = run_cli(
        "-m", "sentiment", "evaluate", "--model", str(trained_run), "--dataset", "sample", "--split", "test"
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["split"] == "test" and metrics["examples"] == 30
    assert metrics["accuracy"] > 0.5, "the run learned the sample: three classes are 0.33 by chance"


@pytest.mark.slow
def test_predict_takes_arguments_or_standard_input(trained_run):
    result = run_cli("-m", "sentiment", "predict", "--model", str(trained_run), "最高でした！", "ひどい対応")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == ["最高でした！", "ひどい対応"]
    assert set(lines[0]["probabilities"]) == {"positive", "neutral", "negative"}
    assert abs(sum(lines[0]["probabilities"].values()) - 1) < 1e-5
    piped = run_cli("-m", "sentiment", "predict", "--model", str(trained_run), stdin="普通です\n\nまあまあ\n")
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout.splitlines()) == 2


@pytest.fixture()
def in_process(capsys, monkeypatch):
    """A command line's main() run in this process (no interpreter start-up per case), with empty standard
    input: its exit code and standard error (its standard output is left in `.out`). train_main installs a
    SIGTERM handler; it is put back afterwards."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    handler = signal.getsignal(signal.SIGTERM)

    def run(main, argv):
        code = main(argv)
        captured = capsys.readouterr()
        run.out = captured.out
        return code, captured.err

    yield run
    signal.signal(signal.SIGTERM, handler)


@pytest.mark.slow
def test_bad_input_exits_with_one_clear_line(trained_run, tmp_path, in_process):
    cases = [
        ((cli.main, "predict", "--model", str(trained_run), "   "), "is empty"),
        ((cli.main, "predict", "--model", str(tmp_path)), "not a trained model folder"),
        ((cli.main, "evaluate", "--model", str(trained_run), "--split", "dev"), "has no dev split"),
        ((cli.train_main, "--dataset", str(tmp_path / "no"), "--model", "starter", "--output", str(tmp_path / "m")),
         "No folder or file"),
        ((cli.train_main, "--dataset", "sample", "--model", "nobody/no-model", "--output", str(tmp_path / "r")),
         "Could not load the model"),
        ((cli.train_main, "--model", "starter", "--output", str(tmp_path / "<b>run</b>")), "can't be a run name"),
        ((cli.train_main, "--model", "starter", "--output", str(tmp_path / "x.partial")), "can't be a run name"),
    ]
    for (main, *argv), message in cases:
        code, errors = in_process(main, argv)
        assert code == 2, (argv, errors)
        assert errors.strip().startswith("error:") and message in errors and len(errors.strip().splitlines()) == 1
        assert "Traceback" not in errors
    # And once through the interpreter, as a user runs it: the same line and exit status.
    result = run_cli("-m", "sentiment", "predict", "--model", str(tmp_path), stdin="")
    assert result.returncode == 2 and result.stderr.startswith("error:")
    assert "not a trained model folder" in result.stderr


@pytest.mark.slow
def test_a_text_long_enough_to_crash_mecab_is_cut_first(trained_run):
    result = run_cli("-m", "sentiment", "predict", "--model", str(trained_run), stdin="a" * 300_000 + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["truncated"] is True


def test_classifier_handles_varied_text_and_keeps_order(trained_run):
    classifier = Classifier(trained_run, precision="fp32")  # int8 scales activations per batch; fp32 must match exactly
    texts = ["😊最高！", "This is great", "ｺｽﾊﾟ最高", "ＡＢＣは普通", "長い" * 400]
    predictions = classifier.predict(texts)
    assert [p.text for p in predictions] == texts
    assert [p.truncated for p in predictions] == [False, False, False, False, True]
    one_by_one = [classifier.predict(text)[0].probabilities for text in texts]
    for batched, single in zip(predictions, one_by_one, strict=True):
        for label, probability in single.items():
            assert abs(batched.probabilities[label] - probability) < 1e-4


def test_predict_csv_classifies_a_files_text_column_as_the_page_downloads_it(trained_run, tmp_path, in_process):
    reviews = pd.read_csv(SHARED_REVIEWS / "validation.csv").head(6) if SHARED_REVIEWS.is_dir() else None
    texts = [*([] if reviews is None else list(reviews["text"])), '引用符 "と" カンマ, を含む文', "普通です"]
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(tmp_path / "in.csv", index=False)
    code, errors = in_process(cli.main, ["predict", "--model", str(trained_run), "--csv", str(tmp_path / "in.csv")])
    assert code == 0, errors
    table = pd.read_csv(io.StringIO(in_process.out), keep_default_na=False)
    assert list(table.columns) == ["text", "label", "p_positive", "p_neutral", "p_negative", "truncated"]
    assert list(table["text"]) == texts, "every text, in the file's order, quotes and commas intact"
    one_by_one = Classifier(trained_run).predict(texts)
    assert list(table["label"]) == [prediction.label for prediction in one_by_one]
    assert ((table[["p_positive", "p_neutral", "p_negative"]].sum(axis=1) - 1).abs() < 1e-3).all()
    pd.DataFrame({"review": texts}).to_csv(tmp_path / "no-text.csv", index=False)
    argv = ["predict", "--model", str(trained_run), "--csv", str(tmp_path / "no-text.csv")]
    code, errors = in_process(cli.main, argv)
    assert code == 2 and errors.strip() == "error: no-text.csv has no text column: it needs a column named text."


def test_examples_lists_the_reviews_of_one_confusion_cell(trained_run, in_process):
    code, errors = in_process(cli.main, ["evaluate", "--model", str(trained_run), "--split", "test"])
    assert code == 0, errors
    matrix = json.loads(in_process.out)["confusion_matrix"]
    test_texts = set(load_dataset("sample")["test"]["text"])
    for gold, counts in zip(matrix["labels"], matrix["counts"], strict=True):
        for predicted, count in zip(matrix["labels"], counts, strict=True):
            argv = ["examples", "--model", str(trained_run), "--split", "test", "--gold", gold]
            argv += ["--predicted", predicted]
            code, errors = in_process(cli.main, argv)
            assert code == 0, errors
            rows = [json.loads(line) for line in in_process.out.splitlines()]
            assert len(rows) == count, (gold, predicted)
            assert all(row["gold"] == gold and row["predicted"] == predicted for row in rows)
            assert {row["text"] for row in rows} <= test_texts
            assert [row["loss"] for row in rows] == sorted((row["loss"] for row in rows), reverse=True)
            assert all(row["label doubted"] == "" or row["label doubted"].startswith("⚠ ") for row in rows)
    code, errors = in_process(cli.main, ["examples", "--model", str(trained_run), "--gold", "happy", "--predicted",
                                         "positive"])
    assert code == 2
    assert errors.strip() == "error: 'happy' is not a class of this run: pick one of positive, neutral, negative."


@pytest.mark.skipif(not SHARED_REVIEWS.is_dir(), reason="../shared/data is not beside this checkout")
def test_overview_counts_a_datasets_splits_labels_and_lengths(trained_run, in_process):
    code, errors = in_process(cli.main, ["overview", "--dataset", str(SHARED_REVIEWS), "--tokenizer", str(trained_run)])
    assert code == 0, errors
    shown = json.loads(in_process.out)
    reviews = pd.read_csv(SHARED_REVIEWS / "validation.csv")
    assert sum(split["rows"] for split in shown["splits"]) == len(reviews) == 3000
    for label, count in reviews["label"].value_counts().items():
        assert sum(counts[label] for counts in shown["labels"].values()) == count
    assert {row["source"] for row in shown["sources"]} == set(reviews["source"])
    for label, lengths in shown["lengths"]["characters"].items():
        longest = reviews.loc[reviews["label"] == label, "text"].str.len().max()
        assert 0 < lengths["median"] <= lengths["max"] <= longest
    assert set(shown["lengths"]["tokens"]) == set(reviews["label"]), "tokens counted with the run's tokenizer"
    assert any("carved" in notice for notice in shown["notices"]), "the only split is cut into three, and it says so"


def test_the_cli_draws_a_runs_confusion_matrix_and_curves_as_the_page_does(trained_run, tmp_path):
    """`python -m sentiment plot`: the Evaluate and Train tabs' figures from what the run folder recorded."""
    from sentiment.run_files import read_progress

    image = tmp_path / "confusion.png"
    drawn = run_cli("-m", "sentiment", "plot", "--model", str(trained_run), "--output", str(image))
    assert drawn.returncode == 0, drawn.stderr
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000
    page = tmp_path / "curves.html"
    drawn = run_cli("-m", "sentiment", "plot", "--model", str(trained_run), "--figure", "curves", "--output", str(page))
    assert drawn.returncode == 0, drawn.stderr
    logged = [record for record in read_progress(trained_run / "progress.jsonl") if "loss" in record.scores]
    assert logged and "plotly" in page.read_text() and '"name":"train loss"' in page.read_text()
    refused = run_cli("-m", "sentiment", "plot", "--model", str(trained_run), "--output", str(tmp_path / "x.gif"))
    assert refused.returncode == 2 and "write a .png, .svg or .html file" in refused.stderr
