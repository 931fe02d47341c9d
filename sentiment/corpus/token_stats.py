"""Every tokenizer of the comparison over a whole dataset: how long its reviews become, how many a model
reading 128 or 512 tokens would cut, how often a piece is unknown, and how large a vocabulary it needs.

One pass over the reviews: each is capped and MeCab-split once, and every tokenizer reads that (see
text/compare.py, `Reference`). A dataset larger than STATS_REVIEWS is read as a seeded sample of that many.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

from ..text.compare import Reference, TokenizerLab, split_row
from ..text.limits import STATS_REVIEWS, cap_text, has_content

# A model adds two tokens to every text ([CLS] and [SEP], or <s> and </s>): they count toward its length.
SPECIAL = 2


@dataclass(frozen=True)
class TokenStats:
    tokenizer: str
    lengths: list[int]  # model input length of each review: its pieces and the two special tokens
    unknown: int  # pieces the tokenizer's vocabulary lacks
    pieces: int
    distinct: int  # different pieces seen in these reviews
    vocabulary: int | None  # the tokenizer's own vocabulary; None where it has none (Sudachi's lexicon)
    failed: int  # reviews this tokenizer could not split

    @property
    def median(self) -> float:
        return statistics.median(self.lengths) if self.lengths else 0.0

    @property
    def p95(self) -> int:
        ordered = sorted(self.lengths)
        return ordered[math.ceil(0.95 * len(ordered)) - 1] if ordered else 0

    def cut_share(self, limit: int) -> float:
        """The share of reviews longer than `limit` tokens, which a model reading `limit` cuts."""
        return sum(length > limit for length in self.lengths) / len(self.lengths) if self.lengths else 0.0

    @property
    def unknown_rate(self) -> float:
        return self.unknown / self.pieces if self.pieces else 0.0


@dataclass(frozen=True)
class DatasetTokenStats:
    reviews: int  # reviews read
    total: int  # reviews in the dataset
    rows: list[TokenStats]


def token_statistics(lab: TokenizerLab, texts: list[str]) -> DatasetTokenStats:
    """Each tokenizer of `lab` over `texts` (every split of a dataset)."""
    total = len(texts)
    texts = [cap_text(text) for text in texts if has_content(text)]
    if len(texts) > STATS_REVIEWS:
        texts = random.Random(0).sample(texts, STATS_REVIEWS)
    lengths: dict[str, list[int]] = {name: [] for name in lab.names}
    unknown = dict.fromkeys(lab.names, 0)
    failed = dict.fromkeys(lab.names, 0)
    seen: dict[str, set[str]] = {name: set() for name in lab.names}
    for text in texts:
        reference = Reference(text)
        for splitter in lab.splitters:
            row = split_row(splitter, reference)
            if row.error:
                failed[row.tokenizer] += 1
                continue
            pieces = row.pieces
            lengths[row.tokenizer].append(len(pieces) + SPECIAL)
            unknown[row.tokenizer] += row.unknown
            seen[row.tokenizer].update(piece.text for piece in pieces)
    rows = [
        TokenStats(
            tokenizer=splitter.name,
            lengths=lengths[splitter.name],
            unknown=unknown[splitter.name],
            pieces=sum(lengths[splitter.name]) - SPECIAL * len(lengths[splitter.name]),
            distinct=len(seen[splitter.name]),
            vocabulary=splitter.vocabulary,
            failed=failed[splitter.name],
        )
        for splitter in lab.splitters
    ]
    return DatasetTokenStats(len(texts), total, rows)
