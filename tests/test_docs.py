"""What the README promises about training times is what docs/benchmarks.md measured (issue 27).

Each training time the README states is read beside the figure it comes from: a README figure more than 50% away
from its measurement fails, and so does a README or a page that promises a time it never measured ("in seconds",
"under a minute")."""

import re

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
PAGE = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "sentiment" / "ui").glob("*.py"))

MINUTE = 60
# (what it is, the README's sentence with the figure as its group and the unit it counts in, and the measured figure
# in docs/benchmarks.md, likewise)
CLAIMS = [
    (
        "the starter trained on the sample with train.py",
        (r"It trains on the sample in about (\d+) s on 2 cores of an Intel Xeon", 1),
        (r"\| the starter on the sample \(`python train\.py[^|]*\|[^|]*\| \*\*(\d+(?:\.\d+)?) s\*\*", 1),
    ),
    (
        "a fresh app's starter (the first runs)",
        (r"then the starter\s+fine-tuned on it \(about (\d+) s\)", 1),
        (r"and\s+(\d+) s until the starter is", 1),
    ),
    (
        "a fresh app's starter (the summary)",
        (r"the starter is ready at about (\d+) s", 1),
        (r"and\s+(\d+) s until the starter is", 1),
    ),
    (
        "a fresh app's baseline",
        (r"ready in about (\d+) s from `python app\.py`", 1),
        (r"\*\*Median (\d+(?:\.\d+)?) s\*\* from `python app\.py`", 1),
    ),
    (
        "head-only training at the BERT-base shape",
        (r"with\s+the BERT-base shape, (\d+) minutes", MINUTE),
        (r"\*\*(\d+) s\*\* with the BERT-base shape", 1),
    ),
    (
        "full fine-tuning at the BERT-base shape",
        (r"against about (\d+) minutes for 2 epochs", MINUTE),
        (r"\*\*~(\d+) min\*\* for full fine-tuning", MINUTE),
    ),
    (
        "a fresh Space's head-only first run",
        (r"ready in (\d+) s there", 1),
        (r"ready in (\d+) s, its recorded pace", 1),
    ),
]
# A time promised without a measurement.
VAGUE = re.compile(
    r"(?:train|learn|fit|fine-tun|ready)\w*[^.\n]{0,60}?\b(in seconds|under a minute|about a minute|in a minute)"
)


def seconds(text: str, pattern: str, unit: int) -> float:
    found = re.search(pattern, text)
    assert found, f"not found: {pattern}"
    return float(found.group(1)) * unit


@pytest.mark.parametrize(("what", "stated", "measured"), CLAIMS, ids=[claim[0] for claim in CLAIMS])
def test_a_training_time_the_readme_states_is_the_one_measured(what, stated, measured):
    promised, figure = seconds(README, *stated), seconds(BENCHMARKS, *measured)
    assert abs(promised - figure) <= 0.5 * figure, f"{what}: the README says {promised:.0f} s, measured {figure:.0f} s"


def test_nothing_promises_a_time_it_never_measured():
    for name, text in (("README.md", README), ("the page (sentiment/ui)", PAGE)):
        vague = [" ".join(match.group(0).split()) for match in VAGUE.finditer(" ".join(text.split()))]
        assert not vague, f"{name} promises a time it never measured: {vague}"
