"""The names and limits the page shares with the server, in one place.

ui/ lays out and wires: what it shows comes from the parts' public methods (studio.py), and the few
facts it needs to lay out a form (class and split names, text caps, model names, the run table's
columns) or to read an answer (the types the parts return) come from here. So the floors below
serving can change without touching ui/; tests/test_layout.py keeps ui/ to serving/ and errors.py.
"""

from ..corpus.browsing import ALL_LABELS
from ..corpus.corrections import MAX_CORRECTIONS, Overlay
from ..corpus.loading import LABELS, MIN_ROWS_TO_CARVE, SPLITS
from ..corpus.suspects import COLUMNS as SUSPECT_COLUMNS
from ..insight.data_map import AMBIGUOUS_VARIABILITY, CONFIDENT
from ..insight.forward_steps import SHOWN_DIMENSIONS
from ..insight.layers import SHOWN_TOKENS
from ..insight.slices import DIMENSIONS, LENGTH_BUCKETS, LONGEST
from ..models.bert import STARTER
from ..run_files import ProgressRecord
from ..text.compare import NFKC, CharacterSplitter, Comparison, Piece, Row
from ..text.limits import (
    LESSON_STEPS,
    MAX_DATASET_ROWS,
    MAX_TEXT_CHARS,
    MAX_UPLOAD_MB,
    WHAT_IF_BUDGET,
    WHAT_IF_CHARS,
)
from ..text.tokenization import SOURCE_MODEL, Explanation, PaddedToken
from ..training.config import WHOLE_NUMBERS, help_text
from ..training.runs import NGRAM_MODEL, RUN_COLUMNS

__all__ = [
    "ALL_LABELS",
    "AMBIGUOUS_VARIABILITY",
    "CONFIDENT",
    "DIMENSIONS",
    "LABELS",
    "LENGTH_BUCKETS",
    "LESSON_STEPS",
    "LONGEST",
    "MAX_CORRECTIONS",
    "MAX_DATASET_ROWS",
    "MAX_TEXT_CHARS",
    "MAX_UPLOAD_MB",
    "MIN_ROWS_TO_CARVE",
    "NFKC",
    "NGRAM_MODEL",
    "RUN_COLUMNS",
    "SHOWN_DIMENSIONS",
    "SHOWN_TOKENS",
    "SOURCE_MODEL",
    "SPLITS",
    "STARTER",
    "SUSPECT_COLUMNS",
    "WHAT_IF_BUDGET",
    "WHAT_IF_CHARS",
    "WHOLE_NUMBERS",
    "CharacterSplitter",
    "Comparison",
    "Explanation",
    "Overlay",
    "PaddedToken",
    "Piece",
    "ProgressRecord",
    "Row",
    "help_text",
]
