"""Which run answers: the run a picker starts on, a picker's choices as runs come and go, and what the page
says about a run (how good it is, what it cannot do)."""

from __future__ import annotations

import gradio as gr

from ..bilingual import Text
from ..markup import literal
from ..serving.run_choice import default_reason, default_run
from .i18n import t

UNKNOWN_RUN = Text(
    "There is no run “{name}” on this server (it may have been removed): the runs here are {names}. "
    "Showing **{shown}** instead.",
    "このサーバーに「{name}」という学習済みモデルはありません（削除された可能性があります）。"
    "ここにあるのは {names} です。代わりに **{shown}** を表示しています。",
)






def run_picker(studio, label) -> gr.Dropdown:
    """A run picker whose choices read `name · method · accuracy`; its value is the run's name (the API's)."""
    return gr.Dropdown(
        studio.runbook.choices(),
        value=default_run(studio.runbook),
        label=label,
        info=t(default_reason(studio.runbook)),
        allow_custom_value=True,
        elem_classes="run-picker",
    )


def opened_picker(studio, asked: str | None) -> tuple[gr.Dropdown, list[str], Text | str]:
    """A picker as a page opens (its choices, value and help as of now, not as of when the server started),
    on the run a link asked for where there is one: the picker's update, the runs it has seen, and the sentence
    for a link's run that is not here."""
    choices = studio.runbook.choices()
    names = [name for _, name in choices]
    value = asked if asked in names else default_run(studio.runbook)
    notice = ""
    if asked and asked not in names and names:
        notice = UNKNOWN_RUN.format(name=literal(asked), names=literal(", ".join(names)), shown=literal(value or ""))
    return gr.Dropdown(choices=choices, value=value, info=str(default_reason(studio.runbook))), names, notice


def fresh_picker(studio) -> gr.Dropdown:
    """A picker as the page opens (its choices as of now, not as of when the server started), on the default run."""
    return gr.Dropdown(choices=studio.runbook.choices(), value=default_run(studio.runbook))


def refresh_runs(studio, current: str | None, seen: list[str] | None):
    """A run picker's choices as runs come and go. Its value is the visitor's: it changes only where it has none yet
    (the page opened before there was a run: the default is chosen then, once) or its run is gone (the default
    again). A run someone else has just trained joins the list without being selected, and the help line, which
    says why the picker opened where it did, stays as the page opened."""
    choices = studio.runbook.choices()
    names = [name for _, name in choices]
    if seen is not None and names == seen and current in names:
        return gr.skip(), names
    if current in names:
        return gr.Dropdown(choices=choices), names
    value = default_run(studio.runbook)
    return gr.Dropdown(choices=choices, value=value, info=str(default_reason(studio.runbook))), names













