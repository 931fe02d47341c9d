"""The tokenizer comparison (issue 17): how long one comparison takes, and the whole-dataset statistics.

(a) Learning: every vocabulary and the SentencePiece model learned from the seeded 80% training part of the
    real reviews, as the app does once per dataset (the first comparison on a dataset pays it).
(b) Compare: one 200-character review split by every tokenizer, warm (one untimed call first), median of
    `--repeats` (target: ≤ 300 ms).
(c) Statistics: every tokenizer over all the reviews (target: ≤ 20 s for the 3,000 on 2 cores), and the
    table the app shows.

    python bench/tokenizer_lab.py
    python bench/tokenizer_lab.py --rows 90 --repeats 2     # a tiny run (tests)
"""

from __future__ import annotations

import argparse
import time

from common import emit, machine, median_seconds, reviews, split_80_20

COMPARED_CHARS = 200


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help="Reviews to use (default: all 3,000).")
    parser.add_argument("--repeats", type=int, default=20, help="Timed comparisons (median reported).")
    options = parser.parse_args(argv)

    from sentiment.corpus.token_stats import token_statistics
    from sentiment.text.compare import TokenizerLab

    table = reviews(options.rows)
    train, _ = split_80_20(table)
    started = time.perf_counter()
    lab = TokenizerLab(list(train["text"]), "the shared reviews (80%)")
    learned = time.perf_counter() - started

    long_enough = table[table["text"].str.len() >= COMPARED_CHARS]["text"]
    text = (long_enough.iloc[0] if len(long_enough) else "".join(table["text"]))[:COMPARED_CHARS]
    lab.compare(text)  # warm: the first call on a thread loads its MeCab taggers and Sudachi tokenizer
    compare, times = median_seconds(lambda: lab.compare(text), options.repeats)

    started = time.perf_counter()
    stats = token_statistics(lab, list(table["text"]))
    statistics_seconds = time.perf_counter() - started
    emit(
        {
            "benchmark": "tokenizer_lab",
            "machine": machine(),
            "reviews": len(table),
            "learned_from": len(train),
            "learn_seconds": round(learned, 2),
            "compare_characters": len(text),
            "compare_median_ms": round(compare * 1000, 2),
            "compare_max_ms": round(max(times) * 1000, 2),
            "statistics_seconds": round(statistics_seconds, 2),
            "learn_and_statistics_seconds": round(learned + statistics_seconds, 2),
            "tokenizers": [
                {
                    "tokenizer": row.tokenizer,
                    "median_tokens": row.median,
                    "p95_tokens": row.p95,
                    "cut_128": round(row.cut_share(128), 4),
                    "cut_512": round(row.cut_share(512), 4),
                    "unknown_rate": round(row.unknown_rate, 4),
                    "vocabulary": row.vocabulary,
                    "distinct": row.distinct,
                }
                for row in stats.rows
            ],
        }
    )


if __name__ == "__main__":
    main()
