"""A flood of distinct long texts against a public server: its memory and another visitor's Classify (issue 43).

A public `python app.py --public` with one BERT-base-shaped run (memory.py's `as_finished_run`); two flooders send
`--texts` distinct texts of 10,000 characters (the most a text may have) to each per-text endpoint in turn (the
Tokenizer tab's `/tokenize`, the WordPiece walk, Classify, "Why?", the layer view), while a victim classifies short
reviews one after another. Reported: the server's resident memory (the app and what it started) before, its peak
and after, and the victim's answer times.

    python bench/text_flood.py [--texts 50]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
from common import add_shape_options, bert_run, emit, machine, reviews, shape_name
from harness import start_app, stop_process_tree
from memory import as_finished_run, megabytes

RUN = "bert-base"
LONG = 10_000
# Each per-text endpoint as the page calls it, given the text.
ENDPOINTS = {
    "/tokenize": lambda text: (f"run: {RUN}", text, None, text, "/tokenize"),
    "/wordpiece": lambda text: (f"run: {RUN}", text, "", "/wordpiece"),
    "/classify": lambda text: (RUN, text, "/classify"),
    "/explain": lambda text: (RUN, text, "predicted", "/explain"),
    "/layers": lambda text: (RUN, text, 1, "average", "/layers"),
}


def distinct_text(number: int) -> str:
    """A 10,000-character text no other is: a number, then 'あ、' repeated (the walk's costliest shape)."""
    head = f"{number:05d}"
    return head + "あ、" * ((LONG - len(head)) // 2)


def resident(server: psutil.Process) -> int:
    family = [server, *server.children(recursive=True)]
    return sum(member.memory_info().rss for member in family if member.is_running())


def flood(url: str, server: psutil.Process, texts: int, reviews_: list[str]) -> dict:
    from gradio_client import Client

    victim = Client(url, verbose=False)
    victim.predict(RUN, reviews_[0], api_name="/classify")  # loads the model
    for call in ENDPOINTS.values():  # every cache made once, short texts
        *args, name = call(reviews_[1])
        try:
            Client(url, verbose=False).predict(*args, api_name=name)
        except Exception as error:
            raise SystemExit(f"{name} failed on a short review: {error}") from error
    before = resident(server)
    peak, answers, done = [before], [], threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            peak.append(resident(server))

    def classify() -> None:
        count = 0
        while not done.is_set():
            started = time.perf_counter()
            victim.predict(RUN, reviews_[2 + count % 20], api_name="/classify")
            answers.append(time.perf_counter() - started)
            count += 1

    def flooder(part: int) -> None:
        client = Client(url, verbose=False)
        for call in ENDPOINTS.values():
            for number in range(part, texts, 2):
                *args, name = call(distinct_text(number))
                with contextlib.suppress(Exception):  # a refusal (a bound of the public server) is an answer too
                    client.predict(*args, api_name=name)

    watchers = [threading.Thread(target=watch), threading.Thread(target=classify)]
    flooders = [threading.Thread(target=flooder, args=(part,)) for part in (0, 1)]
    started = time.perf_counter()
    for thread in watchers + flooders:
        thread.start()
    for thread in flooders:
        thread.join()
    took = time.perf_counter() - started
    done.set()
    for thread in watchers:
        thread.join()
    after = resident(server)
    ordered = sorted(answers)
    return {
        "texts_per_endpoint": texts,
        "endpoints": list(ENDPOINTS),
        "flood_seconds": round(took, 1),
        "server_mb": {"before": megabytes(before), "peak": megabytes(max(peak)), "after": megabytes(after)},
        "victim_classify_seconds": {
            "answers": len(ordered),
            "median": round(statistics.median(ordered), 3) if ordered else None,
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3) if ordered else None,
            "max": round(ordered[-1], 3) if ordered else None,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=50, help="distinct 10,000-character texts per endpoint")
    add_shape_options(parser)
    options = parser.parse_args(argv)
    table = reviews(options.rows)
    with tempfile.TemporaryDirectory() as scratch:
        runs = Path(scratch) / "runs"
        (runs / RUN).mkdir(parents=True)
        as_finished_run(bert_run(runs / RUN, list(table["text"]), options.layers, options.hidden))
        url, server = start_app(runs, "--public", "--no-first-runs", log=Path(scratch) / "app.log")
        try:
            result = flood(url, psutil.Process(server.pid), options.texts, list(table["text"].iloc[:30]))
        finally:
            stop_process_tree(server)
    emit({"benchmark": "text_flood", "machine": machine(), "model": shape_name(options), **result})


if __name__ == "__main__":
    main()
