"""The n-gram baseline's own reasons: exact, per character and per MeCab word, for the class asked."""

from __future__ import annotations

import numpy as np
import pytest

from sentiment.corpus.loading import load_dataset
from sentiment.insight.ngram_reasons import ngram_attribution
from sentiment.models.baseline import fit
from sentiment.text.morphology import mecab_words as mecab_nodes


def mecab_words(text: str) -> list[str]:
    return [node.surface for node in mecab_nodes(text)]


@pytest.fixture(scope="module")
def baseline():
    data = load_dataset("sample")
    return fit(data["train"]["text"], data["train"]["label"]), data.label_names


def test_the_scores_add_up_exactly_to_the_rise_of_the_class_logit(baseline):
    pipeline, names = baseline
    text = "このホテルは最高でした。でも朝食は最悪。"
    features = pipeline.steps[0][1].transform([text])
    logits = pipeline.steps[-1][1].decision_function(features)[0]
    intercepts = pipeline.steps[-1][1].intercept_
    for index, name in enumerate(names):
        reasons = ngram_attribution(pipeline, text, index, name, mecab_words(text))
        assert reasons.tokens == list(text) and reasons.label == name
        rise = logits[index] - intercepts[index]
        assert sum(reasons.token_scores) == pytest.approx(rise, abs=1e-9), "written out: logit minus intercept"
        assert abs(reasons.delta) < 1e-9
        assert sum(reasons.word_scores) == pytest.approx(sum(reasons.token_scores), abs=1e-9)


def test_a_word_that_reads_positive_pushes_toward_positive(baseline):
    pipeline, names = baseline
    text = "最高でした"
    positive = ngram_attribution(pipeline, text, names.index("positive"), "positive", mecab_words(text))
    scores = dict(zip(positive.words, positive.word_scores, strict=True))
    assert scores["最高"] > 0 and scores["最高"] == max(scores.values())
    negative = ngram_attribution(pipeline, text, names.index("negative"), "negative", mecab_words(text))
    assert dict(zip(negative.words, negative.word_scores, strict=True))["最高"] < 0


def test_two_classes_read_as_a_softmax_of_two_logits(baseline):
    """With two classes scikit-learn keeps one row of weights: the two logits are its halves, opposite."""
    data = load_dataset("sample")
    keep = [i for i, label in enumerate(data["train"]["label"]) if label != 1]
    texts = [data["train"]["text"][i] for i in keep]
    labels = [data["train"]["label"][i] for i in keep]
    pipeline = fit(texts, labels)
    text = "最高でした"
    first = ngram_attribution(pipeline, text, 0, "a", mecab_words(text))
    second = ngram_attribution(pipeline, text, 2, "b", mecab_words(text))
    assert np.allclose(first.token_scores, -np.array(second.token_scores))
    probability = pipeline.predict_proba([text])[0][1]
    z = pipeline.steps[-1][1].decision_function(pipeline.steps[0][1].transform([text]))[0]
    assert probability == pytest.approx(1 / (1 + np.exp(-z)))
    assert sum(second.token_scores) - sum(first.token_scores) == pytest.approx(z - pipeline.steps[-1][1].intercept_[0])
