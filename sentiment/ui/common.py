"""What every tab shares: turning a user's mistake into one sentence on the page."""

from __future__ import annotations

import functools
import html
import logging

import gradio as gr

from ..errors import UserError

logger = logging.getLogger(__name__)
TITLE = "Please check / 確認してください"
UNEXPECTED = (
    "The server could not complete that request: check the input and try again. "
    "/ 処理できませんでした。入力を確認してもう一度お試しください。"
)


def user_errors(function):
    """Show errors a user can cause as one sentence, no traceback. Anything else (a library's own text,
    an errno, a server path) is logged on the server and the page gets one general sentence."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except UserError as error:
            # Toasts render HTML: escaped, a message shows exactly as written, names included.
            raise gr.Error(html.escape(str(error), quote=False), title=TITLE, print_exception=False) from None
        except Exception:
            logger.exception("%s failed", function.__name__)
            raise gr.Error(UNEXPECTED, title=TITLE, print_exception=False) from None

    return wrapper


def refresh_runs(studio, current: str | None, seen: list[str] | None):
    """A run picker's new choices: a run that appeared since the page last looked is selected (it is
    most likely the one just trained); otherwise the current choice stays while it exists."""
    names = studio.run_names()
    new = [name for name in names if name not in (seen or [])]
    value = new[0] if new and seen is not None else current if current in names else (names[0] if names else None)
    return gr.Dropdown(choices=names, value=value), names
