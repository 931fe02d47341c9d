"""Plotly figures for the app: label distribution, lengths, training curves and the confusion matrix.
Colours stay the same for a label everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..bilingual import Text, class_text, split_text
from .terms import AMBIGUOUS_VARIABILITY, CONFIDENT, ProgressRecord

LABEL_COLOURS = {"positive": "#2a9d8f", "neutral": "#8d99ae", "negative": "#e76f51"}
# Each evaluation's score drawn as a curve: its key in the progress record, its name, whether on the 0-1 axis.
EVAL_CURVES = (
    ("eval_loss", Text("eval loss", "検証の損失"), False),
    ("eval_accuracy", Text("eval accuracy", "検証の正解率"), True),
    ("eval_f1_weighted", Text("eval F1 (weighted)", "検証の加重 F1"), True),
)
REGIONS = {
    "easy-to-learn": Text("easy-to-learn", "易しい"),
    "ambiguous": Text("ambiguous", "曖昧"),
    "hard-to-learn": Text("hard-to-learn", "難しい"),
}
LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 360}


def _colour(label: str) -> str:
    return LABEL_COLOURS.get(label, "#457b9d")


def label_distribution(counts: pd.DataFrame) -> go.Figure:
    """Bars of rows per label, grouped by split (`counts`: labels × splits)."""
    figure = go.Figure()
    for label, row in counts.iterrows():
        name = str(class_text(label))
        figure.add_bar(
            name=name,
            x=[str(split_text(split)) for split in counts.columns],
            y=list(row),
            marker_color=_colour(label),
            hovertemplate="%{x} · " + name + ": %{y:,}<extra></extra>",
        )
    figure.update_layout(title=str(Text("Labels per split", "分割ごとのラベル数")), barmode="group", **LAYOUT)
    return figure


def length_histogram(lengths: pd.DataFrame, column: str) -> go.Figure:
    figure = go.Figure()
    for label, group in lengths.groupby("label", sort=False):
        figure.add_histogram(
            x=group[column], name=str(class_text(label)), marker_color=_colour(label), opacity=0.65, nbinsx=40
        )
    unit = {"characters": Text("characters", "文字数"), "tokens": Text("tokens", "トークン数")}[column]
    title = Text(f"Length per label, {unit.en}", f"ラベル別の長さ（{unit.ja}）")
    figure.update_layout(title=str(title), barmode="overlay", xaxis_title=str(unit), **LAYOUT)
    return figure


def training_curves(records: list[ProgressRecord]) -> go.Figure:
    """Training loss by step, with evaluation loss and accuracy when there are some."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    logs = [r for r in records if r.event == "log" and "loss" in r.scores]
    evals = [r for r in records if r.event == "eval"]
    figure.add_scatter(
        x=[r.step for r in logs],
        y=[r.scores["loss"] for r in logs],
        name=str(Text("train loss", "学習の損失")),
        mode="lines+markers",
    )
    if evals:
        steps = [r.step for r in evals]
        for score, name, secondary in EVAL_CURVES:
            figure.add_scatter(
                x=steps,
                y=[r.scores[score] for r in evals],
                name=str(name),
                mode="lines+markers",
                secondary_y=secondary,
            )
    figure.update_layout(title=str(Text("Training", "学習曲線")), xaxis_title=str(Text("step", "ステップ")), **LAYOUT)
    figure.update_yaxes(title_text=str(Text("loss", "損失")), secondary_y=False)
    figure.update_yaxes(title_text=str(Text("accuracy / F1", "正解率・F1")), range=[0, 1], secondary_y=True)
    return figure


def _confusion_heatmap(metrics: dict, normalized: bool, **options) -> go.Heatmap:
    """One confusion matrix as a heatmap; hover shows count and share of the true label."""
    matrix = metrics["confusion_matrix"]
    labels = matrix["labels"]
    counts = np.array(matrix["counts"])
    shares = np.array(matrix["normalized"])
    text = [
        [f"{s:.0%}" if normalized else f"{c:,}" for c, s in zip(cr, sr, strict=True)]
        for cr, sr in zip(counts, shares, strict=True)
    ]
    return go.Heatmap(
        z=shares if normalized else counts,
        x=labels,
        y=labels,
        text=text,
        texttemplate="%{text}",
        colorscale="Blues",
        customdata=np.dstack([counts, shares]),
        hovertemplate="true %{y} → predicted %{x}<br>%{customdata[0]:,} examples "
        "(%{customdata[1]:.1%} of true %{y})<extra></extra>",
        **options,
    )


def _matrix_title(normalized: bool) -> Text:
    return Text("normalised by true label", "正解ラベルで正規化") if normalized else Text("counts", "件数")


PREDICTED_AXIS, TRUE_AXIS = Text("predicted", "予測"), Text("true", "正解")


def confusion_matrix(metrics: dict, normalized: bool) -> go.Figure:
    """A heatmap, true label down and predicted across."""
    figure = go.Figure(_confusion_heatmap(metrics, normalized))
    figure.update_layout(
        title=str(Text("Confusion matrix, ", "混同行列（") + _matrix_title(normalized) + Text("", "）")),
        xaxis_title=str(PREDICTED_AXIS),
        yaxis_title=str(TRUE_AXIS),
        yaxis_autorange="reversed",
        **LAYOUT,
    )
    return figure


def confusion_matrices(metrics_by_run: dict[str, dict], normalized: bool = True) -> go.Figure:
    """Several runs' confusion matrices side by side, on one colour scale, for comparing them."""
    names = list(metrics_by_run)
    figure = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.06)
    top = 1.0 if normalized else max(max(map(max, m["confusion_matrix"]["counts"])) for m in metrics_by_run.values())
    for column, name in enumerate(names, start=1):
        heatmap = _confusion_heatmap(metrics_by_run[name], normalized, zmin=0, zmax=top, showscale=column == 1)
        figure.add_trace(heatmap, row=1, col=column)
        figure.update_xaxes(title_text=str(PREDICTED_AXIS), row=1, col=column)
        figure.update_yaxes(autorange="reversed", showticklabels=column == 1, row=1, col=column)
    figure.update_yaxes(title_text=str(TRUE_AXIS), row=1, col=1)
    title = Text("Confusion matrices, ", "混同行列（") + _matrix_title(normalized) + Text("", "）")
    figure.update_layout(title=str(title), **LAYOUT)
    return figure


def embedding_map(view, title: Text | str) -> go.Figure:
    """One dot per review where the model puts it (`view`: a maps.ModelMap), coloured by its gold label."""
    figure = go.Figure()
    labels = np.array(view.labels)
    for label in dict.fromkeys(view.labels):
        chosen = np.flatnonzero(labels == label)
        figure.add_scattergl(
            x=view.coordinates[chosen, 0].tolist(),  # lists, not plotly's binary arrays: readable by any client
            y=view.coordinates[chosen, 1].tolist(),
            mode="markers",
            name=str(class_text(label)),
            marker={"color": _colour(label), "size": 6, "opacity": 0.75},
            text=[_short(view.texts[i]) for i in chosen],
            hovertemplate="%{text}<extra>" + str(class_text(label)) + "</extra>",
        )
    drawn = view.projection
    if len(view.texts) < view.of:  # a seeded sample: of a large split, or within a public server's bound
        shown, of = f"{len(view.texts):,}", f"{view.of:,}"
        drawn += str(Text(f", {shown} of {of} reviews", f"、{of} 件中 {shown} 件"))
    figure.update_layout(title=f"{title} ({drawn})", xaxis_visible=False, yaxis_visible=False, **LAYOUT)
    return figure


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slice_bars(table: pd.DataFrame) -> go.Figure:
    """Accuracy and weighted F1 per slice (`table`: slices.slice_metrics), grouped by dimension."""
    figure = go.Figure()
    x = [list(table["dimension"]), list(table["slice"])]  # a two-level axis: dimension, then slice
    for column, name in (("accuracy", Text("accuracy", "正解率")), ("f1_weighted", Text("F1 (weighted)", "加重 F1"))):
        name = str(name)
        figure.add_bar(
            x=x,
            y=list(table[column]),
            name=name,
            customdata=list(table["examples"]),
            hovertemplate="%{x}: %{y:.3f} (%{customdata:,} examples)<extra>" + name + "</extra>",
        )
    title = Text("Metrics by slice", "スライス別の指標")
    figure.update_layout(title=str(title), barmode="group", yaxis_range=[0, 1], **LAYOUT)
    return figure


def data_map_plot(reviews: pd.DataFrame, epochs: int) -> go.Figure:
    """Dataset Cartography: each followed training review at (variability, confidence), coloured by correctness,
    the regions named (`reviews`: data_map.DataMap.reviews)."""
    figure = go.Figure()
    figure.add_scattergl(
        x=reviews["variability"].tolist(),
        y=reviews["confidence"].tolist(),
        mode="markers",
        marker={
            "color": reviews["correctness"].tolist(),
            "colorscale": "RdYlGn",
            "cmin": 0,
            "cmax": 1,
            "size": 6,
            "opacity": 0.75,
            "colorbar": {"title": {"text": str(Text("correctness", "正答率"))}},
        },
        text=[f"{_short(text)}<br>{label} · {region}" for text, label, region in
              zip(reviews["text"], reviews["label"], reviews["region"], strict=True)],
        hovertemplate="%{text}<br>confidence %{y:.2f} · variability %{x:.2f}<extra></extra>",
        showlegend=False,
    )
    figure.add_vline(x=AMBIGUOUS_VARIABILITY, line_dash="dot", line_color="#999")
    figure.add_shape(type="line", x0=0, x1=AMBIGUOUS_VARIABILITY, y0=CONFIDENT, y1=CONFIDENT,
                     line={"dash": "dot", "color": "#999"})
    for x, y, name in ((0.02, 0.97, REGIONS["easy-to-learn"]), (0.02, 0.03, REGIONS["hard-to-learn"]),
                       (AMBIGUOUS_VARIABILITY + 0.02, 0.5, REGIONS["ambiguous"])):
        figure.add_annotation(x=x, y=y, text=f"<b>{name}</b>", showarrow=False, xanchor="left", font={"size": 13})
    figure.update_layout(
        title=str(
            Text(
                f"Data map: {len(reviews):,} training reviews over {epochs} epochs",
                f"データマップ: 学習データ {len(reviews):,} 件、{epochs} エポック",
            )
        ),
        xaxis={
            "title": str(
                Text("variability (std of the gold label's probability)", "ばらつき（正解ラベルの確率の標準偏差）")
            ),
            "range": [0, 0.5],
        },
        yaxis={
            "title": str(Text("confidence (mean probability of the gold label)", "確信度（正解ラベルの確率の平均）")),
            "range": [0, 1],
        },
        **{**LAYOUT, "height": 460},
    )
    return figure


def _token_labels(view, count: int | None = None) -> list[str]:
    """Each token as the axis names it: its place, the piece, and its MeCab word where the piece is part of one."""
    labels = []
    for index, (token, word) in enumerate(zip(view.tokens, view.words, strict=True)):
        shown_word = f" ({word})" if word and word != token.removeprefix("##") else ""
        labels.append(f"{index} {token}{shown_word}")
    return labels[:count]


def layer_probabilities(view) -> go.Figure:
    """The classification head on [CLS] after the embeddings and after each layer: one line per class."""
    steps = [str(Text("embeddings", "埋め込み"))] + [
        str(Text(f"layer {i}", f"第 {i} 層")) for i in range(1, view.layers + 1)
    ]
    figure = go.Figure()
    for column, label in enumerate(view.label_names):
        name = str(class_text(label))
        figure.add_scatter(
            x=steps,
            y=view.probabilities[:, column],
            name=name,
            mode="lines+markers",
            line_color=_colour(label),
            hovertemplate="%{x} · " + name + ": %{y:.2f}<extra></extra>",
        )
    title = Text("The head on [CLS], layer by layer", "各層の [CLS] に分類ヘッドを当てた確率")
    figure.update_layout(title=str(title), yaxis_range=[0, 1], yaxis_title=str(Text("probability", "確率")), **LAYOUT)
    return figure


def attention_map(view, layer: int, head: int | None) -> go.Figure:
    """Tokens × tokens attention of one layer (1-based) and head (1-based; None: the average over heads)."""
    weights = view.attention[layer - 1].astype(np.float32)
    weights = weights.mean(axis=0) if head is None else weights[head - 1]
    labels = _token_labels(view, len(weights))
    which = Text("average of the heads", "全ヘッドの平均") if head is None else Text(f"head {head}", f"ヘッド {head}")
    title = Text(f"Attention, layer {layer}, {which.en}", f"アテンション（第 {layer} 層、{which.ja}）")
    figure = go.Figure(
        go.Heatmap(
            z=weights,
            x=labels,
            y=labels,
            colorscale="Blues",
            zmin=0,
            hovertemplate="%{y} → %{x}: %{z:.2f}<extra></extra>",
        )
    )
    layout = {**LAYOUT, "height": 560}
    figure.update_layout(
        title=str(title),
        xaxis_title=str(Text("attended to", "注目される側")),
        yaxis_title=str(Text("attending", "注目する側")),
        yaxis_autorange="reversed",
        **layout,
    )
    return figure


def cls_attention_map(view) -> go.Figure:
    """Where [CLS] attends in each layer (averaged over its heads): layers × tokens."""
    rows = [str(Text(f"layer {i}", f"第 {i} 層")) for i in range(1, view.layers + 1)]
    figure = go.Figure(
        go.Heatmap(
            z=view.cls_attention,
            x=_token_labels(view),
            y=rows,
            colorscale="Purples",
            zmin=0,
            hovertemplate="%{y} · [CLS] → %{x}: %{z:.2f}<extra></extra>",
        )
    )
    figure.update_layout(title=str(Text("Where [CLS] attends", "[CLS] の注目先")), **LAYOUT)
    return figure


PROBE_CURVES = (
    (("after", "cls"), Text("after training, [CLS]", "学習後・[CLS]"), "#1d3557", "solid"),
    (("after", "mean"), Text("after training, mean of tokens", "学習後・トークン平均"), "#1d3557", "dot"),
    (("before", "cls"), Text("before training, [CLS]", "学習前・[CLS]"), "#e9a23b", "solid"),
    (("before", "mean"), Text("before training, mean of tokens", "学習前・トークン平均"), "#e9a23b", "dot"),
)


def probe_curves(answer) -> go.Figure:
    """The probe's accuracy on each layer, before and after training, with the run's own accuracy and the
    n-gram baseline's drawn across."""
    curves = answer.probe.curves
    layers = len(next(iter(curves.values())))
    steps = [str(Text("embeddings", "埋め込み"))] + [str(Text(f"layer {i}", f"第 {i} 層")) for i in range(1, layers)]
    figure = go.Figure()
    for key, name, colour, dash in PROBE_CURVES:
        if answer.frozen and key[0] == "before":
            continue  # the same curve as after training: the encoder was frozen
        figure.add_scatter(
            x=steps, y=curves[key], name=str(name), mode="lines+markers", line={"color": colour, "dash": dash}
        )
    lines = [(answer.run_accuracy, Text("the run's own accuracy", "この学習の正解率"), "#2a9d8f")]
    if answer.baseline_accuracy is not None:
        lines.append((answer.baseline_accuracy, Text("n-gram baseline", "n-gram ベースライン"), "#8d99ae"))
    for value, name, colour in lines:
        figure.add_scatter(
            x=[steps[0], steps[-1]], y=[value, value], name=f"{name} ({value:.2f})", mode="lines",
            line={"color": colour, "dash": "dash"},
        )  # fmt: skip
    title = Text("A linear probe on each layer", "各層の線形プローブ")
    figure.update_layout(title=str(title), yaxis_range=[0, 1], yaxis_title=str(Text("accuracy", "正解率")), **LAYOUT)
    return figure
