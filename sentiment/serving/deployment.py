"""Who may do what on this server: a private app on one's own machine, or a public one.

An app is public when anyone may reach it: on a Hugging Face Space (`SPACE_ID` is set), with a
gradio.live link (`--share`) or when launched with `--public`. A public app:

- trains lesson-size runs for anyone (the sample with the starter or the n-gram baseline, at most
  LESSON_STEPS steps, and 3 to 10 minutes from the machine's pace: limits.lesson_minutes), so every visitor of a
  shared link can do the lesson;
- trains anything bigger only for the holder of the training password (`--train-password` or the
  `TRAIN_PASSWORD` secret), and with no password set, not at all;
- bounds what a run may ask for (limits.PUBLIC), and stops a run that passes its time limit;
- lets only the page that started a run, or the password holder, stop it;
- reads datasets only from the Hub, the bundled sample, uploads, and folders named at launch with
  `--data-dir` (that is true of every app; see Studio.dataset).
"""

from __future__ import annotations

import dataclasses
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import SAMPLE
from ..errors import UserError
from ..models.bert import STARTER
from ..text.limits import LESSON_STEPS, LOCAL, PUBLIC, Bounds, lesson_minutes
from ..training.config import TrainConfig
from .guards import LOOPBACK, PRIVATE_NETWORKS, Network, PasswordThrottle, networks, visitor_address

PASSWORD_VARIABLE = "TRAIN_PASSWORD"
# The bounds a visitor's settings meet, as a Japanese sentence names them.
BOUND_NAMES = {
    "epochs": "エポック数",
    "max_steps": "最大ステップ数",
    "train_examples": "学習に使う例の数",
    "max_length": "最大トークン長",
    "batch_size": "バッチサイズ",
}
LESSON = Text(
    "On this public server anyone may train lesson-size runs: the sample dataset with the starter model (full or "
    "head only) or the n-gram baseline, recipe settings, up to {steps} steps.",
    "この公開サーバーでは、誰でも授業用の小さな学習ができます: サンプルのデータでスターター（全体または分類ヘッドのみ）"
    "か n-gram ベースラインを、既定の設定で最大 {steps} ステップまで。",
)
TRAINING_OFF = LESSON + Text(
    " Bigger runs need a training password, and this server's owner has set none: run the app on your own "
    "machine (python app.py).",
    "それより大きな学習には学習用パスワードが必要ですが、このサーバーには設定されていません。"
    "自分のマシンでアプリを実行してください（python app.py）。",
)
WRONG_PASSWORD = Text(
    "That is not the training password: type the password this server's owner gave you, or train a lesson-size "
    "run (the sample with the starter or the baseline) with no password.",
    "学習用パスワードが違います。サーバーの管理者から受け取ったパスワードを入力するか、パスワードなしで授業用の小さな"
    "学習（サンプルでスターターまたはベースライン）をしてください。",
)

KEEPS_NO_DECISIONS = Text(
    "This public server keeps no visitor's decisions (its owner has set no password): download yours as CSV instead.",
    "この公開サーバーは訪問者の判断を保存しません（パスワードが設定されていません）。CSV でダウンロードしてください。",
)
NOT_THE_DECISIONS_PASSWORD = Text(
    "That is not the training password: only its holder may save decisions as this server's; download yours as CSV.",
    "学習用パスワードが違います。サーバーの判断として保存できるのはパスワードを持つ人だけです。CSV でダウンロードして"
    "ください。",
)


@dataclass(frozen=True)
class Deployment:
    public: bool = False
    train_password: str = ""
    data_dirs: tuple[Path, ...] = ()
    bounds: Bounds = LOCAL
    proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For names the visitor (guards.py)
    throttle: PasswordThrottle = field(default_factory=PasswordThrottle, compare=False, repr=False)

    @classmethod
    def from_launch(
        cls,
        public: bool = False,
        share: bool = False,
        train_password: str | None = None,
        data_dirs=(),
        trusted_proxies=(),
    ) -> Deployment:
        """The deployment an app launched with these flags (and this environment) runs as."""
        on_space = bool(os.environ.get("SPACE_ID"))
        public = public or share or on_space
        proxies = [*trusted_proxies, *(PRIVATE_NETWORKS + LOOPBACK if on_space else ()), *(LOOPBACK if share else ())]
        return cls(
            public=public,
            train_password=train_password or os.environ.get(PASSWORD_VARIABLE, ""),
            data_dirs=tuple(Path(folder).resolve() for folder in data_dirs),
            bounds=PUBLIC if public else LOCAL,
            proxies=networks(proxies),
        )

    def visitor(self, client_host: str | None, forwarded_for: str | None) -> str:
        """Who is asking (guards.visitor_address), believing X-Forwarded-For from this deployment's proxies only."""
        return visitor_address(client_host, forwarded_for, self.proxies)

    @property
    def training_open(self) -> bool:
        return not self.public or bool(self.train_password)

    def holds_password(self, password: str | None, visitor: str = "") -> bool:
        """Whether `password` is the training password, compared in constant time; a visitor who keeps
        guessing wrong is made to wait (guards.PasswordThrottle). A blank password is no guess."""
        if not self.train_password or not password:
            return False
        return self.throttle.check(
            visitor, lambda: hmac.compare_digest(password.encode(), self.train_password.encode())
        )

    def check_may_train(self, password: str | None, visitor: str = "") -> None:
        """Whether this visitor may train runs bigger than a lesson."""
        if not self.public:
            return
        if not self.train_password:
            raise UserError(TRAINING_OFF.format(steps=LESSON_STEPS))
        if not self.holds_password(password, visitor):
            raise UserError(WRONG_PASSWORD)

    def check_may_keep_decisions(self, password: str | None, visitor: str = "") -> None:
        """Whether this visitor may make their label decisions the server's own, which every visitor can load."""
        if self.public and not self.holds_password(password, visitor):
            raise UserError(KEEPS_NO_DECISIONS if not self.train_password else NOT_THE_DECISIONS_PASSWORD)

    def check_before_the_form(self, model: str, method: str, dataset: str, password: str | None, visitor="") -> bool:
        """On a public server anything but a lesson checks the password before the page's form is read, so a
        refused visitor learns nothing of what the server holds (paths, models); True when it was checked."""
        if self.public and (password or not lesson_shaped(model, method, dataset)):
            self.check_may_train(password, visitor)
            return True
        return False

    def admit(
        self,
        config: TrainConfig,
        password: str | None,
        visitor: str = "",
        checked: bool = False,
        expected_seconds: Callable[[], float | None] = lambda: None,
    ) -> tuple[TrainConfig, float | None]:
        """The run as this server trains it and its time limit in minutes (None: none); or one sentence why not.
        `expected_seconds()`: how long it should take at this machine's pace (estimate.py), which sets a lesson's
        (asked for a lesson only: it reads the finished runs and the dataset).

        The password is checked first (unless `checked`: check_before_the_form did), so a refused visitor learns
        nothing of the rest."""
        if self.public and not password and is_lesson(config):
            return self.as_trained_without_password(config), lesson_minutes(expected_seconds())
        if not checked:
            self.check_may_train(password, visitor)
        limit = self.bounds.run_minutes
        return self.bounded(config), None if limit == float("inf") else limit

    def as_trained_without_password(self, config: TrainConfig) -> TrainConfig:
        """`config` as `admit` would train it for a visitor with no password (a lesson gets its step limit),
        or one sentence for a value past the bounds; what the password allows is not checked here."""
        if self.public and is_lesson(config):
            return dataclasses.replace(config, step_limit=LESSON_STEPS)
        return self.bounded(config)

    def check_may_stop(self, owner: str | None, session: str, password: str | None, visitor: str = "") -> None:
        """On a public server only the page that started the run, or the password holder, may stop it."""
        if self.public and owner != session and not self.holds_password(password, visitor):
            raise UserError(
                Text(
                    "Only the page that started this run can stop it (or someone with the training password).",
                    "この学習を止められるのは、学習を始めたページ（または学習用パスワードを知っている人）だけです。",
                )
            )

    def bounded(self, config: TrainConfig) -> TrainConfig:
        """`config` within this server's bounds: a value asked beyond one is refused; on a public server
        the numbers of training and evaluation examples, when left unset, are capped at the bounds."""
        bounds = self.bounds
        resolved = config.resolved()
        asked = {
            "epochs": resolved.epochs,
            "max_steps": resolved.max_steps,
            "train_examples": resolved.train_examples,
            "max_length": resolved.max_length,
            "batch_size": resolved.batch_size,
        }
        for name, value in asked.items():
            limit = getattr(bounds, name)
            if value is not None and value > limit:
                raise UserError(
                    Text(
                        f"{name.replace('_', ' ')} can be at most {limit:,} on this server, not {value:,}.",
                        f"このサーバーでは{BOUND_NAMES[name]}は {limit:,} までです（{value:,} は指定できません）。",
                    )
                )
        if not self.public:
            return config
        return dataclasses.replace(
            config,
            step_limit=int(bounds.max_steps),  # where the epochs would take more steps, the run stops there
            train_examples=resolved.train_examples or bounds.train_examples,
            eval_examples=min(resolved.eval_examples or bounds.eval_examples, bounds.eval_examples),
        )


def lesson_shaped(model: str, method: str, dataset: str) -> bool:
    """What a lesson trains: the sample, with the starter or the baseline (is_lesson adds its size)."""
    return dataset == SAMPLE and (method == "ngram" or model == STARTER)


def is_lesson(config: TrainConfig) -> bool:
    """A run of lesson size: lesson-shaped, at the recipe's size or smaller. The baseline on the sample is one
    whatever BERT sizes its settings carry (it reads no tokens: a baseline trained with a Hub model named, as
    `train.py --method ngram` records it, has that model's 512 as its length)."""
    resolved = config.resolved()
    if resolved.method == "ngram":
        return resolved.dataset == SAMPLE
    recipe = TrainConfig(model=STARTER, dataset=SAMPLE).resolved()
    return (
        lesson_shaped(resolved.model, resolved.method, resolved.dataset)
        and resolved.epochs <= recipe.epochs
        and resolved.max_length <= recipe.max_length
        and resolved.starter_layers <= recipe.starter_layers
        and resolved.starter_hidden <= recipe.starter_hidden
        and resolved.starter_vocab_size <= recipe.starter_vocab_size
    )
