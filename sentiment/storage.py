"""Files the app writes for its visitors: CSV downloads that are safe to open, and quotas.

A CSV cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is taken as a formula
by spreadsheet programs, so a review written as `=HYPERLINK(…)` would run when a teacher opens the
predictions. Such cells get a leading apostrophe, which spreadsheets show as plain text.

Every folder the app fills from requests (uploads, downloads, runs trained from the page) keeps
only its newest entries; the oldest are removed first.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A partial copy's name ends with who writes it: `<name>.<machine>-<process id>-<uuid4 hex>.partial`.
PARTIAL_WRITER = re.compile(r"\.(?P<machine>\w+)-(?P<pid>\d+)-[0-9a-f]{32}\.partial$")


def neutralised(value):
    """`value`, made plain text if a spreadsheet would read it as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write `table` as CSV with every text cell that could be a formula neutralised."""
    table = table.copy()
    for column in table.select_dtypes(exclude=["number", "bool"]).columns:
        table[column] = table[column].map(neutralised)
    table.to_csv(path, index=False)
    return path


def write_rows(columns, rows, path: Path) -> Path:
    """Write `rows` (tuples, one at a time, as many as come) as CSV under a header of `columns`, every text cell
    that could be a formula neutralised, as `write_csv` writes a table, without holding them all at once."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(tuple(map(neutralised, row)) for row in rows)
    return path


def partial_path(final: Path) -> Path:
    """Where `final` is written before it is renamed into place: beside it, named after this machine and process,
    so that a start can tell a copy no one will finish from one being written (remove_abandoned)."""
    return final.with_name(f"{final.name}.{_machine()}-{os.getpid()}-{uuid.uuid4().hex}.partial")


def remove_abandoned(folder: Path, max_age: float) -> None:
    """Remove the partial copies in `folder` that no process will finish: those written by a process of this
    machine that is no longer running (killed during a copy), those in a form no writer uses now, and another
    machine's (a replica sharing a bucket) untouched for `max_age` seconds."""
    if not Path(folder).is_dir():
        return
    now = time.time()
    for entry in Path(folder).iterdir():
        if not entry.name.endswith(".partial"):
            continue
        writer = PARTIAL_WRITER.search(entry.name)
        if writer is None:
            abandoned = True
        elif writer["machine"] == _machine():
            abandoned = not _running(int(writer["pid"]))
        else:
            abandoned = now - _newest(entry) > max_age
        if abandoned and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif abandoned:
            entry.unlink(missing_ok=True)


def _machine() -> str:
    return re.sub(r"\W", "_", socket.gethostname()) or "machine"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _newest(entry: Path) -> float:
    try:
        return max([entry.stat().st_mtime, *(path.stat().st_mtime for path in entry.rglob("*"))])
    except FileNotFoundError:  # removed meanwhile
        return time.time()


def keep_newest(entries: list[Path], keep: int) -> None:
    """Remove all but the `keep` most recently modified of `entries` (files or folders). Two requests may
    prune one folder at once, so an entry the other removed meanwhile is passed over."""
    entries = sorted(entries, key=_modified, reverse=True)
    for entry in entries[keep:]:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _modified(entry: Path) -> float:
    try:
        return entry.stat().st_mtime
    except FileNotFoundError:
        return float("-inf")


class Downloads:
    """A folder of files offered for download, each in a folder of its own, newest `keep` kept."""

    def __init__(self, folder: Path, keep: int):
        self.folder, self.keep = Path(folder), keep

    def csv(self, table: pd.DataFrame, filename: str) -> Path:
        return write_csv(table, self._new_folder() / filename)

    def rows(self, columns, rows, filename: str) -> Path:
        """`rows` written as they come (write_rows), not gathered into a table first."""
        return write_rows(columns, rows, self._new_folder() / filename)

    def copy(self, source: Path, filename: str) -> Path:
        """A copy of `source` to download: the original (inside a run) stays out of what gradio serves."""
        return Path(shutil.copyfile(source, self._new_folder() / filename))

    def _new_folder(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        keep_newest(list(self.folder.iterdir()), self.keep - 1)
        folder = self.folder / uuid.uuid4().hex
        folder.mkdir()
        return folder
