"""Tab 5, Classify: a label and class probabilities for typed text, or for many texts at once."""

from __future__ import annotations

import html
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from ..data import LABELS, read_frame
from ..errors import UserError
from ..limits import MAX_TEXT_CHARS
from .common import refresh_runs, user_errors
from .i18n import t

EXAMPLES = [
    "このイヤホン、音がすごくクリアで買ってよかったです！",
    "届いた商品が壊れていて、問い合わせにも返事がありません。",
    "値段なりの品質だと思います。特に不満はありません。",
    "悪くないけど、期待していたほどではなかった。",
    "最高のホテルでした😊また泊まりたい",
]
PREDICTED = "predicted / 予測"
WHY_INTRO = (
    "### Why this prediction\n**Integrated Gradients** measures how much each MeCab word and each token moved the "
    "model toward a class, compared with a text where every token is `[PAD]`: teal pushes toward it, orange away.",
    "### 予測の理由\n**Integrated Gradients** は、すべてのトークンが `[PAD]` の文と比べて、MeCab の各単語と各トークンが"
    "モデルをそのクラスへどれだけ押したかを測ります。緑はそのクラスへ、橙は逆方向へ押しています。",
)
NO_RUN = (
    "There is no trained run yet: start one in the Train tab (the starter learns the sample in under a minute), "
    "or run `python train.py --dataset sample --model starter`. / まず学習タブでモデルを学習してください。"
)


def render_scores(items) -> str:
    """(text, score) pairs as chips: teal pushes toward the class, orange away, stronger the larger."""
    items = list(items)
    top = max((abs(score) for _, score in items), default=0.0) or 1.0
    chips = []
    for piece, score in items:
        alpha = abs(score) / top
        colour = f"rgba(42,157,143,{alpha:.2f})" if score >= 0 else f"rgba(231,111,81,{alpha:.2f})"
        chips.append(
            f'<span class="tok" style="background:{colour}">{html.escape(piece)}<small>{score:+.2f}</small></span>'
        )
    return f'<div class="tok-line">{"".join(chips)}</div>'


def build_classify_tab(studio) -> dict:
    names = studio.run_names()
    run = gr.Dropdown(
        names,
        value=names[0] if names else None,
        label=t("Run (newest first)", "学習済みモデル（新しい順）"),
        allow_custom_value=True,
    )
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=t("Review", "レビュー"), lines=3, placeholder="日本語のレビューを入力してください")
            classify = gr.Button(t("Classify", "分類"), variant="primary")
            gr.Examples(EXAMPLES, [text], label=t("Examples", "例"))
        with gr.Column(scale=2):
            label = gr.Label(label=t("Prediction", "予測"), num_top_classes=3, elem_id="prediction")
            info = gr.Markdown(elem_id="prediction-info")
    gr.Markdown(t(*WHY_INTRO))
    with gr.Row():
        explained = gr.Radio(
            [PREDICTED, *LABELS], value=PREDICTED, label=t("Class to explain", "説明するクラス"), scale=3
        )
        explain = gr.Button(t("Why?", "理由を見る"), scale=1)
    why = gr.Markdown()
    word_scores = gr.HTML(elem_id="why-words")
    token_scores = gr.HTML(elem_id="why-tokens")
    gr.Markdown(
        t(
            "### Many texts: one text per line, or a CSV with a `text` column",
            "### まとめて分類: 1 行に 1 件、または `text` 列のある CSV",
        )
    )
    with gr.Row():
        lines = gr.Textbox(label=t("One text per line", "1 行に 1 件"), lines=4, scale=3)
        upload = gr.File(label="CSV", file_types=[".csv", ".tsv"], scale=1, height=110)
    classify_many = gr.Button(t("Classify all", "まとめて分類"))
    table = gr.Dataframe(
        headers=["text", "label", "p_positive", "p_neutral", "p_negative", "truncated"], interactive=False, wrap=True
    )
    download = gr.DownloadButton(t("Download (CSV)", "ダウンロード（CSV）"), visible=False)

    def classifier(run_name: str):
        if not run_name:
            raise UserError(NO_RUN)
        return studio.classifier(run_name)

    @user_errors
    def classify_text(run_name: str, value: str):
        model = classifier(run_name)
        started = time.perf_counter()
        (prediction,) = model.predict([value])
        took = (time.perf_counter() - started) * 1000
        note = f"**{prediction.label}** · {took:.0f} ms"
        if prediction.truncated:
            note += (
                f" · ✂ Only the beginning was read: the model reads at most {model.max_length} tokens "
                f"({MAX_TEXT_CHARS:,} characters)."
            )
        return prediction.probabilities, note

    @user_errors
    def classify_batch(run_name: str, value: str, file):
        texts = [line for line in (value or "").splitlines() if line.strip()]
        if file is not None:
            table_in = read_frame(Path(file))
            if "text" not in table_in.columns:
                raise UserError(f"{Path(file).name} has no text column: it needs a column named text.")
            texts += [str(t) for t in table_in["text"]]
        limit = studio.deployment.bounds.batch_rows
        if len(texts) > limit:
            raise UserError(f"There are {len(texts):,} texts; this server classifies up to {limit:,} at a time.")
        predictions = classifier(run_name).predict(texts)
        result = pd.DataFrame(
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
        path = studio.downloads.csv(result, "classified.csv")
        return result, gr.DownloadButton(value=str(path), visible=True)

    @user_errors
    def explain_prediction(run_name: str, value: str, chosen: str):
        if not run_name:
            raise UserError(NO_RUN)
        result = studio.attribution(run_name, value, None if chosen == PREDICTED else chosen)
        caption = (
            f"Why **{result.label}**: MeCab words, then WordPiece tokens. The scores add up to how far the "
            f"{result.label} logit rose from an all-`[PAD]` text ({sum(result.token_scores):+.2f}; "
            f"approximation error {result.delta:+.3f}). / 緑はこのクラスへ、橙は逆方向へ押した語です。"
        )
        words = render_scores(zip(result.words, result.word_scores, strict=True))
        return caption, words, render_scores(zip(result.tokens, result.token_scores, strict=True))

    explain.click(explain_prediction, [run, text, explained], [why, word_scores, token_scores], api_name="explain")
    classify.click(classify_text, [run, text], [label, info], api_name="classify")
    text.submit(classify_text, [run, text], [label, info], api_visibility="private")
    classify_many.click(classify_batch, [run, lines, upload], [table, download], api_name="classify_batch")
    seen_runs = gr.State(names)
    return {"run": run, "seen": seen_runs, "refresh": lambda current, seen: refresh_runs(studio, current, seen)}
