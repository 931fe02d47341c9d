"""Every limit on what a request may ask for, in one place.

The text cap applies everywhere (app, CLI, training, dataset loading): MeCab, which the source
model's tokenizer runs first, crashes the whole process (a segfault in fugashi, not an exception)
on a run of about 160,000 or more ASCII characters. Reviews are far shorter (the longest of the
3,000 real ones has 1,215 characters) and the model reads at most 512 tokens, so a text is cut
at `MAX_TEXT_CHARS` characters before it is tokenized, and the page says so.

The cut counts characters *after* NFKC normalisation too, which the Japanese tokenizers apply first:
one '㌖' becomes the six characters 'キロメートル', so 10,000 of them would be 60,000 characters to
MeCab (5 s to tokenize, where 10,000 katakana take 0.3 s; docs/benchmarks.md). Control characters
become spaces: MeCab stops reading at a NUL, and a text made of nothing but them is no text.

The public bounds apply when the app is reachable by anyone (a Space, `--share`, `--public`):
they keep one visitor from holding the one training slot, the disk or the queue for long.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

MAX_TEXT_CHARS = 10_000
MAX_UPLOAD_MB = 20  # the app refuses larger uploads (in the browser and again on the server)
# The source's train split has 120,000 reviews: allow that, refuse far beyond before building anything.
MAX_DATASET_ROWS = 150_000
# The tokenizer comparison learns its vocabularies from at most this many training texts, and its statistics
# read at most this many reviews of a dataset (seeded samples): about 3 s and 5 s on 2 cores, once per dataset.
LEARN_TEXTS = 5_000
STATS_REVIEWS = 3_000
# What-if classifies a text's variants in one batch: it varies at most the first WHAT_IF_CHARS characters,
# and classifies variants (in order of interest) until they hold WHAT_IF_BUDGET characters together. A BERT-base
# on one core took 4.6 s for the 32 variants of a 156-character review (5,000 characters; the starter, 0.07 s).
WHAT_IF_CHARS = 300
WHAT_IF_BUDGET = 4_000
# C0 and C1 control characters but tab and line breaks.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def cap_text(text: str) -> str:
    """`text` as MeCab may safely be given it: control characters as spaces, and at most
    MAX_TEXT_CHARS characters both as written and after NFKC normalisation."""
    text = CONTROL.sub(" ", text[:MAX_TEXT_CHARS])
    while (normalized := len(unicodedata.normalize("NFKC", text))) > MAX_TEXT_CHARS:
        # Shrink in proportion: each round is shorter, and one or two rounds reach the cap.
        text = text[: len(text) * MAX_TEXT_CHARS // normalized]
    return text


def is_capped(text: str) -> bool:
    """Whether `cap_text` cuts `text` short."""
    return len(cap_text(text)) < len(text)


def has_content(text: str) -> bool:
    """Whether `text` has anything to read: not only spaces, control, format (zero-width) or unassigned characters."""
    return any(unicodedata.category(char)[0] not in "CZ" for char in text[:MAX_TEXT_CHARS])


@dataclass(frozen=True)
class Bounds:
    """How much one request may ask of the server."""

    epochs: float
    max_steps: float
    train_examples: float
    eval_examples: float
    max_length: int
    batch_size: float
    run_minutes: float  # a run still going after this long is stopped
    runs_kept: int  # runs trained through the page; the oldest go first
    uploads_kept: int
    downloads_kept: int
    batch_rows: int  # texts per /classify_batch call
    batch_chars: float  # characters of all the texts of one /classify_batch call together, once normalised
    batch_work: float  # their tokens, in BERT-base tokens (models/bert.work_per_token)
    why_budget: float  # "Why?" work per request, in BERT-base token-steps (attribution.py)
    analysis_work: float  # tokens an Evaluate or a map may have the model read anew, in BERT-base tokens
    queue_size: int  # requests waiting in gradio's queue
    upload_cache_mb: float  # gradio's own upload folder, all visitors together
    visitor_upload_mb: float  # what one visitor may post to gradio's upload route in an hour
    uploads_per_hour: float  # files one visitor may post to gradio's upload route
    upload_lifetime: int  # seconds gradio keeps an uploaded file


UNBOUNDED = float("inf")
# On one's own machine a run may be as large as one likes; only BERT's 512 positions bound it.
LOCAL = Bounds(
    epochs=UNBOUNDED,
    max_steps=UNBOUNDED,
    train_examples=UNBOUNDED,
    eval_examples=UNBOUNDED,
    max_length=512,
    batch_size=UNBOUNDED,
    run_minutes=UNBOUNDED,
    runs_kept=10_000,
    uploads_kept=200,
    downloads_kept=200,
    batch_rows=100_000,
    batch_chars=UNBOUNDED,
    batch_work=UNBOUNDED,
    why_budget=UNBOUNDED,
    analysis_work=UNBOUNDED,
    queue_size=256,
    upload_cache_mb=UNBOUNDED,
    visitor_upload_mb=UNBOUNDED,
    uploads_per_hour=UNBOUNDED,
    upload_lifetime=3600,
)
PUBLIC = Bounds(
    epochs=10,
    max_steps=2_000,
    train_examples=20_000,
    eval_examples=5_000,
    max_length=512,
    batch_size=64,
    run_minutes=30,
    runs_kept=20,
    uploads_kept=20,
    downloads_kept=50,
    batch_rows=1_000,
    # MeCab and WordPiece read about 160,000 characters of reviews a second on one core, but a pathological text
    # far fewer: 200,000 characters of '㌖' (each six once normalised) took 8.6 s of the server's CPU (the
    # classroom's hostile batch, bench/classroom.py); 50,000 take about 2 s.
    batch_chars=50_000,
    # BERT-base reads about 3 ms of one core's CPU per token (fp32, a 2-core Xeon without bf16: 96 reviews, 5,192
    # tokens, 16.2-16.7 s), so 1,000 tokens are about 3 s; a smaller model reads proportionally more.
    batch_work=1_000,
    # About 2 s of one core's CPU at BERT-base size on a 2-core Xeon without bf16 (1,100 took 3.0-3.2 s, and in a
    # class of thirty the costliest "Why?" 5.5 s; docs/benchmarks.md §17 and §8, bench/why_budget.py); unbounded,
    # a 450-character review took 47 s.
    why_budget=800,
    # As a batch's (about 3 ms a token at BERT-base): a run's own validation and test answers are read from its
    # folder, so only another split, or a map, reads a seeded sample this size; the page says so.
    analysis_work=1_200,
    queue_size=32,
    upload_cache_mb=500,
    visitor_upload_mb=100,  # five visitors, not one, to fill the folder for everyone
    uploads_per_hour=30,
    upload_lifetime=900,
)

# A lesson-size run, which any visitor of a public server may start without the password: the bundled
# sample with the starter (full or head) or the n-gram baseline, at most this many optimiser steps and
# minutes (the starter's recipe on the sample takes 80 steps, 16 s on 2 cores of a Xeon: docs/benchmarks.md §20).
LESSON_STEPS = 100
LESSON_MINUTES = 3
# The time limit follows the machine's own pace where a run of the lesson's model and method was timed here
# (estimate.py): three times its expected length, from LESSON_MINUTES up to LESSON_MAX_MINUTES, so a loaded or
# slow machine does not stop every lesson at its limit, and a stuck one still frees the slot.
LESSON_SLACK = 3
LESSON_MAX_MINUTES = 10


def lesson_minutes(expected_seconds: float | None) -> float:
    """A lesson run's time limit, from how long it is expected to take here (None: not known yet)."""
    if expected_seconds is None:
        return LESSON_MINUTES
    return min(LESSON_MAX_MINUTES, max(LESSON_MINUTES, LESSON_SLACK * expected_seconds / 60))


def affordable_rows(count: int, tokens_of: Callable[[list[int]], list[int]], budget: float, seed: int = 0) -> list[int]:
    """Which of `count` rows to read within `budget` tokens: all where they fit, else those of a seeded shuffle
    that fit, in order. `tokens_of(rows)` counts their tokens; it is asked about a few rows at a time, so a large
    split is not tokenized whole to find out that only a few of its rows fit."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    kept, spent = [], 0
    for start in range(0, count, 64):
        chunk = order[start : start + 64]
        for row, tokens in zip(chunk, tokens_of(chunk), strict=True):
            if spent + tokens > budget:
                return sorted(kept)
            kept.append(row)
            spent += tokens
    return sorted(kept)
