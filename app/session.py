"""Opening the index and the models the settings ask for: shared by the CLI and the GUI."""

from __future__ import annotations

import threading
from pathlib import Path

from app.config import Settings, data_root
from app.store import Store


def open_store(root: Path | None = None, *, lazy: bool = False, vectors: bool = True) -> Store:
    """The store under the data root (``LEXISCOPE_HOME`` overrides it), or the ``--index`` location.

    An index chosen with ``--index``/``LEXISCOPE_INDEX`` is someone else's (a cluster's, a shared drive's):
    it opens read-only, so searching it never creates or changes anything there. ``lazy``: LanceDB opens on
    first use and reads go through pylance until then (:class:`app.store.Store`), for a quick one-off read;
    ``vectors=False`` for a reader that searches words only (it may use pylance even beside an ANN index).
    """
    from app.location import configured

    location = configured() if root is None else None
    if location is not None:
        return Store(location, read_only=True, lazy=lazy, lazy_vectors=vectors)
    return Store(root or data_root(), lazy=lazy, lazy_vectors=vectors)


def prewarm_in_background(store: Store) -> threading.Thread:
    """Start loading ``store``'s vector and full-text indexes into memory on a thread
    (:meth:`Store.prewarm_indexes`, ~1.2 s of one core at 1M passages), for a process that keeps searching;
    searches meanwhile run as they would without it.

    Not a daemon thread: the process waits for it at exit. A daemon thread still inside Lance when the
    interpreter shut down aborted the process ("FATAL: exception not rethrown").
    """
    thread = threading.Thread(target=store.prewarm_indexes, name="prewarm indexes")
    thread.start()
    return thread


def make_embedder(settings: Settings, store_root: Path | None = None):
    """The embedder for indexing (dense, sparse and image columns the settings ask for)."""
    from app.embed import build_embedder

    return build_embedder(settings, store_root or data_root())


def make_searcher(store: Store, settings: Settings | None = None, *, models: bool = True):
    """A searcher over ``store`` with whatever retrieval components the index supports.

    ``models=False``: words only (BM25), for a lexical search that must start fast: no model is loaded
    and neither ONNX Runtime nor the tokenizers are imported.
    """
    from app.search.engine import Searcher

    settings = settings or Settings.load()
    from app.explain import explain_results

    if not models:
        # Words only still explains: BM25's term contributions (app.explain.bm25_terms).
        return Searcher(store, explainer=explain_results)
    from app.embed import build_retrievers
    from app.news.masking import query_masker
    from app.search.fusion import FUSION_METHOD, weights_for
    from app.search.lexical import Bm25Retriever

    retrievers = build_retrievers(store, settings)
    # BM25 last: fusion adds the components' shares in this order (measured that way, app.search.fusion).
    return Searcher(store, [*retrievers, Bm25Retriever()], weights=weights_for(store), fusion=FUSION_METHOD,
                    query_masker=query_masker(settings), explainer=explain_results,
                    notes=[note for retriever in retrievers for note in retriever.models.notes()])
