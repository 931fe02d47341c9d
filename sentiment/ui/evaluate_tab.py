"""Tab 4, Evaluate: metrics, an interactive confusion matrix and the examples behind each cell."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from ..bilingual import Text, class_text, join, split_text
from ..serving.analysis import DOUBTED
from ..serving.plots import REGIONS, confusion_matrices, confusion_matrix, data_map_plot, embedding_map, slice_bars
from ..serving.run_choice import answering_run, data_map_unavailable, default_run, has_data_map, token_run, weak_note
from ..serving.terms import LABELS
from .code_panels import code_panel, evaluation_code, fill, notebook_download
from .common import (
    ANALYSIS,
    Action,
    class_choices,
    copy_link,
    empty_state,
    link_box,
    over,
    reveal,
    user_errors,
    watch_runs,
)
from .i18n import t
from .inside_bert import build_probe_section
from .run_pickers import run_picker

MAPS = Text("the maps", "マップ")
WEAK_DOUBTS = Text(
    "Its ⚠ doubts say more about what it has not learned than about the labels.",
    "その ⚠ の疑いは、ラベルの誤りよりも、このモデルがまだ学んでいないことを示しています。",
)
WEAK_MAP = Text(
    "For a run this weak, **hard-to-learn** means “not learned yet”: most reviews land there whatever their label, "
    "so the region says little about mislabelled reviews.",
    "この程度の正解率では、**難しい**は「まだ学んでいない」という意味です。ラベルが正しくても多くのレビューがそこに"
    "入るため、誤ったラベルの手がかりにはなりません。",
)
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
SLICES_INTRO = (
    "### Metrics by slice\nThe reviews of the split grouped by source (where the data has more than one), by "
    "length in MeCab words, and by whether they contain a negation (ない, ぬ, ません …): where the run is weak.",
    "### スライス別の指標\n分割のレビューを、ソース（複数ある場合）、MeCab の単語数、否定（ない・ぬ・ません など）を"
    "含むかどうかで分け、それぞれの正解率と F1 を示します。",
)
DATA_MAP_INTRO = (
    "### How training saw each review (data map)\nWhile a run fine-tunes every layer, it records the probability "
    "it gives each training review's label after every epoch (Swayamdipta et al., 2020, *Dataset Cartography*). "
    "Up: learned confidently; right: the model changed its mind. **Easy-to-learn** reviews sit top left, "
    "**hard-to-learn** ones bottom left (mislabelled reviews gather there), **ambiguous** ones to the right. "
    "Hover a dot for its text; pick a region to list its reviews.",
    "### 学習が各レビューをどう見たか（データマップ）\n全体のファインチューニング中、各エポックの後に学習データの"
    "レビューの正解ラベルの確率を記録します（Swayamdipta ら 2020「Dataset Cartography」）。上ほど自信をもって学習し、"
    "右ほど判断が揺れました。左上が**易しい**、左下が**難しい**（誤ったラベルが集まります）、右が**曖昧**な"
    "レビューです。点にカーソルを合わせると本文が、領域を選ぶとそのレビューの一覧が表示されます。",
)
REGION_CHOICES = [(t(REGIONS[name]), name) for name in ("easy-to-learn", "ambiguous", "hard-to-learn")]
EMPTY_TITLE = ("### Evaluate needs a trained run", "### 評価には学習済みモデルが必要です")
SHOWN = [
    (t("normalised by true label", "正解ラベルごとの割合"), "normalised by true label"),
    (t("counts", "件数"), "counts"),
]
SPLITS = [(t(split_text(name)), name) for name in ("validation", "test", "train")]
EXAMPLE_COLUMNS = ["text", "gold", "predicted", "p_positive", "p_neutral", "p_negative", "loss"]


def metrics_text(metrics: dict) -> Text:
    scores = f"{metrics['accuracy']:.3f}**", f"{metrics['f1_weighted']:.3f}", f"{metrics['f1_macro']:.3f}"
    summary = Text(
        f"**Accuracy {scores[0]} · weighted F1 {scores[1]} · macro F1 {scores[2]} · {metrics['examples']:,} "
        f"examples ({metrics['split']})",
        f"**正解率 {scores[0]} · 加重 F1 {scores[1]} · マクロ F1 {scores[2]} · {metrics['examples']:,} 件"
        f"（{split_text(metrics['split']).ja}）",
    )
    if "sampled_from" in metrics:
        summary += Text(
            f", a seeded sample of its {metrics['sampled_from']:,}: this server reads only so many reviews anew "
            "for one request at this model's size (a run's own validation and test answers are read whole).",
            f"。{metrics['sampled_from']:,} 件から無作為に選んだ一部です: このモデルの大きさでは、このサーバーが 1 回に"
            "新たに読む件数に上限があります（学習時の検証・テストの答えは全件を読みます）。",
        )
    return summary


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


def data_map_note(data_map) -> str:
    counts = data_map.reviews["region"].value_counts()
    regions = join(", ", [REGIONS[name] + f" {counts.get(name, 0):,}" for _, name in REGION_CHOICES])
    return Text(
        f"{len(data_map.reviews):,} training reviews over {data_map.epochs} epochs ({regions.en}); recording them "
        f"cost the run {data_map.seconds:.1f} s.",
        f"学習データ {len(data_map.reviews):,} 件、{data_map.epochs} エポック（{regions.ja}）。記録にかかった時間は"
        f" {data_map.seconds:.1f} 秒です。",
    )


@dataclass(frozen=True)
class EvaluateTab:
    """What the rest of the page wires to: the run picker (and the runs it has seen), the sentence beside it, the
    runs compared (offered anew when the tab is opened) and what the picked run can do (the page opening asks)."""

    run: gr.Dropdown
    seen: gr.State
    notice: gr.Markdown
    compared: gr.Dropdown
    availability: Action


def build_evaluate_tab(studio, tabs) -> EvaluateTab:
    names = studio.runbook.names()
    card, message = empty_state(studio, tabs, t(*EMPTY_TITLE))
    with gr.Column(visible=bool(names)) as main:
        gr.Markdown(t(*INTRO))
        with gr.Row():
            run = run_picker(studio, t("Run", "学習済みモデル"))
            # A split typed in (or sent through the API) that the data lacks gets the app's own sentence, in the
            # visitor's language, instead of gradio's English list of choices.
            split = gr.Dropdown(SPLITS, value="validation", label=t("Split", "分割"), allow_custom_value=True)
            go = gr.Button(t("Evaluate", "評価"), variant="primary", elem_id="evaluate-button")
            copy = gr.Button(t("Copy link", "リンクをコピー"), size="md")
        notice = gr.Markdown(elem_id="evaluate-run-notice")
        link = link_box("evaluate-link")
        summary = gr.Markdown(elem_id="evaluate-summary")
        per_class = gr.Dataframe(label=t("Per class", "クラス別"), interactive=False, visible=False)
        normalized = gr.Radio(SHOWN, value="normalised by true label", label=t("Show", "表示"), visible=False)
        with gr.Row():
            heatmap = gr.Plot(label=t("Confusion matrix", "混同行列"), visible=False)
            with gr.Column(visible=False) as matrix_column:
                matrix = gr.Dataframe(
                    label=t("Click a cell", "セルをクリック"), interactive=False, elem_id="confusion-table"
                )
                with gr.Row():
                    true_label = gr.Dropdown(class_choices(LABELS), value=None, label=t("True", "正解"))
                    predicted_label = gr.Dropdown(class_choices(LABELS), value=None, label=t("Predicted", "予測"))
                cell = gr.Markdown()
        cell_rows = gr.Dataframe(
            label=t("Examples in the cell", "セルの例"), interactive=False, wrap=True, max_height=320, visible=False
        )
        worst = gr.Dataframe(
            label=t("Highest loss", "損失の大きい例"), interactive=False, wrap=True, max_height=320, visible=False
        )
        code_accordion, evaluation_code_box = code_panel("evaluate-code")
        with gr.Row():
            download = gr.DownloadButton(t("Download predictions (CSV)", "予測をダウンロード（CSV）"), visible=False)
            card_button = gr.Button(t("Model card (README.md)", "モデルカード（README.md）"))
            card_file = gr.File(label=t("Model card", "モデルカード"), visible=False, elem_id="model-card")
        notebook_download(studio, run)
        metrics_state = gr.State(None)
        gr.Markdown(t(*SLICES_INTRO))
        with gr.Row():
            slice_plot = gr.Plot(label=t("By slice", "スライス別"), visible=False, elem_id="slice-plot")
            slice_table = gr.Dataframe(
                label=t("Slices", "スライス"), interactive=False, visible=False, elem_id="slice-table"
            )
        gr.Markdown(t(*DATA_MAP_INTRO))
        draw_data_map = gr.Button(
            t("Draw the data map of the run above", "上の学習のデータマップを描く"),
            interactive=has_data_map(studio.runbook, default_run(studio.runbook)),
        )
        unavailable = data_map_unavailable(studio.runbook, default_run(studio.runbook))
        data_map_text = gr.Markdown(t(unavailable), elem_id="data-map-note")
        data_map_figure = gr.Plot(label=t("Data map", "データマップ"), visible=False, elem_id="data-map")
        region = gr.Dropdown(REGION_CHOICES, value=None, label=t("Reviews of a region", "領域のレビュー"))
        region_rows = gr.Dataframe(interactive=False, wrap=True, max_height=320, visible=False, elem_id="region-rows")
        gr.Markdown(t(*COMPARE_INTRO))
        with gr.Row():
            compared = gr.Dropdown(
                studio.runbook.choices(),
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
            visible=False,
        )
        compare_plot = gr.Plot(label=t("Confusion matrices", "混同行列"), visible=False)
        gr.Markdown(t(*MAP_INTRO))
        draw = gr.Button(
            t("Draw the maps for the run above", "上の学習のマップを描く"),
            interactive=_can_map(studio, default_run(studio.runbook)),
        )
        map_note = gr.Markdown(t(_map_note(studio, default_run(studio.runbook))), elem_id="map-note")
        with gr.Row():
            before_map = gr.Plot(label=t("Before training", "学習前"), elem_id="map-before", visible=False)
            after_map = gr.Plot(label=t("After training", "学習後"), elem_id="map-after", visible=False)
        build_probe_section(studio, run, split)

    reveal(
        draw.click(over(studio, draw_maps), [run, split], [before_map, after_map], api_name="model_map", **ANALYSIS),
        [before_map, after_map],
    )
    available = Action(over(studio, what_run_can_do), [run], [draw, map_note, draw_data_map, data_map_text])
    run.change(available.fn, available.inputs, available.outputs, queue=False, api_visibility="private")
    run.input(lambda: "", None, [notice], queue=False, api_visibility="private")  # the visitor chose: it is said
    copy_link(copy, link, "evaluate", {"run": run})
    comparing = compare.click(
        over(studio, compare_runs),
        [compared, split, normalized],
        [caution, compare_table, compare_plot],
        api_name="compare_runs",
        **ANALYSIS,
    )
    reveal(comparing, [compare_table, compare_plot])
    outputs = [metrics_state, summary, per_class, heatmap, matrix, worst, download]
    evaluating = go.click(
        over(studio, run_evaluation), [run, split, normalized], outputs, api_name="evaluate", **ANALYSIS
    )
    reveal(evaluating, [per_class, normalized, heatmap, matrix_column, worst, download])
    slicing = evaluating.success(
        over(studio, show_slices), [run, split], [slice_plot, slice_table], api_name="slice_metrics", **ANALYSIS
    )
    reveal(slicing, [slice_plot, slice_table])
    mapping = draw_data_map.click(
        over(studio, show_data_map), [run], [data_map_figure, data_map_text], api_name="data_map", **ANALYSIS
    )
    reveal(mapping, [data_map_figure])
    reveal(
        region.change(over(studio, show_region), [run, region], [region_rows], api_name="data_map_region"),
        [region_rows],
    )
    reveal(card_button.click(over(studio, download_card), [run], [card_file], api_name="model_card"), [card_file])
    normalized.change(redraw, [metrics_state, normalized], [heatmap], queue=False, api_visibility="private")
    matrix.select(pick_cell, [metrics_state], [true_label, predicted_label], queue=False, api_visibility="private")
    cell_inputs = [run, split, true_label, predicted_label]
    examples_of = over(studio, cell_examples)
    reveal(true_label.change(examples_of, cell_inputs, [cell, cell_rows], api_name="cell_examples"), [cell_rows])
    reveal(predicted_label.change(examples_of, cell_inputs, [cell, cell_rows], api_visibility="private"), [cell_rows])
    fill(code_accordion, evaluation_code_box, [run.change, split.change], over(studio, evaluation_code), [run, split])
    seen_runs = gr.State(names)
    watch_runs(studio, card, message, main, [(run, seen_runs)])
    return EvaluateTab(run, seen_runs, notice, compared, available)


@user_errors
def run_evaluation(studio, run_name: str, split_name: str, shown: str):
    result = studio.analyses.evaluation(run_name, split_name)
    metrics = result.metrics
    csv_path = studio.downloads.csv(result.rows, f"{run_name}-{split_name}-predictions.csv")
    return (
        metrics,
        metrics_text(metrics),
        per_class_table(metrics),
        confusion_matrix(metrics, shown != "counts"),
        matrix_table(metrics),
        result.rows.head(20)[EXAMPLE_COLUMNS],
        str(csv_path),
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
def cell_examples(studio, run_name: str, split_name: str, true_name: str, predicted_name: str):
    if not true_name or not predicted_name:
        return gr.skip(), gr.skip()
    chosen = studio.analyses.cell_examples(run_name, split_name, true_name, predicted_name)
    doubted = int(chosen[DOUBTED].astype(bool).sum())
    weak = weak_note(studio.runbook, run_name, WEAK_DOUBTS)
    true_shown, predicted_shown = class_text(true_name), class_text(predicted_name)
    caption = Text(
        f"**{len(chosen):,}** examples: true **{true_name}**, predicted **{predicted_name}** · "
        f"⚠ {doubted}: the models doubt the label (and suggest one)",
        f"**{len(chosen):,}** 件: 正解 **{true_shown.ja}**、予測 **{predicted_shown.ja}** · "
        f"⚠ {doubted}: ラベルが疑わしい例（モデルが別のラベルを示しています）",
    )
    return (weak + "\n\n" + caption if weak else caption), chosen


@user_errors
def show_slices(studio, run_name: str, split_name: str):
    table = studio.analyses.slices(run_name, split_name)
    return slice_bars(table), table


@user_errors
def show_data_map(studio, run_name: str):
    data_map = studio.analyses.data_map(run_name)
    weak = weak_note(studio.runbook, run_name, WEAK_MAP)
    note = data_map_note(data_map)
    return data_map_plot(data_map.reviews, data_map.epochs), (weak + "\n\n" + note if weak else note)


@user_errors
def show_region(studio, run_name: str, name: str):
    if not name:
        return gr.skip()
    return studio.analyses.data_map_region(run_name, name)


@user_errors
def download_card(studio, run_name: str):
    return str(studio.analyses.model_card(run_name))


@user_errors
def compare_runs(studio, run_names: list[str], split_name: str, shown: str):
    table, metrics_by_run, note = studio.analyses.comparison(run_names or [], split_name)
    plot = confusion_matrices(metrics_by_run, shown != "counts")
    return note and f"⚠️ {note}", table, plot


@user_errors
def draw_maps(studio, run_name: str, split_name: str):
    run_name = answering_run(studio.runbook, run_name, MAPS)[0]  # the note beside the button says which run answers
    before, after = studio.analyses.model_maps(run_name, split_name)
    trained = Text(f"{run_name}, trained", f"{run_name}（学習後）")
    return embedding_map(before, Text("Before training", "学習前")), embedding_map(after, trained)


@user_errors
def what_run_can_do(studio, run_name: str):
    """The maps and the data map beside their buttons: for an n-gram run the maps say which run answers instead
    (or that none can); the data map, which only full fine-tuning records, is off with one sentence why."""
    maps = gr.Button(interactive=_can_map(studio, run_name))
    return maps, _map_note(studio, run_name), gr.Button(interactive=has_data_map(studio.runbook, run_name)), (
        data_map_unavailable(studio.runbook, run_name)
    )


def _map_note(studio, run_name: str | None) -> Text | str:
    return token_run(studio.runbook, run_name, MAPS)[1]


def _can_map(studio, run_name: str | None) -> bool:
    return token_run(studio.runbook, run_name, MAPS)[0] is not None
