"""BM25, the words component: LanceDB's native full-text search, one :class:`app.search.retriever.Retriever`
among the others (it needs no model, so a words-only searcher holds it alone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.search.query import Term, lexical_text
from app.search.retriever import HIT_COLUMNS, Hits

if TYPE_CHECKING:
    from app.search.types import SearchOptions
    from app.store import Store

# The modes that run BM25 (app.search.modes.MODES): the others ask for one model component alone.
MODES = ("auto", "lexical", "hybrid")


def bm25(store: Store, query: str, where: str | None, depth: int) -> Hits:
    """Passages by the store's native BM25 full-text search; a quoted query is a phrase."""
    text = query.strip()
    if not text:
        return []
    phrase = len(text) > 2 and text[0] == text[-1] == '"'
    return store.full_text_search(text[1:-1] if phrase else text, phrase=phrase, where=where, limit=depth,
                                  columns=HIT_COLUMNS)


class Bm25Retriever:
    """The ``bm25`` component over the query's words (masked names left out)."""

    def retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int,
                 options: SearchOptions) -> dict[str, Hits]:
        """``{"bm25": hits}``, or nothing when the query has no words or the mode leaves BM25 out."""
        text = lexical_text(terms)
        if not text.strip() or options.mode not in MODES:
            return {}
        return {"bm25": bm25(store, text, where, depth)}


__all__ = ["Bm25Retriever", "MODES", "bm25"]
