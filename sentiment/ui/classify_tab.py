"""Tab 5, Classify: a label and class probabilities for typed text, or for many texts at once."""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from ..bilingual import Text, join
from ..errors import UserError
from ..markup import literal
from ..serving.run_choice import is_ngram, quality_note, weak_note
from ..serving.terms import LABELS, MAX_TEXT_CHARS
from .code_panels import classify_code, code_panel, fill
from .common import (
    ANALYSIS,
    Action,
    class_choices,
    class_name,
    copy_link,
    empty_state,
    link_box,
    over,
    reveal,
    user_errors,
    watch_runs,
)
from .i18n import t
from .inside_bert import build_layers_section
from .run_pickers import run_picker
from .what_if import vary, what_if_components

# Each example with the label a person gives it, so the page can say plainly when a model gets one wrong.
EXAMPLE_LABELS = {
    "このイヤホン、音がすごくクリアで買ってよかったです！": "positive",
    "届いた商品が壊れていて、問い合わせにも返事がありません。": "negative",
    "値段なりの品質だと思います。特に不満はありません。": "neutral",
    "悪くないけど、期待していたほどではなかった。": "neutral",
    "最高のホテルでした😊また泊まりたい": "positive",
}
EXAMPLES = list(EXAMPLE_LABELS)
# The API value of "explain the predicted class" (the page shows it in the visitor's language). Until 2026-12 it
# was the two-language label, which scripts may still send: it is taken for one release.
PREDICTED = "predicted"
FORMER_PREDICTED = "predicted / 予測"


NO_SUCH_CLASS = Text(
    "There is no class “{chosen}” to explain: choose predicted, positive, neutral or negative.",
    "「{chosen}」というクラスはありません。predicted、positive、neutral、negative から選んでください。",
)
EMPTY_TITLE = ("### Classify needs a trained run", "### 分類には学習済みモデルが必要です")
WHY_INTRO = (
    "### Why this prediction\n**Integrated Gradients** measures how much each MeCab word and each token moved the "
    "model toward a class, compared with a text where every token is `[PAD]`: teal pushes toward it, orange away.",
    "### 予測の理由\n**Integrated Gradients** は、すべてのトークンが `[PAD]` の文と比べて、MeCab の各単語と各トークンが"
    "モデルをそのクラスへどれだけ押したかを測ります。緑はそのクラスへ、橙は逆方向へ押しています。",
)
NO_RUN = Text(
    "There is no trained run yet: start one in the Train tab (the starter on the sample is the quickest), "
    "or run `python train.py --dataset sample --model starter`.",
    "まだ学習済みモデルがありません。学習タブでモデルを学習するか、"
    "`python train.py --dataset sample --model starter` を実行してください。",
)
WRONG_EXAMPLE = Text(
    " · ✗ This model gets this example wrong: a person would call it {expected}.",
    " · ✗ このモデルはこの例を誤って分類しています（人が読めば{expected}です）。",
)
WEAK_WHY = Text(
    "The words it leans on show what it has learned, which may not be what a reader would see.",
    "このモデルが頼る単語は、学んだことを示しますが、人が読み取るものとは違うかもしれません。",
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


@dataclass(frozen=True)
class ClassifyTab:
    """What the rest of the page wires to: the run picker (and the runs it has seen), the sentence beside it,
    the text, classifying it (a shared link does) and what the picked run can do (the page opening asks)."""

    run: gr.Dropdown
    seen: gr.State
    notice: gr.Markdown
    text: gr.Textbox
    classify: Action
    availability: Action


def build_classify_tab(studio, tabs) -> ClassifyTab:
    names = studio.runbook.names()
    card, message = empty_state(studio, tabs, t(*EMPTY_TITLE))
    with gr.Column(visible=bool(names)) as main:
        run = run_picker(studio, t("Run (newest first)", "学習済みモデル（新しい順）"))
        notice = gr.Markdown(elem_id="classify-run-notice")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=280):
                text = gr.Textbox(
                    label=t("Review", "レビュー"),
                    lines=3,
                    placeholder=t("Type a Japanese review", "日本語のレビューを入力してください"),
                    elem_id="classify-text",
                )
                with gr.Row():
                    classify = gr.Button(t("Classify", "分類"), variant="primary", scale=2)
                    copy = gr.Button(t("Copy link", "リンクをコピー"), size="md", scale=1)
            with gr.Column(scale=2, min_width=280):
                label = gr.Label(label=t("Prediction", "予測"), num_top_classes=3, elem_id="prediction")
                info = gr.Markdown(elem_id="prediction-info")
                code_accordion, code = code_panel("classify-code")
        link = link_box("classify-link")
        examples = gr.Examples(EXAMPLES, [text], label=t("Examples: click one to classify it", "例: クリックで分類"))
        gr.Markdown(t(*WHY_INTRO))
        with gr.Row():
            explained = gr.Radio(
                [(t("predicted", "予測"), PREDICTED), *class_choices(LABELS)],
                value=PREDICTED,
                label=t("Class to explain", "説明するクラス"),
                scale=3,
            )
            explain = gr.Button(t("Why?", "理由を見る"), scale=1)
        why = gr.Markdown(elem_id="why-caption")
        word_scores = gr.HTML(elem_id="why-words")
        token_scores = gr.HTML(elem_id="why-tokens")
        what_if = what_if_components()
        build_layers_section(studio, run, text)
        gr.Markdown(
            t(
                "### Many texts: one text per line, or a CSV with a `text` column",
                "### まとめて分類: 1 行に 1 件、または `text` 列のある CSV",
            )
        )
        with gr.Row():
            lines = gr.Textbox(label=t("One text per line", "1 行に 1 件"), lines=4, scale=3, min_width=240)
            upload = gr.File(label="CSV", file_types=[".csv", ".tsv"], scale=1, height=110, min_width=160)
        classify_many = gr.Button(t("Classify all", "まとめて分類"))
        table = gr.Dataframe(
            headers=["text", "label", "p_positive", "p_neutral", "p_negative", "truncated"],
            interactive=False,
            wrap=True,
            visible=False,
            elem_id="batch-table",
        )
        download = gr.DownloadButton(t("Download (CSV)", "ダウンロード（CSV）"), visible=False)

    why_outputs = [why, word_scores, token_scores]
    # Unprocessed: gradio's Radio would refuse the former value of "predicted"; the handler checks every input.
    explain.click(
        over(studio, explain_prediction), [run, text, explained], why_outputs, api_name="explain", preprocess=False
    )
    varied = what_if.button.click(over(studio, vary), [run, text], [what_if.caption, what_if.table], api_name="what_if")
    reveal(varied, [what_if.table])
    what_if.table.select(
        over(studio, explain_variant), [run, explained, what_if.table], why_outputs, api_visibility="private"
    )
    classified = Action(over(studio, classify_text), [run, text], [label, info])
    classify.click(classified.fn, classified.inputs, classified.outputs, api_name="classify")
    text.submit(classified.fn, classified.inputs, classified.outputs, api_visibility="private")
    classified.after(examples.load_input_event)
    fill(code_accordion, code, [run.change, text.change], over(studio, classify_code), [run, text])
    available = Action(over(studio, why_available), [run], [explain, *why_outputs])
    run.change(available.fn, available.inputs, available.outputs, queue=False, api_visibility="private")
    run.input(lambda: "", None, [notice], queue=False, api_visibility="private")  # the visitor chose: it is said
    copy_link(copy, link, "classify", {"run": run, "text": text})
    batch = classify_many.click(
        over(studio, classify_batch), [run, lines, upload], [table, download], api_name="classify_batch", **ANALYSIS
    )
    reveal(batch, [table, download])
    seen_runs = gr.State(names)
    watch_runs(studio, card, message, main, [(run, seen_runs)])
    return ClassifyTab(run, seen_runs, notice, text, classified, available)


def classifier(studio, run_name: str):
    if not run_name:
        raise UserError(NO_RUN)
    return studio.models.classifier(run_name)


@user_errors
def classify_text(studio, run_name: str, value: str):
    model = classifier(studio, run_name)
    prediction, took = studio.models.classify(run_name, value)
    note = f"**{class_name(prediction.label)}** · {literal(run_name)} · {took:.0f} ms"
    if prediction.truncated:
        note += Text(
            f" · ✂ Only the beginning was read: the model reads at most {model.max_length} tokens "
            f"({MAX_TEXT_CHARS:,} characters).",
            f" · ✂ 先頭だけを読みました: このモデルが読むのは最大 {model.max_length} トークン"
            f"（{MAX_TEXT_CHARS:,} 文字）です。",
        )
    expected = EXAMPLE_LABELS.get(value.strip())
    if expected and expected != prediction.label:
        note += WRONG_EXAMPLE.format(expected=class_name(expected))
    quality = quality_note(studio.runbook, run_name)
    shown_probabilities = {str(class_name(label)): p for label, p in prediction.probabilities.items()}
    return shown_probabilities, note + ("\n\n" + quality if quality else "")


@user_errors
def classify_batch(studio, run_name: str, value: str, file):
    if not run_name:
        raise UserError(NO_RUN)
    table, path = studio.analyses.classify_batch(run_name, value, file)
    return table, str(path)


@user_errors
def explain_prediction(studio, run_name: str, value: str, chosen: str):
    if not run_name:
        raise UserError(NO_RUN)
    chosen = PREDICTED if chosen == FORMER_PREDICTED else chosen
    if chosen not in (PREDICTED, *LABELS):
        raise UserError(NO_SUCH_CLASS.format(chosen=chosen))
    result = studio.analyses.attribution(run_name, value, None if chosen == PREDICTED else chosen)
    total = sum(result.token_scores)
    if is_ngram(studio.runbook, run_name):  # the baseline's own reasons: exact, over characters
        caption = Text(
            f"Why **{class_name(result.label)}**: MeCab words, then characters. Each character n-gram the baseline "
            f"reads counts its weight in the regression times its TF-IDF value, shared over its characters; the "
            f"scores add up exactly to how far the {result.label} logit rose from an empty text ({total:+.2f}).",
            f"**{class_name(result.label)}** の理由: MeCab の単語、次に文字。ベースラインが読む文字 n-gram ごとに、"
            f"回帰の重みと TF-IDF 値の積をその文字に分けています。スコアの合計は、空の文と比べてこのクラスの"
            f"ロジットがどれだけ上がったかに正確に一致します（{total:+.2f}）。",
        )
    else:
        caption = Text(
            f"Why **{class_name(result.label)}**: MeCab words, then WordPiece tokens. The scores add up to how far "
            f"the {result.label} logit rose from an all-`[PAD]` text ({total:+.2f}; "
            f"approximation error {result.delta:+.3f}, {result.steps} steps).",
            f"**{class_name(result.label)}** の理由: MeCab の単語、次に WordPiece のトークン。スコアの合計は、"
            f"すべて `[PAD]` の文と比べてこのクラスのロジットがどれだけ上がったかです（{total:+.2f}、近似誤差 "
            f"{result.delta:+.3f}、{result.steps} ステップ）。",
        )
    if result.cut:
        caption += Text(
            f" ✂ Only the first {len(result.tokens)} tokens are explained: this server bounds the work of one "
            "explanation.",
            f" ✂ この公開サーバーは 1 回の説明の計算量を制限しているため、先頭 {len(result.tokens)} トークン"
            "のみ説明します。",
        )
    weak = weak_note(studio.runbook, run_name, WEAK_WHY)
    caption = join("\n\n", [note for note in (weak, caption) if note])
    words = render_scores(zip(result.words, result.word_scores, strict=True))
    return caption, words, render_scores(zip(result.tokens, result.token_scores, strict=True))


@user_errors
def why_available(studio, run_name: str):
    """Another run picked: the explanation shown was another run's, so it goes (every run can say why)."""
    return gr.Button(interactive=True), "", "", ""


@user_errors
def explain_variant(studio, run_name: str, chosen: str, table, event: gr.SelectData):
    """A click on a what-if row: "Why?" for that variant's text."""
    variant = str(table.iloc[event.index[0]]["text"])
    caption, words, tokens = explain_prediction(studio, run_name, variant, chosen)
    return f"「{variant}」: {caption}", words, tokens

