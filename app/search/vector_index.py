"""Dense vector indexes: exact search while the collection is small, an ANN index once it is not.

Below ``min_rows`` passages (default :data:`ANN_MIN_ROWS`, measured with ``bench/scale.py``) a dense
query is an exact flat scan in LanceDB: at that size it is already fast, and an index would cost more to
train than it saves. At or above it, the indexer (:func:`refresh`, called after every index run) trains
a LanceDB IVF index on the vector column; later runs only add their new rows to it (LanceDB
``optimize()`` indexes new fragments as delta indices), and the index is retrained from scratch only
when the collection has doubled since it was trained (the IVF centroids then describe too little of it).

Rows not yet covered by the index (written since the last run) are still found: LanceDB scans them flat
beside the index. Query settings (``nprobes``, ``refine_factor``) come from :func:`query_params`; they are
chosen for recall@10 >= 0.98 against exact search (bench/scale.py measures it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from app.store import VECTOR_INDEX_FILE

# Measured (bench/scale.py, 2-core AVX2 box): a flat scan of 384-d vectors costs ~1 ms per 1,000 rows
# in LanceDB; under ~50,000 rows it stays within the hybrid budget and needs no training.
ANN_MIN_ROWS = 50_000
# Retrain when the table has grown this many times past the rows the index was trained on.
RETRAIN_GROWTH = 2.0
# Query side: partitions probed and the refine factor (exact re-ranking of refine * k candidates with
# the full vectors). See bench/README.md for the recall they give.
# Measured on the 1M-passage bench index (1,000 partitions): nprobes 20 / refine 4 gave recall@10 0.69,
# 50 / 10 gave 0.975, 100 / 10 gave 1.0 (20 queries, 62 ms p50 cold cache, ~30 ms warm). With the exact
# re-rank of the 100 rows a search asks for (51 queries, sixth session): nprobes 50 / 60 / 70 / 100 gave
# recall@10 0.980 / 0.994 / 1.000 / 1.000 at 16.6 / 16.3 / 17.6 / 21.2 ms p50 alone; 70 keeps 1.000.
NPROBES = 70
REFINE_FACTOR = 10
# The refine step re-reads REFINE_FACTOR * limit full vectors from disk; a search asks for 100+ rows (fusion
# depth), so the factor is scaled to re-rank about REFINE_ROWS rows in all (at least 1: the limit's own rows,
# re-ranked exactly; Store.vector_search always asks for that much, see there).
# Measured on the 1M bench index, 20 queries, limit 100, nprobes 100: refine 10 / 2 / 1 all gave recall@10
# 1.000 vs exact, at 128 / 279 / 97 ms p50 (load ~13; refine 10 at limit 100 reads 1,000 vectors). Without
# the exact re-rank (LanceDB's quantised order) recall@10 was 0.955 (51 queries, nprobes 100).
REFINE_ROWS = 100
# Where the store can (app.store.lance_view: an unfiltered search, pylance installed), it re-ranks exactly only this
# many of the index's best rows and leaves the rest at their quantised scores. Measured on the 1M bench index
# (51 queries twice, nprobes 70, eighth session): re-ranking 0 / 20 / 30 / 50 / 100 rows gave recall@10
# 0.955 / 1.000 / 1.000 / 1.000 / 1.000 at 10.0 / 15.2 / 15.4 / 16.2 / 17.0 ms p50 alone, against 20.9 ms
# for LanceDB's query re-ranking 100.
RERANK_ROWS = 20
# Sidecar file next to the tables (named by the store, which deletes it when it replaces the passages
# table); versioned like everything we persist.
STATE_FILE = VECTOR_INDEX_FILE
STATE_VERSION = 1


@dataclass(frozen=True)
class Plan:
    """What :func:`refresh` decided for one vector column."""

    column: str
    action: str  # "none" (exact search) | "create" | "update" | "retrain"
    rows: int  # passages with a vector for "create" / "retrain"; all passages otherwise (the cheap count)


def min_rows(store) -> int:
    """The ANN threshold for ``store``: its ``ann_min_rows`` attribute, ``LEXISCOPE_ANN_MIN_ROWS``, or the default."""
    value = getattr(store, "ann_min_rows", None)
    if value is None:
        value = int(os.environ.get("LEXISCOPE_ANN_MIN_ROWS", ANN_MIN_ROWS))
    return int(value)


def _state_path(store):
    return store.root / "index" / STATE_FILE


def load_state(store) -> dict:
    """The sidecar record of trained indexes: {column: {"trained_rows": n}} (empty when none or unreadable)."""
    try:
        raw = json.loads(_state_path(store).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if raw.get("version") != STATE_VERSION:
        return {}
    return raw.get("columns", {})


def _save_state(store, columns: dict) -> None:
    path = _state_path(store)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": STATE_VERSION, "columns": columns}), encoding="utf-8")
    os.replace(tmp, path)


def plan(store) -> list[Plan]:
    """Per dense vector column, what :func:`refresh` would do now."""
    have = store.indexed_columns("vector")
    state = load_state(store)
    total = store.passage_count()  # from the table's metadata: free
    out = []
    for col in store.vector_columns():
        # Only rows with a vector count: the words pass writes passages before the models pass fills them
        # (app.enrich), and an index cannot be trained on nulls. Counting them scans the vector column
        # (9.5 s at 1M passages), so it is done only when the total says the answer could be yes.
        if col.name in have:
            trained = int(state.get(col.name, {}).get("trained_rows", total))
            grown = total >= RETRAIN_GROWTH * max(trained, 1)
            rows = store.rows_with_vector(col.name) if grown else total
            action = "retrain" if rows >= RETRAIN_GROWTH * max(trained, 1) else "update"
        else:
            rows = store.rows_with_vector(col.name) if total >= min_rows(store) else total
            action = "create" if rows >= min_rows(store) else "none"
        out.append(Plan(col.name, action, rows))
    return out


def refresh(store) -> list[Plan]:
    """Create, extend or retrain the dense indexes after an index run (the writer holds the lock).

    "update" needs nothing here: the caller's ``optimize()`` adds new rows to existing indexes.
    """
    plans = plan(store)
    state = load_state(store)
    for p in plans:
        if p.action in ("create", "retrain"):
            store.create_vector_index(p.column, p.rows)
            state[p.column] = {"trained_rows": p.rows}
    if any(p.action in ("create", "retrain") for p in plans):
        _save_state(store, state)
    return plans


def refine_factor(limit: int) -> int:
    """The refine factor for a query of ``limit`` rows: REFINE_FACTOR at 10 rows, 1 (the limit's own rows
    re-ranked exactly) at 100 or more."""
    return max(1, min(REFINE_FACTOR, -(-REFINE_ROWS // max(1, limit))))


def query_params(indexed: bool, limit: int = 10) -> dict[str, int]:
    """The ANN settings (Store.vector_search's ``nprobes``, ``refine_factor``, ``rerank``) for a query of ``limit`` rows;
    none when the column has no index (an exact scan)."""
    if not indexed:
        return {}
    return {"nprobes": NPROBES, "refine_factor": refine_factor(limit), "rerank": RERANK_ROWS}
