"""Index maintenance after an index run: every structure is extended by what changed, none rebuilt.

- full text (LanceDB native FTS): created once; ``optimize()`` indexes new fragments after that.
- dense vectors: exact below a measured size, then an IVF index extended by ``optimize()`` and retrained
  only when the collection doubled (app.search.vector_index).
- sparse postings: persisted column layout, updated by the changed documents (app.search.postings_store).
- reprint LSH: persisted, updated by the changed news documents (app.news.reprint_index).
"""

from __future__ import annotations

import os
import time

from app.faults import fault

# optimize() compacts small fragments into large ones and folds new rows into the FTS and vector
# indexes. Compaction rewrites every fragment under LanceDB's 1M-row target, so after a small change it
# can rewrite most of a large table (34 s for a one-file change at 100k passages, bench/scale.py). Until
# this many rows (or this share of the table) are outside the indexes, they are searched by LanceDB's
# flat scan beside the indexes instead, and the sparse postings are updated regardless.
OPTIMIZE_MIN_ROWS = 20_000
OPTIMIZE_FRACTION = 0.05
# ...or once this many small fragments (one per write batch) have piled up.
OPTIMIZE_MAX_FRAGMENTS = 64


def optimize_min_rows(store) -> int:
    """Unindexed rows that trigger optimize(): ``store.optimize_min_rows``, ``LEXISCOPE_OPTIMIZE_MIN_ROWS``, or default."""
    value = getattr(store, "optimize_min_rows", None)
    if value is None:
        value = int(os.environ.get("LEXISCOPE_OPTIMIZE_MIN_ROWS", OPTIMIZE_MIN_ROWS))
    return int(value)


def should_optimize(store, table: str = "passages") -> bool:
    """True when ``table`` has enough rows outside its indexes, or enough small fragments, to compact now."""
    rows = store.row_count(table)
    if rows == 0:
        return False
    unindexed = store.unindexed_rows(table)
    small = store.small_fragments(table)
    return unindexed >= min(optimize_min_rows(store), max(1, OPTIMIZE_FRACTION * rows)) \
        or small > OPTIMIZE_MAX_FRAGMENTS


def finish(store) -> dict[str, float]:
    """After a writer's run (holding the lock): bring every index up to date and clear the store's
    "unfinished" mark; seconds per step. Writers call this, so the store never calls up into search."""
    fault("finish")
    times = refresh_all(store)
    store.mark_finished()
    return times


def refresh_all(store) -> dict[str, float]:
    """Bring every index of ``store`` up to date (the writer holds the lock); seconds per step."""
    from app.news import reprint_index
    from app.search import postings_store, vector_index

    times: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round(now - t, 4)
        t = now

    store.ensure_text_index()
    lap("fts_create")
    store.ensure_id_indexes()
    lap("id_indexes")
    vector_index.refresh(store)
    lap("vectors")
    # Compaction, and new rows added to the existing FTS and vector indexes (delta segments).
    if should_optimize(store, "passages"):
        store.optimize("passages")
    if store.small_fragments("documents") > OPTIMIZE_MAX_FRAGMENTS:
        store.optimize("documents")
    lap("optimize")
    if store.vocab_model():
        postings_store.refresh(store)
    lap("postings")
    reprint_index.refresh(store)
    lap("reprints")
    return times
