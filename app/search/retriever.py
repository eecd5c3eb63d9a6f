"""The interface the searcher holds its retrieval components by (``app.search.retrievers.ModelRetriever``
runs dense, CLIP and sparse; BM25 is the engine's own, on LanceDB's full-text index)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.search.query import Term
    from app.store import Store

# One component's hits: (passage row, score), best first.
Hits = list[tuple[dict, float]]


class Retriever(Protocol):
    """Runs one or more retrieval components for a parsed query."""

    def retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int,
                 options: dict) -> dict[str, Hits]:
        """Each component's hits for ``terms`` (``where``: the filter; ``depth``: hits per component), by name."""
        ...


__all__ = ["Hits", "Retriever"]
