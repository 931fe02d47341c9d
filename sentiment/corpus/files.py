"""Reading a dataset's or a batch's file: its rows as a table, refused past a row cap before they are all read, in
UTF-8, cp932 (Excel on Japanese Windows) or EUC-JP; and the one kind of error a dataset the user pointed at gets."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..bilingual import Text, same
from ..errors import UserError
from ..text.limits import MAX_DATASET_ROWS

# UTF-8 first; cp932 is what Excel on Japanese Windows writes; EUC-JP is what older Unix tools wrote.
# EUC-JP bytes also decode as cp932 (as half-width katakana), so of those two the one that reads
# as more hiragana wins: Japanese prose is mostly hiragana.
LEGACY_ENCODINGS = ("cp932", "euc_jp")


class DataError(UserError):
    """A dataset the user pointed at can't be used; the message says where and why."""


def read_frame(path: Path, max_rows: int = MAX_DATASET_ROWS, name: str | None = None) -> pd.DataFrame:
    """A file's rows as a table, refused past `max_rows` before they are all read (`name`: how messages call
    the file, by default its own name)."""
    name = name or path.name
    if path.suffix == ".parquet":
        frame = _read_parquet(path, max_rows, name)
    else:
        from io import StringIO

        text = decode(path.read_bytes(), name)
        if not text.strip():
            raise DataError(
                Text(
                    f"{name} is empty: save it with a header line (text,label) and at least one row per line.",
                    f"{name} は空です。見出し行（text,label）と、"
                    "1 行に 1 件ずつ 1 行以上のデータを入れて保存してください。",
                )
            )
        buffer = StringIO(text)
        try:
            if path.suffix in (".jsonl", ".json"):
                frame = pd.read_json(buffer, lines=True, dtype=False, nrows=max_rows + 1)
            else:
                separator = "\t" if path.suffix == ".tsv" else ","
                frame = pd.read_csv(buffer, sep=separator, dtype=str, keep_default_na=False, nrows=max_rows + 1)
        except ValueError as error:
            raise DataError(_parse_problem(name, path.suffix, error)) from error
    if len(frame) > max_rows:
        raise DataError(
            Text(
                f"{name} has more than {max_rows:,} rows: this app reads up to {max_rows:,}; send fewer.",
                f"{name} は {max_rows:,} 行を超えています。このアプリが読めるのは {max_rows:,} 行までです。"
                "行を減らしてください。",
            )
        )
    return frame


def texts_in_file(path: Path, max_rows: int = MAX_DATASET_ROWS) -> list[str]:
    """The `text` column of a file to classify, refused past `max_rows` before it is all read."""
    table = read_frame(path, max_rows=max_rows)
    if "text" not in table.columns:
        raise UserError(
            Text(
                f"{path.name} has no text column: it needs a column named text.",
                f"{path.name} に text 列がありません。text という名前の列が必要です。",
            )
        )
    return [str(text) for text in table["text"]]


def _read_parquet(path: Path, max_rows: int, name: str) -> pd.DataFrame:
    import pyarrow.parquet as parquet

    try:
        rows = parquet.ParquetFile(path).metadata.num_rows  # counted from the footer, before reading
        if rows > max_rows:
            raise DataError(
                Text(
                    f"{name} has {rows:,} rows: this app reads up to {max_rows:,}; send fewer.",
                    f"{name} は {rows:,} 行あります。このアプリが読めるのは {max_rows:,} 行までです。"
                    "行を減らしてください。",
                )
            )
        return pd.read_parquet(path)
    except DataError:
        raise
    except Exception as error:  # pyarrow's errors vary by what is wrong with the file
        raise DataError(
            Text(
                f"{name} is not a readable Parquet file: save it again as Parquet, or as CSV.",
                f"{name} は読み取れる Parquet ファイルではありません。Parquet か CSV で保存し直してください。",
            )
        ) from error


def decode(raw: bytes, name: str) -> str:
    """A file's text: UTF-8, else cp932 or EUC-JP, whichever reads as more hiragana."""
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        pass
    readings = []
    for encoding in LEGACY_ENCODINGS:
        try:
            readings.append(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not readings:
        raise DataError(
            Text(
                f"{name} is not UTF-8, cp932 (Shift-JIS) or EUC-JP text: save it as UTF-8.",
                f"{name} は UTF-8・cp932（Shift-JIS）・EUC-JP のいずれのテキストでもありません。"
                "UTF-8 で保存してください。",
            )
        )
    return max(readings, key=lambda text: sum("\u3041" <= char <= "\u3096" for char in text))


def _parse_problem(name: str, suffix: str, error: ValueError) -> Text:
    """The parser's complaint in the user's terms: which line, and what to check (not pandas' own text)."""
    if suffix in (".jsonl", ".json"):
        return Text(
            f"{name} is not JSON Lines: each line must be one JSON object with text and label.",
            f"{name} は JSON Lines ではありません。"
            "各行を text と label を持つ 1 つの JSON オブジェクトにしてください。",
        )
    line = re.search(r"line (\d+)", str(error))
    where = Text(f" near line {line.group(1)}", f"（{line.group(1)} 行目付近）") if line else same("")
    kind = suffix[1:].upper()
    return Text(
        f"{name} could not be read as {kind}{where.en}: check the quoting and that every row has the same columns.",
        f"{name} を {kind} として読めませんでした{where.ja}。引用符と、どの行も同じ列を持つことを確認してください。",
    )
