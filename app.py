"""Japanese Sentiment Studio: `python app.py` serves the app on http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import os


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
    parser.add_argument("--runs", default="runs", help="Folder where training runs are written and listed.")
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
        help="On a public server, the password that allows training (better: the TRAIN_PASSWORD secret). "
        "Without one, a public server does not train.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from sentiment.deployment import Deployment
    from sentiment.studio import Studio
    from sentiment.ui import launch_app

    deployment = Deployment.from_launch(args.public, args.share, args.train_password, args.data_dir)
    studio = Studio(args.runs, args.dataset, args.model, deployment)
    if studio.notice:
        print(studio.notice, flush=True)
    launch_app(studio, args.host, args.port, args.share)


if __name__ == "__main__":
    main()
