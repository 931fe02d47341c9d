"""What a run tells: evaluation, predictions, attributions and maps of the model."""
