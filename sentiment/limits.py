"""Every limit on what a request may ask for, in one place.

The text cap applies everywhere (app, CLI, training, dataset loading): MeCab, which the source
model's tokenizer runs first, crashes the whole process (a segfault in fugashi, not an exception)
on a run of about 160,000 or more ASCII characters. Reviews are far shorter (the longest of the
3,000 real ones has 1,215 characters) and the model reads at most 512 tokens, so a text is cut
at `MAX_TEXT_CHARS` characters before it is tokenized, and the page says so.

The public bounds apply when the app is reachable by anyone (a Space, `--share`, `--public`):
they keep one visitor from holding the one training slot, the disk or the queue for long.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT_CHARS = 10_000
MAX_UPLOAD_MB = 20  # the app refuses larger uploads (in the browser and again on the server)


def cap_text(text: str) -> str:
    """`text` cut to the characters MeCab may safely be given."""
    return text[:MAX_TEXT_CHARS]


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
    queue_size: int  # requests waiting in gradio's queue


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
    queue_size=256,
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
    queue_size=32,
)
