"""Index maintenance after an index run: every structure is extended by what changed, none rebuilt.

- full text (LanceDB native FTS): created once; ``optimize()`` indexes new fragments after that.
- dense vectors: exact below a measured size, then an IVF index extended by ``optimize()`` and retrained
  only when the collection doubled (app.search.vector_index).
- sparse postings: persisted column layout, updated by the changed documents (app.search.postings).
- reprint LSH: persisted, updated by the changed news documents (app.news.reprint_index).
"""

from __future__ import annotations

import os
import time

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


def should_optimize(store, table) -> bool:
    """True when ``table`` has enough rows outside its indexes, or enough small fragments, to compact now."""
    rows = table.count_rows()
    if rows == 0:
        return False
    unindexed = 0
    for ix in table.list_indices():
        stats = table.index_stats(ix.name)
        if stats is not None:
            unindexed = max(unindexed, stats.num_unindexed_rows)
    small = table.stats()["fragment_stats"]["num_small_fragments"]
    return unindexed >= min(optimize_min_rows(store), max(1, OPTIMIZE_FRACTION * rows)) \
        or small > OPTIMIZE_MAX_FRAGMENTS


def scalar_indexed(table) -> set[str]:
    """Columns of ``table`` with a BTree index."""
    return {c for ix in table.list_indices() if str(ix.index_type).upper() == "BTREE" for c in ix.columns}


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
    # Id lookups (a result's full row, a document's passages to replace, a document's metadata) are
    # ``IN (...)`` filters: without a scalar index each one scans the whole column (1M rows at scale).
    for table, column in ((store.passages, "passage_id"), (store.passages, "doc_id"), (store.documents, "doc_id")):
        if table.count_rows() and column not in scalar_indexed(table):
            from lancedb.index import BTree

            table.create_index(column, config=BTree(), replace=True)
    lap("id_indexes")
    vector_index.refresh(store)
    lap("vectors")
    # Compaction, and new rows added to the existing FTS and vector indexes (delta segments).
    if should_optimize(store, store.passages):
        store.passages.optimize()
    if store.documents.stats()["fragment_stats"]["num_small_fragments"] > OPTIMIZE_MAX_FRAGMENTS:
        store.documents.optimize()
    lap("optimize")
    if store.vocab_model():
        postings.refresh(store)
    lap("postings")
    reprint_index.refresh(store)
    lap("reprints")
    return times
