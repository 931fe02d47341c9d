"""The model pool: tokenizers and classifiers loaded once, shared by every visitor and bounded in number."""

from __future__ import annotations

import hashlib
import time
import unicodedata

from ..bilingual import Text
from ..corpus.loading import SAMPLE, load_dataset
from ..errors import UserError, quoted
from ..insight.inference import Classifier, load_classifier, unquantised_precision
from ..insight.whatif import WhatIf, what_if
from ..models.bert import STARTER, work_per_token
from ..models.prediction import Prediction
from ..text.limits import UNBOUNDED, cap_text
from ..text.tokenization import (
    SOURCE_MODEL,
    Explanation,
    PaddedToken,
    build_starter_tokenizer,
    encode,
    explain,
    load_tokenizer,
    padded_pair,
    special_tokens,
    tokenizer_loadable,
)
from .cache import PER_TEXT_BYTES, SharedCache, run_key
from .deployment import Deployment
from .runbook import RunBook

STARTER_TOKENIZER = "starter (vocabulary learned from the sample)"
STARTER_TOKENIZER_SHOWN = STARTER_TOKENIZER + " / スターター（サンプルから学んだ語彙）"
RUN_PREFIX = "run: "


class ModelPool:
    def __init__(self, runbook: RunBook, deployment: Deployment, online: bool, launch_model: str = STARTER):
        self.runbook = runbook
        self.deployment = deployment
        self.online = online
        self.launch_model = launch_model  # what the Train tab trains: the page shows its tokenizer first
        self._tokenizers = SharedCache(4)
        self._tokenizations = SharedCache(256, PER_TEXT_BYTES)
        self._classifiers = SharedCache(2)
        # (run, text) → one text's prediction: a class clicks the same examples
        self._answers = SharedCache(4096, PER_TEXT_BYTES)
        self._unquantised = SharedCache(1)

    # Tokenizers
    def tokenizer_choices(self) -> list[tuple[str, str]]:
        """What the Tokenizer tab offers, as (shown, value) pairs: the value is what its API takes. The launch
        model's tokenizer comes first wherever it can be loaded (a folder, or a Hub id online or from the cache),
        then the starter's, the source model's and the runs'."""
        starter = (STARTER_TOKENIZER_SHOWN, STARTER_TOKENIZER)
        shown = {spec: starter if spec == STARTER else (spec, spec) for spec in self._models_with_tokenizers()}
        first = [shown[self.launch_model]] if self.launch_model in shown else []
        choices = list(dict.fromkeys([*first, starter, *shown.values()]))
        return choices + [(RUN_PREFIX + run.name,) * 2 for run in self.runbook.runs() if run.reads_tokens]

    def _models_with_tokenizers(self) -> list[str]:
        """The launch model, then the source model, each where its tokenizer can be loaded here."""
        specs = dict.fromkeys([self.launch_model, SOURCE_MODEL])
        return [spec for spec in specs if spec == STARTER or tokenizer_loadable(spec, self.online)]

    def tokenizer(self, choice: str):
        choice = choice or STARTER_TOKENIZER
        return self._tokenizers.get_or_make(choice, lambda: self._load_tokenizer(choice))

    def _load_tokenizer(self, choice: str):
        if choice == STARTER_TOKENIZER:
            return build_starter_tokenizer(load_dataset(SAMPLE)["train"]["text"], vocab_size=4000)
        if choice.startswith(RUN_PREFIX):
            run_dir = self.runbook.resolve(choice.removeprefix(RUN_PREFIX))
            run = self.runbook.info(run_dir.name)
            if run is not None and not run.reads_tokens:
                raise UserError(
                    Text(
                        f"{quoted(run.name)} is an n-gram baseline: it reads characters and has no tokenizer. "
                        "Pick a BERT run or tokenizer.",
                        f"{quoted(run.name)} は n-gram ベースラインで、文字を読むためトークナイザーがありません。"
                        "BERT の学習済みモデルかトークナイザーを選んでください。",
                    )
                )
            return load_tokenizer(str(run_dir))
        if choice in self._models_with_tokenizers():
            return load_tokenizer(choice)
        raise UserError(
            Text(
                f"Unknown tokenizer {quoted(choice)}: pick one from the list.",
                f"{quoted(choice)} というトークナイザーはありません。一覧から選んでください。",
            )
        )

    def tokenization(
        self, choice: str, text: str, max_length: int | None, second: str
    ) -> tuple[Explanation, list[tuple[str, int]], list[list[PaddedToken]]]:
        """What the Tokenizer tab shows of a text: how the chosen tokenizer turns it into model input, its special
        tokens, and the text batched with `second` (padded)."""
        tokenizer = self.tokenizer(choice)

        def make():
            explanation = explain(tokenizer, text, max_length)
            return explanation, special_tokens(tokenizer), padded_pair(tokenizer, text, second, explanation.max_length)

        # Kept per tokenizer (the object: a run made again under its name has a new one) and text, as Classify's
        # answers are: a class types the same examples, and a long text costs MeCab and WordPiece half a second
        # of the one interpreter every other request waits on.
        texts = tuple(hashlib.sha256(value.encode()).hexdigest() for value in (text, second))
        key = (tokenizer, max_length, *texts)
        return self._tokenizations.get_or_make(key, make)

    def length_tokenizer(self):
        """The tokenizer that counts tokens in the Dataset tab: the Tokenizer tab's first, the launch model's
        where it can be loaded."""
        return self.tokenizer(self.tokenizer_choices()[0][1])

    # Classifiers
    def classifier(self, run_name: str) -> Classifier:
        run_dir = self.runbook.resolve(run_name)
        return self._classifiers.get_or_make(run_key(run_dir), lambda: load_classifier(run_dir))

    def classify(self, run_name: str, text: str) -> tuple[Prediction, float]:
        """One text's prediction and the milliseconds the model took to make it. Kept per run and text, as "Why?"
        is: thirty visitors clicking the Classify tab's examples cost the model one answer each."""
        run_dir = self.runbook.resolve(run_name)

        def make() -> tuple[Prediction, float]:
            model = self.classifier(run_name)
            started = time.perf_counter()
            (prediction,) = model.predict([text])
            return prediction, (time.perf_counter() - started) * 1000

        return self._answers.get_or_make((run_key(run_dir), hashlib.sha256(text.encode()).hexdigest()), make)

    def classify_many(self, run_name: str, texts: list[str]) -> list[Prediction]:
        """Many texts at once, within this server's bounds on their number and their characters together."""
        bounds = self.deployment.bounds
        if len(texts) > bounds.batch_rows:
            raise UserError(
                Text(
                    f"There are {len(texts):,} texts; this server classifies up to {bounds.batch_rows:,} at a time.",
                    f"テキストが {len(texts):,} 件あります。このサーバーが一度に分類できるのは {bounds.batch_rows:,} 件"
                    "までです。",
                )
            )
        # What would be tokenized (after NFKC, which makes '㌖' six characters), counted until past the bound: a
        # hostile batch costs no more than that.
        characters = 0
        for text in texts:
            characters += len(unicodedata.normalize("NFKC", cap_text(text)))
            if characters > bounds.batch_chars:
                raise UserError(
                    Text(
                        f"These texts have more than {bounds.batch_chars:,} characters together once normalised "
                        f"(NFKC, which makes ㌖ six); this server classifies up to {bounds.batch_chars:,} at a time: "
                        "send fewer or shorter texts.",
                        f"これらのテキストは正規化（NFKC。㌖ は 6 文字になります）すると合わせて "
                        f"{bounds.batch_chars:,} 文字を超えます。このサーバーが一度に分類できるのは "
                        f"{bounds.batch_chars:,} 文字までです。件数を減らすか、短くしてください。",
                    )
                )
        model = self.classifier(run_name)
        if isinstance(model, Classifier):  # the n-gram baseline reads characters, not tokens: the bound above holds it
            self._check_work(model, texts)
        return model.predict(texts)

    def _check_work(self, model: Classifier, texts: list[str]) -> None:
        """Refuse texts whose tokens would cost the model more than this server's batch bound."""
        if self.deployment.bounds.batch_work == UNBOUNDED:
            return
        limit = int(work_limit(model, self.deployment.bounds.batch_work))
        if (tokens := sum(tokens_read(model, texts))) > limit:
            raise UserError(
                Text(
                    f"These texts make {tokens:,} tokens; at this model's size this server reads up to "
                    f"{limit:,} at a time (a few seconds of its CPU): send fewer or shorter texts.",
                    f"これらの文は {tokens:,} トークンになります。このモデルの大きさでは、このサーバーが一度に"
                    f"読むのは {limit:,} トークンまでです（CPU で数秒）。文を減らすか短くしてください。",
                )
            )

    def what_if(self, run_name: str, text: str) -> WhatIf:
        """`text` and its Japanese-aware variants, classified in one batch: what_if bounds their characters
        (limits.WHAT_IF_BUDGET, sized for BERT-base)."""
        return what_if(self.classifier(run_name).predict, text)

    def unquantised(self, run_name: str) -> Classifier:
        """A BERT run not quantised, for what needs more than labels: gradients and hidden states (in bf16
        where the run is served in bf16, else fp32; see inference.unquantised_precision)."""
        run_dir = self.runbook.resolve(run_name)
        if (run := self.runbook.info(run_name)) is not None and not run.reads_tokens:
            raise UserError(
                Text(
                    "The n-gram baseline has no tokens or hidden states to show: pick a BERT run.",
                    "n-gram ベースラインには、表示できるトークンや隠れ状態がありません。BERT の学習済みモデルを"
                    "選んでください。",
                )
            )
        precision = unquantised_precision(run_dir)
        return self._unquantised.get_or_make(run_key(run_dir), lambda: Classifier(run_dir, precision=precision))


def tokens_read(model: Classifier, texts: list[str]) -> list[int]:
    """How many tokens `model` reads of each of `texts` (cut at its maximum length): what the work bounds count."""
    return [min(length, model.max_length) for length in encode(model.tokenizer, texts, model.max_length)[1]]


def work_limit(model: Classifier, budget: float) -> float:
    """`budget` BERT-base tokens as tokens of `model` (a hair over: 20 of BERT-base are 1,080 of the starter's, not
    1,079.999)."""
    return budget / work_per_token(model.model.config) + 1e-6
