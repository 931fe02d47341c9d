"""What every tab shares: turning a user's mistake into one sentence on the page, run pickers, empty states."""

from __future__ import annotations

import contextlib
import functools
import html
import inspect
import json
import logging
import os
import time
import typing
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import gradio as gr
from gradio.context import LocalContext

from ..bilingual import Text, class_text, language_of, shown, speaking
from ..errors import UserError
from .i18n import t
from .run_pickers import refresh_runs
from .tables import given_table, shown_value

logger = logging.getLogger(__name__)
# Where set, every request that costs at least this many seconds of its thread's CPU is logged with its handler's
# name: what a server's owner reads to find the costly requests, and how bench/classroom.py measures each
# request's cost. (The server runs PyTorch on one thread per request, so the thread's CPU is the request's.)
LOG_CPU_OVER = float(os.environ["STUDIO_LOG_CPU_S"]) if os.environ.get("STUDIO_LOG_CPU_S") else None
TITLE = Text("Please check", "確認してください")
_handling: ContextVar[bool] = ContextVar("handling", default=False)  # inside a handler the page called
UNEXPECTED = Text(
    "The server could not complete that request: check the input and try again.",
    "処理できませんでした。入力を確認してもう一度お試しください。",
)


# Requests that read a whole split, draw figures or read a file (Evaluate, Compare, the maps, a batch, an upload)
# take turns, two at a time across all of them, so the many small ones a class sends while typing (Tokenizer,
# Classify, "Why?") find the server's one Python interpreter free (docs/benchmarks.md §8).
ANALYSIS = {"concurrency_id": "analysis", "concurrency_limit": 2}


def class_choices(names) -> list[tuple]:
    """Class names as choices: shown in the visitor's language, valued in English (the API's)."""
    return [(t(class_text(name)), name) for name in names]


def class_name(name: str) -> Text:
    return class_text(name)


def over(studio, handler: Callable) -> Callable:
    """`handler(studio, …)`, a module-level handler, as gradio calls it: the studio bound, and the rest of its
    signature and annotations kept (gradio names an endpoint after the function, reads the API's parameters
    from its signature and finds `gr.Request` / `gr.SelectData` by annotation, which a `functools.partial`
    hides)."""
    signature = inspect.signature(handler)
    first = next(iter(signature.parameters))
    hints = typing.get_type_hints(handler)

    def bound(*args, **kwargs):
        return handler(studio, *args, **kwargs)

    bound.__name__ = bound.__qualname__ = handler.__name__
    bound.__doc__ = handler.__doc__
    bound.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
    bound.__annotations__ = {name: hint for name, hint in hints.items() if name != first}
    return bound


@dataclass(frozen=True)
class Action:
    """A handler with the components it reads and writes, for another part of the page to run again (a shared
    link opening, a tab opening)."""

    fn: Callable
    inputs: list
    outputs: list

    def after(self, event, **options):
        """Run it when `event` has run (privately: its endpoint, if any, is the component's own)."""
        return event.then(self.fn, self.inputs, self.outputs, api_visibility="private", **options)


def user_errors(function):
    """A handler as the page calls it: in the visitor's language, and with errors a user can cause shown as one
    sentence, no traceback. Anything else (a library's own text, an errno, a server path) is logged on the
    server and the page gets one general sentence.

    The language is the one the request's Accept-Language asks for first (gradio keeps the request of the
    event it is running); every `Text` the handler returns, or formats, reads in it, and so do the headers and
    class names of the tables it returns (tables.py; a table the page sends back reaches it in English). Called
    from another handler, a handler speaks the caller's language; with no request (the API from Python), English."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        request = LocalContext.request.get(None)
        language = language_of(request.headers.get("accept-language", "")) if request is not None else None
        with speaking(language) if language else contextlib.nullcontext(), _cpu_logged(function.__name__):
            outermost = _handling.set(True) if not _handling.get() else None
            try:
                if outermost is None:  # called from another handler: tables stay as the parts made them
                    return shown(function(*args, **kwargs))
                args = tuple(given_table(arg) for arg in args)
                return shown_value(shown(function(*args, **kwargs)))
            except UserError as error:
                # Toasts render HTML: escaped, a message shows exactly as written, names included.
                message = html.escape(str(error), quote=False)
                raise gr.Error(message, title=str(TITLE), print_exception=False) from None
            except Exception:
                logger.exception("%s failed", function.__name__)
                raise gr.Error(str(UNEXPECTED), title=str(TITLE), print_exception=False) from None
            finally:
                if outermost is not None:
                    _handling.reset(outermost)

    return wrapper


@contextlib.contextmanager
def _cpu_logged(name: str):
    started = time.thread_time()
    try:
        yield
    finally:
        if LOG_CPU_OVER is not None and (seconds := time.thread_time() - started) >= LOG_CPU_OVER:
            logger.warning("request %s cost %.3f s of CPU", name, seconds)


def preparing_notice(studio) -> Text | str:
    """While a fresh app trains its first runs and none has finished: what is going on and how long it
    should take; '' once a run has finished, or when nothing is training."""
    if studio.runbook.runs():
        return ""
    status = studio.desk.status()
    if status.state != "running" and not status.waiting:
        return ""
    left = status.latest.remaining if status.latest else None
    if left:
        return Text(
            f"The first model is being prepared (about {left:.0f} s left for {status.run_name}): this page fills "
            "in by itself when it is ready.",
            f"最初のモデルを準備しています（{status.run_name} の残り約 {left:.0f} 秒）。"
            "完了すると自動的に表示されます。",
        )
    return Text(
        "The first model is being prepared: this page fills in by itself when it is ready.",
        "最初のモデルを準備しています。完了すると自動的に表示されます。",
    )


NO_RUN_YET = Text(
    "There is no trained run yet: open the Train tab and start one (the starter on the sample is the quickest; the "
    "Train tab says how long a run takes once one has been timed on this machine).",
    "まだ学習済みモデルがありません。学習タブでモデルを学習してください（サンプルでのスターターが最も早く終わります。"
    "このマシンで一度学習すると、学習タブが所要時間を示します）。",
)


def empty_message(studio) -> Text:
    """What a tab that needs a run says before there is one: the first runs' progress, or how to make one."""
    return preparing_notice(studio) or NO_RUN_YET


def empty_state(studio, tabs, title):
    """The card a tab shows before any run: what is missing (`title`), how it is coming, and a button that
    opens the Train tab. Returns the card (a Column) and its message."""
    with gr.Column(visible=not studio.runbook.runs(), elem_classes="empty-card", variant="panel") as card:
        gr.Markdown(title)
        message = gr.Markdown(t(empty_message(studio)), elem_classes="empty-message")
        go = gr.Button(t("Open the Train tab", "学習タブを開く"), variant="primary", size="lg")
        go.click(lambda: gr.Tabs(selected="train"), None, [tabs], queue=False, api_visibility="private")
    return card, message


def watch_runs(studio, card, message, main, pickers):
    """Until the first runs are done, a timer checks (cheaply, outside the queue) whether one has finished:
    the card's message shows the progress, and the tab fills in by itself when a run is ready. `pickers` are
    (dropdown, seen-state) pairs. It stops once runs exist and nothing is training."""
    busy = studio.desk.busy()
    timer = gr.Timer(2.0, active=not studio.runbook.runs() or busy)
    outputs = [timer, card, message, main]
    for picker, seen in pickers:
        outputs += [picker, seen]
    inputs = [component for pair in pickers for component in pair]
    timer.tick(over(studio, poll_runs), inputs, outputs, queue=False, show_progress="hidden", api_visibility="private")
    return timer


@user_errors
def poll_runs(studio, *values):
    """One tick of `watch_runs`: `values` are its pickers' (choice, seen runs) pairs, in turn."""
    pairs = len(values) // 2
    if not studio.runbook.runs():
        return (gr.skip(), gr.skip(), empty_message(studio), gr.skip()) + (gr.skip(),) * (2 * pairs)
    updates = []
    for current, seen in zip(values[::2], values[1::2], strict=True):
        names = [name for _, name in studio.runbook.choices()]
        if seen is not None and set(names) <= set(seen) and current in names:
            updates += [gr.skip(), gr.skip()]
        else:
            updates += list(refresh_runs(studio, current, seen))
    hidden, shown = gr.Column(visible=False), gr.Column(visible=True)
    return (gr.Timer(active=studio.desk.busy()), hidden, gr.skip(), shown, *updates)


# Builds the address ui/__init__.py's shared_link reads (`?tab=…&run=…&text=…`), copies it and shows it.
_COPY_LINK_JS = """
(...values) => {
  const params = new URLSearchParams({tab: %s});
  %s.forEach((name, i) => params.set(name, values[i] || ""));
  const link = window.location.origin + window.location.pathname + "?" + params.toString();
  try { navigator.clipboard.writeText(link).catch(() => {}); } catch (error) {}
  return link;
}
"""


def link_box(elem_id: str) -> gr.Textbox:
    """Where a copied link is shown (hidden until one is copied: a clipboard can be refused)."""
    return gr.Textbox(
        label=t("Link to this text (copied)", "このテキストへのリンク（コピー済み）"),
        interactive=False,
        visible=False,
        elem_id=elem_id,
    )


def copy_link(button: gr.Button, link: gr.Textbox, tab: str, fields: dict) -> None:
    """`button` copies a link to `tab` with the current values of `fields` (address name → component), in the
    browser: no request reaches the server."""
    js = _COPY_LINK_JS % (json.dumps(tab), json.dumps(list(fields)))
    shown = button.click(lambda: gr.Textbox(visible=True), None, [link], queue=False, api_visibility="private")
    shown.then(None, list(fields.values()), [link], js=js)


def reveal(event, components: list) -> None:
    """Show `components` once `event` has filled them: hidden until then, so the page never shows an empty
    table or a blank plot, while the event's API answer stays the plain values."""
    shown = [gr.update(visible=True)] * len(components)
    # gradio takes a single output's answer whole: one component gets the update itself, not a list of one.
    event.success(
        lambda: shown if len(shown) > 1 else shown[0], None, components, queue=False, api_visibility="private"
    )
