import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sentiment.corpus.loading import load_dataset
from sentiment.models.teacher import distillation_loss, out_of_fold_probabilities


@pytest.fixture(scope="module")
def sample_train():
    return load_dataset("sample")["train"]


def test_out_of_fold_probabilities_are_distributions_that_beat_chance(sample_train):
    labels = sample_train["label"]
    probabilities = out_of_fold_probabilities(sample_train["text"], labels, num_labels=3, seed=0)
    assert probabilities.shape == (len(labels), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    # Out of fold, the teacher has not memorised its texts: it is right often, but not always sure.
    accuracy = np.mean(probabilities.argmax(axis=1) == np.asarray(labels))
    assert 0.5 < accuracy < 1.0
    assert probabilities.max(axis=1).mean() < 0.95


def test_too_few_examples_per_label_get_no_teacher(sample_train):
    labels = sample_train["label"]
    neutral = [index for index, label in enumerate(labels) if label == 1]
    keep = [index for index, label in enumerate(labels) if label != 1] + neutral[:4]  # 4 neutral: < 5 folds
    texts = [sample_train["text"][index] for index in keep]
    assert out_of_fold_probabilities(texts, [labels[index] for index in keep], num_labels=3, seed=0) is None
    assert out_of_fold_probabilities(texts[:5], [0, 1, 2, 0, 1], num_labels=3, seed=0) is None


def test_distillation_loss_mixes_gold_labels_and_teacher():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    teacher = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    gold = F.cross_entropy(logits, labels)
    assert distillation_loss(logits, labels, teacher, weight=0.0) == pytest.approx(gold.item())
    # A student that already says what the teacher says has nothing left to learn from it.
    assert distillation_loss(teacher.log(), labels, teacher, weight=1.0) == pytest.approx(0.0, abs=1e-6)
    mixed = distillation_loss(logits, labels, teacher, weight=0.5)
    taught = distillation_loss(logits, labels, teacher, weight=1.0)
    assert mixed == pytest.approx(0.5 * gold.item() + 0.5 * taught.item())
