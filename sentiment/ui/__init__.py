"""The Gradio app: five tabs, each a thin module over the `sentiment` package."""

from __future__ import annotations

import gradio as gr

from ..limits import MAX_UPLOAD_MB
from .classify_tab import build_classify_tab
from .dataset_tab import build_dataset_tab
from .evaluate_tab import build_evaluate_tab
from .i18n import TRANSLATIONS, t
from .tokenizer_tab import CSS, DEFAULT_TEXT, build_tokenizer_tab
from .train_tab import build_train_tab

HEADER = (
    "# Japanese Sentiment Studio\nExplore Japanese reviews, see how a BERT tokenizer splits Japanese, fine-tune a "
    "classifier and try it.",
    "# 日本語感情分析スタジオ\nレビューの閲覧、BERT のトークナイザーが日本語をどう分割するか、ファインチューニング、"
    "分類までを体験できます。",
)


def build_app(studio) -> gr.Blocks:
    # Files gradio keeps for visitors (uploads, downloads) are deleted an hour after they were made.
    with gr.Blocks(title="Japanese Sentiment Studio", delete_cache=(1800, 3600)) as app:
        gr.Markdown(t(*HEADER))
        if studio.notice:
            gr.Markdown(f"⚠️ {studio.notice}", elem_id="offline-notice")
        dataset_state = gr.State(studio.default_dataset)
        with gr.Tabs():
            with gr.Tab(t("1. Dataset", "1. データ"), id="dataset"):
                dataset = build_dataset_tab(studio, dataset_state)
            with gr.Tab(t("2. Tokenizer", "2. トークナイザー"), id="tokenizer") as tokenizer_tab:
                tokenizer = build_tokenizer_tab(studio)
            with gr.Tab(t("3. Train", "3. 学習"), id="train"):
                build_train_tab(studio, dataset_state)
            with gr.Tab(t("4. Evaluate", "4. 評価"), id="evaluate") as evaluate_tab:
                evaluate = build_evaluate_tab(studio)
            with gr.Tab(t("5. Classify", "5. 分類"), id="classify") as classify_tab:
                classify = build_classify_tab(studio)

        # Runs finished since the page opened appear when a tab that lists them is opened.
        for tab, parts in ((evaluate_tab, evaluate), (classify_tab, classify)):
            pickers = [parts["run"], parts["seen"]]
            tab.select(parts["refresh"], pickers, pickers, queue=False, api_visibility="private")
        _refresh_choices(evaluate_tab, evaluate["compared"], studio.run_names)
        _refresh_choices(tokenizer_tab, tokenizer["choice"], studio.tokenizer_choices)

        def shared_text(request: gr.Request) -> str:
            """`?text=…` in the address pre-fills the tokenizer, so a teacher can link to an example."""
            return request.query_params.get("text") or DEFAULT_TEXT

        tokenize, tokenize_inputs, tokenize_outputs = tokenizer["tokenize"]
        app.load(shared_text, None, [tokenizer["text"]], queue=False, api_visibility="private").then(
            tokenize, tokenize_inputs, tokenize_outputs, api_visibility="private"
        )
        show_dataset, dataset_inputs, dataset_outputs = dataset["show"]
        app.load(show_dataset, dataset_inputs, dataset_outputs, api_visibility="private")
    return app


def _refresh_choices(tab, picker, choices) -> None:
    """When `tab` is opened, `picker` offers `choices()` anew, keeping what is chosen."""
    tab.select(
        lambda chosen: gr.Dropdown(choices=choices(), value=chosen),
        [picker],
        [picker],
        queue=False,
        api_visibility="private",
    )


def launch_app(studio, host: str, port: int, share: bool = False, prevent_thread_lock: bool = False):
    app = build_app(studio)
    app.queue(default_concurrency_limit=4, max_size=studio.deployment.bounds.queue_size)
    app.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=f"{MAX_UPLOAD_MB}mb",
        prevent_thread_lock=prevent_thread_lock,
        theme=gr.themes.Soft(),
        i18n=TRANSLATIONS,
        css=CSS,
        footer_links=["api"],
    )
    return app
