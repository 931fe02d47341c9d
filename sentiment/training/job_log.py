"""What a run's job leaves for the page to read: its log, filtered for visitors, and its progress records."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..bilingual import Text, same
from ..run_files import ProgressRecord

ERROR_PREFIX = "error: "  # how the trainer reports a problem a person can fix (cli.py)
FAILED = Text(
    "Run {name} failed: training stopped with an error (the details are in the server's log). Try other "
    "settings, for example a smaller learning rate.",
    "{name} の学習はエラーで止まりました（詳細はサーバーのログにあります）。設定を変えて、たとえば学習率を小さく"
    "してお試しください。",
)
ENDING_SUFFIX = ".ending"  # beside a run's log: how its GPU window ended (write_ending)
APP_STOPPED = "the app was stopped"  # why a run stops when its app does (jobs.py)
TIME_LIMIT = re.compile(r"it reached this server's limit of ([\d.]+) minutes")
# What the page shows of a trainer's output: its notes, steps, one-sentence errors and where it saved.
VISIBLE_LINE = re.compile(r"(note: |step |error: |saved )")
SERVER_PATH = re.compile(r"(?:/[^\s/'\"]+)+/")


def visible_log(text: str) -> str:
    """The trainer's output as a visitor may see it: no tracebacks or library output, no server paths."""
    lines = [line for line in text.splitlines() if VISIBLE_LINE.match(line)]
    return "\n".join(SERVER_PATH.sub("", line) for line in lines)


def event_lines(record: ProgressRecord) -> list[str]:
    """A progress record as the lines of the run's log (the trainer prints the same; cli.print_event)."""
    if record.event == "loaded":
        return [f"note: {notice}" for notice in record.notices or ()]
    if record.event in ("log", "eval", "summary"):
        parts = [f"step {record.step}/{record.total_steps}", f"epoch {record.epoch:.2f}"]
        for key in ("loss", "learning_rate", "eval_loss", "eval_accuracy", "eval_f1_weighted"):
            if key in record.scores:
                parts.append(f"{key} {record.scores[key]:.4g}")
        if record.examples_per_second is not None:
            parts.append(f"{record.examples_per_second:.1f} ex/s, {record.remaining:.0f} s left")
        return [" | ".join(parts)]
    if record.event == "done":
        return [f"saved {record.run_dir}"]
    return []


def because(reason: str) -> Text:
    """Why a run was stopped, as a clause of the stop's sentence ('' for a visitor's own Stop)."""
    if reason == "stopped":
        return same("")
    if reason == APP_STOPPED:
        return Text(f" because {reason}", "（アプリが停止したため）")
    if limit := TIME_LIMIT.fullmatch(reason):
        return Text(f" because {reason}", f"（このサーバーの上限 {limit.group(1)} 分に達したため）")
    return same(f" because {reason}")


def write_ending(jobs_dir: Path, name: str, ending: Text) -> None:
    """How a run's window ended, in both languages, for the page to say in its visitor's (jobs.py reads it back):
    the log keeps one line of both."""
    (jobs_dir / f"{name}{ENDING_SUFFIX}").write_text(json.dumps([ending.en, ending.ja], ensure_ascii=False), "utf-8")


def read_ending(jobs_dir: Path, name: str) -> Text | None:
    try:
        english, japanese = json.loads((jobs_dir / f"{name}{ENDING_SUFFIX}").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Text(english, japanese)


def tail(path: Path, lines: int = 30) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
