"""The training desk: the one way into training for the page, the API and the first runs.

It admits a run (deployment.py says who may train what), queues it on the server's one `TrainingJob`,
stops it, reports its status, keeps the page's runs within their quota, and prepares a fresh app's
first runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import chain, count
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import DEFAULT_CONFIG, SAMPLE
from ..errors import UserError, quoted
from ..models.bert import STARTER
from ..run_files import METRICS_FILE
from ..storage import keep_newest
from ..text.tokenization import SOURCE_MODEL
from ..training.config import WHOLE_NUMBERS, TrainConfig, check_run_name, default_run_name
from ..training.estimate import estimate
from ..training.job_log import JobStatus
from ..training.jobs import TrainingJob
from ..training.runs import shown_source
from .catalog import CORRECTED, HUB_ID, Catalog
from .deployment import Deployment, is_lesson
from .gpu_window import GpuWindow, WindowSize
from .runbook import RunBook

# What a retrain on corrected labels keeps of the run it retrains (the form's numbers and the step limit).
RETRAINED = ("epochs", "learning_rate", "batch_size", "max_length", "train_examples", "seed", "max_steps")
FIRST_RUNS_OWNER = "server"  # the first runs belong to no page: only the password holder may stop them
FIRST_RUN_SECONDS = 300
# A head-only run's pace as a finished run records it (examples_trained / train_seconds: training reviews a second,
# a third as many validation reviews encoded alongside, loading included), and the time it spends after that
# (saving the model, checking int8 against fp32): a BERT-base-shaped model on 2 cores of an AMD EPYC without bf16
# instructions, the slower kind of CPU these machines and a Space get (bench/first_head_run.py, docs/benchmarks.md
# §15: 2.74 and 81 s). A faster CPU is ready sooner; once a head run of the model has finished here, its pace is used.
HEAD_PACE = 2.7
HEAD_SAVING_SECONDS = 80


def first_head_size(pace: float) -> dict:
    """Training and validation examples for a head-only first run that is ready in about FIRST_RUN_SECONDS at
    `pace` (HEAD_PACE's measure)."""
    train = max(150, int(pace * (FIRST_RUN_SECONDS - HEAD_SAVING_SECONDS)))
    return {"train_examples": train, "eval_examples": train // 3}


class TrainingDesk:
    def __init__(
        self,
        runs_dir: Path,
        default_model: str,
        deployment: Deployment,
        catalog: Catalog,
        runbook: RunBook,
        window: GpuWindow | None = None,
    ):
        self.runs_dir = runs_dir
        self.default_model = default_model
        self.deployment, self.catalog, self.runbook = deployment, catalog, runbook
        # On ZeroGPU runs train in a GPU window of the server's own (gpu_window.py), elsewhere in a child process.
        self.window = window
        self.job = TrainingJob(runs_dir, window)

    def status(self) -> JobStatus:
        return self.job.status()

    def busy(self) -> bool:
        """Whether a run is training or waiting to."""
        status = self.job.status()
        return status.state == "running" or bool(status.waiting)

    def resolve_model(self, spec: str) -> str:
        """A model named in the page, if the app offers it: the starter, the launch default or a Hub id."""
        spec = (spec or "").strip()
        if spec in (STARTER, SOURCE_MODEL, self.default_model) or (HUB_ID.fullmatch(spec) and not Path(spec).exists()):
            # A local folder of that name would load instead of the Hub's model, so it is refused; on a public
            # server only the password holder gets this far (start_from_page).
            return spec
        raise UserError(
            Text(
                f"{quoted(spec)} is not a model this app offers: pick one from the list, or give a Hub id (owner/name"
                ").",
                f"{quoted(spec)} はこのアプリで使えるモデルではありません。一覧から選ぶか、Hub の ID（owner/name）を"
                "入力してください。",
            )
        )

    def start(
        self, config: TrainConfig, session: str = "", password: str | None = None, visitor: str = "", checked=False
    ) -> tuple[str, int]:
        """Start a run for the page `session`, within what this deployment allows, now or after the runs
        already waiting; return its name and its place in the queue (0: started). `checked`: the password
        was checked already (start_from_page)."""
        config, minutes = self.deployment.admit(
            config, password, visitor, checked, lambda: self._expected_seconds(config)
        )
        # The baseline needs no GPU: it trains on the CPU, on ZeroGPU too, and costs the visitor no quota.
        in_window = self.window is not None and config.method != "ngram"
        seconds = self.window_seconds(config) if in_window else None
        place = self.job.submit(config, owner=session, max_minutes=minutes, window_seconds=seconds)
        self._make_room_for_a_run()  # after the start: a refused start removes nothing
        return Path(config.resolved().output).name, place

    def start_from_page(
        self, model: str, method: str, dataset: str, name: str, values: dict, session="", password=None, visitor=""
    ) -> tuple[str, int]:
        """A run as the Train tab asks for it (0 or blank: the recipe's value), the password checked before
        the form is read (Deployment.check_before_the_form)."""
        method = method or "full"
        checked = self.deployment.check_before_the_form(model, method, dataset, password, visitor)
        config = self._page_config(model, method, dataset, name, values)
        return self.start(config, session, password, visitor, checked)

    def retrain(
        self, run_name: str, corrected: Callable[[str, str], str], session="", password=None, visitor=""
    ) -> tuple[str, int]:
        """`run_name` trained again as it was (model, method, epochs, rate, batch, length, examples, seed, steps)
        on its own dataset with a reader's corrected training labels: a run of its own, through the same admission
        and queue as any other. Who may and within which bounds is settled on the run as it was first, before
        `corrected(source, config)` writes the corrected copy of the run's dataset (its choice): a refused retrain
        writes nothing, and the retrain of a lesson (the sample, the starter or the baseline) is a lesson. Its name
        and place in the queue."""
        self.runbook.resolve(run_name)  # one sentence for a name that is no run
        settings = self.runbook.info(run_name).settings
        values = {key: settings.get(key) for key in RETRAINED}
        values["max_steps"] = values["max_steps"] if (values["max_steps"] or 0) > 0 else None
        source, source_config = settings["dataset"], settings.get("dataset_config", "japanese")
        checked = self.deployment.check_before_the_form(
            settings["model"], settings["method"], source, password, visitor
        )
        base = f"{run_name}{CORRECTED}"
        names = chain([base], (f"{base}-{i}" for i in count(2)))
        name = check_run_name(next(name for name in names if not self.job.name_taken(name)))
        options = {key: int(value) if key in WHOLE_NUMBERS else value for key, value in values.items() if value}
        as_run = TrainConfig(
            model=self.resolve_model(settings["model"]),
            method=settings["method"],
            dataset=source,
            dataset_config=source_config,
            output=str(self.runs_dir / name),
            **options,
        )
        admitted, minutes = self.deployment.admit(
            as_run, password, visitor, checked, lambda: self._expected_seconds(as_run)
        )
        in_window = self.window is not None and admitted.method != "ngram"
        seconds = self.window_seconds(admitted) if in_window else None  # sized as the run it repeats
        dataset = self.catalog.resolve(corrected(source, source_config))
        config = dataclasses.replace(admitted, dataset=dataset, dataset_config=DEFAULT_CONFIG)
        place = self.job.submit(config, owner=session, max_minutes=minutes, window_seconds=seconds)
        self._make_room_for_a_run()
        return name, place

    def _page_config(self, model: str, method: str, dataset: str, name: str, values: dict) -> TrainConfig:
        model, dataset = self.resolve_model(model), self.catalog.resolve(dataset)
        name = check_run_name((name or "").strip() or self.free_run_name(method, model, dataset))
        # 0 or blank leaves an option to the recipe (a number box can't be empty in every browser).
        options = {key: int(value) if key in WHOLE_NUMBERS else value for key, value in values.items() if value}
        output = str(self.runs_dir / name)
        return TrainConfig(model=model, method=method, dataset=dataset, output=output, **options)

    def _expected_seconds(self, config: TrainConfig) -> float | None:
        """How long `config` should take at this machine's pace (estimate.py); None before such a run was timed."""
        config = config.resolved()
        rows = self.catalog.by_source(config.dataset, config.dataset_config)["train"].num_rows
        found = estimate(self.runbook.runs(), config, rows)
        return found.seconds if found else None

    def window_seconds(self, config: TrainConfig) -> int:
        """The GPU window a run declares to ZeroGPU, from its estimate on this card, sized so that what ZeroGPU
        counts against the visitor's quota (declared × the card's factor) fits; one sentence, before it starts, for
        a run that cannot fit."""
        lesson = is_lesson(config.resolved())
        size = WindowSize.of(self._expected_seconds(config), lesson, self.window.factor())
        size.check_fits(lesson)
        return size.declared

    def cost_estimate(self, model: str, method: str, dataset: str, values: dict) -> Text:
        """What the run the form describes would cost here, before it starts (estimate.py); one sentence."""
        asked = self._page_config(model, method or "full", dataset, "", values)
        config = self.deployment.as_trained_without_password(asked)
        found = estimate(self.runbook.runs(), config.resolved(), self.catalog.dataset(dataset)["train"].num_rows)
        if found is None:
            return Text(
                "No run of this model and method has finished on this machine yet, so its time can't be estimated.",
                "このモデルと手法の学習がまだないため、所要時間を見積もれません。",
            )
        return found.sentence()

    def free_run_name(self, method: str, model: str, dataset: str) -> str:
        """The default name of a new run: `<method>-<model>-<dataset>`, numbered when taken."""
        return default_run_name(method, model, shown_source(dataset), self.job.name_taken)

    def stop(self, session: str = "", password: str | None = None, visitor: str = "") -> str:
        self.deployment.check_may_stop(self.job.owner(), session, password, visitor)
        return self.job.stop()

    def shutdown(self) -> None:
        self.job.shutdown()

    def _make_room_for_a_run(self) -> None:
        """Keep the runs trained from the page, the one just started included, within the quota; the oldest go first."""
        finished = [run for run in self.job.started_runs() if (run / METRICS_FILE).is_file()]
        keep_newest(finished, self.deployment.bounds.runs_kept - 1)
        self.job.forget_removed_runs()

    def prepare_first_runs(self) -> list[str]:
        """When no run has finished yet, queue the first ones, so a fresh app (a new Space) has a model to
        classify with within minutes. They need no visitor, so they train in a child process on the CPU, on
        ZeroGPU too. With a pretrained launch model: the n-gram baseline on the launch dataset's whole training
        split, then a head-only run of the model on a slice of it sized to be ready in about
        FIRST_RUN_SECONDS; offline with the starter: the baseline and the starter fully fine-tuned on the
        sample. Return their names."""
        if self.runbook.runs():
            return []
        pretrained = self.default_model != STARTER
        dataset = self.catalog.resolve(self.catalog.default_dataset) if pretrained else SAMPLE
        configs = [("ngram", {}), ("head", self._first_head_size()) if pretrained else ("full", {})]
        names = []
        for method, size in configs:
            name = self.free_run_name(method, self.default_model, dataset)
            output = str(self.runs_dir / name)
            config = TrainConfig(model=self.default_model, method=method, dataset=dataset, output=output, **size)
            self.job.submit(config, owner=FIRST_RUNS_OWNER)
            names.append(name)
        return names

    def _first_head_size(self) -> dict:
        """A head-only first run's size, at the pace of a head run of this model timed here, else at HEAD_PACE."""
        timed = next(
            (run for run in self.runbook.runs() if run.method == "head" and run.model == self.default_model), None
        )
        pace = timed.examples_trained / timed.train_seconds if timed and timed.train_seconds else HEAD_PACE
        return first_head_size(pace)

    def device(self) -> Text:
        """Where a visitor's run trains, as the Train tab names it, in both languages."""
        import os

        import torch

        if self.window is not None:  # outside a window ZeroGPU only emulates CUDA: the card is the driver's
            card, factor = self.window.card_name(), self.window.factor()
            return Text(
                f"GPU: ZeroGPU ({card}), lent to each run for its window (the estimate sets the window's length; "
                f"each declared second counts {factor:g} s of the visitor's quota)",
                f"GPU: ZeroGPU（{card}）。学習ごとに時間枠の間だけ貸し出されます（枠の長さは見積もりから決まり、"
                f"宣言した 1 秒が訪問者の利用枠の {factor:g} 秒に数えられます）",
            )
        if torch.cuda.is_available():
            properties = torch.cuda.get_device_properties(0)
            memory = f"{properties.total_memory / 2**30:.0f} GiB"
            return Text(f"GPU: {properties.name}, {memory}", f"GPU: {properties.name}、{memory}")
        cores = os.cpu_count()
        return Text(f"CPU: {cores} cores (no GPU found)", f"CPU: {cores} コア（GPU は見つかりません）")
