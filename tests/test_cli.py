import dataclasses
import io
import json
import signal

import pytest

from sentiment import cli
from sentiment.insight.inference import Classifier
from sentiment.training.config import TrainConfig

from .conftest import run_cli


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
    input: its exit code and standard error. train_main installs a SIGTERM handler; it is put back afterwards."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    handler = signal.getsignal(signal.SIGTERM)
    yield lambda main, argv: (main(argv), capsys.readouterr().err)
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
