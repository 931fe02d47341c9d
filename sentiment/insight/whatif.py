"""What if the review had said it differently? Japanese-aware variants of a text (text/variants.py),
classified in one batch beside the original, with how far each moved the original's predicted class.

The words whose removal moves the prediction most come first among the left-out variants: a cheap,
model-agnostic counterpart of "Why?" that works for the n-gram baseline too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models.prediction import Prediction, check_texts
from ..text.limits import WHAT_IF_BUDGET, WHAT_IF_CHARS, cap_text
from ..text.variants import Variant, variants

ORIGINAL = Variant("original", "", "")


@dataclass(frozen=True)
class Outcome:
    variant: Variant
    prediction: Prediction
    change: float  # the variant's probability of the original's predicted class minus the original's


@dataclass(frozen=True)
class WhatIf:
    label: str  # the class predicted for the original, whose probability `change` follows
    outcomes: list[Outcome]  # the original first, then the edits, then the words left out, most moving first
    cut: bool  # only the first WHAT_IF_CHARS characters were varied
    left: int  # variants not classified: WHAT_IF_BUDGET characters were reached


def what_if(predict: Callable[[list[str]], list[Prediction]], text: str) -> WhatIf:
    """Classify `text` and its variants with `predict` (one call, one batch)."""
    check_texts([text])
    written = cap_text(text)
    cut, written = len(written) > WHAT_IF_CHARS, written[:WHAT_IF_CHARS]
    found = variants(written)
    edits = [Variant(ORIGINAL.kind, written, ""), *within_budget(found, WHAT_IF_BUDGET - len(written))]
    predictions = predict([variant.text for variant in edits])
    label = predictions[0].label
    base = predictions[0].probabilities[label]
    outcomes = [
        Outcome(variant, prediction, prediction.probabilities[label] - base)
        for variant, prediction in zip(edits, predictions, strict=True)
    ]
    left_out = sorted((o for o in outcomes if o.variant.kind == "left out"), key=lambda o: -abs(o.change))
    kept = [o for o in outcomes if o.variant.kind != "left out"] + left_out
    return WhatIf(label, kept, cut, len(found) + 1 - len(edits))


def within_budget(found: list[Variant], budget: int) -> list[Variant]:
    """The first variants (edits before words left out) whose characters together fit `budget`."""
    kept = []
    for variant in found:
        budget -= len(variant.text)
        if budget < 0:
            break
        kept.append(variant)
    return kept
