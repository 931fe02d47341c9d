"""The source's two methods and the baseline: head-only runs, n-gram runs, and comparing them."""

import json

import numpy as np
import pandas as pd
import pytest
import skops.io

from sentiment.errors import UserError
from sentiment.insight.evaluation import comparison
from sentiment.insight.inference import Classifier, RunError, load_classifier
from sentiment.models.baseline import MODEL_FILE, NgramClassifier
from sentiment.models.head import FEATURES_DIR
from sentiment.run_files import METRICS_FILE, PREDICTIONS_FILE
from sentiment.serving.runbook import RunBook
from sentiment.training.config import TrainConfig
from sentiment.training.runs import list_runs
from sentiment.training.trainer import train

from .conftest import copy_run, run_cli


@pytest.fixture(scope="module")
def head_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("head") / "head-sample"
    # auto: bf16 training features where the CPU has bf16; the validation split is read in fp32 all the same, so
    # the recorded probabilities are exactly what the reloaded fp32 model gives.
    config = TrainConfig(dataset="sample", model="starter", method="head", output=str(output), seed=3)
    return train(config)


@pytest.fixture(scope="module")
def ngram_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("ngram") / "ngram-sample"
    return train(TrainConfig(dataset="sample", model="starter", method="ngram", output=str(output)))


def test_a_head_only_run_is_an_ordinary_model_folder(head_run):
    classifier = load_classifier(head_run)
    assert isinstance(classifier, Classifier) and classifier.label_names == ["positive", "neutral", "negative"]
    settings = json.loads((head_run / "train_config.json").read_text(encoding="utf-8"))
    assert settings["method"] == "head"
    assert json.loads((head_run / METRICS_FILE).read_text(encoding="utf-8"))["train_seconds"] > 0


def test_the_saved_classifier_layer_is_the_fitted_head(head_run):
    """The model folder, reloaded, gives the probabilities the head gave on the validation split."""
    rows = pd.read_csv(head_run / PREDICTIONS_FILE)
    predictions = Classifier(head_run, precision="fp32").predict(list(rows["text"]))
    reloaded = np.array(
        [[p.probabilities[label] for label in ("positive", "neutral", "negative")] for p in predictions]
    )
    recorded = rows[["p_positive", "p_neutral", "p_negative"]].to_numpy()
    assert np.abs(reloaded - recorded).max() < 1e-3


def test_a_head_run_loads_as_a_plain_transformers_model(head_run):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(head_run).eval()
    tokenizer = AutoTokenizer.from_pretrained(head_run)
    text = "とても使いやすい商品でした。"
    logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    expected = Classifier(head_run, precision="fp32").predict(text)[0]
    assert model.config.id2label[int(logits.argmax())] == expected.label
    assert not (head_run / "training_args.bin").exists(), "no pickle is left in a run"


@pytest.mark.slow
def test_the_command_line_predicts_and_evaluates_with_an_ngram_run(ngram_run):
    predicted = run_cli("-m", "sentiment", "predict", "--model", str(ngram_run), "最高でした！")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["label"] in ("positive", "neutral", "negative")
    evaluated = run_cli("-m", "sentiment", "evaluate", "--model", str(ngram_run), "--dataset", "sample")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["examples"] == 30


def test_the_encoder_stays_frozen(head_run):
    """Only the classification layer differs from the encoder a head run started from."""
    from safetensors.torch import load_file

    from sentiment.models.bert import build_starter_model
    from sentiment.text.tokenization import load_tokenizer

    saved = load_file(head_run / "model.safetensors")
    start = build_starter_model(load_tokenizer(str(head_run)), ["positive", "neutral", "negative"], 2, 256, 128, 3)
    changed = {name for name, tensor in start.state_dict().items() if not saved[name].equal(tensor)}
    assert changed == {"classifier.weight", "classifier.bias"}


def test_features_are_cached_per_model_and_texts(head_run, tmp_path):
    cache = head_run.parent / FEATURES_DIR
    assert len(list(cache.glob("*.npy"))) == 3, "one file each for the training, validation and test split"

    # The same seed builds the same starter (its vocabulary is learned deterministically), so its features
    # of the same texts come from the cache; another seed's starter has other weights and computes its own.
    def cached_splits(name: str, seed: int) -> int:
        output = str(cache.parent / name)
        config = TrainConfig(dataset="sample", model="starter", method="head", output=output, seed=seed)
        notices = json.loads((train(config) / "train_config.json").read_text(encoding="utf-8"))["notices"]
        return sum("came from the cache" in notice for notice in notices)

    assert cached_splits("same", seed=3) == 3 and len(list(cache.glob("*.npy"))) == 3
    assert cached_splits("other", seed=4) == 0 and len(list(cache.glob("*.npy"))) == 6


def test_the_baseline_is_saved_with_skops_and_classifies(ngram_run):
    assert (ngram_run / MODEL_FILE).is_file() and not (ngram_run / "config.json").exists()
    classifier = load_classifier(ngram_run)
    assert isinstance(classifier, NgramClassifier)
    (prediction,) = classifier.predict("最高の買い物でした！")
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-6
    with pytest.raises(UserError, match="is empty"):
        classifier.predict(["  "])


class Untrusted:
    """Stands for an arbitrary object a tampered model file would ask to build."""


def test_a_baseline_file_that_asks_for_an_untrusted_type_is_refused(ngram_run, tmp_path):
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    (tampered / "labels.json").write_text((ngram_run / "labels.json").read_text(encoding="utf-8"), encoding="utf-8")
    skops.io.dump(Untrusted(), tampered / MODEL_FILE)
    with pytest.raises(RunError, match="can't be loaded safely"):
        NgramClassifier(tampered)


def test_a_comparison_has_a_row_per_run_with_per_class_f1(head_run, ngram_run):
    reports = {
        run.name: {
            "metrics": json.loads((run / METRICS_FILE).read_text(encoding="utf-8")),
            "method": method,
            "train_seconds": 1.0,
        }
        for run, method in ((head_run, "head"), (ngram_run, "ngram"))
    }
    table = comparison(reports).set_index("run")
    assert list(table.index) == [head_run.name, ngram_run.name]
    for run in (head_run, ngram_run):
        metrics = reports[run.name]["metrics"]
        assert table.loc[run.name, "f1_macro"] == pytest.approx(metrics["f1_macro"], abs=1e-4)
        for label in ("positive", "neutral", "negative"):
            assert table.loc[run.name, f"f1_{label}"] == pytest.approx(metrics["per_class"][label]["f1"], abs=1e-4)


def test_an_unknown_method_is_refused():
    with pytest.raises(UserError, match="method must be one of full, head, ngram"):
        TrainConfig(method="lora")


def test_attributions_have_one_value_per_token_and_add_up(trained_run):
    from sentiment.insight.attribution import integrated_gradients
    from sentiment.text.tokenization import explain

    classifier = Classifier(trained_run, precision="fp32")
    text = "このホテルは最高でした。また泊まりたい。"
    result = integrated_gradients(classifier.model, classifier.tokenizer, text, "positive", classifier.max_length)
    explanation = explain(classifier.tokenizer, text, classifier.max_length)
    assert result.tokens == [row.token for row in explanation.rows]
    assert len(result.token_scores) == len(result.tokens)
    assert result.words == [surface for surface, _ in explanation.words] and len(result.word_scores) == len(
        result.words
    )
    assert abs(sum(result.word_scores) - sum(result.token_scores[1:-1])) < 1e-5, (
        "words share out the non-special tokens"
    )
    assert abs(result.delta) < 0.05 * max(1.0, abs(sum(result.token_scores))), "Integrated Gradients' completeness"
    other = integrated_gradients(classifier.model, classifier.tokenizer, text, "negative", classifier.max_length)
    assert other.token_scores != result.token_scores
    # In bf16 (as a run served in bf16 explains): the same words carry the weight, and it still adds up.
    bf16 = integrated_gradients(classifier.model, classifier.tokenizer, text, "positive", 512, bf16=True)
    assert np.corrcoef(bf16.word_scores, result.word_scores)[0, 1] > 0.95
    assert np.argmax(np.abs(bf16.word_scores)) == np.argmax(np.abs(result.word_scores))
    assert abs(bf16.delta) < 0.05 * max(1.0, abs(sum(bf16.token_scores)))


@pytest.mark.slow
def test_a_map_has_one_point_per_review(trained_run, head_run, tmp_path):
    import shutil

    from sentiment.serving.studio import Studio

    runs = tmp_path / "runs"
    for run in (trained_run, head_run):
        shutil.copytree(run, runs / run.name)
    studio = Studio(runs)
    before, after = studio.analyses.model_maps(trained_run.name, "validation")
    assert before.coordinates.shape == after.coordinates.shape == (30, 2)
    assert after.projection == "UMAP" and len(after.texts) == len(after.labels) == 30
    frozen_before, frozen_after = studio.analyses.model_maps(head_run.name, "validation")
    assert frozen_before is frozen_after, "a head-only run's two maps are drawn once"
    # ...because its encoder reads every review exactly as the model it started from does.
    from sentiment.models.bert import starting_model
    from sentiment.models.head import features

    trained = Classifier(head_run, precision="fp32")
    settings = json.loads((head_run / "train_config.json").read_text(encoding="utf-8"))
    start = starting_model(settings, trained.tokenizer, trained.label_names)
    texts = frozen_after.texts
    read = [features(model, trained.tokenizer, texts, trained.max_length) for model in (start, trained.model)]
    assert np.allclose(*read, atol=1e-5)


def test_a_listed_run_says_what_it_can_show(head_run, ngram_run, trained_run, tmp_path):
    """What the page offers for a run comes from the run folder: tokens and hidden states for BERT runs only,
    a data map where full fine-tuning recorded one, a model card where one was written."""
    runs = tmp_path / "runs"
    for run in (head_run, ngram_run, trained_run):
        copy_run(run, runs)
    (runs / head_run.name / "README.md").unlink()  # as a run from before model cards
    listed = {run.name: run for run in list_runs(runs)}
    full, head, ngram = listed[trained_run.name], listed[head_run.name], listed[ngram_run.name]
    assert (full.reads_tokens, head.reads_tokens, ngram.reads_tokens) == (True, True, False)
    assert (full.is_baseline, head.is_baseline, ngram.is_baseline) == (False, False, True)
    assert (full.has_data_map, head.has_data_map, ngram.has_data_map) == (True, False, False)
    assert (full.has_card, head.has_card, ngram.has_card) == (True, False, True)
    book = RunBook(runs)
    assert [name for _, name in book.choices(bert_only=True)] == [
        name for name in book.names() if name != ngram_run.name
    ]


def test_listing_runs_imports_no_torch():
    shown = run_cli(
        "-c",
        "import sys, sentiment.training.runs; print(sorted({'torch', 'transformers', 'sklearn'} & set(sys.modules)))",
    )
    assert shown.returncode == 0 and shown.stdout.strip() == "[]", shown.stderr


@pytest.mark.parametrize("run", ["trained_run", "head_run", "ngram_run"])
def test_evaluate_reads_the_trainers_answers_for_the_runs_own_test_split_without_running_the_model(
    run, request, tmp_path, monkeypatch
):
    from sentiment.corpus.loading import load_dataset
    from sentiment.insight.evaluation import evaluate
    from sentiment.serving.studio import Studio

    run_dir = copy_run(request.getfixturevalue(run), tmp_path / "runs")
    studio = Studio(tmp_path / "runs", dataset="sample", model="starter")
    served = studio.models.classifier(run_dir.name)
    answered = []

    def predict(texts, *args, **kwargs):  # the served model, watched: every text it is asked about
        answered.extend(texts)
        return type(served).predict(served, texts, *args, **kwargs)

    monkeypatch.setattr(served, "predict", predict)
    saved = studio.analyses.evaluation(run_dir.name, "test")
    assert answered == [], "the test split was scored from the trainer's answers"
    assert saved.metrics["examples"] == len(load_dataset("sample")["test"])

    # The same split scored by running the model (at the precision the trainer answered in): the same answers.
    model = load_classifier(run_dir) if run == "ngram_run" else Classifier(run_dir, precision="fp32")
    ran = evaluate(run_dir, load_dataset("sample"), "test", model)
    assert saved.metrics["confusion_matrix"]["counts"] == ran.metrics["confusion_matrix"]["counts"]
    columns = [f"p_{name}" for name in ran.metrics["confusion_matrix"]["labels"]]
    by_text = ran.rows.set_index("text")[columns]
    assert np.allclose(saved.rows.set_index("text")[columns].loc[by_text.index], by_text, atol=2e-4)

    studio.analyses.evaluation(run_dir.name, "train")  # no answers saved for it: the model runs
    assert len(answered) == len(load_dataset("sample")["train"])
