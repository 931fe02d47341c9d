"""Where a run trains on ZeroGPU: in a GPU window, a `@spaces.GPU` call of its own.

The `spaces` package does nothing off ZeroGPU (`spaces.GPU` hands the function back unchanged), so the same
code runs everywhere; on ZeroGPU the platform stops a Space that registers no GPU function before launch,
which this module does by being imported (serving → studio imports it). The window's length comes from the
run's estimate on this hardware with a margin; a run that cannot fit is refused before it starts, and
ZeroGPU's own refusals become one sentence in both languages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import spaces
from spaces.config import Config

from ..bilingual import Text
from ..training.window import stream_training

# An anonymous visitor's daily ZeroGPU quota (hub docs, spaces-zerogpu: 2 minutes unauthenticated): a lesson run
# must fit it, so every visitor of a shared link can train one.
LESSON_WINDOW_SECONDS = 120
# The longest window this app asks for (ZeroGPU's own per-call maximum is set by the platform and not
# published; PRO accounts have 40 minutes a day).
MAX_WINDOW_SECONDS = 15 * 60
MARGIN = 1.5  # the estimate's pace is measured; start-up and evaluation vary
START_SECONDS = 20  # loading the model onto the GPU, inside the window
TOO_LONG = Text(
    "This run would need about {seconds} s of GPU time, more than {limit} s that {who} on ZeroGPU: train "
    "fewer examples or epochs.",
    "この学習には GPU 時間が約 {seconds} 秒必要で、上限の {limit} 秒を超えます。件数かエポック数を減らしてください。",
)
REFUSALS = (  # ZeroGPU's gr.Error texts (spaces/zero/client.py), by what they mean for the visitor
    (
        "quota",
        "Your ZeroGPU quota for today is used up, so this run could not start: try again later, sign in to "
        "Hugging Face for a larger quota, or train on the CPU by running the app yourself. "
        "/ 本日の ZeroGPU の利用枠を使い切りました。後でもう一度お試しください。",
    ),
    (
        "GPU limit",
        "This Space has reached its GPU limit for now: try again later. / この Space の GPU 上限に達しました。"
        "後でもう一度お試しください。",
    ),
    (
        "No GPU was available",
        "No GPU was free on ZeroGPU within a minute: start the run again in a moment. "
        "/ 1 分以内に空いている GPU がありませんでした。少し待ってからもう一度開始してください。",
    ),
    (
        "duration",
        "ZeroGPU refused the time this run asked for: train fewer examples or epochs. "
        "/ ZeroGPU がこの学習の所要時間を受け付けませんでした。件数かエポック数を減らしてください。",
    ),
)
ABORTED = (
    "The GPU window ended before the run finished (ZeroGPU stops a window at its time limit); nothing was saved: "
    "train fewer examples or epochs. / GPU の時間枠が学習の途中で終わったため、何も保存されていません。"
)


def on_zerogpu() -> bool:
    return bool(Config.zero_gpu)


def window_length(estimated_seconds: float | None, lesson: bool) -> int:
    """The seconds a run's window asks for: its estimate here with a margin, or, before any run was timed on
    this hardware, the most a run of its kind may have."""
    limit = LESSON_WINDOW_SECONDS if lesson else MAX_WINDOW_SECONDS
    if estimated_seconds is None:
        return limit
    return math.ceil(START_SECONDS + estimated_seconds * MARGIN)


def check_fits(seconds: int, lesson: bool) -> None:
    from ..errors import UserError

    limit = LESSON_WINDOW_SECONDS if lesson else MAX_WINDOW_SECONDS
    if seconds > limit:
        who = "a lesson run may have (an anonymous visitor's daily quota)" if lesson else "this server allows"
        raise UserError(TOO_LONG.format(seconds=f"{seconds:,}", limit=f"{limit:,}", who=who))


def refusal(error: BaseException) -> str:
    """One sentence for an error a window ended with: ZeroGPU's refusals by their meaning, else an abort."""
    text = str(error)
    return next((sentence for key, sentence in REFUSALS if key in text), ABORTED)


def _duration(config: dict, seconds: int, prepared: str | None = None) -> int:
    """ZeroGPU's duration callable: it gets the window function's own arguments."""
    return seconds


@dataclass(frozen=True)
class GpuWindow:
    """What the training job needs of a window: the GPU function, and the sentence for how it ended."""

    train = staticmethod(spaces.GPU(duration=_duration)(stream_training))
    refusal = staticmethod(refusal)
