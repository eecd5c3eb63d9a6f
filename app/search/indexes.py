"""Index maintenance after an index run: every structure is extended by what changed, none rebuilt.

- full text (LanceDB native FTS): created once; ``optimize()`` indexes new fragments after that.
- dense vectors: exact below a measured size, then an IVF index extended by ``optimize()`` and retrained
  only when the collection doubled (app.search.vector_index).
- sparse postings: persisted column layout, updated by the changed documents (app.search.postings).
- reprint LSH: persisted, updated by the changed news documents (app.news.reprint_index).
"""

from __future__ import annotations

import time


def has_fts(table) -> bool:
    """True when ``table`` has a full-text index on ``text``."""
    return any(str(ix.index_type).upper() in ("FTS", "INVERTED") for ix in table.list_indices())


def refresh_all(store) -> dict[str, float]:
    """Bring every index of ``store`` up to date (the writer holds the lock); seconds per step."""
    from app.news import reprint_index
    from app.search import postings, vector_index

    times: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round(now - t, 4)
        t = now

    if store.passages.count_rows() and not has_fts(store.passages):
        from lancedb.index import FTS

        # Positions: phrase queries ("a quoted query") need them.
        store.passages.create_index("text", config=FTS(with_position=True), replace=True)
    lap("fts_create")
    vector_index.refresh(store)
    lap("vectors")
    # Compaction, and new rows added to the existing FTS and vector indexes (delta segments).
    store.passages.optimize()
    store.documents.optimize()
    lap("optimize")
    if store.vocab_model():
        postings.refresh(store)
    lap("postings")
    reprint_index.refresh(store)
    lap("reprints")
    return times
