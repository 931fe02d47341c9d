"""What every tab shares: turning a user's mistake into one sentence on the page."""

from __future__ import annotations

import functools

import gradio as gr


def user_errors(function):
    """Show errors a user can cause (bad input, a missing run or file) as one sentence, no traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ValueError, OSError) as error:
            raise gr.Error(str(error), title="Please check / 確認してください", print_exception=False) from None

    return wrapper


def run_dropdown_update(studio, current: str | None = None):
    """Refresh a run picker: keep the current choice if it still exists, else the newest run."""
    names = studio.run_names()
    value = current if current in names else (names[0] if names else None)
    return gr.Dropdown(choices=names, value=value)
