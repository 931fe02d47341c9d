"""Japanese tokenizers side by side: how each splits one text, as a model would read it.

Japanese has no spaces, so every Japanese model first decides where words are, and the decision differs:
MeCab with the IPA dictionary (the source model, cl-tohoku whole-word-masking, and the starter) or with
UniDic (cl-tohoku v2), then WordPiece; Sudachi at three granularities (A short units, B middle, C named
entities whole); single characters (cl-tohoku's char models); or no word splitter at all, only a
SentencePiece unigram model (rinna, XLM-R).

The vocabularies those models use are on the Hub; offline, each is learned here from the loaded dataset's
training texts (`learning_texts`), the WordPiece ones by the starter's own code. A `TokenizerLab` holds
what one dataset taught and splits any text with every tokenizer; the lab is made once per dataset and
shared by every request (its parts are read-only; the word splitters are per thread, see morphology.py).
"""

from __future__ import annotations

import bisect
import functools
import io
import logging
import random
import unicodedata
from dataclasses import dataclass, field

from ..bilingual import Text, same
from ..errors import UserError
from .limits import LEARN_TEXTS, cap_text, has_content, is_capped
from .morphology import IPADIC, UNIDIC, mecab_words, sudachi_morphemes
from .scripts import normalization_changes, script_runs
from .tokenization import build_starter_tokenizer

logger = logging.getLogger(__name__)
WORDPIECE_VOCAB = 8000
SENTENCEPIECE_VOCAB = 8000
UNKNOWN = "[UNK]"
NFKC = "NFKC"
FAILED = Text(
    "This tokenizer could not split this text; the other rows are not affected.",
    "このトークナイザーはこの文を分割できませんでした。ほかの行には影響しません。",
)
SUDACHI_MODES = {
    "A": Text("short units, as UniDic counts them", "短単位（UniDic の数え方）"),
    "B": Text("middle units", "中単位"),
    "C": Text("long units: compounds and named entities whole", "長単位: 複合語や固有表現をひとまとまりに"),
}
BUNDLED = "sample (bundled)"  # loading.py's name for the app's own sample


@dataclass(frozen=True)
class Piece:
    text: str
    unknown: bool = False  # not in the tokenizer's vocabulary: the model reads it as [UNK]

    @property
    def scripts(self) -> list[tuple[str, str]]:
        """The piece's runs of characters of one script each: (characters, script name)."""
        return script_runs(self.text)


@dataclass(frozen=True)
class Word:
    """A word of a row's word splitter, or for rows with none, the MeCab-IPA word its pieces start in."""

    surface: str
    pieces: tuple[Piece, ...]
    normalized: str = ""  # Sudachi's normalised (dictionary) form


@dataclass
class Row:
    """One tokenizer's split of a text; its note, normalisation and error read in the page's language."""

    tokenizer: str
    note: Text
    normalisation: Text
    words: list[Word] = field(default_factory=list)
    word_count: int = 0
    error: Text | str = ""

    @property
    def pieces(self) -> list[Piece]:
        return [piece for word in self.words for piece in word.pieces]

    @property
    def unknown(self) -> int:
        return sum(piece.unknown for piece in self.pieces)

    @property
    def pieces_per_word(self) -> float:
        return len(self.pieces) / self.word_count if self.word_count else 0.0


@dataclass
class Comparison:
    text: str  # what was split: the input as limits.cap_text leaves it
    rows: list[Row]
    capped: bool
    changes: list[tuple[str, str]]  # what NFKC rewrites, before MeCab, the characters and SentencePiece


class Reference:
    """A text as written and after NFKC, with the MeCab-IPA words of the latter and where each starts:
    found once per text, when a row first asks, and shared by its rows. (Lazily: if MeCab failed, only the rows
    that read its words would say so; Sudachi's would still show.)"""

    def __init__(self, written: str):
        self.written = written
        self.text = unicodedata.normalize(NFKC, written)

    @functools.cached_property
    def _words(self) -> tuple[list[str], list[int]]:
        surfaces, starts, cursor = [], [], 0
        for node in mecab_words(self.text):
            start = self.text.find(node.surface, cursor)
            start = cursor if start < 0 else start
            surfaces.append(node.surface)
            starts.append(start)
            cursor = start + len(node.surface)
        return surfaces, starts

    @property
    def surfaces(self) -> list[str]:
        return self._words[0]

    @property
    def starts(self) -> list[int]:
        return self._words[1]

    def group(self, spans: list[tuple[int, Piece]]) -> list[Word]:
        """Pieces, each with where it starts in `text`, grouped by the word they start in (for rows
        with no word splitter of their own: their colours then show where they cross MeCab's words)."""
        words: list[Word] = []
        last = None
        for start, piece in spans:
            index = max(0, bisect.bisect_right(self.starts, start) - 1) if self.starts else 0
            if words and index == last:
                words[-1] = Word(words[-1].surface, (*words[-1].pieces, piece))
            else:
                words.append(Word(self.surfaces[index] if self.surfaces else "", (piece,)))
            last = index
        return words


class WordPieceSplitter:
    """MeCab words (IPA or UniDic), then WordPiece pieces from a vocabulary learned as the starter's is."""

    normalisation = same(NFKC)

    def __init__(self, name: str, dictionary: str, texts: list[str], taught: Text, origin: Text):
        self.name, self.dictionary = name, dictionary
        tokenizer = build_starter_tokenizer(texts, WORDPIECE_VOCAB, mecab_kwargs={"mecab_dic": dictionary})
        self.wordpiece = tokenizer.subword_tokenizer  # pure Python over a read-only vocabulary: thread-safe
        self.vocabulary = len(tokenizer.vocab)
        self.note = Text(
            "{origin}; WordPiece vocabulary of {size} learned from {taught}",
            "{origin}。WordPiece の語彙 {size} 語は{taught}から学習",
        ).format(origin=origin, size=f"{self.vocabulary:,}", taught=taught)

    def split(self, reference: Reference) -> tuple[list[Word], int]:
        if self.dictionary == IPADIC:
            surfaces = reference.surfaces
        else:
            surfaces = [node.surface for node in mecab_words(reference.text, self.dictionary)]
        words = [Word(surface, self._pieces(surface)) for surface in surfaces]
        return words, len(words)

    def _pieces(self, surface: str) -> tuple[Piece, ...]:
        return tuple(Piece(piece, piece == UNKNOWN) for piece in self.wordpiece.tokenize(surface))


class SudachiSplitter:
    """Sudachi's morphemes in one mode, each with its normalised form (ｶﾀｶﾅ → 片仮名, 美味しい for おいしい)."""

    normalisation = Text(
        "Sudachi's own: surfaces as written, normalised forms beside", "Sudachi 独自: 表層形はそのまま、正規化形を併記"
    )
    vocabulary = None  # Sudachi's dictionary is a lexicon of millions of words, not a model's vocabulary

    def __init__(self, mode: str):
        self.mode = mode
        self.name = f"Sudachi {mode}"
        self.note = Text("sudachidict-core, mode {mode}: {units}", "sudachidict-core、モード {mode}: {units}").format(
            mode=mode, units=SUDACHI_MODES[mode]
        )

    def split(self, reference: Reference) -> tuple[list[Word], int]:
        words = [
            Word(m.surface(), (Piece(m.surface(), m.is_oov()),), m.normalized_form())
            for m in sudachi_morphemes(reference.written, self.mode)
            if m.surface().strip()
        ]
        return words, len(words)


class CharacterSplitter:
    """One piece per character after NFKC; the alphabet is every character of the training texts."""

    name = "Characters"
    normalisation = same(NFKC)

    def __init__(self, texts: list[str], taught: Text):
        self.alphabet = frozenset(char for text in texts for char in unicodedata.normalize(NFKC, text))
        self.vocabulary = len(self.alphabet)
        self.note = Text(
            "as cl-tohoku's char models; alphabet of {size} characters from {taught}",
            "cl-tohoku の文字単位モデルと同じ。文字の種類 {size} 個は{taught}から",
        ).format(size=f"{self.vocabulary:,}", taught=taught)

    def split(self, reference: Reference) -> tuple[list[Word], int]:
        spans = [
            (i, Piece(char, char not in self.alphabet)) for i, char in enumerate(reference.text) if not char.isspace()
        ]
        return reference.group(spans), len(reference.surfaces)


class SentencePieceSplitter:
    """A unigram SentencePiece model learned from the training texts: no word splitter, pieces may cross words."""

    name = "SentencePiece (unigram)"
    normalisation = Text("NFKC (SentencePiece's nmt_nfkc)", "NFKC（SentencePiece の nmt_nfkc）")

    def __init__(self, texts: list[str], taught: Text):
        import sentencepiece

        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=model,
            vocab_size=SENTENCEPIECE_VOCAB,
            model_type="unigram",
            hard_vocab_limit=False,  # a small dataset yields fewer pieces rather than an error
            num_threads=1,  # one thread: the same texts give the same model
            minloglevel=2,
        )
        self.model = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
        self.vocabulary = self.model.get_piece_size()
        self.note = Text(
            "as rinna's and XLM-R's models; {size} pieces learned from {taught}",
            "rinna と XLM-R のモデルと同じ。{size} 個の断片を{taught}から学習",
        ).format(size=f"{self.vocabulary:,}", taught=taught)

    def split(self, reference: Reference) -> tuple[list[Word], int]:
        text = reference.text
        pieces, ids = self.model.encode(text, out_type=str), self.model.encode(text)
        unknown_id, spans, cursor = self.model.unk_id(), [], 0
        for piece, piece_id in zip(pieces, ids, strict=True):
            found = text.find(piece.lstrip("▁"), cursor) if piece.strip("▁") else -1
            start = cursor if found < 0 else found
            spans.append((start, Piece(piece, piece_id == unknown_id)))
            cursor = start + len(piece.lstrip("▁"))
        return reference.group(spans), len(reference.surfaces)


class TokenizerLab:
    """Every tokenizer of the comparison, with what it learned from one dataset's training texts."""

    def __init__(self, texts: list[str], dataset: str):
        texts = learning_texts(texts)
        taught = Text("{count} training texts of {dataset}", "{dataset} の学習テキスト {count} 件").format(
            count=f"{len(texts):,}",
            dataset=Text(dataset, "同梱のサンプル") if dataset == BUNDLED else dataset,
        )
        origin_ipa = Text(
            "the source model's and the starter's algorithm (the source model's own vocabulary is on the Hub)",
            "元のモデルとスターターの方式（元のモデル自身の語彙は Hub にあります）",
        )
        origin_unidic = Text(
            "cl-tohoku v2's algorithm (its own vocabulary is on the Hub)",
            "cl-tohoku v2 の方式（そのモデル自身の語彙は Hub にあります）",
        )
        self.splitters = [
            WordPieceSplitter("MeCab (IPA) → WordPiece", IPADIC, texts, taught, origin_ipa),
            WordPieceSplitter("MeCab (UniDic) → WordPiece", UNIDIC, texts, taught, origin_unidic),
            *(SudachiSplitter(mode) for mode in SUDACHI_MODES),
            CharacterSplitter(texts, taught),
            SentencePieceSplitter(texts, taught),
        ]

    @property
    def names(self) -> list[str]:
        return [splitter.name for splitter in self.splitters]

    def compare(self, text: str) -> Comparison:
        """`text` split by every tokenizer; a tokenizer that fails gets one sentence in its row."""
        if not has_content(text or ""):
            raise UserError(
                Text(
                    "The text is empty: type some Japanese to compare the tokenizers.",
                    "テキストが空です。トークナイザーを比べる日本語を入力してください。",
                )
            )
        capped, text = is_capped(text), cap_text(text)
        reference = Reference(text)
        return Comparison(
            text, [split_row(splitter, reference) for splitter in self.splitters], capped, normalization_changes(text)
        )


def split_row(splitter, reference: Reference) -> Row:
    """One tokenizer's row for a text; if the tokenizer fails, the row says so in one sentence."""
    row = Row(splitter.name, splitter.note, splitter.normalisation)
    try:
        row.words, row.word_count = splitter.split(reference)
    except Exception:  # one tokenizer's failure must not hide the others' rows
        logger.exception("%s failed on a text of %d characters", splitter.name, len(reference.written))
        row.error = FAILED
    return row


def learning_texts(texts: list[str]) -> list[str]:
    """The training texts a lab learns from: capped as every tokenizer input is, the empty ones left out,
    and at most LEARN_TEXTS of them (a seeded sample), so a 120,000-review dataset is learned in seconds."""
    texts = [cap_text(text) for text in texts if has_content(text)]
    if not texts:
        raise UserError(
            Text(
                "The dataset's training split has no text to learn the tokenizers from.",
                "このデータの学習データには、トークナイザーが学習できるテキストがありません。"
                "別のデータセットを選んでください。",
            )
        )
    if len(texts) > LEARN_TEXTS:
        texts = random.Random(0).sample(texts, LEARN_TEXTS)
    return texts
