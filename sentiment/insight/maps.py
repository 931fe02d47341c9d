"""The model's view of the data: each review's hidden state, projected to two dimensions.

The vector is the encoder's pooled output (head.features: the `[CLS]` state through BERT's pooler,
exactly what the classification layer reads). Drawn for the model a run started from and for the
trained run, it shows the classes separate as the encoder learns; for a head-only run the two maps
are the same, because its encoder was frozen.

UMAP (umap-learn) keeps neighbourhoods and is the usual choice; PCA, a linear projection, stands in
when umap-learn is missing or there are too few points for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from ..models.head import features

MAP_POINTS = 1000  # reviews drawn at most; a seeded sample of larger splits
MIN_UMAP_POINTS = 20


@dataclass
class ModelMap:
    coordinates: np.ndarray  # one (x, y) row per review
    texts: list[str]
    labels: list[str]
    projection: str  # UMAP or PCA
    of: int  # reviews in the split they were drawn from


def project(values: np.ndarray, method: str = "umap", seed: int = 42) -> tuple[np.ndarray, str]:
    """`values` in two dimensions, and the name of the projection used."""
    if method == "umap" and len(values) >= MIN_UMAP_POINTS:
        try:
            import umap
        except ImportError:
            pass
        else:
            reducer = umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed)
            return reducer.fit_transform(values), "UMAP"
    return PCA(n_components=2, random_state=seed).fit_transform(values), "PCA"


def warm_up_projection() -> None:
    """Compile UMAP's numba code now: about 8 s of CPU, once per process, that would otherwise land on the
    first visitor who draws a map (0.2 s after it)."""
    project(np.random.default_rng(0).random((MIN_UMAP_POINTS, 8)))


def model_map(
    model,
    tokenizer,
    texts: list[str],
    labels: list[str],
    max_length: int,
    bf16: bool = False,
    method: str = "umap",
    of: int | None = None,
) -> ModelMap:
    """Where `model` puts each of `texts` (with its gold `labels`; drawn from `of` reviews, default all), in two
    dimensions; `bf16`: the hidden states computed under bf16 autocast, as the run is served where its bf16
    answers agree with its own (inference.py)."""
    coordinates, projection = project(features(model, tokenizer, texts, max_length, bf16), method)
    return ModelMap(coordinates, list(texts), list(labels), projection, of or len(texts))


def sample_rows(count: int, limit: int = MAP_POINTS, seed: int = 0) -> list[int]:
    """Which rows to draw: all of a small split, a seeded sample of a large one (in order)."""
    if count <= limit:
        return list(range(count))
    return sorted(np.random.default_rng(seed).choice(count, size=limit, replace=False).tolist())
