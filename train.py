"""Fine-tune a Japanese sentiment classifier: `python train.py --help` lists every option."""

from sentiment.cli import train_main

if __name__ == "__main__":
    raise SystemExit(train_main())
