"""Japanese Sentiment Studio: fine-tune, evaluate and use Japanese sentiment classifiers."""
