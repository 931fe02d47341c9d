"""What every kind of classifier answers (BERT runs in inference.py, the n-gram baseline in baseline.py),
and the input they all refuse."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import UserError
from ..text.limits import has_content


class RunError(UserError):
    """A run folder that can't be loaded; the message says which and why."""


@dataclass
class Prediction:
    text: str
    label: str
    probabilities: dict[str, float]
    truncated: bool


def check_texts(texts: list[str]) -> None:
    """Refuse empty input: a model asked about nothing (blank, or only control or zero-width characters)
    would still answer, confidently."""
    if not texts:
        raise UserError("There is no text to classify: type a review or give one text per line.")
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not has_content(text):
            where = "The text" if len(texts) == 1 else f"Text {number}"
            raise UserError(f"{where} is empty: type a review to classify.")


def prediction_table(predictions: list[Prediction]) -> pd.DataFrame:
    """Predictions as the table a batch downloads: text, label, p_<class>… (4 decimals), truncated."""
    return pd.DataFrame(
        [
            {
                "text": p.text,
                "label": p.label,
                **{f"p_{k}": round(v, 4) for k, v in p.probabilities.items()},
                "truncated": p.truncated,
            }
            for p in predictions
        ]
    )
