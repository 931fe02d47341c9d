"""Japanese Sentiment Studio: `python app.py` serves the app on http://127.0.0.1:7860."""

from __future__ import annotations

# Before anything imports torch: on ZeroGPU, `spaces` patches torch to emulate CUDA outside its GPU windows and
# refuses to start once CUDA is initialised. Elsewhere it does nothing.
# isort: off
import spaces  # noqa: F401
# isort: on

import _thread
import argparse
import contextlib
import ctypes
import os
import signal
import threading

from sentiment.run_files import bucket_path

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
# The trainer's grace period (jobs.STOP_GRACE_SECONDS, 8 s) and gradio's close, with room to spare.
SHUTDOWN_SECONDS = 12.0
PASSWORD_WARNING = (
    "warning: the training password was given on the command line, where every user of this machine can read it "
    "(ps); set the TRAIN_PASSWORD environment variable (a Space secret) instead."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    on_space = bool(os.environ.get("SPACE_ID"))  # a Hugging Face Space must listen on every interface
    parser = argparse.ArgumentParser(description="Serve the Japanese Sentiment Studio web app.")
    parser.add_argument("--host", default="0.0.0.0" if on_space else "127.0.0.1", help="Address to listen on.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 7860)), help="Port to listen on.")
    parser.add_argument("--share", action="store_true", help="Also open a temporary public gradio.live link.")
    parser.add_argument(
        "--dataset",
        default=None,
        help="Dataset shown first: a Hub id, a folder or 'sample' (default: the Hub's, or the sample offline).",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="Model offered for training: a Hub id, a folder or 'starter' (default: the source model, "
        "or the starter offline).",
    )
    parser.add_argument(
        "--runs",
        default=default_runs_folder(),
        help="Folder where training runs are written and listed (default: /data/runs where a Space's Storage "
        "Bucket is mounted at /data, or under STORAGE_BUCKET_PATH, else runs).",
    )
    parser.add_argument(
        "--no-first-runs",
        action="store_true",
        help="Don't train the first runs (the n-gram baseline and the starter on the sample) when the runs folder "
        "has no finished run.",
    )
    parser.add_argument(
        "--data-dir",
        action="append",
        default=[],
        help="A folder whose datasets (it and its sub-folders) the page may offer; repeat for more. Default: none.",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="Run as a public server (implied on a Space and with --share): bounded runs, training behind a "
        "password, quotas.",
    )
    parser.add_argument(
        "--train-password",
        default=None,
        help="On a public server, the password that allows runs bigger than a lesson (better: the TRAIN_PASSWORD "
        "secret, which other users of the machine can't read in the process list).",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        help="The address or network (10.0.0.5, 10.0.0.0/8) of a reverse proxy in front of the app, whose "
        "X-Forwarded-For header names the visitor (for the password throttle and the upload quota); repeat for "
        "more. On a Space its own proxy is trusted, with --share the local tunnel; no other client's header is.",
    )
    args = parser.parse_args(argv)
    from sentiment.errors import UserError
    from sentiment.serving.guards import networks

    try:
        networks(args.trusted_proxy)
    except UserError as error:
        parser.error(f"--trusted-proxy: {error}")
    return args


def default_runs_folder() -> str:
    """runs in the Storage Bucket where one is mounted (a Space keeps it across restarts), else runs here."""
    bucket = bucket_path()
    return str(bucket / "runs") if bucket.is_dir() and os.access(bucket, os.W_OK) else "runs"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    fewer_malloc_arenas()
    import torch

    from sentiment.serving.deployment import Deployment
    from sentiment.serving.studio import Studio
    from sentiment.ui import launch_app

    if args.train_password:
        print(PASSWORD_WARNING, flush=True)
    deployment = Deployment.from_launch(args.public, args.share, args.train_password, args.data_dir, args.trusted_proxy)
    studio = Studio(args.runs, args.dataset, args.model, deployment)
    for notice in studio.notices:
        print(notice, flush=True)
    if not args.no_first_runs and (first := studio.desk.prepare_first_runs()):
        print(f"No run has finished yet: training the first runs ({', '.join(first)}) in the background.", flush=True)
    # The server answers many small requests at once (four at a time through gradio's queue): one thread
    # each keeps them from fighting over the cores (docs/benchmarks.md, the classroom). The trainer is a
    # process of its own and keeps every thread.
    torch.set_num_threads(1)
    if deployment.public:  # no visitor's request may cost seconds of CPU: one-off set-ups are paid now
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    stop_training_on_exit(studio)
    launch_app(studio, args.host, args.port, args.share)


def warm_up() -> None:
    """The maps' numba code compiled (8 s of CPU) and captum imported (0.8 s) before a visitor needs them."""
    from sentiment.insight.attribution import warm_up_attribution
    from sentiment.insight.maps import warm_up_projection

    warm_up_projection()
    warm_up_attribution()


def fewer_malloc_arenas() -> None:
    """glibc gives each thread that allocates while another does an arena of its own (up to 8 per core), and what
    one arena frees the others don't reuse: with gradio's worker threads a BERT-base server held 3.5-3.7 GB at
    its peak in a class of thirty, 2.5 GB with two arenas, as fast (docs/benchmarks.md §18). Called before torch
    and gradio are imported, so before their threads exist; elsewhere than glibc it does nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)


def stop_training_on_exit(studio) -> None:
    """Ctrl-C or SIGTERM (a Space restarting, a test ending) stops the app's own training run with it.

    The handler only asks for the stop. The stop runs once, in a thread of its own: run inside the handler, a
    second signal arriving meanwhile (Ctrl-C pressed again, SIGTERM sent twice by a shell or a container runtime)
    ran the handler again inside it, waiting for the job's lock the first held (seen: the app hung for good).
    Once the trainer has ended (within its grace period) the main thread is interrupted, and gradio's launch
    closes the server on the KeyboardInterrupt; whatever happens, the process is gone SHUTDOWN_SECONDS after
    the first signal."""
    requested, stopped = threading.Event(), threading.Event()

    def on_signal(signum, frame):
        if stopped.is_set():
            raise KeyboardInterrupt
        if requested.is_set():
            return  # a second signal: the stop is under way
        requested.set()
        deadline = threading.Timer(SHUTDOWN_SECONDS, os._exit, (128 + signum,))
        deadline.daemon = True
        deadline.start()
        threading.Thread(target=stop, name="shutdown", daemon=True).start()

    def stop():
        try:
            studio.desk.shutdown()
        finally:
            stopped.set()
            _thread.interrupt_main(signal.SIGINT)  # runs on_signal in the main thread, which now raises

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


if __name__ == "__main__":
    main()
