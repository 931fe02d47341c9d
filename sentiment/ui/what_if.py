"""Classify's what-if table: the typed text's Japanese-aware variants (insight/whatif.py) classified beside
it; a click on a variant explains it with "Why?"."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from ..bilingual import Text
from ..errors import UserError
from ..serving.terms import WHAT_IF_BUDGET, WHAT_IF_CHARS
from .common import class_name, user_errors
from .i18n import t

KINDS = {
    "original": Text("original", "元の文"),
    "negation": Text("negation on", "否定にする"),
    "affirmation": Text("negation off", "否定を外す"),
    "plain": Text("plain style", "常体に"),
    "polite": Text("polite style", "敬体に"),
    "half width": Text("half width", "半角に"),
    "full width": Text("full width", "全角に"),
    "left out": Text("word left out", "単語を削除"),
}
INTRO = (
    "### What if it had said it differently?\n**What if?** rewrites the review the way Japanese varies: negation "
    "on and off (〜ない, 〜ません, read from MeCab's conjugation fields), polite ↔ plain style (です/ます ↔ だ/る), "
    "full ↔ half width, and each word left out in turn (the words that move the prediction most first). All are "
    "classified at once; **change** is how far each moved the probability of the original's class. Click a row "
    "to see **Why?** for that variant.",
    "### 言い方を変えたら？\n**もしも** は、日本語らしい書き換えをしたレビューを作ります。否定にする・外す（〜ない、"
    "〜ません。MeCab の活用情報を使用）、敬体 ↔ 常体（です/ます ↔ だ/る）、全角 ↔ 半角、各単語を 1 つずつ削除"
    "（予測を大きく動かす語から順に）。すべてまとめて分類し、**change** は元の予測クラスの確率の変化です。"
    "行をクリックすると、その文の **理由** を表示します。",
)


@dataclass(frozen=True)
class WhatIf:
    button: gr.Button
    caption: gr.Markdown
    table: gr.Dataframe


def what_if_components() -> WhatIf:
    """The section's components, laid out where this is called (under "Why?"); Classify wires them."""
    gr.Markdown(t(*INTRO))
    button = gr.Button(t("What if?", "もしも"), size="sm")
    caption = gr.Markdown(elem_id="what-if-caption")
    table = gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id="what-if-table")  # shown once filled
    return WhatIf(button, caption, table)


def what_if_table(result) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variant": str(KINDS.get(outcome.variant.kind, outcome.variant.kind)),
                "edit": outcome.variant.detail,
                "text": outcome.variant.text,
                "label": outcome.prediction.label,
                **{f"p_{name}": round(p, 3) for name, p in outcome.prediction.probabilities.items()},
                "change": round(outcome.change, 3),
            }
            for outcome in result.outcomes
        ]
    )


@user_errors
def vary(studio, run_name: str, value: str):
    """The typed text's variants, classified: a caption and the table."""
    if not run_name:
        raise UserError(
            Text("There is no trained run yet: train one in the Train tab.", "まず学習タブで学習してください。")
        )
    result = studio.models.what_if(run_name, value)
    shown = class_name(result.label)
    caption = Text(
        f"{len(result.outcomes) - 1} variants · change: the probability of **{shown.en}**, the original's prediction",
        f"{len(result.outcomes) - 1} 通りの書き換え · change: 元の予測 **{shown.ja}** の確率の変化",
    )
    if result.cut:
        caption += Text(
            f" · ✂ only the first {WHAT_IF_CHARS} characters are varied",
            f" · ✂ 先頭 {WHAT_IF_CHARS} 文字だけを書き換えました",
        )
    if result.left:
        caption += Text(
            f" · {result.left} more variants were not classified: this server classifies up to "
            f"{WHAT_IF_BUDGET:,} characters of variants at a time",
            f" · 残り {result.left} 件は分類していません（このサーバーが一度に分類する書き換えは合計 "
            f"{WHAT_IF_BUDGET:,} 文字まで）",
        )
    return caption, what_if_table(result)
