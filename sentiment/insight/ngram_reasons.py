"""Why the n-gram baseline said what it said, exactly: its own reasons, not another model's.

The baseline is TF-IDF over character 1-3-grams within words (`char_wb`), then a logistic regression. A class's
logit is an intercept plus, for every n-gram of the text, the regression's weight for that n-gram times its TF-IDF
value. So each n-gram's part is known exactly; it is shared out over the characters of the places the n-gram
occurs (a padding space, which `char_wb` adds around each word, gives its share to the word's first or last
character), and a MeCab word's score is its characters' sum. The scores add up to how far the class's logit rose
from an empty text (the intercept), with no approximation: the same caption as Integrated Gradients' for a BERT
run, whose `delta` here is only floating point.
"""

from __future__ import annotations

import re

import numpy as np

from ..text.limits import cap_text
from .attribution import Attribution

WORD = re.compile(r"\S+")


def ngram_attribution(pipeline, text: str, label_index: int, label: str, words: list[str]) -> Attribution:
    """`pipeline`'s reasons for class `label_index` (named `label`) on `text`, per character and per MeCab word
    (`words`, the text's words in order)."""
    vectorizer, regression = pipeline.steps[0][1], pipeline.steps[-1][1]
    text = cap_text(text)
    features = vectorizer.transform([text])
    weights, intercept = _class_weights(regression, label_index)
    parts = {index: weights[index] * value for index, value in zip(features.indices, features.data, strict=True)}
    scores = np.zeros(len(text))
    places = _occurrences(vectorizer, text)
    vocabulary = vectorizer.vocabulary_
    for gram, spots in places.items():
        index = vocabulary.get(gram)
        if index is None or index not in parts:
            continue
        share = parts[index] / len(spots)
        for spot in spots:
            scores[list(spot)] += share / len(spot)
    logit = float((features @ weights)[0]) + intercept  # the class's logit, as decision_function computes it
    return Attribution(
        label=label,
        tokens=list(text),
        token_scores=[float(score) for score in scores],
        words=list(words),
        word_scores=_word_scores(text, words, scores),
        delta=float(scores.sum()) - (logit - intercept),
        steps=0,
        cut=False,
    )


def _class_weights(regression, label_index: int) -> tuple[np.ndarray, float]:
    """The regression's weights and intercept for one class's logit. With two classes scikit-learn keeps one row, z,
    for the second class: the logits ±z/2 give its probabilities as a softmax of the two, as for more classes."""
    classes = list(regression.classes_)
    if len(classes) == 2:
        half = 0.5 if label_index == classes[1] else -0.5
        return half * regression.coef_[0], half * float(regression.intercept_[0])
    row = classes.index(label_index)
    return regression.coef_[row], float(regression.intercept_[row])


def _occurrences(vectorizer, text: str) -> dict[str, list[tuple[int, ...]]]:
    """Where each n-gram `char_wb` reads in `text` occurs: per occurrence, the positions of the characters it
    covers (scikit-learn's _char_wb_ngrams, with the places kept)."""
    low, high = vectorizer.ngram_range
    prepared = vectorizer.build_preprocessor()(text)
    if len(prepared) != len(text):  # a lower-casing that changed the length: read the text as it is
        prepared = text
    places: dict[str, list[tuple[int, ...]]] = {}
    for match in WORD.finditer(prepared):
        word, start = " " + match.group() + " ", match.start()
        last = start + len(match.group()) - 1
        for n in range(low, high + 1):
            offsets = range(max(1, len(word) - n + 1))
            for offset in offsets:
                gram = word[offset : offset + n]
                # A padding space stands for the word's edge: its share goes to the first or last character.
                covered = tuple(sorted({min(max(start + offset + i - 1, start), last) for i in range(len(gram))}))
                places.setdefault(gram, []).append(covered)
            if len(word) <= n:  # a word no longer than n is one n-gram, and no longer n-gram follows
                break
    return places


def _word_scores(text: str, words: list[str], scores: np.ndarray) -> list[float]:
    """Each word's characters' scores summed, the words found in the text in order (a word MeCab normalised and
    not found as it is gets nothing, and its characters count toward no word)."""
    result, position = [], 0
    for word in words:
        found = text.find(word, position)
        if found < 0:
            result.append(0.0)
            continue
        result.append(float(scores[found : found + len(word)].sum()))
        position = found + len(word)
    return result
