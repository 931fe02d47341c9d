import dataclasses
import json

import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from sentiment.insight.evaluation import report
from sentiment.run_files import partial_dir, read_progress
from sentiment.training.config import TrainConfig
from sentiment.training.trainer import TrainingError, train, training_arguments


def test_train_py_writes_a_complete_run_that_reloads_with_label_names(trained_run):
    model = AutoModelForSequenceClassification.from_pretrained(trained_run)
    assert model.config.id2label == {0: "positive", 1: "neutral", 2: "negative"}
    assert model.config.label2id == {"positive": 0, "neutral": 1, "negative": 2}
    assert (trained_run / "model.safetensors").is_file() and not (trained_run / "training_args.bin").exists()
    assert not partial_dir(trained_run).exists()
    metrics = json.loads((trained_run / "metrics.json").read_text())
    for key in ("accuracy", "f1_weighted", "f1_macro", "per_class", "confusion_matrix", "split"):
        assert key in metrics
    assert metrics["confusion_matrix"]["labels"] == ["positive", "neutral", "negative"]
    assert sum(map(sum, metrics["confusion_matrix"]["counts"])) == metrics["examples"] == 30
    assert metrics["accuracy"] > 1 / 3, "the sample's validation classes are balanced: it learned something"
    predictions = pd.read_csv(trained_run / "predictions.csv")
    assert list(predictions.columns) == ["text", "gold", "predicted", "p_positive", "p_neutral", "p_negative", "loss"]
    assert len(predictions) == 30
    assert predictions["loss"].is_monotonic_decreasing
    settings = json.loads((trained_run / "train_config.json").read_text())
    assert settings["distill"] == 0.7
    assert any(notice.startswith("Distilling a character n-gram teacher") for notice in settings["notices"])


def test_progress_file_follows_the_run(trained_run):
    records = [json.loads(line) for line in (trained_run / "progress.jsonl").read_text().splitlines()]
    events = [record["event"] for record in records]
    assert events[0] == "loaded" and "start" in events and events[-1] == "done"
    logs = [record for record in records if record["event"] == "log"]
    assert logs[-1]["step"] == 64 and logs[-1]["total_steps"] == 64
    assert all({"loss", "learning_rate", "epoch", "elapsed", "remaining"} <= record.keys() for record in logs)
    assert any("eval_accuracy" in record for record in records if record["event"] == "eval")


def test_predictions_line_up_with_their_texts(trained_run):
    """The saved predictions must match what the saved model says about each text."""
    from sentiment.insight.inference import Classifier

    predictions = pd.read_csv(trained_run / "predictions.csv").head(8)
    fresh = Classifier(trained_run, precision="fp32").predict(list(predictions["text"]))
    for row, prediction in zip(predictions.itertuples(), fresh, strict=True):
        assert prediction.probabilities["positive"] == pytest.approx(row.p_positive, abs=2e-3)


def test_existing_output_is_refused(trained_run):
    with pytest.raises(TrainingError, match="already exists"):
        train(TrainConfig(dataset="sample", model="starter", output=str(trained_run)))


@pytest.mark.slow
def test_on_event_is_called_and_training_learns_the_sample(tmp_path):
    events = []
    output = train(
        TrainConfig(dataset="sample", model="starter", output=str(tmp_path / "run"), epochs=6, starter_vocab_size=2000),
        on_event=events.append,
    )
    assert output.is_dir() and events[-1].event == "done" and events[-1].run_dir == str(output)
    losses = [event.scores["loss"] for event in events if event.event == "log" and "loss" in event.scores]
    assert losses[-1] < losses[0]


def test_a_failed_run_leaves_no_folder(tmp_path):
    output = tmp_path / "run"
    with pytest.raises(TrainingError, match="Could not load the model"):
        train(TrainConfig(dataset="sample", model=str(tmp_path / "no-such-model"), output=str(output)))
    assert not output.exists() and not partial_dir(output).exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"learning_rate": -1.0}, "learning_rate must be positive"),
        ({"precision": "fp8"}, "precision must be one of"),
        ({"warmup": 1.5}, "warmup is a share"),
        ({"distill": 1.5}, "distill is a weight"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**options)


def test_recipe_defaults_follow_the_model_kind():
    pretrained = TrainConfig(model="some/model").resolved()
    assert (pretrained.learning_rate, pretrained.batch_size, pretrained.epochs) == (2e-5, 16, 2.0)
    assert pretrained.weight_decay == 0.01 and pretrained.distill == 0.0
    starter = TrainConfig(model="starter", learning_rate=3e-4).resolved()
    assert starter.learning_rate == 3e-4 and starter.max_length == 128 and starter.distill == 0.7


def test_report_confusion_matrix_and_loss_order():
    probabilities = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
    result = report(list("abcd"), [0, 1, 2, 2], probabilities, ["positive", "neutral", "negative"], "test")
    assert result.metrics["confusion_matrix"]["counts"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert result.metrics["confusion_matrix"]["normalized"][2] == [0.5, 0.0, 0.5]
    assert result.metrics["accuracy"] == 0.75
    assert result.rows["text"].iloc[0] == "c"  # the confident mistake has the highest loss


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU's precisions")
def test_cpu_trains_in_bf16_autocast_and_refuses_fp16(tmp_path):
    with pytest.raises(TrainingError, match="fp16 needs a GPU"):
        train(TrainConfig(dataset="sample", model="starter", output=str(tmp_path / "fp16"), precision="fp16"))
    assert not (tmp_path / "fp16").exists() and not partial_dir(tmp_path / "fp16").exists()
    config = TrainConfig(
        dataset="sample", model="starter", output=str(tmp_path / "bf16"), precision="bf16", max_steps=2
    ).resolved()
    arguments = training_arguments(config, tmp_path / "args")
    assert arguments.bf16 and arguments.use_cpu
    output = train(dataclasses.replace(config, starter_vocab_size=1000))
    model = AutoModelForSequenceClassification.from_pretrained(output)
    assert next(model.parameters()).dtype == torch.float32  # autocast: the weights stay fp32


@pytest.mark.slow
def test_the_same_data_options_and_seed_give_the_same_run_in_another_process(trained_run, tmp_path):
    """Two processes, one recipe: the same vocabulary, the same token ids and the same metrics."""
    from .conftest import run_cli, starter_on_sample

    again = tmp_path / "starter-sample"
    result = run_cli("train.py", *starter_on_sample(again, steps=64), "--learning_rate", "1e-3")
    assert result.returncode == 0, result.stderr
    assert (again / "vocab.txt").read_text(encoding="utf-8") == (trained_run / "vocab.txt").read_text(encoding="utf-8")
    first, second = (json.loads((run / "metrics.json").read_text()) for run in (trained_run, again))
    for key in ("accuracy", "f1_weighted", "f1_macro"):
        assert second[key] == pytest.approx(first[key], abs=1e-6)
    assert second["confusion_matrix"]["counts"] == first["confusion_matrix"]["counts"]
    losses = [pd.read_csv(run / "predictions.csv")["loss"].tolist() for run in (trained_run, again)]
    assert losses[1] == pytest.approx(losses[0], abs=1e-4)


def test_a_step_limit_cuts_only_a_run_whose_epochs_would_take_longer(tmp_path):
    base = TrainConfig(dataset="sample", model="starter", epochs=1, distill=0, starter_vocab_size=3000)
    steps = {}
    for name, limit in (("within", 100), ("beyond", 3)):
        run = train(dataclasses.replace(base, output=str(tmp_path / name), step_limit=limit))
        records = [json.loads(line) for line in (run / "progress.jsonl").read_text().splitlines()]
        steps[name] = max(record.get("total_steps", 0) for record in records)
    assert steps == {"within": 8, "beyond": 3}, "249 sentences in batches of 32 are 8 steps an epoch"


def test_progress_records_read_back_as_written_and_old_files_read_too(trained_run, tmp_path):
    """progress.jsonl keeps one flat JSON object per line; the typed record reads a real run's file, the
    fields where they belong and the Trainer's numbers in `scores`, and writes each line back unchanged."""
    lines = [json.loads(line) for line in (trained_run / "progress.jsonl").read_text().splitlines()]
    records = read_progress(trained_run / "progress.jsonl")
    assert [record.as_json() for record in records] == lines
    logged = [record for record in records if record.event == "log" and "loss" in record.scores]
    assert logged and all(record.step <= record.total_steps and record.scores["loss"] > 0 for record in logged)
    assert records[-1].event == "done" and records[-1].run_dir
    # A line written by an older version, and one still being written, as a running job leaves them.
    (tmp_path / "progress.jsonl").write_text(
        '{"event": "eval", "step": 3, "total_steps": 3, "epoch": 1.0, "eval_accuracy": 0.5}\n{"event": "lo'
    )
    (old,) = read_progress(tmp_path / "progress.jsonl")
    assert old.event == "eval" and old.step == 3 and old.scores == {"eval_accuracy": 0.5} and old.is_step


def test_an_ngram_run_imports_no_torch(tmp_path):
    """The app's n-gram child (`python -m sentiment train config.json`) never imports torch or the Trainer: about
    2 s and 100 MB of every baseline run's start. skops, which walks scikit-learn's modules, still trusts the same
    types as in a process that has torch."""
    import subprocess
    import sys

    import skops.io._trusted_types

    from .conftest import ROOT

    config = tmp_path / "ngram.json"
    config.write_text(json.dumps({"dataset": "sample", "method": "ngram", "output": str(tmp_path / "run")}))
    child = (
        "import json, sys\n"
        "from sentiment.cli import main\n"
        "code = main(['train', sys.argv[1]])\n"
        "import skops.io._trusted_types as trusted\n"
        "loaded = sorted({name.split('.')[0] for name in sys.modules} & {'torch', 'accelerate'})\n"
        "print(json.dumps([code, loaded, 'transformers.trainer' in sys.modules, trusted.SKLEARN_ESTIMATOR_TYPE_NAMES]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", child, str(config)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    code, loaded, trainer, trusted = json.loads(result.stdout.strip().splitlines()[-1])
    assert code == 0 and (tmp_path / "run" / "metrics.json").is_file()
    assert loaded == [] and not trainer
    assert trusted == skops.io._trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES
