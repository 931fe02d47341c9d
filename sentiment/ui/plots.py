"""Plotly figures for the app: label distribution, lengths, training curves and the confusion matrix.
Colours stay the same for a label everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

LABEL_COLOURS = {"positive": "#2a9d8f", "neutral": "#8d99ae", "negative": "#e76f51"}
LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 360}


def _colour(label: str) -> str:
    return LABEL_COLOURS.get(label, "#457b9d")


def label_distribution(counts: pd.DataFrame) -> go.Figure:
    """Bars of rows per label, grouped by split (`counts`: labels × splits)."""
    figure = go.Figure()
    for label, row in counts.iterrows():
        figure.add_bar(
            name=label,
            x=list(counts.columns),
            y=list(row),
            marker_color=_colour(label),
            hovertemplate="%{x} · " + label + ": %{y:,}<extra></extra>",
        )
    figure.update_layout(title="Labels per split / 分割ごとのラベル数", barmode="group", **LAYOUT)
    return figure


def length_histogram(lengths: pd.DataFrame, column: str) -> go.Figure:
    figure = go.Figure()
    for label, group in lengths.groupby("label", sort=False):
        figure.add_histogram(x=group[column], name=label, marker_color=_colour(label), opacity=0.65, nbinsx=40)
    unit = {"characters": "文字数 characters", "tokens": "トークン数 tokens"}[column]
    figure.update_layout(title=f"Length per label / {unit}", barmode="overlay", xaxis_title=column, **LAYOUT)
    return figure


def training_curves(records: list[dict]) -> go.Figure:
    """Training loss by step, with evaluation loss and accuracy when there are some."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    logs = [r for r in records if r.get("event") == "log" and "loss" in r]
    evals = [r for r in records if r.get("event") == "eval"]
    figure.add_scatter(
        x=[r["step"] for r in logs], y=[r["loss"] for r in logs], name="train loss", mode="lines+markers"
    )
    if evals:
        steps = [r["step"] for r in evals]
        figure.add_scatter(x=steps, y=[r["eval_loss"] for r in evals], name="eval loss", mode="lines+markers")
        figure.add_scatter(
            x=steps, y=[r["eval_accuracy"] for r in evals], name="eval accuracy", mode="lines+markers", secondary_y=True
        )
        figure.add_scatter(
            x=steps,
            y=[r["eval_f1_weighted"] for r in evals],
            name="eval F1 (weighted)",
            mode="lines+markers",
            secondary_y=True,
        )
    figure.update_layout(title="Training / 学習曲線", xaxis_title="step", **LAYOUT)
    figure.update_yaxes(title_text="loss", secondary_y=False)
    figure.update_yaxes(title_text="accuracy / F1", range=[0, 1], secondary_y=True)
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


def _matrix_title(normalized: bool) -> str:
    return "normalised by true label / 正解ラベルで正規化" if normalized else "counts / 件数"


def confusion_matrix(metrics: dict, normalized: bool) -> go.Figure:
    """A heatmap, true label down and predicted across."""
    figure = go.Figure(_confusion_heatmap(metrics, normalized))
    figure.update_layout(
        title=f"Confusion matrix, {_matrix_title(normalized)}",
        xaxis_title="predicted / 予測",
        yaxis_title="true / 正解",
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
        figure.update_xaxes(title_text="predicted / 予測", row=1, col=column)
        figure.update_yaxes(autorange="reversed", showticklabels=column == 1, row=1, col=column)
    figure.update_yaxes(title_text="true / 正解", row=1, col=1)
    figure.update_layout(title=f"Confusion matrices, {_matrix_title(normalized)}", **LAYOUT)
    return figure


def embedding_map(view, title: str) -> go.Figure:
    """One dot per review where the model puts it (`view`: a maps.ModelMap), coloured by its gold label."""
    figure = go.Figure()
    labels = np.array(view.labels)
    for label in dict.fromkeys(view.labels):
        chosen = np.flatnonzero(labels == label)
        figure.add_scattergl(
            x=view.coordinates[chosen, 0].tolist(),  # lists, not plotly's binary arrays: readable by any client
            y=view.coordinates[chosen, 1].tolist(),
            mode="markers",
            name=label,
            marker={"color": _colour(label), "size": 6, "opacity": 0.75},
            text=[_short(view.texts[i]) for i in chosen],
            hovertemplate="%{text}<extra>" + label + "</extra>",
        )
    figure.update_layout(title=f"{title} ({view.projection})", xaxis_visible=False, yaxis_visible=False, **LAYOUT)
    return figure


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
