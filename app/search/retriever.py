"""The interfaces the searcher holds its parts by.

- :class:`Retriever`: one or more retrieval components (``app.search.lexical.Bm25Retriever`` runs BM25;
  ``app.search.retrievers.ModelRetriever`` runs dense, CLIP and sparse).
- :class:`CandidateScorer`: a retriever with a component that ranks the others' candidates (hybrid sparse).
- :class:`VocabularySource`: a retriever that also gives the sparse vectors an explanation decomposes.
- :class:`ExplainContext`: what explaining a result list is given (app.explain), instead of the searcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from app.search.query import Term
    from app.search.types import SearchOptions
    from app.store import Store

# One component's hits: (passage row, score), best first.
Hits = list[tuple[dict, float]]
# Components return only passage ids (a passage id is "<doc_id>:<ordinal>", so the document is known too);
# the full rows are fetched once, for the passages that become results: most of a search's time was moving
# text it never showed. The store answers an id-only search from row ids (app.store.reads).
HIT_COLUMNS = ["passage_id"]


class Retriever(Protocol):
    """Runs one or more retrieval components for a parsed query."""

    def retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int,
                 options: SearchOptions) -> dict[str, Hits]:
        """Each component's hits for ``terms`` (``where``: the store's filter; ``depth``: hits per component), by
        name; none for a component ``options.mode`` leaves out."""
        ...


@runtime_checkable
class CandidateScorer(Protocol):
    """A retriever with a component that ranks the passages the other components found, after them."""

    def begin_candidates(self, store: Store, terms: list[Term], found: dict[str, Hits], options: SearchOptions) -> Any:
        """Start on the passages found so far, beside the components still running (its result goes to
        :meth:`score_candidates`); None when this search ranks no candidates."""
        ...

    def score_candidates(self, store: Store, terms: list[Term], found: dict[str, Hits], depth: int,
                         options: SearchOptions, begun: Any = None) -> dict[str, Hits]:
        """Hits of the components that rank ``found``'s passages (none where the search leaves them out)."""
        ...


@runtime_checkable
class VocabularySource(Protocol):
    """A retriever whose sparse vectors an explanation decomposes into vocabulary terms."""

    models: Any  # its encoders: ``models.text`` (token embeddings for the dense alignment) may be None

    def sparse_matrix(self, store: Store) -> Any:
        """The sparse postings of the store's passages."""
        ...

    def sparse_vector(self, terms: list[Term], matrix: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """The query's sparse vector (ids, weights), or None when it has none."""
        ...

    def passage_vectors(self, store: Store, passage_ids: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The stored sparse vectors of some passages."""
        ...


@dataclass(frozen=True)
class ExplainContext:
    """What explaining a result list needs from the search that made it (app.explain)."""

    store: Store
    vocabulary: VocabularySource | None = None  # None: a words-only searcher (BM25 terms explain it)
    text_encoder: Any = None  # gives token embeddings for the dense alignment; None: no dense spans

    @classmethod
    def of(cls, store: Store, retrievers) -> ExplainContext:
        """The context for a searcher over ``store`` holding ``retrievers``."""
        vocabulary = next((r for r in retrievers if isinstance(r, VocabularySource)), None)
        text_encoder = getattr(vocabulary.models, "text", None) if vocabulary is not None else None
        return cls(store, vocabulary, text_encoder)


__all__ = ["ExplainContext", "HIT_COLUMNS", "Hits", "Retriever", "VocabularySource"]
