"""Datasets: loading the source, the sample, local files and uploads; browsing them."""
