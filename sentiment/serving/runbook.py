"""The run book: the finished runs of this server's runs folder, as the page lists and picks them."""

from __future__ import annotations

from pathlib import Path

from ..training.runs import RunInfo, list_runs, resolve_run


class RunBook:
    def __init__(self, runs_dir: Path):
        self.runs_dir = runs_dir

    def runs(self) -> list[RunInfo]:
        """Finished runs, newest first."""
        return list_runs(self.runs_dir)

    def names(self) -> list[str]:
        return [run.name for run in self.runs()]

    def folders(self) -> list[Path]:
        return [self.runs_dir / run.name for run in self.runs()]

    def info(self, name: str) -> RunInfo | None:
        return next((run for run in self.runs() if run.name == name), None)

    def resolve(self, name: str) -> Path:
        """The folder of the finished run `name`; one sentence for a name that is not one."""
        return resolve_run(self.runs_dir, name)

    def choices(self, bert_only: bool = False) -> list[tuple[str, str]]:
        """Runs as a picker offers them, newest first: ('full-starter-sample · full · 0.57', name)."""
        return [
            (f"{run.name} · {run.method} · {run.accuracy:.2f}", run.name)
            for run in self.runs()
            if run.reads_tokens or not bert_only
        ]

    def best(self, bert_only: bool = False) -> RunInfo | None:
        """The finished run with the highest validation accuracy, the newest of equals (a BERT run, for what needs
        tokens: "Why?", the maps), or None."""
        runs = [run for run in self.runs() if run.reads_tokens or not bert_only]
        return max(runs, key=lambda run: run.accuracy, default=None)  # max keeps the first, the newest, of a tie

    def baseline(self, run: RunInfo) -> RunInfo | None:
        """The newest n-gram baseline trained on the same dataset as `run` (not `run` itself)."""
        baselines = (other for other in self.runs() if other.is_baseline and other.name != run.name)
        return next((other for other in baselines if other.dataset == run.dataset), None)
