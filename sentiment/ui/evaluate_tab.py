"""Tab 4, Evaluate: metrics, an interactive confusion matrix and the examples behind each cell."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from ..data import LABELS
from ..plots import confusion_matrices, confusion_matrix, embedding_map
from .common import refresh_runs, user_errors
from .i18n import t

INTRO = (
    "Pick a run and a split. The confusion matrix puts the true label down the side and the prediction across; "
    "**click a cell of the table** to list the examples behind it. The worst mistakes (highest loss) come last.",
    "学習済みモデルと分割を選んでください。混同行列は縦が正解ラベル、横が予測です。**表のセルをクリック**すると、"
    "そのセルの例が表示されます。最も大きな誤り（損失の大きい例）は最後に表示されます。",
)
COMPARE_INTRO = (
    "### Compare runs\nPick runs trained on the same data, for example full fine-tuning, the head only and the n-gram "
    "baseline: each is scored on the split chosen above.",
    "### 学習の比較\n同じデータで学習した複数のモデル（たとえば全体のファインチューニング、分類ヘッドのみ、n-gram "
    "ベースライン）を、上で選んだ分割で比べます。",
)
MAP_INTRO = (
    "### The model's view of the data\nEach dot is a review of the split above, placed by the model's hidden state "
    "(the pooled `[CLS]` vector that the classification layer reads), projected to two dimensions with UMAP; the "
    "colour is its true label. Before training the classes mix; after full fine-tuning they separate. A head-only "
    "run's two maps are the same: its encoder stayed frozen.",
    "### モデルから見たデータ\n点は上で選んだ分割のレビューで、モデルの隠れ状態（分類層が読む、プーリングされた "
    "`[CLS]` ベクトル）を UMAP で 2 次元に写した位置に置かれ、色は正解ラベルです。学習前はクラスが混ざり、全体の"
    "ファインチューニング後は分かれます。分類ヘッドのみの学習ではエンコーダーが固定なので、2 つのマップは同じです。",
)
EXAMPLE_COLUMNS = ["text", "gold", "predicted", "p_positive", "p_neutral", "p_negative", "loss"]


def metrics_text(metrics: dict) -> str:
    return (
        f"**Accuracy / 正解率 {metrics['accuracy']:.3f}** · weighted F1 {metrics['f1_weighted']:.3f} · "
        f"macro F1 {metrics['f1_macro']:.3f} · {metrics['examples']:,} examples ({metrics['split']})"
    )


def per_class_table(metrics: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"label": label, **{key: round(value, 4) for key, value in scores.items()}}
            for label, scores in metrics["per_class"].items()
        ]
    )


def matrix_table(metrics: dict) -> pd.DataFrame:
    """The confusion matrix as a clickable table: 'count (share of the true label)' in each cell."""
    matrix = metrics["confusion_matrix"]
    rows = []
    for label, counts, shares in zip(matrix["labels"], matrix["counts"], matrix["normalized"], strict=True):
        cells = {
            predicted: f"{c:,} ({s:.0%})" for predicted, c, s in zip(matrix["labels"], counts, shares, strict=True)
        }
        rows.append({"true \\ predicted": label, **cells})
    return pd.DataFrame(rows)


def build_evaluate_tab(studio) -> dict:
    gr.Markdown(t(*INTRO))
    names = studio.run_names()
    with gr.Row():
        run = gr.Dropdown(
            names, value=names[0] if names else None, label=t("Run", "学習済みモデル"), allow_custom_value=True
        )
        split = gr.Dropdown(["validation", "test", "train"], value="validation", label=t("Split", "分割"))
        go = gr.Button(t("Evaluate", "評価"), variant="primary")
    summary = gr.Markdown()
    per_class = gr.Dataframe(label=t("Per class", "クラス別"), interactive=False)
    normalized = gr.Radio(
        ["normalised by true label", "counts"], value="normalised by true label", label=t("Show", "表示")
    )
    with gr.Row():
        heatmap = gr.Plot(label=t("Confusion matrix", "混同行列"))
        with gr.Column():
            matrix = gr.Dataframe(
                label=t("Click a cell", "セルをクリック"), interactive=False, elem_id="confusion-table"
            )
            with gr.Row():
                true_label = gr.Dropdown(list(LABELS), value=None, label=t("True", "正解"))
                predicted_label = gr.Dropdown(list(LABELS), value=None, label=t("Predicted", "予測"))
            cell = gr.Markdown()
    cell_rows = gr.Dataframe(label=t("Examples in the cell", "セルの例"), interactive=False, wrap=True, max_height=320)
    worst = gr.Dataframe(label=t("Highest loss", "損失の大きい例"), interactive=False, wrap=True, max_height=320)
    download = gr.DownloadButton(t("Download predictions (CSV)", "予測をダウンロード（CSV）"), visible=False)
    metrics_state = gr.State(None)
    gr.Markdown(t(*COMPARE_INTRO))
    with gr.Row():
        compared = gr.Dropdown(
            names,
            value=names[:2],
            multiselect=True,
            allow_custom_value=True,
            label=t("Runs to compare", "比較する学習"),
            scale=4,
        )
        compare = gr.Button(t("Compare", "比較"), scale=1)
    caution = gr.Markdown()
    compare_table = gr.Dataframe(
        headers=["run", "method", "accuracy", "f1_weighted", "f1_macro", "train_seconds"],
        label=t("Runs side by side", "比較表"),
        interactive=False,
        elem_id="compare-table",
    )
    compare_plot = gr.Plot(label=t("Confusion matrices", "混同行列"))
    gr.Markdown(t(*MAP_INTRO))
    draw = gr.Button(t("Draw the maps for the run above", "上の学習のマップを描く"))
    with gr.Row():
        before_map = gr.Plot(label=t("Before training", "学習前"), elem_id="map-before")
        after_map = gr.Plot(label=t("After training", "学習後"), elem_id="map-after")

    @user_errors
    def run_evaluation(run_name: str, split_name: str, shown: str):
        result = studio.evaluation(run_name, split_name)
        metrics = result.metrics
        csv_path = studio.downloads.csv(result.rows, f"{run_name}-{split_name}-predictions.csv")
        return (
            metrics,
            metrics_text(metrics),
            per_class_table(metrics),
            confusion_matrix(metrics, shown != "counts"),
            matrix_table(metrics),
            result.rows.head(20)[EXAMPLE_COLUMNS],
            gr.DownloadButton(value=str(csv_path), visible=True),
        )

    def redraw(metrics: dict | None, shown: str):
        return gr.skip() if metrics is None else confusion_matrix(metrics, shown != "counts")

    def pick_cell(metrics: dict | None, event: gr.SelectData):
        row, column = event.index
        if metrics is None or column == 0:  # the first column names the true label
            return gr.skip(), gr.skip()
        labels = metrics["confusion_matrix"]["labels"]
        return labels[row], labels[column - 1]

    @user_errors
    def cell_examples(run_name: str, split_name: str, true_name: str, predicted_name: str):
        if not true_name or not predicted_name:
            return gr.skip(), gr.skip()
        rows = studio.evaluation(run_name, split_name).rows
        chosen = rows[(rows["gold"] == true_name) & (rows["predicted"] == predicted_name)]
        caption = f"**{len(chosen):,}** examples: true **{true_name}**, predicted **{predicted_name}**"
        return caption, chosen[EXAMPLE_COLUMNS]

    @user_errors
    def compare_runs(run_names: list[str], split_name: str, shown: str):
        table, metrics_by_run, note = studio.comparison(run_names or [], split_name)
        return note and f"⚠️ {note}", table, confusion_matrices(metrics_by_run, shown != "counts")

    @user_errors
    def draw_maps(run_name: str, split_name: str):
        before, after = studio.model_maps(run_name, split_name)
        return embedding_map(before, "Before training / 学習前"), embedding_map(after, f"{run_name}, trained / 学習後")

    draw.click(draw_maps, [run, split], [before_map, after_map], api_name="model_map")
    compare.click(
        compare_runs, [compared, split, normalized], [caution, compare_table, compare_plot], api_name="compare_runs"
    )
    outputs = [metrics_state, summary, per_class, heatmap, matrix, worst, download]
    go.click(run_evaluation, [run, split, normalized], outputs, api_name="evaluate")
    normalized.change(redraw, [metrics_state, normalized], [heatmap], queue=False, api_visibility="private")
    matrix.select(pick_cell, [metrics_state], [true_label, predicted_label], queue=False, api_visibility="private")
    cell_inputs = [run, split, true_label, predicted_label]
    true_label.change(cell_examples, cell_inputs, [cell, cell_rows], api_name="cell_examples")
    predicted_label.change(cell_examples, cell_inputs, [cell, cell_rows], api_visibility="private")
    seen_runs = gr.State(names)
    return {
        "run": run,
        "seen": seen_runs,
        "refresh": lambda current, seen: refresh_runs(studio, current, seen),
        "compared": compared,
    }
