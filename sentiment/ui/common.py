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


def refresh_runs(studio, current: str | None, seen: list[str] | None):
    """A run picker's new choices: a run that appeared since the page last looked is selected (it is
    most likely the one just trained); otherwise the current choice stays while it exists."""
    names = studio.run_names()
    new = [name for name in names if name not in (seen or [])]
    value = new[0] if new and seen is not None else current if current in names else (names[0] if names else None)
    return gr.Dropdown(choices=names, value=value), names
