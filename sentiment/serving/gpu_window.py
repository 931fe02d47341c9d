"""Where a run trains on ZeroGPU: in a GPU window, a `@spaces.GPU` call of its own.

The `spaces` package does nothing off ZeroGPU (`spaces.GPU` hands the function back unchanged), so the same
code runs everywhere; on ZeroGPU the platform stops a Space that registers no GPU function before launch,
which this module does by being imported (serving → studio imports it). The window's length comes from the
run's estimate on this hardware with a margin; a run that cannot fit is refused before it starts, and
ZeroGPU's own refusals become one sentence in both languages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import spaces
from spaces.config import Config

from ..bilingual import Text
from ..training.window import stream_training

# An anonymous visitor's daily ZeroGPU quota (hub docs, spaces-zerogpu: 2 minutes unauthenticated): a lesson run's
# window must fit it, as ZeroGPU counts it, so every visitor of a shared link can train one.
LESSON_WINDOW_SECONDS = 120
# The longest window this app asks for, in quota seconds (ZeroGPU's own per-call maximum is set by the platform and
# not published; PRO accounts have 40 minutes a day).
MAX_WINDOW_SECONDS = 15 * 60
MARGIN = 1.5  # the estimate's pace is measured; start-up and evaluation vary
START_SECONDS = 20  # loading the model onto the GPU, inside the window
TOO_LONG = Text(
    "This run would need about {seconds} s of GPU time, more than the {limit} s that {who} on ZeroGPU: train "
    "fewer examples or epochs.",
    "この学習には GPU 時間が約 {seconds} 秒必要で、{who}上限の {limit} 秒を超えます。件数かエポック数を減らして"
    "ください。",
)
LESSON_LIMIT = Text(
    "a lesson run may have (an anonymous visitor's daily quota)", "レッスン用の学習（匿名の訪問者の 1 日の枠）の"
)
QUOTA = Text(
    "ZeroGPU refused this run: it asks for {requested} s of GPU time and your quota has {left} s left today. Try "
    "again in {wait}, sign in to Hugging Face for a larger quota, or train fewer examples or epochs.",
    "ZeroGPU がこの学習を受け付けませんでした。必要な GPU 時間は {requested} 秒ですが、本日の利用枠の残りは {left} 秒"
    "です。{wait} 後にもう一度お試しいただくか、Hugging Face にログインして枠を増やすか、件数かエポック数を減らして"
    "ください。",
)
# ZeroGPU's refusals (spaces/zero/client.py raises them as gr.Error), by a phrase of their message.
REFUSALS = (
    (
        "runs limit",
        Text(
            "You have started as many GPU runs as ZeroGPU allows for now: try again later.",
            "ZeroGPU で今すぐ開始できる GPU の学習数の上限に達しました。後でもう一度お試しください。",
        ),
    ),
    (
        "quota",
        Text(
            "Your ZeroGPU quota for today is used up, so this run could not start: try again later, sign in to "
            "Hugging Face for a larger quota, or train on the CPU by running the app yourself.",
            "本日の ZeroGPU の利用枠を使い切ったため、学習を開始できませんでした。後でもう一度お試しいただくか、"
            "Hugging Face にログインして枠を増やしてください。",
        ),
    ),
    (
        "GPU limit",
        Text(
            "This Space has reached its GPU limit for now: try again later.",
            "この Space の GPU 上限に達しました。後でもう一度お試しください。",
        ),
    ),
    (
        "No GPU was available",
        Text(
            "No GPU was free on ZeroGPU within a minute: start the run again in a moment.",
            "1 分以内に空いている GPU がありませんでした。少し待ってからもう一度開始してください。",
        ),
    ),
    (
        "duration",
        Text(
            "ZeroGPU refused the time this run asked for ({requested} s is more than one call may have): train "
            "fewer examples or epochs.",
            "ZeroGPU がこの学習の所要時間（{requested} 秒）を受け付けませんでした（1 回の上限を超えています）。件数か"
            "エポック数を減らしてください。",
        ),
    ),
    (
        "Expired ZeroGPU proxy token",
        Text(
            "ZeroGPU no longer accepted your visit's pass when this run's turn came (the pass your click carried "
            "lasts a few minutes, and the run waited in this Space's queue longer): start it again.",
            "この学習の順番が来たとき、ZeroGPU はあなたの訪問の通行証を受け付けませんでした（クリック時の通行証は"
            "数分で切れ、学習がこの Space の待ち行列でそれより長く待ったため）。もう一度開始してください。",
        ),
    ),
)
TIMED_OUT = Text(
    "The GPU window ended at its {seconds} s before the run finished; nothing was saved: train fewer examples or "
    "epochs.",
    "学習が終わる前に GPU の時間枠（{seconds} 秒）が終わったため、何も保存されていません。件数かエポック数を減らして"
    "ください。",
)
WORKER_ENDED = Text(
    "ZeroGPU's GPU worker stopped after {elapsed} s of its {seconds} s window, before the run finished (the "
    "server's log has why); nothing was saved: start it again.",
    "ZeroGPU の GPU ワーカーが時間枠 {seconds} 秒のうち {elapsed} 秒で、学習の終わる前に止まりました（理由はサーバー"
    "のログにあります）。何も保存されていません。もう一度開始してください。",
)
QUOTA_NUMBERS = re.compile(r"\((\d+)s requested vs\. (\d+)s left\)\. Try again in ([^.]+)\.")
ASKED = re.compile(r"duration \((\d+)s\)")


def on_zerogpu() -> bool:
    return bool(Config.zero_gpu)


def card() -> dict:
    """The ZeroGPU card this Space runs on, as `spaces` reads it (zero/config.py: the driver's model name, matched
    against zero/configs.json; the first entry where none matches): its `model` and `duration_factor`."""
    from spaces.zero.config import get_config

    return get_config()


@dataclass(frozen=True)
class WindowSize:
    """A window as the app declares it and as ZeroGPU counts it: `spaces` multiplies the declared seconds by the
    card's `duration_factor` (zero/client.py get_duration_seconds) and asks for that, against the visitor's quota."""

    declared: int
    factor: float

    @property
    def charged(self) -> int:
        return round(self.declared * self.factor)  # as `spaces` rounds what it asks for

    @classmethod
    def of(cls, estimated_seconds: float | None, lesson: bool, factor: float) -> WindowSize:
        """The window a run needs: its estimate on this card with a margin, or, before any run was timed here,
        the most a run of its kind may have; declared so that what ZeroGPU counts is what the run needs."""
        limit = LESSON_WINDOW_SECONDS if lesson else MAX_WINDOW_SECONDS
        if estimated_seconds is None:
            return cls(math.floor(limit / factor), factor)
        return cls(math.ceil((START_SECONDS + estimated_seconds * MARGIN) / factor), factor)

    def check_fits(self, lesson: bool) -> None:
        from ..errors import UserError

        limit = LESSON_WINDOW_SECONDS if lesson else MAX_WINDOW_SECONDS
        if self.charged > limit:
            who = LESSON_LIMIT if lesson else Text("this server allows", "このサーバーの")
            raise UserError(TOO_LONG.format(seconds=f"{self.charged:,}", limit=f"{limit:,}", who=who))


def refusal(error: BaseException, elapsed: float, charged: int) -> Text:
    """One sentence for an error a window ended with, `elapsed` seconds after it was asked for: ZeroGPU's refusals
    by their meaning, else the worker's end (at the window's `charged` seconds, or before)."""
    message = str(error)
    if numbers := QUOTA_NUMBERS.search(message):
        requested, left, wait = numbers.groups()
        return QUOTA.format(requested=requested, left=left, wait=wait)
    for key, sentence in REFUSALS:
        if key in message:
            asked = ASKED.search(message)
            return sentence.format(requested=asked.group(1) if asked else charged)
    if elapsed >= charged:
        return TIMED_OUT.format(seconds=charged)
    return WORKER_ENDED.format(elapsed=f"{elapsed:.0f}", seconds=charged)


def _duration(config: dict, seconds: int, prepared: str | None = None) -> int:
    """ZeroGPU's duration callable: it gets the window function's own arguments; `seconds` is the declared length."""
    return seconds


@dataclass(frozen=True)
class GpuWindow:
    """What the training job needs of a window: the GPU function, and the sentence for how it ended."""

    train = staticmethod(spaces.GPU(duration=_duration)(stream_training))
    refusal = staticmethod(refusal)

    @staticmethod
    def factor() -> float:
        return float(card()["duration_factor"])

    @staticmethod
    def card_name() -> str:
        return card()["model"]
