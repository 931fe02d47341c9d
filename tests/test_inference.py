import json
import shutil

import pandas as pd
import pytest

from sentiment.corpus.loading import load_dataset
from sentiment.insight.inference import AGREEMENT_KEY, FAST_PATH_AGREEMENT, Classifier


def test_fast_path_gives_the_plain_labels(trained_run):
    texts = load_dataset("sample")["train"]["text"][:40]
    plain = Classifier(trained_run, device="cpu", fast=False)
    fast = Classifier(trained_run, device="cpu", fast=True)
    assert fast.fast and not plain.fast
    decided = 0
    for slow, quick in zip(plain.predict(texts), fast.predict(texts), strict=True):
        first, second = sorted(slow.probabilities.values(), reverse=True)[:2]
        for label, probability in slow.probabilities.items():
            assert quick.probabilities[label] == pytest.approx(probability, abs=0.05)
        # Each probability may move by 0.05, so only a margin over 0.1 guarantees the same label.
        if first - second > 0.1:
            decided += 1
            assert quick.label == slow.label, slow.text
    assert decided >= 10


def test_the_recorded_agreement_is_int8_against_full_precision_on_the_validation_texts(trained_run):
    recorded = json.loads((trained_run / "metrics.json").read_text())[AGREEMENT_KEY]
    rows = pd.read_csv(trained_run / "predictions.csv")
    texts = list(rows["text"])
    plain = [p.label for p in Classifier(trained_run, device="cpu", fast=False).predict(texts)]
    assert plain == list(rows["predicted"]), "predictions.csv holds the full-precision answers"
    quick = [p.label for p in Classifier(trained_run, device="cpu", fast=True).predict(texts)]
    assert recorded == pytest.approx(sum(a == b for a, b in zip(plain, quick, strict=True)) / len(texts))
    assert Classifier(trained_run, device="cpu").fast is (recorded >= FAST_PATH_AGREEMENT)


def test_fast_path_follows_the_agreement_recorded_at_training(trained_run, tmp_path):
    copy = shutil.copytree(trained_run, tmp_path / "run")
    for agreement, expected in ((1.0, True), (0.9, False)):
        metrics = json.loads((copy / "metrics.json").read_text())
        (copy / "metrics.json").write_text(json.dumps({**metrics, AGREEMENT_KEY: agreement}))
        assert Classifier(copy, device="cpu").fast is expected
