"""Who may do what on this server: a private app on one's own machine, or a public one.

An app is public when anyone may reach it: on a Hugging Face Space (`SPACE_ID` is set), with a
gradio.live link (`--share`) or when launched with `--public`. A public app:

- trains only for the holder of the training password (`--train-password` or the `TRAIN_PASSWORD`
  secret), and with no password set, not at all;
- bounds what a run may ask for (limits.PUBLIC), and stops a run that passes its time limit;
- lets only the page that started a run, or the password holder, stop it;
- reads datasets only from the Hub, the bundled sample, uploads, and folders named at launch with
  `--data-dir` (that is true of every app; see Studio.dataset).
"""

from __future__ import annotations

import dataclasses
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from .config import TrainConfig
from .errors import UserError
from .limits import LOCAL, PUBLIC, Bounds

PASSWORD_VARIABLE = "TRAIN_PASSWORD"
TRAINING_OFF = (
    "Training is off on this public server: its owner has set no training password. The other tabs work; "
    "to train, run the app on your own machine (python app.py). / この公開サーバーでは学習できません。"
)
WRONG_PASSWORD = "That is not the training password: type the password this server's owner gave you."


@dataclass(frozen=True)
class Deployment:
    public: bool = False
    train_password: str = ""
    data_dirs: tuple[Path, ...] = ()
    bounds: Bounds = LOCAL

    @classmethod
    def from_launch(
        cls, public: bool = False, share: bool = False, train_password: str | None = None, data_dirs=()
    ) -> Deployment:
        """The deployment an app launched with these flags (and this environment) runs as."""
        public = public or share or bool(os.environ.get("SPACE_ID"))
        return cls(
            public=public,
            train_password=train_password or os.environ.get(PASSWORD_VARIABLE, ""),
            data_dirs=tuple(Path(folder).resolve() for folder in data_dirs),
            bounds=PUBLIC if public else LOCAL,
        )

    @property
    def training_open(self) -> bool:
        return not self.public or bool(self.train_password)

    def holds_password(self, password: str | None) -> bool:
        return bool(self.train_password) and hmac.compare_digest(
            (password or "").encode(), self.train_password.encode()
        )

    def check_may_train(self, password: str | None) -> None:
        if not self.public:
            return
        if not self.train_password:
            raise UserError(TRAINING_OFF)
        if not self.holds_password(password):
            raise UserError(WRONG_PASSWORD)

    def check_may_stop(self, owner: str | None, session: str, password: str | None) -> None:
        """On a public server only the page that started the run, or the password holder, may stop it."""
        if self.public and owner != session and not self.holds_password(password):
            raise UserError("Only the page that started this run can stop it (or someone with the training password).")

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
                raise UserError(f"{name.replace('_', ' ')} can be at most {limit:,} on this server, not {value:,}.")
        if not self.public:
            return config
        return dataclasses.replace(
            config,
            train_examples=resolved.train_examples or bounds.train_examples,
            eval_examples=min(resolved.eval_examples or bounds.eval_examples, bounds.eval_examples),
        )
