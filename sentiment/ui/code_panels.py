"""The Code panels: a collapsed "Code / コード" accordion beside each main view, holding the Python that produces what
the view shows for its current inputs (serving/code_panels.py writes it), and the run notebook's download."""

from __future__ import annotations

import gradio as gr

from ..bilingual import Text
from ..serving.code_panels import CodePanels
from .common import user_errors
from .i18n import t

NOTE = (
    "The shortest Python that makes what this view shows, with `datasets`, `transformers`, `scikit-learn`, "
    "`pandas` and `fugashi`; run it in the folder the app was started in.",
    "この表示を作る最短の Python です（`datasets`・`transformers`・`scikit-learn`・`pandas`・`fugashi`）。"
    "アプリを起動したフォルダーで実行してください。",
)
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}


def code_panel(elem_id: str) -> tuple[gr.Accordion, gr.Code]:
    """A collapsed Code panel and its code box, filled when it is opened and as the view's inputs change."""
    with gr.Accordion(t("Code", "コード"), open=False, elem_id=f"{elem_id}-panel") as panel:
        gr.Markdown(t(*NOTE))
        code = gr.Code(language="python", interactive=False, elem_id=elem_id, max_lines=40)
    return panel, code


def fill(panel: gr.Accordion, code: gr.Code, triggers: list, handler, inputs: list) -> None:
    """`handler(inputs)` into `code` when the panel opens and at each of `triggers`."""
    gr.on([panel.expand, *triggers], handler, inputs, [code], trigger_mode="always_last", **PRIVATE)


def panels(studio) -> CodePanels:
    found = getattr(studio, "_code_panels", None)
    if found is None:
        found = studio._code_panels = CodePanels(studio)
    return found


@user_errors
def dataset_code(studio, chosen: str):
    return panels(studio).dataset(chosen) if chosen else ""


@user_errors
def tokenization_code(studio, chosen: str, value: str, limit: float | None, second: str):
    if not (value or "").strip():
        return ""
    return panels(studio).tokenization(chosen, value, int(limit) if limit else None, second or "短い文です。")


@user_errors
def wordpiece_code(studio, chosen: str, value: str, word: str):
    if not (word or "").strip() and not (value or "").strip():
        return ""
    return panels(studio).wordpiece(chosen, value, word)


@user_errors
def train_code(
    studio,
    model: str,
    method: str,
    dataset: str,
    name: str,
    epochs,
    learning_rate,
    batch_size,
    max_length,
    train_examples,
    seed,
):
    """The Train form's code; its numbers in the form's order (train_tab.FORM_FIELDS)."""
    values = {
        "epochs": epochs,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "max_length": max_length,
        "train_examples": train_examples,
        "seed": seed,
    }
    return panels(studio).train(model, method, dataset, name, values)


@user_errors
def evaluation_code(studio, run_name: str, split: str):
    return panels(studio).evaluation(run_name, split) if run_name else ""


@user_errors
def classify_code(studio, run_name: str, value: str):
    return panels(studio).classify(run_name, value) if run_name and (value or "").strip() else ""


@user_errors
def run_notebook(studio, run_name: str):
    """The run as `notebook.ipynb`: it trains the run again, in the tutorial's order."""
    return str(panels(studio).notebook(run_name))


NOTEBOOK_NOTE = Text(
    "The run as a Jupyter notebook that trains it again, in the tutorial's order, with notes in Japanese and English. "
    "Open it locally with Jupyter, or in Colab: upload it (File → Upload notebook), or push the run folder (it "
    "keeps the notebook) to the Hub.",
    "この学習をもう一度行う Jupyter ノートブック（チュートリアルの順序、日本語と英語の説明付き）。Jupyter で開くか、"
    "Colab にアップロード（ファイル → ノートブックをアップロード）するか、ノートブックを含む学習フォルダーを Hub に "
    "push してください。",
)


def notebook_download(studio, run: gr.Dropdown) -> None:
    """A button that downloads the picked run's notebook (`/notebook` for the API)."""
    with gr.Row():
        button = gr.Button(t("Download the run as a notebook", "学習をノートブックでダウンロード"), size="sm", scale=1)
        gr.Markdown(t(NOTEBOOK_NOTE.en, NOTEBOOK_NOTE.ja))
    file = gr.File(label="notebook.ipynb", visible=False, elem_id="notebook-file")
    from .common import over, reveal

    reveal(button.click(over(studio, run_notebook), [run], [file], api_name="notebook"), [file])
