"""Opening the index and the models the settings ask for: shared by the CLI and the GUI."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings, data_root
from app.store import Store


def open_store(root: Path | None = None) -> Store:
    """The store under the data root (``LEXISCOPE_HOME`` overrides it)."""
    return Store(root or data_root())


def make_embedder(settings: Settings, store_root: Path | None = None):
    """The embedder for indexing, or None when no model layer is available (lexical only)."""
    try:
        from app.embed import build_embedder
    except ImportError:
        return None
    return build_embedder(settings, store_root or data_root())


def make_searcher(store: Store, settings: Settings | None = None):
    """A searcher over ``store`` with whatever retrieval components the index supports."""
    from app.search.engine import Searcher

    retrievers = []
    try:
        from app.embed import build_retrievers
    except ImportError:
        pass
    else:
        retrievers = build_retrievers(store, settings or Settings.load())
    return Searcher(store, retrievers)
