"""The Gradio app: five tabs, each a thin module over the `sentiment` package."""

from __future__ import annotations

import os

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from ..serving.guards import UploadGuard, forwarded_allow_ips
from ..serving.terms import MAX_UPLOAD_MB
from .classify_tab import build_classify_tab
from .common import over, user_errors
from .dataset_tab import build_dataset_tab
from .evaluate_tab import build_evaluate_tab
from .i18n import TRANSLATIONS, t
from .inside_bert import build_wordpiece_section
from .run_pickers import fresh_picker, opened_picker, refresh_runs
from .tokenizer_compare import CSS as COMPARE_CSS
from .tokenizer_compare import build_compare_section
from .tokenizer_tab import CSS, DEFAULT_TEXT, build_tokenizer_tab
from .train_tab import build_train_tab

HEADER = (
    "## Japanese Sentiment Studio\nExplore Japanese reviews, see how a BERT tokenizer splits Japanese, fine-tune a "
    "classifier and try it.",
    "## 日本語感情分析スタジオ\nレビューの閲覧、BERT のトークナイザーが日本語をどう分割するか、ファインチューニング、"
    "分類までを体験できます。",
)
TABS = ("dataset", "tokenizer", "train", "evaluate", "classify")
# For `?tab=evaluate&run=…`, presses Evaluate once its button is on the page (the tab a link opens is drawn after
# the page loads; it is not there at all before the first run).
PRESS_EVALUATE = """
() => {
  const query = new URLSearchParams(window.location.search);
  if (query.get("tab") !== "evaluate" || !query.get("run")) return;
  const started = Date.now();
  const press = () => {
    const button = document.querySelector("#evaluate-button");
    if (button && button.offsetParent !== null) button.click();
    else if (Date.now() - started < 30000) setTimeout(press, 100);
  };
  press();
}
"""
PAGE_CSS = """
.server-notice { font-size: .85em; opacity: .85; }
.server-notice p { margin: 0; }
/* A header breaks between words, never inside one ("cou nt", "p_positi ve"); cells still wrap Japanese anywhere. */
.table-wrap th, .table-wrap th * { word-break: keep-all; overflow-wrap: normal; }
.table-wrap { overflow-x: auto; }
@media (max-width: 640px) {
  /* Every tab one tap away: gradio moves tabs that do not fit into a "…" menu, so on a phone they are made to fit. */
  .tab-wrapper .tab-container > button { padding: 0 .3em; font-size: .8em; }
  #app-header h2 { font-size: 1.2em; margin: 0; }
  #app-header p { display: none; }
  .table-wrap th, .table-wrap td { min-width: 5.5em; }
}
"""


def build_app(studio) -> gr.Blocks:
    # Files gradio keeps for visitors (uploads, downloads) are deleted this long after they were made.
    lifetime = studio.deployment.bounds.upload_lifetime
    with gr.Blocks(title="Japanese Sentiment Studio", delete_cache=(lifetime // 2, lifetime)) as app:
        gr.Markdown(t(*HEADER), elem_id="app-header")
        for notice in studio.notices:
            gr.Markdown(t("⚠️ " + notice), elem_classes="server-notice")
        dataset_state = gr.State(studio.default_dataset)
        with gr.Tabs() as tabs:
            with gr.Tab(t("1. Dataset", "1. データ"), id="dataset") as dataset_tab:
                dataset = build_dataset_tab(studio, dataset_state)
            with gr.Tab(t("2. Tokenizer", "2. トークナイザー"), id="tokenizer") as tokenizer_tab:
                tokenizer = build_tokenizer_tab(studio)
                build_wordpiece_section(studio, tokenizer.text, tokenizer.choice, dataset_state)
                compare = build_compare_section(studio, tokenizer.text, dataset_state)
            with gr.Tab(t("3. Train", "3. 学習"), id="train") as train_tab:
                estimate = build_train_tab(studio, dataset_state)
            with gr.Tab(t("4. Evaluate", "4. 評価"), id="evaluate") as evaluate_tab:
                evaluate = build_evaluate_tab(studio, tabs)
            with gr.Tab(t("5. Classify", "5. 分類"), id="classify") as classify_tab:
                classify = build_classify_tab(studio, tabs)

        # Runs finished since the page opened appear when a tab that lists them is opened.
        for tab, parts in ((evaluate_tab, evaluate), (classify_tab, classify)):
            pickers = [parts.run, parts.seen]
            # (in the visitor's language: the picker's help line says why it opens on the run it does)
            tab.select(
                over(studio, user_errors(refresh_runs)), pickers, pickers, queue=False, api_visibility="private"
            )
        _refresh_choices(evaluate_tab, evaluate.compared, studio.runbook.choices)
        # The run to retrain keeps its choice: a retrain that appeared is not what the visitor retrains next.
        _refresh_choices(dataset_tab, dataset.review_run, studio.runbook.choices)
        _refresh_choices(tokenizer_tab, tokenizer.choice, studio.models.tokenizer_choices)
        # A run finished since the page opened times the next one: the estimate is made anew on opening the tab.
        train_tab.select(estimate.fn, estimate.inputs, estimate.outputs, queue=False, api_visibility="private")

        linked = gr.State(False)  # whether the address asks for a text to be classified
        link_outputs = [tabs, tokenizer.text, classify.text, linked]
        for parts in (classify, evaluate):
            link_outputs += [parts.run, parts.seen, parts.notice]
        opened = app.load(over(studio, open_page), None, link_outputs, queue=False, api_visibility="private")
        tokenizer.tokenize.after(opened)
        compare.after(opened)
        opened.then(over(studio, fresh_picker), None, [dataset.review_run], queue=False, api_visibility="private")
        classify.availability.after(opened)
        evaluate.availability.after(opened)
        classified = classify.classify
        opened.then(
            classify_linked(classified.fn), [linked, *classified.inputs], classified.outputs, api_visibility="private"
        )
        # Evaluate as if its button were pressed: the same chain (the metrics, then the slices) as a visitor's.
        opened.then(None, None, None, js=PRESS_EVALUATE)
        shown = dataset.show
        app.load(shown.fn, shown.inputs, shown.outputs, api_visibility="private")
    return app


@user_errors
def open_page(studio, request: gr.Request):
    """A page opening: the pickers as of now, and the tab, run and text its address names, so a teacher can link
    to an example: `?tab=tokenizer&text=…` (plain `?text=…` too), `?tab=classify&run=…&text=…` (classified on
    opening), `?tab=evaluate&run=…` (evaluated on opening). The run is chosen in Classify's and Evaluate's
    pickers alike; one that is not here is named in a sentence beside them, and they open on the default run."""
    query = request.query_params
    text, tab = query.get("text") or "", query.get("tab") or ("tokenizer" if query.get("text") else "")
    asked = query.get("run") or ""
    classifying = tab == "classify"
    pickers = opened_picker(studio, asked)
    return (
        gr.Tabs(selected=tab) if tab in TABS else gr.skip(),
        text if text and not classifying else DEFAULT_TEXT,
        text if classifying and text else gr.skip(),
        bool(classifying and text),
        *pickers,
        *pickers,
    )


def classify_linked(classify_text):
    """Classify's handler, run only when the address asked for its text to be classified."""

    def classify_if_asked(asked: bool, *values):
        return classify_text(*values) if asked else (gr.skip(), gr.skip())

    return classify_if_asked


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
    bounds = studio.deployment.bounds
    # gradio summarises every event it has recorded (a pandas frame of up to 10,000) after each event, for a
    # monitoring page this app does not enable: 12% of a busy classroom server's CPU (docs/benchmarks.md §8).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31))
    app.queue(default_concurrency_limit=4, max_size=bounds.queue_size)
    # uvicorn (which gradio starts with its own settings) replaces the client's address by X-Forwarded-For's for
    # requests from the hosts in FORWARDED_ALLOW_IPS, loopback where unset, before the app reads it: it believes
    # exactly this deployment's proxies, so who is asking stays the app's rule (guards.visitor_address) and a
    # neighbour on this machine can't choose a new identity with every request. None: it believes no one.
    os.environ["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips(studio.deployment.proxies)
    middleware = []
    if studio.deployment.public:  # gradio's own upload route keeps any posted file, outside the app's quotas
        guard = {
            "folder": get_upload_folder(),
            "max_bytes": bounds.upload_cache_mb * 2**20,
            "visitor_bytes": bounds.visitor_upload_mb * 2**20,
            "proxies": studio.deployment.proxies,
        }
        middleware.append(Middleware(UploadGuard, **guard, per_hour=bounds.uploads_per_hour))
    app.launch(
        app_kwargs={"middleware": middleware},
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=f"{MAX_UPLOAD_MB}mb",
        prevent_thread_lock=prevent_thread_lock,
        theme=gr.themes.Soft(),
        i18n=TRANSLATIONS,
        css=CSS + COMPARE_CSS + PAGE_CSS,
        footer_links=["api"],
    )
    return app
