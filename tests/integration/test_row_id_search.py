"""Id-only searches (the retrievers' hits) come back from LanceDB as row ids and are mapped to passage ids by
the store (app.store.reads): the same passages and scores as selecting the ``passage_id`` column, through
writes, deletes, compaction and a swapped-in passages table, on a real index."""

from __future__ import annotations

import time

import numpy as np

from app.search.indexes import finish
from app.store import Store, VectorColumn

WORDS = ["strike", "docks", "harbour", "wheat", "market", "river", "steamer", "cargo", "mayor", "union",
         "fair", "cattle", "bridge", "flood", "election", "army"]
VECTORS = (VectorColumn("vec_text", 8, "test-vectors"),)


def _doc(d: int) -> dict:
    return {"doc_id": f"d{d}", "parent": "", "path": f"/c/d{d}.txt", "root": "/c", "folder": "/c", "kind": "news",
            "title": f"doc {d}", "date": f"1916-{1 + d % 12:02d}-05", "mtime": 1.0, "size": 1,
            "content_hash": f"h{d}", "state": "indexed", "reason": "", "meta": "{}", "thumb": "", "n_passages": 3,
            "indexed_at": time.time()}


def _passages(d: int, rng) -> list[dict]:
    rows = []
    for n in range(3):
        words = rng.choice(WORDS, size=12).tolist()
        vec = rng.standard_normal(8).astype(np.float32)
        rows.append({"passage_id": f"d{d}:{n}", "doc_id": f"d{d}", "path": f"/c/d{d}.txt", "folder": "/c",
                     "kind": "news", "title": f"doc {d}", "date": "1916-01-05", "ordinal": n, "start": 0, "end": 80,
                     "text": " ".join(words), "source": "The Sun", "place": "", "entities": [], "sparse_ids": [],
                     "sparse_w": [], "enriched": "", "vec_text": (vec / np.linalg.norm(vec)).tolist()})
    return rows


def _write(store: Store, docs: range, rng) -> None:
    with store.lock():
        for d in docs:
            store.write_batch([_doc(d)], _passages(d, rng))
        finish(store)


def _by_ids_and_by_column(store: Store, rng) -> list[str]:
    """Check both ways of searching agree for a few queries; return every passage id the row-id way found."""
    found: list[str] = []
    for query in ("strike docks", "wheat market river", "cargo", "army election flood"):
        for where in (None, "date >= '1916-01-01'"):
            # A limit above the number of passages: no tie at a cut; equal scores may come in either order.
            ids = store.full_text_search(query, where=where, limit=200, columns=["passage_id"])
            cols = store.full_text_search(query, where=where, limit=200, columns=["passage_id", "doc_id"])
            assert [s for _, s in ids] == [s for _, s in cols]
            assert sorted((s, r["passage_id"]) for r, s in ids) == sorted((s, r["passage_id"]) for r, s in cols)
            found += [r["passage_id"] for r, _ in ids]
    for _ in range(3):
        q = rng.standard_normal(8).astype(np.float32)
        ids = store.vector_search(q, "vec_text", limit=20, columns=["passage_id"])
        cols = store.vector_search(q, "vec_text", limit=20, columns=["passage_id", "doc_id"])
        assert [(r["passage_id"], s) for r, s in ids] == [(r["passage_id"], s) for r, s in cols]
        found += [r["passage_id"] for r, _ in ids]
    return found


def test_id_searches_map_row_ids_to_the_passages_a_column_select_finds(home):
    rng = np.random.default_rng(7)
    writer = Store(home, vectors=VECTORS)
    _write(writer, range(0, 12), rng)
    reader = Store(home)
    found = _by_ids_and_by_column(reader, rng)
    assert found and reader._row_map is not None  # the row-id way was taken, and found passages
    first_map = reader._row_map

    # New rows (a new version, new fragments): the map is rebuilt and they are found.
    _write(writer, range(12, 20), rng)
    reader.see_latest()
    found = _by_ids_and_by_column(reader, rng)
    assert reader._row_map is not first_map
    assert any(int(p.split(":")[0][1:]) >= 12 for p in found)

    # Deleted documents never come back, and compaction (which moves rows to new row ids) changes nothing.
    with writer.lock():
        writer.delete_documents(["d0", "d1", "d2"])
        writer.delete_passages_of(["d0", "d1", "d2"])
        writer.optimize("passages")
    reader.see_latest()
    found = _by_ids_and_by_column(reader, rng)
    assert found and not {p.split(":")[0] for p in found} & {"d0", "d1", "d2"}


def test_a_swapped_in_passages_table_is_mapped_afresh(home):
    rng = np.random.default_rng(8)
    store = Store(home, vectors=VECTORS)
    _write(store, range(0, 10), rng)
    _by_ids_and_by_column(store, rng)
    old_key = store._row_map[0]
    # New models: the passages are copied into a new table (new row ids, version numbers from 1 again) and
    # the folders swapped; a reader in another process reopens the store after indexing (app.ui.search_process).
    with store.lock():
        store.recreate_passages(store.passages.schema, [f.name for f in store.passages.schema])
        finish(store)
    found = _by_ids_and_by_column(store, rng)
    assert found and store._row_map[0] != old_key and store._row_map[0][2] != old_key[2]  # another folder


def test_a_pinned_search_reads_each_version_once(home, monkeypatch):
    rng = np.random.default_rng(9)
    writer = Store(home, vectors=VECTORS)
    _write(writer, range(0, 4), rng)
    reader = Store(home)
    reads = []
    real = type(reader.passages).version

    def counted(table):  # LanceDB's own version read, counted
        reads.append(table)
        return real.fget(table)

    monkeypatch.setattr(type(reader.passages), "version", property(counted))
    with reader.pinned():
        before = reader.passages_version()
        _write(writer, range(4, 6), rng)  # another writer commits while the search runs
        reader.see_latest()
        assert reader.passages_version() == before  # one version for the whole search
        assert _by_ids_and_by_column(reader, rng)
    assert [t for t in reads if t is reader.passages] == [reader.passages]  # read once
    assert reader.passages_version() > before  # unpinned: the new version
