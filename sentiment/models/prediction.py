"""What every kind of classifier answers (BERT runs in inference.py, the n-gram baseline in baseline.py),
and the input they all refuse."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..bilingual import Text
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
        raise UserError(
            Text(
                "There is no text to classify: type a review or give one text per line.",
                "分類するテキストがありません。レビューを入力するか、1 行に 1 件ずつテキストを入れてください。",
            )
        )
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not has_content(text):
            one = len(texts) == 1
            where = Text("The text", "テキスト") if one else Text(f"Text {number}", f"{number} 件目のテキスト")
            raise UserError(
                Text(
                    f"{where.en} is empty: type a review to classify.",
                    f"{where.ja}が空です。分類するレビューを入力してください。",
                )
            )


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
