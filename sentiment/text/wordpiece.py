"""How WordPiece picks its pieces: the greedy longest-match walk over a word, step by step, and the vocabulary.

WordPiece (BERT's sub-word stage, after MeCab has split the text into words) reads a word from the left: at each
step it takes the longest run of the remaining characters that its vocabulary holds (written `##…` when it
continues the word), emits it, and goes on with the rest. When no entry matches, the *whole word* becomes
`[UNK]`, not only the character that failed, and so does a word longer than `max_input_chars_per_word`.

The walk here reads the tokenizer's own vocabulary and limits and repeats that algorithm with every step kept,
so a teacher can show why 外国 is one piece or two; tests/test_wordpiece.py checks that it ends in the pieces the
tokenizer itself gives for every word of the sample.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from .limits import STATS_REVIEWS, cap_text
from .readings import Reading, reading_of
from .tokenization import mecab_nodes

CONTINUATION = "##"
MAX_WORD_CHARS = 100  # transformers' WordpieceTokenizer default, where a tokenizer does not say


@dataclass(frozen=True)
class Step:
    remaining: str  # the characters still to read, as WordPiece looks them up (## on a continuation)
    tried: int  # how many candidates, longest first, it looked up before this one matched (or all of them)
    piece: str | None  # the longest vocabulary entry that matched; None: nothing matched, the word is [UNK]
    input_id: int | None


@dataclass(frozen=True)
class Walk:
    word: str
    steps: list[Step]
    pieces: list[str]  # what the word becomes: its pieces, or [UNK] alone
    ids: list[int]
    too_long: bool  # longer than the tokenizer's max_input_chars_per_word: [UNK] without a walk


@dataclass(frozen=True)
class Entry:
    """A vocabulary look-up: a token and its id, whether the vocabulary has it, and how often it occurs."""

    token: str
    input_id: int | None  # None: not in the vocabulary
    count: int  # pieces equal to it in the counted reviews
    counted: int  # reviews counted


def uses_wordpiece(tokenizer) -> bool:
    """Whether the tokenizer's sub-word stage is WordPiece (BERT's; the starter's and cl-tohoku's are)."""
    kind = getattr(tokenizer, "subword_tokenizer_type", None)
    if kind is not None:
        return kind == "wordpiece"
    backend = getattr(tokenizer, "backend_tokenizer", None)  # a fast tokenizer: its model says
    return backend is not None and type(backend.model).__name__ == "WordPiece"


def walk(tokenizer, word: str) -> Walk:
    """The greedy longest-match walk over one word (as MeCab gave it), with the tokenizer's vocabulary."""
    vocab, unk = tokenizer.get_vocab(), tokenizer.unk_token
    limit = getattr(getattr(tokenizer, "subword_tokenizer", None), "max_input_chars_per_word", MAX_WORD_CHARS)
    if len(word) > limit:
        return Walk(word, [], [unk], [vocab[unk]], too_long=True)
    steps, start = [], 0
    while start < len(word):
        prefix = CONTINUATION if start > 0 else ""
        for tried, end in enumerate(range(len(word), start, -1), 1):
            if (candidate := prefix + word[start:end]) in vocab:
                steps.append(Step(prefix + word[start:], tried, candidate, vocab[candidate]))
                start = end
                break
        else:
            steps.append(Step(prefix + word[start:], len(word) - start, None, None))
            return Walk(word, steps, [unk], [vocab[unk]], too_long=False)
    pieces = [step.piece for step in steps]
    return Walk(word, steps, pieces, [step.input_id for step in steps], too_long=False)


def words_read(tokenizer, text: str) -> list[tuple[Walk, Reading | None]]:
    """Each word WordPiece is given for `text`, with its walk and, for a MeCab tokenizer, its reading
    (readings.py): MeCab's words after the tokenizer's normalisation (NFKC) and lower-casing where it does them;
    for a tokenizer without MeCab, its pre-tokenizer's words."""
    text = cap_text(text)
    if (nodes := mecab_nodes(tokenizer, text)) is not None:
        lower = tokenizer.word_tokenizer.do_lower_case
        return [
            (walk(tokenizer, node.surface.lower() if lower else node.surface), reading_of(node.surface, node.feature))
            for node in nodes
        ]
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        normalized = backend.normalizer.normalize_str(text) if backend.normalizer else text
        return [(walk(tokenizer, word), None) for word, _ in backend.pre_tokenizer.pre_tokenize_str(normalized)]
    return [(walk(tokenizer, word), None) for word in text.split()]


def walk_text(tokenizer, text: str) -> list[Walk]:
    """The walk over each word of `text`, in order: their pieces together are `tokenizer.tokenize(text)`."""
    return [each for each, _ in words_read(tokenizer, text)]


def piece_counts(tokenizer, texts: list[str], seed: int = 0) -> tuple[Counter[str], int]:
    """How often each piece occurs in `texts` (a seeded sample of STATS_REVIEWS where there are more: MeCab reads
    about a thousand reviews a second), and how many texts were counted."""
    if len(texts) > STATS_REVIEWS:
        texts = [texts[i] for i in sorted(random.Random(seed).sample(range(len(texts)), STATS_REVIEWS))]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokenizer.tokenize(cap_text(text)))
    return counts, len(texts)


def look_up(tokenizer, query: str, counts: Counter[str], counted: int) -> Entry:
    """A token, or an id typed as digits, in the tokenizer's vocabulary (a number the vocabulary has as a token,
    such as "2", is looked up as the token first)."""
    query = query.strip()
    vocab = tokenizer.get_vocab()
    is_id = query.isascii() and query.isdigit() and len(query) <= 9  # no vocabulary has a billion entries
    if query not in vocab and is_id and int(query) < len(tokenizer):
        query = tokenizer.convert_ids_to_tokens(int(query))
    return Entry(query, vocab.get(query), counts.get(query, 0), counted)
