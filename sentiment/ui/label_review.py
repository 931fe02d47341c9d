"""The Dataset tab's review of doubted labels: read a doubted review, keep its label or change it, and download the
dataset with the decisions laid over it. Decisions belong to the visitor's session (a State): one visitor never
changes what another sees, and the dataset itself is never edited."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from ..bilingual import Text, class_text
from ..serving.terms import LABELS, MAX_CORRECTIONS, Overlay
from .common import class_choices, over, reveal, user_errors
from .i18n import t

INTRO = (
    "#### Read the doubted, decide, download\nClick a review in the list above to read it: **keep** its label, or "
    f"**change** it to the label chosen below. Your decisions stay in this page's session (at most "
    f"{MAX_CORRECTIONS:,}), never in the dataset; download the dataset with them as CSV, each label with where it "
    "comes from.",
    "#### 疑わしいレビューを読んで決める\n上の一覧のレビューをクリックして読み、ラベルを**そのまま**にするか、"
    f"下で選んだラベルに**変更**してください。判断はこのページのセッションにだけ保存され（最大 {MAX_CORRECTIONS:,} "
    "件）、データセット自体は変わりません。判断を反映したデータセットを、各ラベルの出所つきの CSV で"
    "ダウンロードできます。",
)
CHOOSE_LABEL = Text("Choose the label to change to first.", "まず変更先のラベルを選んでください。")
PICK_ONE = Text("Click a review in the list above first.", "まず上の一覧のレビューをクリックしてください。")
DECISION_COLUMNS = ["split", "text", "given", "label", "by", "at"]


def build_review_section(studio, dataset_state: gr.State, split: gr.Dropdown, suspects: gr.Dataframe) -> None:
    gr.Markdown(t(*INTRO))
    overlay = gr.State(Overlay())
    # The dataset row of the review being read: a hidden number, not a State, so the API can name a row too.
    row = gr.Number(value=None, precision=0, visible=False, label=t("Row", "行"))
    review = gr.Markdown(elem_id="review-card")
    with gr.Row():
        label = gr.Radio(class_choices(LABELS), value=None, label=t("Label", "ラベル"), scale=3)
        keep = gr.Button(t("Keep the label", "ラベルをそのままにする"), scale=1)
        change = gr.Button(t("Change to this label", "このラベルに変更"), variant="primary", scale=1)
    decided = gr.Markdown(elem_id="review-decided")
    decisions = gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id="review-decisions")
    download = gr.Button(t("Download the dataset with my decisions (CSV)", "判断を反映したデータを CSV で保存"))
    corrected = gr.File(label=t("Corrected dataset", "修正済みデータ"), visible=False, elem_id="review-download")

    suspects.select(read_review, [suspects], [row, review, label], queue=False, api_visibility="private")
    outputs = [overlay, decided, decisions]
    read = [overlay, dataset_state, split, row]
    kept = keep.click(over(studio, keep_label), read, outputs, api_name="keep_label")
    changed = change.click(over(studio, change_label), [*read, label], outputs, api_name="change_label")
    for event in (kept, changed):
        reveal(event, [decisions])
    reveal(download.click(over(studio, download_corrected), [overlay, dataset_state], [corrected]), [corrected])


def read_review(table: pd.DataFrame, event: gr.SelectData):
    """A click on a doubted review: its text, given and suggested label, and the suggestion chosen to change to."""
    picked = table.iloc[event.index[0]]
    card = Text(
        f"**Review {picked['index']}** (doubt {picked['score']:.2f}): {picked['text']}\n\nGiven "
        f"**{class_text(picked['label']).en}**; the models suggest **{class_text(picked['suggested']).en}**.",
        f"**レビュー {picked['index']}**（疑わしさ {picked['score']:.2f}）: {picked['text']}\n\n与えられたラベル"
        f"**{class_text(picked['label']).ja}**、モデルの提案**{class_text(picked['suggested']).ja}**。",
    )
    return int(picked["index"]), str(card), picked["suggested"]


@user_errors
def keep_label(studio, overlay: Overlay, choice: str, split: str, index: int | None, request: gr.Request):
    """The review read keeps its label (it was read, and found right)."""
    return _decided(studio, overlay, choice, split, index, None, request)


@user_errors
def change_label(studio, overlay: Overlay, choice: str, split: str, index: int | None, label: str, request: gr.Request):
    """The review read gets `label` instead of its given one."""
    if not label:
        return gr.skip(), CHOOSE_LABEL, gr.skip()
    return _decided(studio, overlay, choice, split, index, label, request)


def _decided(studio, overlay: Overlay, choice: str, split: str, index: int | None, label: str | None, request):
    """The session's decisions with this one added, a sentence counting them, and their table."""
    if index is None:
        return gr.skip(), PICK_ONE, gr.skip()
    by = f"visitor {request.session_hash[:6]}" if request is not None and request.session_hash else "reader"
    overlay = studio.analyses.decide_label(choice, overlay, split, int(index), label, by)
    latest = list(overlay.as_dict().values())
    changed = sum(decision.changed for decision in latest)
    kept = len(latest) - changed
    note = Text(
        f"{len(latest):,} reviews decided in this session: {changed:,} labels changed, {kept:,} kept.",
        f"このセッションで {len(latest):,} 件を判断しました（変更 {changed:,} 件、そのまま {kept:,} 件）。",
    )
    table = pd.DataFrame([{column: getattr(d, column) for column in DECISION_COLUMNS} for d in latest])
    return overlay, note, table


@user_errors
def download_corrected(studio, overlay: Overlay, choice: str):
    return str(studio.analyses.corrected_download(choice, overlay))
