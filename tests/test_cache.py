"""Issue 43, item 3: every cache of one value per visitor's text is bounded in bytes as well as entries. A flood of
distinct long texts leaves each holding at most cache.PER_TEXT_BYTES, measured by what the Python heap keeps
(tracemalloc), not by the cache's own count."""

import gc
import tracemalloc

import pytest

from sentiment.serving.cache import SharedCache
from sentiment.serving.studio import Studio

from .conftest import copy_run

SLACK = 4 * 2**20  # the interpreter's own bookkeeping beside the values kept
# The caches' bound, made smaller for these tests: a flood that passes it is a quarter of one that passes the
# served 32 MB, and tracemalloc makes every byte of it slow to make.
BOUND = 8 * 2**20


@pytest.fixture(scope="module")
def studio(trained_run, tmp_path_factory):
    """A studio whose per-text caches (the tokenizations, the WordPiece walk) are bounded at BOUND bytes, as
    pool.py and inside_bert.py give them cache.PER_TEXT_BYTES."""
    runs = tmp_path_factory.mktemp("cache") / "runs"
    copy_run(trained_run, runs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sentiment.serving.pool.PER_TEXT_BYTES", BOUND)
        patch.setattr("sentiment.serving.inside_bert.PER_TEXT_BYTES", BOUND)
        return Studio(runs)


def kept_after(fill) -> int:
    """The bytes the heap still holds once `fill()` has run and its own garbage is gone."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fill()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_distinct_long_texts_leave_the_tokenize_cache_under_its_bound(studio):
    chosen = studio.models.tokenizer_choices()[0][1]
    studio.models.tokenization(chosen, "warm", None, "")  # the tokenizer loaded outside the measure

    def fill():
        for number in range(12):  # about 1.6 MB each: 19 MB kept by a cache bounded by entries only (256)
            studio.models.tokenization(chosen, f"{number}:" + "最高のホテルでした。また泊まりたい。" * 550, None, "")

    kept = kept_after(fill)
    assert kept <= BOUND + SLACK, f"{kept / 2**20:.1f} MB kept"


def test_distinct_long_texts_leave_the_wordpiece_walk_cache_under_its_bound(studio):
    chosen = studio.models.tokenizer_choices()[0][1]
    studio.inside.words(chosen, "warm")

    def fill():
        for number in range(3):  # about 7 MB each (issue 43 measured 15 MB of the server's memory): 21 MB unbounded
            studio.inside.words(chosen, f"{number}" + "あ、" * 5000)

    kept = kept_after(fill)
    assert kept <= BOUND + SLACK, f"{kept / 2**20:.1f} MB kept"


def test_a_value_heavier_than_the_bound_is_answered_and_not_kept():
    cache = SharedCache(8, max_bytes=2**20)
    heavy = cache.get_or_make("heavy", lambda: ["x" * 2**21])
    assert len(heavy[0]) == 2**21 and cache.retained_bytes() == 0
    for number in range(8):
        cache.get_or_make(number, lambda number=number: [str(number) * 300_000])
    assert 0 < cache.retained_bytes() <= 2**20, "the oldest went first"
    assert cache.get_or_make(7, lambda: "made again") != "made again", "the newest is kept"
