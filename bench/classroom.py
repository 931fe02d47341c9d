"""Classroom: a public server of the app on 127.0.0.1 under a class of simulated visitors and one hostile one.

It trains two small runs (the starter on the sample, and the n-gram baseline), serves `python app.py --public` with
a training password from a temporary folder, and asks each distinct lesson request once alone to record its answer.
Then N visitors (threads, each with its own page: an HTTP connection, seeded think-times) do the lesson in a loop
for a bounded time: type in the Tokenizer, classify the Classify tab's examples, ask "Why?", look at the layers,
Evaluate, Compare, draw the maps, and train a lesson-size run one at a time. One hostile visitor meanwhile sends the
worst requests: '㌖' * 10000 to /tokenize, /classify and /explain, a /classify_batch of many such lines, a CSV of
many `a,0` rows to /upload_dataset and wrong training passwords in a row. The visitors' lesson runs use the right
password (TRAIN_PASSWORD in the server's environment), so all of them share the hostile visitor's address,
127.0.0.1, as a class behind one school router does. Not simulated: the 1-second training-status timer of every open
page (through gradio_client it would redraw the curves on each tick, which a page does not); only a visitor with a
run going looks at its status.

Per endpoint it reports requests, p50/p95 latency (of the answers, and of the hostile visitor's one-sentence
refusals), errors, "busy, try again" answers, wrong answers (an answer that differs from the same request made
alone; what genuinely varies per call is left out, see `normalised`) and the median time alone; and the
server's peak memory: its VmHWM and the peak of its resident memory plus its children's (the trainer),
sampled every 0.5 s. The last line printed is one JSON object with every figure.

The lesson's run is the starter trained on the sample; with `--shape bert-base`, a head-only run of a
BERT-base-shaped model (12 layers × 768, a 32,000-row embedding table, random weights: a pretrained model costs
the same) saved in the source model's format (a MeCab + WordPiece BertJapaneseTokenizer), trained by `train.py`
on 96 shared reviews, served with `--model` naming that model as a Space serves the source model; with
`--run DIR`, any finished BERT run. The server logs each request's own CPU (STUDIO_LOG_CPU_S=0), so the bench
reports the costliest request too.

    python bench/classroom.py [--visitors 30] [--seconds 120] [--seed 0] [--shape bert-base | --run DIR]
    python bench/classroom.py --tiny        # 3 visitors for about 15 s, smaller hostile payloads (the test's run)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psutil
from common import ROOT, bert_run, machine, reviews, split_80_20, write_split_folder
from harness import NotServing, answers, start_app

# The app and its trainer run offline on the starter and the sample; no telemetry leaves the machine.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from sentiment.models.baseline import is_ngram_run
from sentiment.serving.pool import RUN_PREFIX, STARTER_TOKENIZER
from sentiment.ui.classify_tab import EXAMPLES, PREDICTED
from sentiment.ui.common import UNEXPECTED
from sentiment.ui.tokenizer_tab import DEFAULT_PAIR, DEFAULT_TEXT

STARTER_RUN = "starter-sample"
BASELINE_RUN = "ngram-sample"
BERT_BASE_RUN = "bert-base-head"
BERT_BASE_REVIEWS = 96  # the head-only run's reviews: 76 to fit the head on, 20 held out (validation and test)
CPU_LOGGED = re.compile(r"request (\w+) cost ([\d.]+) s of CPU")
WORST_TEXT = "㌖" * 10000  # 10,000 characters that normalisation expands to 60,000
# Each endpoint the bench calls and its number of parameters, checked against the server's view_api().
SIGNATURES = {
    "/tokenize": 4,  # tokenizer choice, text, max length, second text
    "/classify": 2,  # run, text
    "/explain": 3,  # run, text, class to explain
    "/layers": 4,  # run, text, layer, head
    "/evaluate": 3,  # run, split, shown
    "/compare_runs": 3,  # runs, split, shown
    "/model_map": 2,  # run, split
    "/start_training": 10,  # model, method, run name, six numbers, password (the dataset is page state)
    "/stop_training": 1,  # password
    "/training_status": 0,
    "/classify_batch": 3,  # run, lines, CSV
    "/upload_dataset": 1,  # file
}
BUSY = re.compile(r"busy|try again|queue is full|too many requests", re.IGNORECASE)
MILLISECONDS = re.compile(r" · \d+ ms")
KEPT_MESSAGES = 8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=30, help="simulated visitors doing the lesson")
    parser.add_argument("--seconds", type=float, default=120, help="how long the class lasts")
    parser.add_argument("--seed", type=int, default=0, help="seeds every visitor's choices and think-times")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), help="think-time range in seconds")
    parser.add_argument("--train-steps", type=int, default=64, help="steps of the starter run trained before class")
    parser.add_argument("--batch-lines", type=int, default=1000, help="lines in the hostile /classify_batch")
    parser.add_argument("--upload-rows", type=int, default=1_000_000, help="rows `a,0` in the hostile upload")
    parser.add_argument("--wrong-passwords", type=int, default=30, help="wrong passwords in a row, each round")
    parser.add_argument("--request-timeout", type=float, default=120, help="a request unanswered this long fails")
    parser.add_argument("--no-hostile", action="store_true", help="the class alone, without the hostile visitor")
    parser.add_argument("--tiny", action="store_true", help="3 visitors, about 15 s, small hostile payloads")
    parser.add_argument(
        "--count-files",
        action="store_true",
        help="count the server's file opens and folder listings during the class (strace -c; slows the server)",
    )
    served = parser.add_mutually_exclusive_group()
    served.add_argument(
        "--shape", choices=("starter", "bert-base"), default="starter", help="the lesson run's model (see above)"
    )
    served.add_argument("--run", type=Path, help="a finished BERT run folder to serve as the lesson's run")
    options = parser.parse_args(argv)
    if options.run is not None and not (options.run / "metrics.json").is_file():
        parser.error(f"{options.run} is not a finished run folder (it has no metrics.json).")
    if options.tiny:
        options.visitors, options.seconds, options.think, options.train_steps = 3, 15, (0.2, 0.6), 8
        options.batch_lines, options.upload_rows, options.wrong_passwords = 20, 20_000, 5
        options.request_timeout = 60
    return options


@dataclasses.dataclass(frozen=True)
class Lesson:
    """What the visitors use: the run they classify, explain, evaluate and map, and the tokenizer they type in."""

    run: str
    tokenizer: str


class AppError(Exception):
    """The app's answer was an error event: its one sentence."""


class Busy(Exception):
    """gradio's queue is full (HTTP 503 when joining it)."""


class Page:
    """A visitor's page, as its browser talks to the server: gradio's HTTP API (POST /gradio_api/call/<name>,
    then the event stream of the answer) on one keep-alive connection, from `address` (the server is told to
    trust X-Forwarded-For from loopback, as a Space's trusts its proxy).

    Not gradio_client: it costs about 44 ms of CPU per /tokenize in the *visitor's* process against the server's
    13 ms (measured with psutil over 60 calls), and 30 of them in one Python process queue on its GIL. On a
    2-core machine the class's latency was then mostly the load generator's, which a real class's browsers,
    each on its own machine, do not add."""

    def __init__(self, url: str, timeout: float, address: str):
        self.http = httpx.Client(
            base_url=url.rstrip("/") + "/gradio_api", headers={"X-Forwarded-For": address}, timeout=timeout
        )
        self.url = url
        # One session for the page's life, as a browser's page has. Without one, gradio makes every request a
        # new session and builds its state from every component's config (about 15 ms of CPU each time).
        self.session = secrets.token_hex(6)

    def open(self) -> None:
        """What opening the page fetches: the app's config."""
        self.http.get(self.url.rstrip("/") + "/config").raise_for_status()

    def predict(self, *args, api_name: str):
        joined = self.http.post(f"/call{api_name}", json={"data": list(args), "session_hash": self.session})
        if joined.status_code == 503:
            raise Busy(joined.text)
        joined.raise_for_status()
        with self.http.stream("GET", f"/call{api_name}/{joined.json()['event_id']}") as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line.removeprefix("data:"))
                    if event == "complete":
                        return data
                    raise AppError(data.get("error") if isinstance(data, dict) else data)
        raise ConnectionError("the answer's event stream ended without an answer")

    def upload(self, path: Path) -> dict:
        """A file as the page uploads it (gradio's upload route), as the value a File input sends."""
        with path.open("rb") as file:
            answer = self.http.post("/upload", files={"files": (path.name, file, "text/csv")})
        answer.raise_for_status()
        return {"path": answer.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def endpoints(self) -> dict:
        return self.http.get("/info").raise_for_status().json()["named_endpoints"]

    def close(self) -> None:
        self.http.close()


# The lesson: every distinct request a visitor makes, each asked alone first.
def typed(text: str) -> list[str]:
    """What the Tokenizer sees while a text is typed: /tokenize runs on every change (the last one wins)."""
    return [text[: len(text) // 3], text[: 2 * len(text) // 3], text]


def lesson_requests(lesson: Lesson) -> list[tuple[str, tuple]]:
    requests = [
        ("/tokenize", (lesson.tokenizer, prefix, 0, DEFAULT_PAIR))
        for text in (DEFAULT_TEXT, *EXAMPLES)
        for prefix in typed(text)
    ]
    requests += [("/classify", (lesson.run, text)) for text in EXAMPLES]
    requests += [("/explain", (lesson.run, text, PREDICTED)) for text in EXAMPLES]
    requests += [("/layers", (lesson.run, text, 1, "average")) for text in EXAMPLES]
    return [
        *requests,
        ("/evaluate", (lesson.run, "validation", "counts")),
        ("/compare_runs", ([lesson.run, BASELINE_RUN], "validation", "counts")),
        ("/model_map", (lesson.run, "validation")),
    ]


def key(endpoint: str, args: tuple) -> str:
    return endpoint + json.dumps(args, ensure_ascii=False)


def normalised(endpoint: str, answer):
    """The parts of an answer that must not change with load. Only what genuinely varies per call is dropped:
    /classify's info line shows the model's time ("· 71 ms"), and /evaluate's last output is a download
    written anew for each call (a new file path)."""
    if endpoint == "/classify":
        label, info = answer
        probabilities = {item["label"]: item["confidence"] for item in label["confidences"]}
        return label["label"], probabilities, MILLISECONDS.sub("", info)
    if endpoint == "/evaluate":
        return answer[:-1]
    return answer


def same(endpoint: str, alone, now) -> bool:
    if endpoint == "/classify":
        (label, probabilities, info), (now_label, now_probabilities, now_info) = alone, now
        return (
            label == now_label
            and info == now_info
            and probabilities.keys() == now_probabilities.keys()
            and all(abs(probabilities[name] - now_probabilities[name]) <= 1e-5 for name in probabilities)
        )
    return alone == now


class Tally:
    """Every request's outcome, per endpoint, shared by all visitor threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.messages: dict[str, list[str]] = defaultdict(list)

    def add(self, endpoint: str, outcome: str, seconds: float | None = None, message: str = "") -> None:
        """`outcome`: answered, refused, busy or error; or wrong, said of a request already counted as answered."""
        with self._lock:
            counts = self.counts[endpoint]
            if outcome != "wrong":
                counts["requests"] += 1
            if outcome != "answered":
                counts[outcome] += 1
            if seconds is not None:
                self.latencies[endpoint].append(seconds)
            kept = self.messages[outcome]
            if message and len(kept) < KEPT_MESSAGES and f"{endpoint}: {message}" not in kept:
                kept.append(f"{endpoint}: {message}")

    def report(self) -> dict:
        with self._lock:
            return {
                endpoint: {
                    "requests": counts["requests"],
                    "p50_ms": percentile_ms(self.latencies[endpoint], 0.50),
                    "p95_ms": percentile_ms(self.latencies[endpoint], 0.95),
                    "errors": counts["error"],
                    "busy": counts["busy"],
                    "wrong": counts["wrong"],
                    "refused": counts["refused"],
                }
                for endpoint, counts in sorted(self.counts.items())
            }


def percentile_ms(seconds: list[float], share: float) -> float | None:
    """The nearest-rank percentile, in milliseconds."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000, 1)


class Classroom:
    def __init__(self, options, lesson: Lesson, url: str, password: str, alone: dict, upload: Path):
        self.options, self.lesson = options, lesson
        self.url = url
        self.password = password
        self.alone = alone
        self.upload = upload
        self.tally = Tally()
        self.deadline = time.monotonic() + options.seconds
        self.trainer_free = threading.Lock()  # the server trains one run at a time: visitors take turns
        self.run_numbers = itertools.count(1)
        self.training: dict[int, str] = {}  # visitor → the lesson run it started and has not yet seen end
        self.lesson_runs = {"started": 0, "finished": 0}
        self.training_notes: list[str] = []  # how far each lesson run got that the class's end stopped

    def open_page(self, label: str, address: str) -> Page | None:
        """A visitor's own page, opened (its config fetched); None if it did not open. Each visitor has an
        address of its own, as in a real class, so the hostile visitor's wrong passwords hold up only itself."""
        started = time.perf_counter()
        try:
            client = connect(self.url, self.options.request_timeout, address)
        except Exception as error:
            self.tally.add(label, "error", message=f"{type(error).__name__}: {error}"[:300])
            return None
        self.tally.add(label, "answered", time.perf_counter() - started)
        return client

    def call(self, client: Page, endpoint: str, *args, label: str | None = None, refusal_expected: bool = False):
        """Ask `endpoint` and record the outcome under `label`; the answer, or None if there was none.
        A one-sentence refusal is an error, except where `refusal_expected` (a hostile request)."""
        label = label or endpoint
        started = time.perf_counter()
        try:
            if endpoint == "/upload_dataset":
                args = (client.upload(args[0]),)
            answer = client.predict(*args, api_name=endpoint)
        except httpx.TimeoutException:
            self.tally.add(label, "error", message=f"no answer in {self.options.request_timeout:g} s")
            return None
        except Busy as error:  # gradio's own queue is full
            self.tally.add(label, "busy", message=str(error))
            return None
        except AppError as error:  # the app's one sentence
            self.refusal(label, str(error), time.perf_counter() - started, refusal_expected)
            return None
        except httpx.HTTPStatusError as error:
            # The app's guard in front of gradio's upload route refuses in plain text (429); a 5xx is a failure.
            if error.response.is_client_error:
                self.refusal(label, error.response.text, time.perf_counter() - started, refusal_expected)
            else:
                self.tally.add(label, "error", message=f"HTTP {error.response.status_code}")
            return None
        except Exception as error:  # a dropped connection, a server that died: anything is an error here
            self.tally.add(label, "error", message=f"{type(error).__name__}: {error}"[:300])
            return None
        self.tally.add(label, "answered", time.perf_counter() - started)
        return answer

    def refusal(self, label: str, message: str, seconds: float, expected: bool) -> None:
        if str(UNEXPECTED) in message:  # the app's sentence for an internal failure (it also says "try again")
            self.tally.add(label, "error", message=message)
        elif expected:  # a hostile request refused in one sentence, whatever the reason
            self.tally.add(label, "refused", seconds, message)
        elif BUSY.search(message):
            self.tally.add(label, "busy", message=message)
        else:
            self.tally.add(label, "error", message=message)

    def lesson_call(self, client: Page, endpoint: str, *args) -> None:
        """A lesson request, checked against its answer alone."""
        answer = self.call(client, endpoint, *args)
        if answer is not None and not same(endpoint, self.alone[key(endpoint, args)], normalised(endpoint, answer)):
            self.tally.add(endpoint, "wrong", message=json.dumps(args, ensure_ascii=False)[:120])

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    # A visitor
    def visitor(self, index: int) -> None:
        rng = random.Random(self.options.seed * 1000 + index)
        client = self.open_page("page (config)", f"198.18.0.{index + 1}")
        if client is None:
            return
        steps = [self.tokenizer_step, self.classify_step, self.evaluate_step, self.compare_step, self.map_step]
        steps.append(self.training_step)
        position = index % len(steps)  # the class is spread over the lesson, so even a short one covers it all
        try:
            while not self.over():
                steps[position](client, rng, index)
                position = (position + 1) % len(steps)
                self.think(rng)
            if index in self.training:  # the class is over: stop the run rather than leave a trainer behind
                self.look_at_training(client, index, stop=True)
        finally:
            client.close()

    def think(self, rng: random.Random, scale: float = 1.0) -> None:
        low, high = self.options.think
        time.sleep(max(0.0, min(rng.uniform(low, high) * scale, self.deadline - time.monotonic())))

    def tokenizer_step(self, client: Page, rng: random.Random, index: int) -> None:
        for prefix in typed(rng.choice((DEFAULT_TEXT, *EXAMPLES))):
            if self.over():
                return
            self.lesson_call(client, "/tokenize", self.lesson.tokenizer, prefix, 0, DEFAULT_PAIR)
            self.think(rng, 0.3)  # typing is quicker than thinking

    def classify_step(self, client: Page, rng: random.Random, index: int) -> None:
        chosen = rng.sample(EXAMPLES, 2)
        for text in chosen:
            self.lesson_call(client, "/classify", self.lesson.run, text)
            self.think(rng)
        if not self.over():
            self.lesson_call(client, "/explain", self.lesson.run, chosen[-1], PREDICTED)
        if not self.over():  # and how BERT read it, layer by layer
            self.lesson_call(client, "/layers", self.lesson.run, chosen[0], 1, "average")

    def evaluate_step(self, client: Page, rng: random.Random, index: int) -> None:
        self.lesson_call(client, "/evaluate", self.lesson.run, "validation", "counts")

    def compare_step(self, client: Page, rng: random.Random, index: int) -> None:
        self.lesson_call(client, "/compare_runs", [self.lesson.run, BASELINE_RUN], "validation", "counts")

    def map_step(self, client: Page, rng: random.Random, index: int) -> None:
        self.lesson_call(client, "/model_map", self.lesson.run, "validation")

    def training_step(self, client: Page, rng: random.Random, index: int) -> None:
        """A lesson-size run (the starter, one epoch of the sample, with the password) when no one in the class
        is training. Its visitor goes on with the lesson meanwhile (the other tabs stay usable) and looks at
        the run's progress each time round."""
        if index in self.training:
            self.look_at_training(client, index)
        elif self.trainer_free.acquire(blocking=False):
            name = f"lesson-{index}-{next(self.run_numbers)}"
            form = ("starter", "full", name, 1, None, None, None, None, 42, self.password)
            if self.call(client, "/start_training", *form) is None:
                self.trainer_free.release()
                return
            self.lesson_runs["started"] += 1
            self.training[index] = name

    def look_at_training(self, client: Page, index: int, stop: bool = False) -> None:
        """Ask for the training status; once the run has ended (or, with `stop`, is stopped), the next may start."""
        answer = self.call(client, "/training_status")
        found = re.search(r'data-state="(\w+)"', answer[0]) if answer else None
        state = found.group(1) if found else None
        if not stop and state in (None, "running"):
            return
        name = self.training.pop(index)
        if state in (None, "running"):
            progress = " ".join(re.sub(r"<[^>]+>", " ", answer[0]).split()) if answer else "no status"
            self.training_notes.append(f"{name} was still training when the class ended: {progress}")
            # It may have finished since that look: "nothing to stop" is then the right answer.
            self.call(client, "/stop_training", self.password, refusal_expected=True)
        elif state == "finished":
            self.lesson_runs["finished"] += 1
        else:
            self.tally.add("/start_training", "error", message=f"the lesson run {name} ended {state}")
        self.trainer_free.release()

    # The hostile visitor
    def hostile(self) -> None:
        client = self.open_page("hostile page (config)", "198.18.1.1")
        if client is None:
            return
        batch = "\n".join([WORST_TEXT] * self.options.batch_lines)
        rounds = [
            ("/tokenize", (self.lesson.tokenizer, WORST_TEXT, 0, DEFAULT_PAIR)),
            ("/classify", (self.lesson.run, WORST_TEXT)),
            ("/explain", (self.lesson.run, WORST_TEXT, PREDICTED)),
            ("/classify_batch", (self.lesson.run, batch, None)),
            ("/upload_dataset", (self.upload,)),  # uploaded first, by `call`
        ]
        rounds += [
            # Bigger than a lesson (max length 512), so the password is checked whatever the lesson rules are.
            ("/start_training", ("starter", "full", "", 1, None, None, 512, None, 42, f"guess-{n}"))
            for n in range(self.options.wrong_passwords)
        ]
        try:
            for round_number in itertools.count():
                for endpoint, args in rounds:
                    if round_number and self.over():  # the first round is sent whole: each worst request once
                        return
                    answer = self.call(client, endpoint, *args, label=f"hostile {endpoint}", refusal_expected=True)
                    if endpoint == "/start_training" and answer is not None:
                        self.tally.add(f"hostile {endpoint}", "error", message=f"a wrong password started {answer}")
        finally:
            client.close()


# The server
def prepare_runs(folder: Path, options) -> tuple[Lesson, Path | None]:
    """The runs folder of the class: the lesson's run and a baseline to compare it with; the lesson, and the
    model the server is launched with (None: the app's own default)."""
    runs = folder / "runs"
    common = [sys.executable, "train.py", "--logging_steps", "4"]
    baseline = [*common, "--dataset", "sample", "--output", str(runs / BASELINE_RUN), "--method", "ngram"]
    if options.run is not None:
        run = Path(shutil.copytree(options.run, runs / options.run.name))
        if is_ngram_run(run):
            raise SystemExit(f"{options.run} is an n-gram run: the lesson needs a BERT run (tokens, Why?, maps).")
        train_all([baseline])
        return Lesson(run.name, RUN_PREFIX + run.name), None
    if options.shape == "bert-base":
        model, data = bert_base_model(folder)
        head = [*common, "--model", str(model), "--method", "head", "--dataset", str(data)]
        train_all([baseline, [*head, "--output", str(runs / BERT_BASE_RUN)]])
        return Lesson(BERT_BASE_RUN, str(model)), model
    starter = ["--dataset", "sample", "--model", "starter", "--max_steps", str(options.train_steps)]
    starter += ["--learning_rate", "1e-3", "--starter_vocab_size", "3000"]  # as tests/conftest.py trains it
    train_all([baseline, [*common, *starter, "--output", str(runs / STARTER_RUN)]])
    return Lesson(STARTER_RUN, STARTER_TOKENIZER), None


def bert_base_model(folder: Path) -> tuple[Path, Path]:
    """A BERT-base-shaped model in the source model's format (its vocabulary learned from all the shared reviews)
    and a small dataset folder of shared reviews; their paths."""
    table = reviews()
    model = bert_run(folder / "bert-base-japanese", list(table["text"]), embeddings=32_000)
    train, held_out = split_80_20(reviews(BERT_BASE_REVIEWS))
    return model, write_split_folder(folder / "reviews", train, held_out)


def train_all(commands: list[list[str]]) -> None:
    """Train every run at once: the baseline is mostly start-up, which overlaps the other's training."""
    trainers = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    for trainer in trainers:
        _, errors = trainer.communicate(timeout=900)
        if trainer.returncode != 0:
            raise SystemExit(f"Training a run for the class failed:\n{errors[-3000:]}")


def serve(folder: Path, password: str, model: Path | None) -> tuple[str, subprocess.Popen, Path]:
    """A public server on 127.0.0.1 only; its URL, process and log."""
    log_path = folder / "app.log"
    # The password comes from the environment, as a Space's secret would: on the command line `ps` shows it.
    # gradio's own files (uploads) go to the temporary folder too, so nothing of the class outlives it.
    # Every request's own CPU is logged (ui/common.py), for the costliest request.
    environment = {**os.environ, "TRAIN_PASSWORD": password, "GRADIO_TEMP_DIR": str(folder / "gradio")}
    environment["STUDIO_LOG_CPU_S"] = "0"
    flags = ["--host", "127.0.0.1", *(["--model", str(model)] if model else [])]
    flags += ["--public", "--no-first-runs", "--trusted-proxy", "127.0.0.1"]  # the runs are trained before class
    try:
        url, server = start_app(folder / "runs", *flags, log=log_path, env=environment)
    except NotServing as error:
        raise SystemExit(str(error)) from None
    return url, server, log_path


def settle(pid: int, busy_share: float = 10.0, limit: float = 60) -> None:
    """Wait until the server is idle (under `busy_share`% of a core over half a second): a public app compiles
    the maps' code in the background at start-up, and a class arrives later than its first second."""
    process, deadline = psutil.Process(pid), time.monotonic() + limit
    while process.cpu_percent(interval=0.5) > busy_share and time.monotonic() < deadline:
        pass


class MemoryWatch:
    """The peak of the server's resident memory plus its children's (the trainer), sampled every 0.5 s.
    It also remembers every child it saw, so none outlives the bench."""

    def __init__(self, pid: int):
        self.server = psutil.Process(pid)
        self.children: dict[int, psutil.Process] = {}
        self.peak = 0
        self.peak_parts: list[str] = []  # each process's resident memory at the peak, to tell which one it was
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            try:
                processes = [self.server, *self.server.children(recursive=True)]
            except psutil.Error:
                return
            total, parts = 0, []
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    command = " ".join(process.cmdline()[1:4])
                except psutil.Error:
                    continue  # it ended between the listing and the reading
                total += rss
                parts.append(f"{process.pid} {command[:60]}: {megabytes(rss)} MB")
                if process is not self.server:
                    self.children.setdefault(process.pid, process)
            if total > self.peak:
                self.peak, self.peak_parts = total, parts

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class FileCalls:
    """The server's file opens and folder listings while the class runs: `strace -f` on the server logs the system
    calls that read the runs folder (openat, getdents64) and stat its files (newfstatat, statx) for the server and
    what it starts; only those made by the server's own threads (sampled every 0.2 s: its request threads come and
    go) are counted, not the trainers', whose imports would swamp the count."""

    CALLS = ("openat", "getdents64", "newfstatat", "statx")

    def __init__(self, pid: int):
        self.server = psutil.Process(pid)
        self.output = Path(tempfile.mkstemp(prefix="strace-", suffix=".txt")[1])
        command = ["strace", "-f", "-e", "trace=" + ",".join(self.CALLS), "-o", str(self.output), "-p", str(pid)]
        self.tracer = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        self.threads: set[int] = set()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            with contextlib.suppress(psutil.Error):
                self.threads.update(thread.id for thread in self.server.threads())

    def stop(self, seconds: float) -> dict:
        self._stop.set()
        self._sampler.join(5)
        self.tracer.send_signal(signal.SIGINT)
        self.tracer.wait(30)
        counts = dict.fromkeys(self.CALLS, 0)
        for line in self.output.read_text(errors="replace").splitlines():
            tid, _, call = line.partition(" ")
            name = call.lstrip().split("(", 1)[0]
            if tid.isdigit() and int(tid) in self.threads and name in counts:
                counts[name] += 1
        self.output.unlink(missing_ok=True)
        return {call: round(count / seconds, 1) for call, count in counts.items()}


def high_water_mark(pid: int) -> int | None:
    """VmHWM of a process in bytes (the peak of its own resident memory), while it runs."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) * 1024 if found else None


def megabytes(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def stop_server(server: subprocess.Popen, watch: MemoryWatch | None) -> None:
    """End the server and any child it left (the trainer runs in a session of its own and would outlive it)."""
    if watch:
        watch.stop()
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)
    for child in watch.children.values() if watch else ():
        try:
            if child.is_running():  # psutil checks the start time too, so a reused pid is left alone
                child.terminate()
                child.wait(10)
        except psutil.Error:
            continue


# The run
def connect(url: str, timeout: float, address: str = "198.18.2.1") -> Page:
    """A visitor's page (from `address`, a benchmarking address), opened. Every call waits as long as a request
    may, not httpx's 5 s: a slow page is measured as slow, not counted as failed."""
    page = Page(url, timeout, address)
    page.open()
    return page


def ask_alone(url: str, timeout: float, lesson: Lesson) -> tuple[dict, dict]:
    """Each distinct lesson request once, one at a time: the answers to compare with, and how long each took."""
    client = connect(url, timeout)
    try:
        check_signatures(client)
        alone, seconds = {}, defaultdict(list)
        for endpoint, args in lesson_requests(lesson):
            started = time.perf_counter()
            try:
                answer = client.predict(*args, api_name=endpoint)
            except Exception as error:
                raise SystemExit(f"{endpoint} {args!r} fails even alone: {error}") from error
            seconds[endpoint].append(time.perf_counter() - started)
            alone[key(endpoint, args)] = normalised(endpoint, answer)
        return alone, {endpoint: percentile_ms(times, 0.5) for endpoint, times in seconds.items()}
    finally:
        client.close()


def check_signatures(client: Page) -> None:
    """Fail early, with the reason, if an endpoint the bench calls is gone or takes other parameters."""
    named = client.endpoints()
    for endpoint, count in SIGNATURES.items():
        if endpoint not in named:
            raise SystemExit(f"The app has no {endpoint} endpoint any more: update bench/classroom.py.")
        if len(named[endpoint]["parameters"]) != count:
            raise SystemExit(
                f"{endpoint} takes {len(named[endpoint]['parameters'])} parameters, not {count}: update the bench."
            )


def write_upload(folder: Path, rows: int) -> Path:
    path = folder / f"rows-{rows}.csv"
    with path.open("w") as file:
        file.write("text,label\n")
        file.write("a,0\n" * rows)
    return path


def run_class(options, lesson: Lesson, url: str, password: str, alone: dict, upload: Path) -> tuple[Classroom, int]:
    """The class: visitors and the hostile visitor until the time is up; returns how many threads never ended."""
    classroom = Classroom(options, lesson, url, password, alone, upload)
    threads = [threading.Thread(target=classroom.visitor, args=(n,), daemon=True) for n in range(options.visitors)]
    if not options.no_hostile:
        threads.append(threading.Thread(target=classroom.hostile, daemon=True))
    for thread in threads:
        thread.start()
    # A visitor ends at the deadline, once its request in flight is answered or times out (a stop may follow);
    # the hostile visitor once its first round is sent whole. A thread still going past this bound is reported.
    join_by = classroom.deadline + 3 * options.request_timeout + 30
    for thread in threads:
        thread.join(max(0.0, join_by - time.monotonic()))
    return classroom, sum(thread.is_alive() for thread in threads)


def summary(options, endpoints: dict, alone_ms: dict, server: dict, classroom: Classroom, stuck: int) -> dict:
    return {
        "benchmark": "classroom",
        "machine": machine(),
        "settings": {
            "visitors": options.visitors,
            "seconds": options.seconds,
            "seed": options.seed,
            "think_seconds": list(options.think),
            "hostile": not options.no_hostile,
            "hostile_text_chars": len(WORST_TEXT),
            "hostile_batch_lines": options.batch_lines,
            "hostile_upload_rows": options.upload_rows,
            "wrong_passwords_per_round": options.wrong_passwords,
            "request_timeout_s": options.request_timeout,
        },
        "endpoints": endpoints,
        "alone_ms": alone_ms,
        "totals": {
            "requests": sum(figures["requests"] for figures in endpoints.values()),
            "errors": sum(figures["errors"] for figures in endpoints.values()),
            "busy": sum(figures["busy"] for figures in endpoints.values()),
            "wrong_answers": sum(figures["wrong"] for figures in endpoints.values()),
            "lesson_runs_started": classroom.lesson_runs["started"],
            "lesson_runs_finished": classroom.lesson_runs["finished"],
            "threads_not_ended": stuck,
        },
        "server": server,
        "messages": {
            **{outcome: classroom.tally.messages[outcome] for outcome in ("error", "busy", "wrong", "refused")},
            "training": classroom.training_notes,
        },
    }


def request_cpu(log: str) -> dict[str, dict]:
    """Per handler, from the server's log: how many requests it logged, the median and the most CPU one cost."""
    seconds = defaultdict(list)
    for name, cost in CPU_LOGGED.findall(log):
        seconds[name].append(float(cost))
    return {
        name: {"requests": len(costs), "median": round(sorted(costs)[len(costs) // 2], 3), "max": round(max(costs), 3)}
        for name, costs in sorted(seconds.items())
    }


def headline(options, lesson: Lesson, result: dict, costs: dict) -> dict:
    """The figures the targets name, first: p95 latencies in seconds, wrong answers, errors, requests, the peak
    memory of the server with its trainer, and the most CPU one request cost."""
    endpoints, totals = result["endpoints"], result["totals"]

    def p95(endpoint: str) -> float | None:
        value = endpoints.get(endpoint, {}).get("p95_ms")
        return None if value is None else round(value / 1000, 3)

    costliest = max(costs.items(), key=lambda item: item[1]["max"], default=(None, {"max": None}))
    return {
        "shape": str(options.run) if options.run else options.shape,
        "lesson_run": lesson.run,
        "p95_classify_s": p95("/classify"),
        "p95_tokenize_s": p95("/tokenize"),
        "p95_why_s": p95("/explain"),
        "p95_layers_s": p95("/layers"),
        "wrong": totals["wrong_answers"],
        "errors": totals["errors"],
        "requests": totals["requests"],
        "peak_mb": result["server"]["peak_rss_with_children_mb"],
        "max_request_cpu_s": costliest[1]["max"],
        "costliest_handler": costliest[0],
    }


def print_table(result: dict) -> None:
    settings, server = result["settings"], result["server"]
    print(
        f"\nClassroom: {settings['visitors']} visitors for {settings['seconds']:g} s"
        f"{' + 1 hostile visitor' if settings['hostile'] else ''}, {result['machine']['cores']} cores"
    )
    print(
        f"{'endpoint':<28}{'requests':>9}{'p50 ms':>10}{'p95 ms':>10}{'alone':>8}{'errors':>8}{'busy':>6}"
        f"{'wrong':>7}{'refused':>9}"
    )
    for name, figures in result["endpoints"].items():
        alone = result["alone_ms"].get(name)
        cells = [figures["p50_ms"], figures["p95_ms"], alone]
        p50, p95, alone = ("-" if value is None else f"{value:.0f}" for value in cells)
        print(
            f"{name:<28}{figures['requests']:>9}{p50:>10}{p95:>10}{alone:>8}{figures['errors']:>8}"
            f"{figures['busy']:>6}{figures['wrong']:>7}{figures['refused']:>9}"
        )
    totals = result["totals"]
    print(
        f"wrong answers {totals['wrong_answers']} · errors {totals['errors']} · busy {totals['busy']} · "
        f"lesson runs started {totals['lesson_runs_started']}, finished {totals['lesson_runs_finished']} · "
        f"server survived {server['survived']} · "
        f"server VmHWM {server['vmhwm_mb']} MB · peak RSS with children {server['peak_rss_with_children_mb']} MB"
    )
    print("at the peak: " + " · ".join(server["processes_at_peak"]))
    print("seconds: " + " · ".join(f"{name} {seconds:g}" for name, seconds in result["phases_s"].items()))
    print(
        "server CPU per request, s (median / max): "
        + " · ".join(f"{name} {cost['median']:g} / {cost['max']:g}" for name, cost in result["request_cpu_s"].items())
    )
    for outcome, messages in result["messages"].items():
        for message in messages:
            print(f"  {outcome}: {message}")


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    password = secrets.token_urlsafe(16)
    phases, started = {}, time.perf_counter()

    def phase(name: str) -> None:  # how long each part took: a slow or busy machine shows where
        nonlocal started
        phases[name] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="classroom-", ignore_cleanup_errors=True) as scratch:
        folder = Path(scratch)
        lesson, model = prepare_runs(folder, options)
        upload = write_upload(folder, options.upload_rows)
        phase("train_runs")
        url, server, log_path = serve(folder, password, model)
        phase("start_server")
        if not options.tiny:  # the test's run checks answers, not times: it need not wait
            settle(server.pid)
            phase("settle")
        watch = None
        try:
            watch = MemoryWatch(server.pid)
            alone, alone_ms = ask_alone(url, options.request_timeout, lesson)
            phase("alone")
            tracer = FileCalls(server.pid) if options.count_files else None
            classroom, stuck = run_class(options, lesson, url, password, alone, upload)
            phase("class")
            file_calls = tracer.stop(phases["class"]) if tracer else None
            survived = server.poll() is None and answers(url, timeout=30)
            server_figures = {
                "survived": survived,
                "vmhwm_mb": megabytes(high_water_mark(server.pid)),
                "peak_rss_with_children_mb": megabytes(watch.peak),
                "processes_at_peak": watch.peak_parts,
                "file_calls_per_second": file_calls,
            }
        finally:
            stop_server(server, watch)
        phase("stop_server")
        costs = request_cpu(log_path.read_text(encoding="utf-8", errors="replace"))
        result = summary(options, classroom.tally.report(), alone_ms, server_figures, classroom, stuck)
        result = {**headline(options, lesson, result, costs), **result, "request_cpu_s": costs, "phases_s": phases}
        if not survived or result["totals"]["errors"]:  # the server logs what went wrong (tracebacks included)
            print(f"The server's log ends:\n{log_path.read_text()[-6000:]}", file=sys.stderr)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
