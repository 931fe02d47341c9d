"""Inside BERT: how WordPiece picks its pieces, what each layer makes of a text, and from which layer sentiment
can be read (the Tokenizer tab's walk and vocabulary, the Classify tab's layer view, the Evaluate tab's probe).

Each answer is made once per tokenizer, run or dataset and text or split, kept in a shared cache (ten identical
requests at once wait for one answer), and goes through the model pool: the layer view reads the served model,
so its last row is Classify's answer; the probe reads the unquantised one, under its lock as the maps do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..bilingual import Text
from ..errors import UserError, quoted, unknown_split
from ..insight.forward_steps import ForwardSteps, forward_steps
from ..insight.inference import Classifier
from ..insight.layers import LayerView, has_layers, layer_view
from ..insight.maps import sample_rows
from ..insight.probe import PROBE_REVIEWS, LayerProbe, probe
from ..models.prediction import check_texts
from ..run_files import CONFIG_FILE
from ..text.readings import Reading
from ..text.wordpiece import (
    CONTINUATION,
    MAX_WORD_CHARS,
    Entry,
    Walk,
    look_up,
    piece_counts,
    uses_wordpiece,
    words_read,
)
from .analysis import Analyses, started_from
from .cache import PER_TEXT_BYTES, SharedCache, run_key
from .catalog import Catalog
from .pool import ModelPool
from .runbook import RunBook

# The longest entry a vocabulary look-up takes: a continuation of the longest word WordPiece reads (a longer query
# is no entry of any vocabulary, and its answer would repeat it to the visitor whole).
MAX_ENTRY_CHARS = len(CONTINUATION) + MAX_WORD_CHARS


def is_text(value: str) -> bool:
    """Whether `value` is text that can be sent back: a lone surrogate (half of a character) can't be encoded,
    and a reply repeating it breaks the visitor's reply stream."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class ProbeAnswer:
    probe: LayerProbe
    frozen: bool  # a head-only run: its encoder is its start model's, so the two curves are one
    run_accuracy: float  # the run's own accuracy on the same split
    baseline_accuracy: float | None  # the n-gram baseline's on its dataset's same split, where one was trained


class InsideBert:
    def __init__(self, catalog: Catalog, runbook: RunBook, pool: ModelPool, analyses: Analyses):
        self.catalog, self.runbook, self.pool, self.analyses = catalog, runbook, pool, analyses
        self._words = SharedCache(128, PER_TEXT_BYTES)
        self._piece_counts = SharedCache(3)
        self._layer_views = SharedCache(32)  # at most about 1.5 MB each (layers.SHOWN_TOKENS)
        self._forward = SharedCache(32, PER_TEXT_BYTES)  # five vectors a token: 7.7 MB for 512 tokens of BERT-base
        self._probes = SharedCache(8)

    # WordPiece, step by step
    def words(self, tokenizer_choice: str, text: str) -> list[tuple[Walk, Reading | None]]:
        """Each word of `text` as the chosen tokenizer reads it: its WordPiece walk and its reading."""
        tokenizer = self.pool.tokenizer(tokenizer_choice)
        if not uses_wordpiece(tokenizer):
            raise UserError(
                Text(
                    f"{quoted(tokenizer_choice)} does not split words with WordPiece: pick a BERT tokenizer.",
                    f"{quoted(tokenizer_choice)} は WordPiece で単語を分けません。"
                    "BERT のトークナイザーを選んでください。",
                )
            )
        key = (tokenizer, hashlib.sha256(text.encode()).hexdigest())
        return self._words.get_or_make(key, lambda: words_read(tokenizer, text))

    def vocabulary_entry(self, tokenizer_choice: str, dataset_choice: str, query: str) -> Entry:
        """A token or an id in the chosen tokenizer's vocabulary, and how often the piece occurs in the training
        texts of the chosen dataset (counted once per tokenizer and dataset)."""
        if not query.strip():
            raise UserError(
                Text(
                    "Type a token (商品, ##品) or an id (a number) to look it up.",
                    "調べるトークン（商品、##品）か ID（数字）を入力してください。",
                )
            )
        if len(query.strip()) > MAX_ENTRY_CHARS:
            raise UserError(
                Text(
                    f"A vocabulary entry is at most {MAX_ENTRY_CHARS} characters: "
                    "type one token (商品, ##品) or an id.",
                    f"語彙の項目は {MAX_ENTRY_CHARS} 文字までです。"
                    "トークン 1 つ（商品、##品）か ID を入力してください。",
                )
            )
        if not is_text(query):
            raise UserError(
                Text(
                    "That is not text a vocabulary could hold (half of a character, a lone surrogate): "
                    "type a token (商品, ##品) or an id.",
                    "語彙にはありえない文字列です（文字の半分、単独のサロゲート）。トークン（商品、##品）か ID を"
                    "入力してください。",
                )
            )
        tokenizer = self.pool.tokenizer(tokenizer_choice)
        data = self.catalog.dataset(dataset_choice)
        key = (tokenizer, self.catalog.resolve(dataset_choice))
        counts, counted = self._piece_counts.get_or_make(key, lambda: piece_counts(tokenizer, data["train"]["text"]))
        return look_up(tokenizer, query, counts, counted)

    # Layer by layer
    def layers(self, run_name: str, text: str) -> LayerView:
        """The layer view of `text` through the run as Classify serves it (insight/layers.py)."""
        model = self._bert(run_name)
        check_texts([text])
        key = (run_key(model.run_dir), hashlib.sha256(text.encode()).hexdigest())
        return self._layer_views.get_or_make(key, lambda: layer_view(model, text))

    def forward(self, run_name: str, text: str) -> ForwardSteps:
        """The two ends of the run's forward pass for `text`, with their numbers (insight/forward_steps.py): each
        id's embeddings, and [CLS] → pooler → logits → softmax. In full precision (the served model may be int8)."""
        self._bert(run_name)  # one sentence for the n-gram baseline
        model = self.pool.unquantised(run_name)
        check_texts([text])
        key = (run_key(model.run_dir), hashlib.sha256(text.encode()).hexdigest())

        def make() -> ForwardSteps:
            with model.lock:  # the model "Why?" hooks: no other request reads it meanwhile
                return forward_steps(model.model, model.tokenizer, text, model.max_length)

        return self._forward.get_or_make(key, make)

    def _bert(self, run_name: str) -> Classifier:
        model = self.pool.classifier(run_name)
        if not isinstance(model, Classifier):
            raise UserError(
                Text(
                    "The n-gram baseline has no layers to show: pick a BERT run.",
                    "n-gram ベースラインには層がありません。BERT の学習済みモデルを選んでください。",
                )
            )
        if not has_layers(model.model):
            raise UserError(
                Text(
                    f"{run_name} is not a BERT model with a pooler: its layers can't be read here.",
                    f"{run_name} はプーラー付きの BERT ではないため、層を表示できません。",
                )
            )
        return model

    def layer_probe(self, run_name: str, split: str) -> ProbeAnswer:
        """The probe of each layer of the run's encoder and of its start model on a sample of `split`
        (insight/probe.py), with the run's and the n-gram baseline's accuracy on the same split."""
        self._bert(run_name)
        trained = self.pool.unquantised(run_name)
        settings = json.loads((trained.run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        frozen = settings["method"] == "head"
        key = (run_key(trained.run_dir), split)
        result = self._probes.get_or_make(key, lambda: self._probe(trained, settings, split, frozen))
        accuracy = self.analyses.evaluation(run_name, split).metrics["accuracy"]
        return ProbeAnswer(result, frozen, accuracy, self._baseline(run_name, split))

    def _probe(self, trained: Classifier, settings: dict, split: str, frozen: bool) -> LayerProbe:
        data = self.catalog.run_data(trained.run_dir)
        if split not in data:
            raise UserError(unknown_split(split))
        rows = data[split].select(sample_rows(len(data[split]), PROBE_REVIEWS))
        bf16 = trained.precision == "bf16"
        encoders = {"after": (trained.model, trained.tokenizer, bf16)}
        if not frozen:
            encoders["before"] = (started_from(settings, trained), trained.tokenizer, bf16)
        with trained.lock:  # the model "Why?" hooks (analysis.Analyses._attribute)
            result = probe(encoders, rows["text"], rows["label"], len(data[split]))
        if frozen:  # the start model's encoder is the run's: the same curves, drawn once
            result.curves.update({("before", pooling): curve for (_, pooling), curve in list(result.curves.items())})
        return result

    def _baseline(self, run_name: str, split: str) -> float | None:
        run = self.runbook.info(run_name)
        baseline = next(
            (other for other in self.runbook.runs() if other.is_baseline and run and other.dataset == run.dataset), None
        )
        return None if baseline is None else self.analyses.evaluation(baseline.name, split).metrics["accuracy"]
