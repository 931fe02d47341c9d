"""Tab 1, Dataset: choose a source and look at its splits, labels, lengths and rows."""

from __future__ import annotations

import gradio as gr

from ..browsing import ALL_LABELS, label_counts, lengths, page_rows, source_label_counts, split_summary
from ..data import LABELS, SPLITS
from ..plots import label_distribution, length_histogram
from .common import user_errors

INTRO = """Choose a dataset: the Hub's **tyqiangz/multilingual-sentiments** (Japanese Amazon reviews), the bundled
**sample**, a folder this server offers (`data: …`), or upload a CSV with `text` and `label` columns.
/ データセットを選んでください。"""


def build_dataset_tab(studio, dataset_state: gr.State) -> dict:
    gr.Markdown(INTRO)
    with gr.Row():
        source = gr.Dropdown(
            studio.dataset_choices(),
            value=studio.default_dataset,
            allow_custom_value=True,
            scale=3,
            label="Source / データの場所",
            info="pick one, or type a Hub id (owner/name)",
        )
        load = gr.Button("Load / 読み込む", variant="primary", scale=1)
        upload = gr.File(
            label="…or upload a CSV / CSV をアップロード",
            file_types=[".csv", ".tsv", ".jsonl", ".parquet"],
            scale=2,
            height=110,
        )
    notices = gr.Markdown()
    summary = gr.Dataframe(label="Splits and features / 分割と特徴量", interactive=False)
    with gr.Row():
        distribution = gr.Plot(label="Label distribution")
        sources = gr.Dataframe(label="Source × label / ソース別ラベル数", interactive=False)
    with gr.Row():
        characters = gr.Plot(label="Characters per label")
        tokens = gr.Plot(label="Tokens per label")
    gr.Markdown("### Rows / データ行")
    with gr.Row():
        split = gr.Dropdown(list(SPLITS), value="train", label="Split")
        label = gr.Dropdown([ALL_LABELS, *LABELS], value=ALL_LABELS, label="Label")
        query = gr.Textbox(label="Search text / 検索", placeholder="例: 最高", scale=2)
        page = gr.Number(value=1, precision=0, minimum=1, label="Page")
    with gr.Row():
        previous = gr.Button("← Previous", size="sm")
        caption = gr.Markdown()
        following = gr.Button("Next →", size="sm")
    rows = gr.Dataframe(interactive=False, wrap=True, column_widths=["8%", "62%", "12%", "18%"])

    @user_errors
    def show_dataset(chosen: str):
        data = studio.dataset(chosen)
        frames = {split: studio.frame(chosen, split) for split in data}  # cached: converted once per source
        length_table = lengths(frames["train"], studio.length_tokenizer())
        notes = "\n".join(f"- {notice}" for notice in data.notices) or "&nbsp;"
        first = page_rows(frames["train"])
        return (
            chosen,
            f"**{chosen}**\n{notes}",
            split_summary(data),
            label_distribution(label_counts(frames, data.label_names)),
            source_label_counts(frames, data.label_names),
            length_histogram(length_table, "characters"),
            length_histogram(length_table, "tokens"),
            first.rows,
            first.caption,
            1,
            "train",
            ALL_LABELS,
            "",
        )

    @user_errors
    def show_page(chosen: str, split_name: str, label_name: str, text: str, number: float):
        result = page_rows(studio.frame(chosen, split_name), label_name, text, int(number or 1))
        return result.rows, result.caption, result.page

    @user_errors
    def take_upload(file):
        return studio.save_upload(file)

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
    load.click(show_dataset, [source], shown, api_name="load_dataset")
    upload.upload(take_upload, [upload], [source], api_name="upload_dataset").success(
        show_dataset, [source], shown, api_visibility="private"
    )
    paging = [dataset_state, split, label, query, page]
    split.input(show_page, paging, [rows, caption, page], api_name="dataset_page", queue=False)
    for trigger in (label.input, query.submit, page.submit):
        trigger(show_page, paging, [rows, caption, page], api_visibility="private", queue=False)
    previous.click(lambda n: max(1, int(n or 1) - 1), [page], [page], queue=False, api_visibility="private").then(
        show_page, paging, [rows, caption, page], api_visibility="private"
    )
    following.click(lambda n: int(n or 1) + 1, [page], [page], queue=False, api_visibility="private").then(
        show_page, paging, [rows, caption, page], api_visibility="private"
    )
    return {"source": source, "load": load, "show": (show_dataset, [source], shown)}
