"""One training run: its config, the Trainer, background jobs and the runs folder."""
