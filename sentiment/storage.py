"""Files the app writes for its visitors: CSV downloads that are safe to open, and quotas.

A CSV cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is taken as a formula
by spreadsheet programs, so a review written as `=HYPERLINK(…)` would run when a teacher opens the
predictions. Such cells get a leading apostrophe, which spreadsheets show as plain text.

Every folder the app fills from requests (uploads, downloads, runs trained from the page) keeps
only its newest entries; the oldest are removed first.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
