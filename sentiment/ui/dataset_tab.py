"""Tab 1, Dataset: choose a source and look at its splits, labels, lengths and rows."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..bilingual import Text, split_text
from ..errors import UserError
from ..markup import literal
from ..serving.plots import label_distribution, length_histogram
from ..serving.terms import (
    ALL_LABELS,
    LABELS,
    MAX_DATASET_ROWS,
    MAX_UPLOAD_MB,
    MIN_ROWS_TO_CARVE,
    SPLITS,
    SUSPECT_COLUMNS,
)
from .code_panels import code_panel, dataset_code, fill
from .common import ANALYSIS, Action, class_choices, over, reveal, user_errors
from .i18n import t
from .label_review import build_review_section

INTRO = (
    "Choose a dataset: the Hub's **tyqiangz/multilingual-sentiments** (Japanese Amazon reviews), the bundled "
    "**sample**, a folder this server offers (`data: …`), or upload a CSV with `text` and `label` columns.",
    "データセットを選んでください: Hub の **tyqiangz/multilingual-sentiments**（日本語の Amazon レビュー）、"
    "同梱の **sample**、このサーバーが提供するフォルダ（`data: …`）、または `text` と `label` の列を持つ CSV "
    "のアップロード。",
)


UPLOAD_RULES = (
    f"An upload: CSV, TSV, JSON Lines or Parquet with a `text` and a `label` column (positive, neutral, negative, or "
    f"0, 1, 2); UTF-8, cp932 (Shift-JIS) or EUC-JP; at least {MIN_ROWS_TO_CARVE} rows, at most "
    f"{MAX_DATASET_ROWS:,} rows and {MAX_UPLOAD_MB} MB.",
    f"アップロードできるのは、`text` 列と `label` 列（positive・neutral・negative または 0・1・2）のある CSV・TSV・"
    f"JSON Lines・Parquet です。文字コードは UTF-8・cp932（Shift-JIS）・EUC-JP、{MIN_ROWS_TO_CARVE} 行以上 "
    f"{MAX_DATASET_ROWS:,} 行以下、{MAX_UPLOAD_MB} MB までです。",
)
UPLOAD_RULES_TEXT = Text(*UPLOAD_RULES)
NOT_TAKEN = Text("⚠ Not loaded: {reason}", "⚠ 読み込めませんでした: {reason}")
SUSPECTS_INTRO = (
    "### Reviews whose label the models doubt\nStar ratings make noisy labels. An n-gram model trained on the "
    "other reviews (5-fold) gives each review its class probabilities; *confident learning* (Northcutt et al., "
    "2021) flags the reviews where another class is likelier than its label usually is. Score 1: the models see "
    "no trace of the given label.",
    "### ラベルが疑わしいレビュー\n星の数から作ったラベルには誤りが混ざります。ほかのレビューで学習した n-gram "
    "モデル（5 分割）が各レビューのクラス確率を出し、*Confident Learning*（Northcutt ら 2021）が、与えられたラベルより"
    "別のクラスがもっともらしいレビューを見つけます。スコア 1 は、与えられたラベルの気配が"
    "まったくないことを意味します。",
)
SUSPECTS_SHOWN = 50


def caption_text(result) -> Text:
    """'Page 1 of 13 · 249 matching rows', in the visitor's language."""
    return Text(result.caption, f"{result.pages} ページ中 {result.page} ページ目 · 該当 {result.matches:,} 件")


def split_choices() -> list[tuple]:
    return [(t(split_text(name)), name) for name in SPLITS]


@dataclass(frozen=True)
class DatasetTab:
    """What the rest of the page wires to: showing the chosen dataset (the page does on opening), and the review's
    run picker."""

    show: Action
    review_run: gr.Dropdown


def build_dataset_tab(studio, dataset_state: gr.State) -> DatasetTab:
    gr.Markdown(t(*INTRO))
    with gr.Row():
        source = gr.Dropdown(
            studio.catalog.choices(),
            value=studio.default_dataset,
            allow_custom_value=True,
            scale=3,
            label=t("Source", "データの場所"),
            info=t("pick one, or type a Hub id (owner/name)", "選ぶか、Hub の ID（owner/name）を入力"),
        )
        load = gr.Button(t("Load", "読み込む"), variant="primary", scale=1)
        upload = gr.File(
            label=t("…or upload a CSV", "…または CSV をアップロード"),
            file_types=[".csv", ".tsv", ".jsonl", ".parquet"],
            scale=2,
            height=110,
        )
    upload_note = gr.Markdown(t(*UPLOAD_RULES), elem_id="upload-note")
    notices = gr.Markdown()
    summary = gr.Dataframe(label=t("Splits and features", "分割と特徴量"), interactive=False)
    code_accordion, overview_code = code_panel("dataset-code")
    with gr.Row():
        distribution = gr.Plot(label=t("Label distribution", "ラベルの分布"))
        sources = gr.Dataframe(label=t("Source × label", "ソース別ラベル数"), interactive=False)
    with gr.Row():
        characters = gr.Plot(label=t("Characters per label", "ラベル別の文字数"))
        tokens = gr.Plot(label=t("Tokens per label", "ラベル別のトークン数"))
    gr.Markdown(t("### Rows", "### データ行"))
    with gr.Row():
        split = gr.Dropdown(
            split_choices(),
            value="train",
            label=t("Split", "分割"),
        )
        label = gr.Dropdown(
            [(t(ALL_LABELS, "すべて"), ALL_LABELS), *class_choices(LABELS)],
            value=ALL_LABELS,
            label=t("Label", "ラベル"),
        )
        query = gr.Textbox(label=t("Search text", "検索"), placeholder=t("e.g. 最高", "例: 最高"), scale=2)
        page = gr.Number(value=1, precision=0, minimum=1, label=t("Page", "ページ"))
    with gr.Row():
        previous = gr.Button(t("← Previous", "← 前へ"), size="sm")
        caption = gr.Markdown(elem_id="dataset-caption")
        following = gr.Button(t("Next →", "次へ →"), size="sm")
    rows = gr.Dataframe(interactive=False, wrap=True, column_widths=["8%", "62%", "12%", "18%"])
    gr.Markdown(t(*SUSPECTS_INTRO))
    with gr.Row():
        suspect_split = gr.Dropdown(
            split_choices(),
            value="train",
            label=t("Split to check", "調べる分割"),
        )
        find = gr.Button(t("Find reviews whose label the models doubt", "ラベルが疑わしいレビューを探す"))
    suspect_note = gr.Markdown(elem_id="suspects-note")
    suspects = gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id="suspects-table")
    review_run = build_review_section(studio, dataset_state, suspect_split, suspects)

    shown = [
        dataset_state,
        notices,
        summary,
        distribution,
        sources,
        characters,
        tokens,
        rows,
        caption,
        page,
        split,
        label,
        query,
    ]
    show = Action(over(studio, show_dataset), [source], shown)
    load.click(show.fn, show.inputs, show.outputs, api_name="load_dataset", **ANALYSIS)
    fill(code_accordion, overview_code, [dataset_state.change], over(studio, dataset_code), [dataset_state])
    finding = find.click(
        over(studio, find_suspects),
        [dataset_state, suspect_split],
        [suspect_note, suspects],
        api_name="suspects",
        **ANALYSIS,
    )
    reveal(finding, [suspects])
    uploaded = upload.upload(
        over(studio, take_upload), [upload], [source, upload_note, upload], api_name="upload_dataset", **ANALYSIS
    )
    uploaded.success(show.fn, show.inputs, show.outputs, api_visibility="private")
    paging = [dataset_state, split, label, query, page]
    page_of = over(studio, show_page)
    page.submit(page_of, paging, [rows, caption, page], api_name="dataset_page", queue=False)
    for trigger in (split.input, label.input, query.submit):
        trigger(over(studio, first_page), paging[:-1], [rows, caption, page], api_visibility="private", queue=False)
    previous.click(lambda n: max(1, int(n or 1) - 1), [page], [page], queue=False, api_visibility="private").then(
        page_of, paging, [rows, caption, page], api_visibility="private"
    )
    following.click(lambda n: int(n or 1) + 1, [page], [page], queue=False, api_visibility="private").then(
        page_of, paging, [rows, caption, page], api_visibility="private"
    )
    return DatasetTab(show, review_run)


@user_errors
def show_dataset(studio, chosen: str):
    shown = studio.catalog.overview(chosen, studio.models.length_tokenizer())
    notes = "\n".join(f"- {literal(notice)}" for notice in shown.notices) or "&nbsp;"
    return (
        chosen,
        f"**{literal(chosen)}**\n{notes}",
        shown.summary,
        label_distribution(shown.label_counts),
        shown.source_counts,
        length_histogram(shown.lengths, "characters"),
        length_histogram(shown.lengths, "tokens"),
        shown.first_page.rows,
        caption_text(shown.first_page),
        1,
        "train",
        ALL_LABELS,
        "",
    )


@user_errors
def show_page(studio, chosen: str, split_name: str, label_name: str, text: str, number: float):
    result = studio.catalog.page(chosen, split_name, label_name, text, int(number or 1))
    return result.rows, caption_text(result), result.page


@user_errors
def first_page(studio, chosen: str, split_name: str, label_name: str, text: str):
    """Another split or label starts at its first page."""
    return show_page(studio, chosen, split_name, label_name, text, 1)


@user_errors
def find_suspects(studio, chosen: str, split_name: str):
    found = studio.analyses.suspects(chosen, split_name)
    flagged = int(found.table["flagged"].sum())
    notes = "".join(f" {notice}" for notice in found.notices)
    shown = min(SUSPECTS_SHOWN, len(found.table))
    note = Text(
        f"**{flagged:,}** of {len(found.table):,} {split_name} reviews have a label the models doubt; the "
        f"{shown} most doubtful first.{notes}",
        f"{split_text(split_name).ja}データ {len(found.table):,} 件のうち **{flagged:,}** 件のラベルが疑わしい"
        f"と判断されました。疑わしい順に {shown} 件を示します。{notes}",
    )
    return note, found.table.head(SUSPECTS_SHOWN)[SUSPECT_COLUMNS]


@user_errors
def take_upload(studio, file):
    """An upload checked and kept: the Source picker then names it. One that can't be used leaves the picker as it
    was and says why beside it (not as an error, which would take the picker's place); the file is cleared for
    another try."""
    try:
        return studio.catalog.save_upload(file), UPLOAD_RULES_TEXT, gr.skip()
    except UserError as error:
        return gr.skip(), NOT_TAKEN.format(reason=str(error)) + "\n\n" + UPLOAD_RULES_TEXT, None
