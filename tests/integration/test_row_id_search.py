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
    queries = [rng.standard_normal(8).astype(np.float32) for _ in range(3)]

    def id_searches() -> list:
        words = [reader.full_text_search(q, where=w, limit=200, columns=["passage_id"])
                 for q in ("strike docks", "cargo") for w in (None, "date >= '1916-01-01'")]
        return words + [reader.vector_search(q, "vec_text", limit=20, columns=["passage_id"]) for q in queries]

    with reader.pinned():
        before = reader.passages_version()
        seen = id_searches()
        assert all(seen)
        _write(writer, range(4, 6), rng)  # another writer commits while the search runs
        reader.see_latest()
        assert reader.passages_version() == before  # one version for the whole search
        assert id_searches() == seen  # its queries still read the version it pinned, not the new rows
    assert [t for t in reads if t is reader.passages] == [reader.passages]  # read once
    assert reader.passages_version() > before  # unpinned: the new version
    assert id_searches() != seen  # the new rows found
    assert _by_ids_and_by_column(reader, rng)


def test_an_ann_search_scores_by_cosine_whether_or_not_rows_are_outside_the_index(home, monkeypatch):
    """LanceDB's cosine IVF index returns squared L2 of normalised vectors, 2 (1 - cos), in its quantised
    order unless the hits are re-ranked exactly. The store's quick search (app.store.lance_view) re-ranks the
    index's best ``rerank`` rows exactly and compares the rows outside the index exactly; the rest keep the
    index's 8-bit estimate. Its top 10 is exact search's, before and after new rows arrive; without pylance
    (LanceDB's query) every score is exact."""
    import app.lazy_import
    from app.search.vector_index import RERANK_ROWS, query_params

    rng = np.random.default_rng(11)
    writer = Store(home, vectors=VECTORS)
    writer.ann_min_rows = 100
    _write(writer, range(0, 60), rng)  # 180 passages: the index covers them all
    assert "vec_text" in writer.indexed_columns("vector")
    assert writer.unindexed_rows("passages") == 0
    reader = Store(home)

    def check(estimates: bool) -> set[str]:
        rows = reader.passage_rows("passage_id != ''", ["passage_id", "vec_text"])
        mat = np.asarray([r["vec_text"] for r in rows], dtype=np.float64)
        mat /= np.linalg.norm(mat, axis=1, keepdims=True)
        found = set()
        for _ in range(5):
            q = rng.standard_normal(8).astype(np.float32)
            exact = mat @ (q / np.linalg.norm(q))
            want = {rows[i]["passage_id"]: exact[i] for i in range(len(rows))}
            hits = reader.vector_search(q, "vec_text", limit=100, columns=["passage_id"],
                                        **query_params(True, 100) | {"nprobes": 64})
            got = [(r["passage_id"], s) for r, s in hits]
            assert len(got) == 100 and len({p for p, _ in got}) == 100
            off = [abs(score - want[pid]) for pid, score in got]
            exactly = sum(e < 1e-5 for e in off)
            assert exactly >= (RERANK_ROWS if estimates else 100), off
            assert max(off) < 0.02  # an 8-bit estimate of a cosine at worst
            best = sorted(want, key=lambda p: -want[p])[:10]
            assert [p for p, _ in got[:10]] == best
            found |= {p for p, _ in got}
        return found

    check(estimates=True)
    assert reader._view is not None and reader._view[1] is not None  # the quick search through pylance ran
    _write(writer, range(60, 62), rng)  # a few rows outside the index now (no optimize for so few)
    assert writer.unindexed_rows("passages") > 0
    reader.see_latest()
    found = check(estimates=True)
    outside = reader._memo[1]["outside vec_text"]
    assert outside is not None and len(outside[0]) == 6  # the new rows, compared exactly
    assert found & {f"d{d}:{n}" for d in (60, 61) for n in range(3)}

    def no_pylance():
        raise ImportError("no pylance")

    monkeypatch.setattr(app.lazy_import, "import_lance", no_pylance)
    reader._view = None
    check(estimates=False)  # LanceDB's query: every score re-ranked exactly
    assert reader._view is not None and reader._view[1] is None


def test_result_rows_are_read_by_row_id_and_never_as_another_passage(home):
    rng = np.random.default_rng(5)
    writer = Store(home, vectors=VECTORS)
    _write(writer, range(0, 8), rng)
    reader = Store(home)
    hits = [r for r, _ in reader.full_text_search("strike docks wheat cargo", limit=30, columns=["passage_id"])]
    assert hits and all("_rowid" in h for h in hits)
    by_id = {r["passage_id"]: r for r in reader.passages_with_ids([h["passage_id"] for h in hits], ["passage_id", "text"])}
    got = {r["passage_id"]: r for r in reader.passages_of_hits(hits, ["passage_id", "text"])}
    assert got == by_id

    # A hit whose row id names another passage (a table swapped in under a search) is read by its own id;
    # a hit without a row id (the sparse component's) too.
    a, b = hits[0], hits[1]
    mixed = [{"passage_id": a["passage_id"], "_rowid": b["_rowid"]}, {"passage_id": b["passage_id"]}]
    got = {r["passage_id"]: r for r in reader.passages_of_hits(mixed, ["passage_id", "text"])}
    assert got == {a["passage_id"]: by_id[a["passage_id"]], b["passage_id"]: by_id[b["passage_id"]]}

    # The document re-written after the search: its old row ids are deleted rows, its passages are read anew.
    doc = int(a["passage_id"].split(":")[0][1:])
    with writer.lock():
        writer.write_batch([_doc(doc)], [dict(p, text="flood flood bridge") for p in _passages(doc, rng)])
        finish(writer)
    reader.see_latest()
    got = {r["passage_id"]: r for r in reader.passages_of_hits(hits, ["passage_id", "text"])}
    assert set(got) == set(by_id)
    assert got[a["passage_id"]]["text"] == "flood flood bridge"


def test_result_rows_are_the_same_through_pylance_and_through_lancedb(home, monkeypatch):
    """Rows by row id come through pylance at the searched version; without pylance (the packaged app), or when
    its read fails, LanceDB reads the same rows."""
    import app.lazy_import

    rng = np.random.default_rng(9)
    _write(Store(home, vectors=VECTORS), range(0, 6), rng)
    reader = Store(home)
    hits = [r for r, _ in reader.full_text_search("strike docks wheat cargo", limit=30, columns=["passage_id"])]
    assert len(hits) >= 5
    through_pylance = sorted(reader.passages_of_hits(hits, ["passage_id", "text"]), key=lambda r: r["passage_id"])
    assert reader._view is not None and reader._view[1] is not None  # pylance did read them

    class Broken:  # a dataset whose files are gone
        version = reader._view[1].version

        def _take_rows(self, *args, **kwargs):
            raise OSError("fragment file not found")

        def to_table(self, *args, **kwargs):
            raise OSError("fragment file not found")

    reader._view = (reader._view[0], Broken())
    assert sorted(reader.passages_of_hits(hits, ["passage_id", "text"]), key=lambda r: r["passage_id"]) == through_pylance
    assert reader._view is None  # forgotten: the next search opens the version again
    # The searches too: LanceDB answers with the same hits, and the view is forgotten.
    words = reader.full_text_search("strike docks wheat cargo", limit=30, columns=["passage_id"])
    q = rng.standard_normal(8).astype(np.float32)
    nearest = reader.vector_search(q, "vec_text", limit=5, columns=["passage_id"])
    for search, want in ((lambda: reader.full_text_search("strike docks wheat cargo", limit=30, columns=["passage_id"]),
                          words), (lambda: reader.vector_search(q, "vec_text", limit=5, columns=["passage_id"]), nearest)):
        assert reader._passages_at_version() is not None
        reader._view = (reader._view[0], Broken())
        assert [(r["passage_id"], s) for r, s in search()] == [(r["passage_id"], s) for r, s in want]
        assert reader._view is None

    def no_pylance():
        raise ImportError("no pylance")

    monkeypatch.setattr(app.lazy_import, "import_lance", no_pylance)
    assert sorted(reader.passages_of_hits(hits, ["passage_id", "text"]), key=lambda r: r["passage_id"]) == through_pylance
    assert reader._view is not None and reader._view[1] is None  # LanceDB read them


def test_prewarm_loads_the_vector_and_full_text_indexes_and_changes_no_answer(home, monkeypatch):
    """``Store.prewarm_indexes`` loads the passages' IVF and full-text indexes into the views' shared Lance session
    (it returns the names of the indexes it loaded); the searches after it give the same hits as before; the next
    version's view shares that session (the cache outlives a write); without pylance it loads nothing."""
    import app.lazy_import
    from app.search.vector_index import query_params

    rng = np.random.default_rng(13)
    writer = Store(home, vectors=VECTORS)
    writer.ann_min_rows = 100
    _write(writer, range(0, 60), rng)
    q = rng.standard_normal(8).astype(np.float32)
    params = query_params(True, 20) | {"nprobes": 64}

    def answers(store: Store) -> tuple:
        words = store.full_text_search("strike docks wheat cargo", limit=30, columns=["passage_id"])
        near = store.vector_search(q, "vec_text", limit=20, columns=["passage_id"], **params)
        return [(r["passage_id"], s) for r, s in words], [(r["passage_id"], s) for r, s in near]

    unwarmed = Store(home)
    before = answers(unwarmed)
    reader = Store(home)  # nothing searched here yet: its cache holds no index
    view = reader._passages_at_version()
    cold = reader._view_session.index_cache_size_bytes()
    names = reader.prewarm_indexes()
    kinds = {i.name: i.index_type.upper() for i in view.describe_indices()}
    assert sorted(names) == sorted(n for n, t in kinds.items() if t.startswith(("IVF", "INVERTED")))
    assert {kinds[n][:3] for n in names} == {"IVF", "INV"}  # the vector index and the full-text one
    warm = reader._view_session.index_cache_size_bytes()
    assert warm > cold
    assert answers(reader) == before

    session, version = reader._view_session, view.version
    _write(writer, range(60, 62), rng)
    reader.see_latest()
    unwarmed.see_latest()
    assert answers(reader) == answers(unwarmed)
    assert reader._view[0][0] > version and reader._view_session.is_same_as(session)

    def no_pylance():
        raise ImportError("no pylance")

    monkeypatch.setattr(app.lazy_import, "import_lance", no_pylance)
    assert Store(home).prewarm_indexes() == []
