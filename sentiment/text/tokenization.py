"""Tokenizers: load one, build the offline starter, and explain how one splits a text.

The source model's tokenizer runs in two stages: MeCab (IPA dictionary, through fugashi) splits
the text into words, then WordPiece splits each word into pieces from a fixed vocabulary, marking
pieces that continue a word with `##`. The starter tokenizer uses the same two stages, with a
WordPiece vocabulary learned here from the training texts, so it works with no Hub.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # transformers' auto classes import torch: imported where a tokenizer is made
    from transformers import BertJapaneseTokenizer, PreTrainedTokenizerBase

from .limits import cap_text, is_capped
from .scripts import normalization_changes

SOURCE_MODEL = "cl-tohoku/bert-base-japanese-whole-word-masking"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# The source model's word tokenizer: MeCab with the IPA dictionary.
MECAB_KWARGS = {"mecab_dic": "ipadic"}
STARTER_MAX_LENGTH = 512
# Kana and printable ASCII are always in the starter's alphabet, so a small corpus still covers them.
BASE_ALPHABET = [chr(c) for c in (*range(0x3041, 0x3097), *range(0x30A1, 0x30FB), *range(0x21, 0x7F))]


def load_tokenizer(spec: str = SOURCE_MODEL) -> PreTrainedTokenizerBase:
    """A tokenizer from a Hub id or a local folder (a model folder or a training run)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(spec)


def tokenizer_loadable(spec: str, online: bool) -> bool:
    """Whether `load_tokenizer(spec)` can work here: a local folder, or a Hub id with the Hub reachable or the
    model in this machine's Hugging Face cache (a Space's build, a `huggingface-cli download` made earlier)."""
    if Path(spec).is_dir():
        return True
    if online:
        return True
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(spec, "tokenizer_config.json"), str)
    except ValueError:  # not a Hub id either
        return False


def build_starter_tokenizer(
    texts: Iterable[str],
    vocab_size: int = 8000,
    max_length: int = STARTER_MAX_LENGTH,
    mecab_kwargs: dict[str, str] = MECAB_KWARGS,
) -> BertJapaneseTokenizer:
    """A MeCab-ipadic + WordPiece tokenizer whose vocabulary is learned from `texts` (another MeCab
    dictionary through `mecab_kwargs`, e.g. `{"mecab_dic": "unidic_lite"}` as cl-tohoku's v2 models use).

    The vocabulary is the special tokens, every character of the texts (and of BASE_ALPHABET) alone
    and in its `##` form, then the most frequent MeCab words that occur at least twice, until it has
    `vocab_size` entries (more when the characters alone pass it). WordPiece then reads a frequent word
    as one piece and spells a rare one out character by character, as BERT's vocabularies do.

    It is learned by counting, with ties broken by the text itself, so the same texts give the same
    vocabulary and the same token ids in every process. (The `tokenizers` WordPiece trainer does not:
    its hash maps are randomly seeded, and two processes learned 2,648 and 2,649 entries from the
    sample, with different ids.)
    """
    from transformers import BertJapaneseTokenizer

    word_tokenizer = _mecab_tokenizer(mecab_kwargs)
    words: Counter[str] = Counter()
    for text in texts:
        words.update(word_tokenizer.tokenize(cap_text(text)))
    characters: Counter[str] = Counter()
    for word, count in words.items():
        for character in word:
            characters[character] += count
    alphabet = [char for char, _ in _by_frequency(characters)] + [c for c in BASE_ALPHABET if c not in characters]
    vocab = [*SPECIAL_TOKENS, *alphabet, *(f"##{char}" for char in alphabet)]
    known = set(vocab)
    frequent = (word for word, count in _by_frequency(words) if count >= 2 and len(word) > 1 and word not in known)
    vocab += list(islice(frequent, max(0, vocab_size - len(vocab))))
    with tempfile.TemporaryDirectory() as folder:
        vocab_file = Path(folder) / "vocab.txt"
        vocab_file.write_text("".join(f"{token}\n" for token in vocab), encoding="utf-8")
        return BertJapaneseTokenizer(
            str(vocab_file),
            do_lower_case=False,
            word_tokenizer_type="mecab",
            subword_tokenizer_type="wordpiece",
            mecab_kwargs=mecab_kwargs,
            model_max_length=max_length,
        )


def _normalises(tokenizer) -> bool:
    """Whether the tokenizer's MeCab reads the NFKC form of a text (BertJapaneseTokenizer's normalize_text)."""
    return bool(getattr(getattr(tokenizer, "word_tokenizer", None), "normalize_text", False))


def _by_frequency(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first; equal counts in the order of the text itself, so the result never varies."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _mecab_tokenizer(mecab_kwargs: dict[str, str] = MECAB_KWARGS):
    from transformers.models.bert_japanese.tokenization_bert_japanese import MecabTokenizer

    return MecabTokenizer(do_lower_case=False, **mecab_kwargs)


@dataclass
class TokenRow:
    index: int
    token: str
    input_id: int
    attention_mask: int
    token_type_id: int
    word_index: int | None  # which MeCab word this piece came from; None for special tokens
    word: str
    part_of_speech: str
    continuation: bool  # a `##` piece that continues the previous one's word
    special: bool
    unknown: bool


@dataclass
class Explanation:
    text: str
    words: list[tuple[str, str]]  # MeCab (surface, part of speech), in order
    rows: list[TokenRow]
    truncated: bool
    max_length: int
    round_trip: str
    capped: bool  # the text was cut before MeCab (limits.cap_text)
    counts: dict[str, int] = field(default_factory=dict)
    normalised: list[tuple[str, str]] = field(default_factory=list)  # what NFKC rewrote before MeCab read it


@dataclass
class PaddedToken:
    token: str
    input_id: int
    attention_mask: int
    special: bool


def padded_pair(
    tokenizer: PreTrainedTokenizerBase, first: str, second: str, max_length: int
) -> list[list[PaddedToken]]:
    """Two texts batched with padding=True: the shorter is padded, and its attention mask shows 0s."""
    batch = tokenizer([cap_text(first), cap_text(second)], padding=True, truncation=True, max_length=max_length)
    return [
        [
            PaddedToken(tokenizer.convert_ids_to_tokens(i), i, m, i in tokenizer.all_special_ids)
            for i, m in zip(ids, mask, strict=True)
        ]
        for ids, mask in zip(batch["input_ids"], batch["attention_mask"], strict=True)
    ]


def special_tokens(tokenizer: PreTrainedTokenizerBase) -> list[tuple[str, int]]:
    """The tokenizer's special tokens and their ids: [CLS], [SEP], [PAD], [UNK], [MASK] (those it has)."""
    names = ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token")
    return [(getattr(tokenizer, name), getattr(tokenizer, f"{name}_id")) for name in names if getattr(tokenizer, name)]


def encode(tokenizer: PreTrainedTokenizerBase, texts: list[str], max_length: int) -> tuple[dict, list[int]]:
    """Token ids for `texts` cut at `max_length`, and each text's length before the cut.

    Each text is first cut as limits.cap_text says, so MeCab can take it safely. Tokenized once, without special
    tokens or truncation (MeCab is most of the cost), then each text's pieces are cut and its special tokens added
    as the tokenizer's own truncation does: a text too long is not read by MeCab a second time. (transformers 5's
    `return_overflowing_tokens` fails on Python tokenizers, so the cut is found this way.)
    """
    texts = [cap_text(text) for text in texts]
    if not hasattr(tokenizer, "build_inputs_with_special_tokens"):  # a fast (Rust) tokenizer: no MeCab to spare
        cut = tokenizer(texts, truncation=True, max_length=max_length)
        lengths = [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]]
        return {key: list(values) for key, values in cut.items()}, lengths
    pieces = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
    specials = tokenizer.num_special_tokens_to_add(pair=False)
    encoded = {"input_ids": [], "token_type_ids": [], "attention_mask": []}
    for ids in pieces:
        kept = ids[: max(0, max_length - specials)]
        encoded["input_ids"].append(tokenizer.build_inputs_with_special_tokens(kept))
        encoded["token_type_ids"].append(tokenizer.create_token_type_ids_from_sequences(kept))
        encoded["attention_mask"].append([1] * (len(kept) + specials))
    if "token_type_ids" not in tokenizer.model_input_names:
        del encoded["token_type_ids"]
    return encoded, [len(ids) + specials for ids in pieces]


def explain(tokenizer: PreTrainedTokenizerBase, text: str, max_length: int | None = None) -> Explanation:
    """How `tokenizer` turns `text` into model input, one row per token, with its MeCab word."""
    max_length = max_length or _max_length(tokenizer)
    characters, capped, text = len(text), is_capped(text), cap_text(text)
    batch, (full_length,) = encode(tokenizer, [text], max_length)
    encoding = {key: values[0] for key, values in batch.items()}
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
    words, word_of_piece = _words_and_pieces(tokenizer, text)
    special_ids = set(tokenizer.all_special_ids)
    rows, piece = [], 0
    for index, (token, input_id) in enumerate(zip(tokens, encoding["input_ids"], strict=True)):
        special = input_id in special_ids and token != tokenizer.unk_token
        word_index = None if special or piece >= len(word_of_piece) else word_of_piece[piece]
        if not special:
            piece += 1
        surface, pos = words[word_index] if word_index is not None else ("", "")
        rows.append(
            TokenRow(
                index=index,
                token=token,
                input_id=input_id,
                attention_mask=encoding["attention_mask"][index],
                token_type_id=encoding.get("token_type_ids", [0] * len(tokens))[index],
                word_index=word_index,
                word=surface,
                part_of_speech=pos,
                continuation=token.startswith("##"),
                special=special,
                unknown=token == tokenizer.unk_token,
            )
        )
    content = [row.token for row in rows if not row.special]
    return Explanation(
        text=text,
        words=words,
        rows=rows,
        truncated=full_length > max_length,
        max_length=max_length,
        round_trip=tokenizer.convert_tokens_to_string(content),
        capped=capped,
        # BertJapaneseTokenizer's MeCab reads the NFKC form of the text (its normalize_text, on by default).
        normalised=normalization_changes(text) if _normalises(tokenizer) else [],
        counts={
            "characters": characters,
            "words": len(words),
            "tokens": len(rows),
            "tokens_before_truncation": full_length,
            "unknown": sum(row.unknown for row in rows),
        },
    )


def _max_length(tokenizer: PreTrainedTokenizerBase) -> int:
    # Tokenizers saved without a limit report a huge sentinel; BERT's position table stops at 512.
    return min(tokenizer.model_max_length, STARTER_MAX_LENGTH)


def _words_and_pieces(tokenizer, text: str) -> tuple[list[tuple[str, str]], list[int]]:
    """MeCab words with part of speech, and for each WordPiece piece the index of its word.

    For a MeCab tokenizer this re-runs its two stages word by word, exactly as `_tokenize` does;
    for any other tokenizer each piece that does not start with `##` begins a new word.
    """
    if (nodes := mecab_nodes(tokenizer, text)) is not None:
        words, word_of_piece = [], []
        for node in nodes:
            surface = node.surface.lower() if tokenizer.word_tokenizer.do_lower_case else node.surface
            words.append((node.surface, _part_of_speech(node.feature)))
            word_of_piece += [len(words) - 1] * len(tokenizer.subword_tokenizer.tokenize(surface))
        return words, word_of_piece
    words, word_of_piece = [], []
    for token in tokenizer.tokenize(text):
        if not token.startswith("##") or not words:
            words.append((token.removeprefix("##"), ""))
        else:
            surface, pos = words[-1]
            words[-1] = (surface + token[2:], pos)
        word_of_piece.append(len(words) - 1)
    return words, word_of_piece


def mecab_nodes(tokenizer, text: str) -> list | None:
    """MeCab's nodes for `text` as a MeCab tokenizer reads it (NFKC first where it normalises): each node's
    surface and its dictionary features; None for a tokenizer without MeCab."""
    import unicodedata

    word_tokenizer = getattr(tokenizer, "word_tokenizer", None)
    if getattr(tokenizer, "word_tokenizer_type", None) != "mecab" or not hasattr(word_tokenizer, "mecab"):
        return None
    normalized = unicodedata.normalize("NFKC", text) if word_tokenizer.normalize_text else text
    return list(word_tokenizer.mecab(normalized))


def _part_of_speech(feature) -> str:
    """IPA dictionary features start with part of speech and its first sub-category."""
    parts = [part for part in tuple(feature)[:2] if part and part != "*"]
    return "-".join(parts)
