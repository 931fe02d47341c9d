import json
import shutil

import pandas as pd
import pytest

from sentiment.corpus.loading import load_dataset
from sentiment.insight.inference import AGREEMENT_KEYS, Classifier, serving_candidates
from sentiment.models.precision import cpu_has_bf16


@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_a_faster_precision_gives_the_plain_labels(trained_run, precision):
    texts = load_dataset("sample")["train"]["text"][:40]
    plain = Classifier(trained_run, device="cpu", precision="fp32")
    quick = Classifier(trained_run, device="cpu", precision=precision)
    assert quick.precision == precision and plain.precision == "fp32"
    decided = 0
    for slow, fast in zip(plain.predict(texts), quick.predict(texts), strict=True):
        first, second = sorted(slow.probabilities.values(), reverse=True)[:2]
        for label, probability in slow.probabilities.items():
            assert fast.probabilities[label] == pytest.approx(probability, abs=0.05)
        # Each probability may move by 0.05, so only a margin over 0.1 guarantees the same label.
        if first - second > 0.1:
            decided += 1
            assert fast.label == slow.label, slow.text
    assert decided >= 10


def test_the_recorded_agreements_are_each_precision_against_the_runs_own_answers(trained_run, tmp_path):
    recorded = json.loads((trained_run / "metrics.json").read_text())
    rows = pd.read_csv(trained_run / "predictions.csv")
    texts = list(rows["text"])
    plain = [p.label for p in Classifier(trained_run, device="cpu", precision="fp32").predict(texts)]
    assert plain == list(rows["predicted"]), "predictions.csv holds the full-precision answers"
    # What this CPU serves in, and only that: emulated bf16 is measured nowhere (it is never served there).
    expected = {"bf16_agreement", "int8_agreement"} if cpu_has_bf16() else {"int8_agreement"}
    assert expected == {key for key in recorded if key.endswith("_agreement")}
    for precision in serving_candidates():
        quick = [p.label for p in Classifier(trained_run, device="cpu", precision=precision).predict(texts)]
        agreed = sum(a == b for a, b in zip(plain, quick, strict=True)) / len(texts)
        assert recorded[AGREEMENT_KEYS[precision]] == pytest.approx(agreed)
    # Both fast precisions agreeing fully, this CPU's own probe (not replaced) serves the fastest it has.
    copy = shutil.copytree(trained_run, tmp_path / "run")
    (copy / "metrics.json").write_text(json.dumps({**recorded, "bf16_agreement": 1.0, "int8_agreement": 1.0}))
    assert Classifier(copy, device="cpu").precision == ("bf16" if cpu_has_bf16() else "int8")


@pytest.mark.parametrize("bf16_cpu", [True, False], ids=["cpu-with-bf16", "cpu-without-bf16"])
def test_the_served_precision_is_the_fastest_that_agreed_at_training(trained_run, tmp_path, monkeypatch, bf16_cpu):
    """Where the CPU has bf16 it comes first; a run folder moved to a CPU without it falls back by itself."""
    if bf16_cpu and not cpu_has_bf16():
        pytest.skip("this CPU has no bf16 instructions")
    monkeypatch.setattr("sentiment.insight.inference.cpu_has_bf16", lambda: bf16_cpu)
    copy = shutil.copytree(trained_run, tmp_path / "run")
    metrics = json.loads((copy / "metrics.json").read_text())
    cases = {(1.0, 1.0): "bf16" if bf16_cpu else "int8", (0.9, 1.0): "int8", (1.0, 0.9): "bf16" if bf16_cpu else "fp32"}
    cases[(0.9, 0.9)] = "fp32"
    for (bf16, int8), expected in cases.items():
        (copy / "metrics.json").write_text(json.dumps({**metrics, "bf16_agreement": bf16, "int8_agreement": int8}))
        assert Classifier(copy, device="cpu").precision == expected, (bf16, int8)


def test_a_text_classified_again_is_answered_from_the_kept_prediction(trained_run, tmp_path, monkeypatch):
    from sentiment.serving.studio import Studio

    from .conftest import copy_run

    run = copy_run(trained_run, tmp_path / "runs")
    studio = Studio(tmp_path / "runs", dataset="sample", model="starter")
    served = studio.models.classifier(run.name)
    asked = []

    def predict(texts, *args, **kwargs):  # the served model, watched
        asked.extend(texts)
        return type(served).predict(served, texts, *args, **kwargs)

    monkeypatch.setattr(served, "predict", predict)
    first, took = studio.models.classify(run.name, "最高の買い物でした")
    again, took_again = studio.models.classify(run.name, "最高の買い物でした")
    assert asked == ["最高の買い物でした"] and again == first and took_again == took
    other, _ = studio.models.classify(run.name, "二度と買いません")
    assert asked == ["最高の買い物でした", "二度と買いません"] and other.probabilities != first.probabilities
