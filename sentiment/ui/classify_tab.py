"""Tab 5, Classify: a label and class probabilities for typed text, or for many texts at once."""

from __future__ import annotations

import time
from pathlib import Path

import gradio as gr
import pandas as pd

from ..data import read_frame
from ..errors import UserError
from ..limits import MAX_TEXT_CHARS
from .common import refresh_runs, user_errors

EXAMPLES = [
    "このイヤホン、音がすごくクリアで買ってよかったです！",
    "届いた商品が壊れていて、問い合わせにも返事がありません。",
    "値段なりの品質だと思います。特に不満はありません。",
    "悪くないけど、期待していたほどではなかった。",
    "最高のホテルでした😊また泊まりたい",
]
NO_RUN = (
    "There is no trained run yet: start one in the Train tab (the starter learns the sample in under a minute), "
    "or run `python train.py --dataset sample --model starter`. / まず学習タブでモデルを学習してください。"
)


def build_classify_tab(studio) -> dict:
    names = studio.run_names()
    run = gr.Dropdown(
        names, value=names[0] if names else None, label="Run / 学習済みモデル (newest first)", allow_custom_value=True
    )
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label="Review / レビュー", lines=3, placeholder="日本語のレビューを入力してください")
            classify = gr.Button("Classify / 分類", variant="primary")
            gr.Examples(EXAMPLES, [text], label="Examples / 例")
        with gr.Column(scale=2):
            label = gr.Label(label="Prediction / 予測", num_top_classes=3, elem_id="prediction")
            info = gr.Markdown()
    gr.Markdown("### Many texts / まとめて分類: one text per line, or a CSV with a `text` column")
    with gr.Row():
        lines = gr.Textbox(label="One text per line / 1行に1件", lines=4, scale=3)
        upload = gr.File(label="CSV", file_types=[".csv", ".tsv"], scale=1, height=110)
    classify_many = gr.Button("Classify all / まとめて分類")
    table = gr.Dataframe(
        headers=["text", "label", "p_positive", "p_neutral", "p_negative", "truncated"], interactive=False, wrap=True
    )
    download = gr.DownloadButton("Download (CSV)", visible=False)

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

    classify.click(classify_text, [run, text], [label, info], api_name="classify")
    text.submit(classify_text, [run, text], [label, info], api_visibility="private")
    classify_many.click(classify_batch, [run, lines, upload], [table, download], api_name="classify_batch")
    seen_runs = gr.State(names)
    return {"run": run, "seen": seen_runs, "refresh": lambda current, seen: refresh_runs(studio, current, seen)}
