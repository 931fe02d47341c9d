"""Which run answers: the run a picker starts on, a picker's choices as runs come and go, and what the page
says about a run (how good it is, what it cannot do)."""

from __future__ import annotations

import gradio as gr

from ..bilingual import Text
from ..serving.terms import STARTER

NOT_BERT = Text(
    "**{run}** is the n-gram baseline: it has no tokens or hidden states, so {what} needs a BERT run. Pick one above.",
    "**{run}** は n-gram ベースラインで、トークンも隠れ状態もないため、{what}には BERT の学習済みモデルが必要です。"
    "上で選び直してください。",
)


def default_run(studio) -> str | None:
    """The run a picker starts on: the newest BERT run (it can do everything), else the newest run."""
    return studio.runbook.newest(bert_only=True) or studio.runbook.newest()


def run_picker(studio, label) -> gr.Dropdown:
    """A run picker whose choices read `name · method · accuracy`; its value is the run's name (the API's)."""
    return gr.Dropdown(
        studio.runbook.choices(),
        value=default_run(studio),
        label=label,
        allow_custom_value=True,
        elem_classes="run-picker",
    )


def refresh_runs(studio, current: str | None, seen: list[str] | None):
    """A run picker's new choices: a run that appeared since the page last looked is selected (a BERT run
    before an n-gram one: it is most likely the one just trained); otherwise the current choice stays."""
    choices = studio.runbook.choices()
    names = [name for _, name in choices]
    new = [name for name in names if name not in (seen or [])]
    bert = {name for _, name in studio.runbook.choices(bert_only=True)}
    fresh = next((name for name in new if name in bert), new[0] if new else None)
    if fresh and seen is not None:
        value = fresh
    elif current in names:
        value = current
    else:
        value = default_run(studio)
    return gr.Dropdown(choices=choices, value=value), names


def is_ngram(studio, run_name: str | None) -> bool:
    """The run can't show tokens or hidden states ("Why?", the maps): the page says so beside the button."""
    run = studio.runbook.info(run_name)
    return run is not None and not run.reads_tokens


def quality_note(studio, run_name: str) -> Text | str:
    """How good a run is, honestly: its accuracy on its dataset's validation split beside the n-gram
    baseline's on the same split, and why a from-scratch starter is weak. Both come from the metrics
    recorded at training, so a classify never waits for an evaluation."""
    infos = {run.name: run for run in studio.runbook.runs()}
    run = infos.get(run_name)
    if run is None:
        return ""
    note = Text(
        f"This run's accuracy on its validation split: **{run.accuracy:.2f}**",
        f"この学習の検証データでの正解率: **{run.accuracy:.2f}**",
    )
    baseline = next((other for other in infos.values() if other.is_baseline and other.dataset == run.dataset), None)
    if baseline is not None and baseline.name != run_name:
        note += Text(
            f"; the n-gram baseline's on the same split: **{baseline.accuracy:.2f}**",
            f"（同じデータでの n-gram ベースライン: **{baseline.accuracy:.2f}**）",
        )
    note += Text(".", "。")
    if run.model == STARTER:
        note += Text(
            " The starter is a small BERT trained from scratch on this data only, with no pretraining, so it "
            "gets many texts wrong; the Hub model (cl-tohoku) is pretrained on Japanese Wikipedia and does far "
            "better.",
            "スターターは事前学習なしでこのデータだけから学習した小さな BERT なので、誤りが多くなります。"
            "Hub のモデル（cl-tohoku）は日本語 Wikipedia で事前学習されており、はるかに正確です。",
        )
    return note
