"""Index structures over their life, on real LanceDB: created, grown past the ANN threshold, updated by
a small change without a rebuild, and reopened by a new process without rebuilding anything."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.news import reprint_index
from app.news.reprints import signature
from app.search import postings_store, vector_index
from app.search.lexical import bm25
from app.search.indexes import finish
from app.store import Store, VectorColumn

DIM = 16
WORDS = ("harbor strike docks union wages steamer cargo mayor council railroad bridge river cotton wheat "
         "market election senate treaty border army navy fire storm flood school church").split()


def _doc(doc_id: str, n: int, kind: str = "text", meta: str = "{}") -> dict:
    return {"doc_id": doc_id, "parent": "", "path": f"/c/{doc_id}.txt", "root": "/c", "folder": "/c", "kind": kind,
            "title": doc_id, "date": "1916-01-05", "mtime": 1.0, "size": 1, "content_hash": doc_id, "state": "indexed",
            "reason": "", "meta": meta, "thumb": "", "n_passages": n, "indexed_at": time.time()}


def _passages(doc_id: str, n: int, rng: np.random.Generator, extra: str = "") -> list[dict]:
    rows = []
    for i in range(n):
        words = list(rng.choice(WORDS, size=12)) + ([extra] if extra else [])
        ids = np.unique(rng.integers(1000, 1400, size=10)).astype(np.int32)
        vec = rng.standard_normal(DIM).astype(np.float32)
        rows.append({"passage_id": f"{doc_id}:{i}", "doc_id": doc_id, "path": f"/c/{doc_id}.txt", "folder": "/c",
                     "kind": "text", "title": doc_id, "date": "1916-01-05", "ordinal": i, "start": 0, "end": 10,
                     "text": " ".join(words), "source": "", "place": "", "entities": [],
                     "sparse_ids": ids.tolist(), "sparse_w": rng.random(len(ids)).astype(np.float32).tolist(),
                     "vec_text": (vec / np.linalg.norm(vec)).tolist()})
    return rows


def _add(store: Store, rng, first: int, docs: int, per_doc: int = 10) -> None:
    for d in range(first, first + docs):
        store.write_batch([_doc(f"d{d}", per_doc)], _passages(f"d{d}", per_doc, rng))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "home", vectors=(VectorColumn("vec_text", DIM, "test-vectors"),), vocab_model="test-vocab")
    s.ann_min_rows = 300
    return s


def _all_rows(store: Store) -> list[dict]:
    return store.passages.search().select(["passage_id", "sparse_ids", "sparse_w", "vec_text"]).limit(None).to_arrow().to_pylist()


def _exact_sparse(store: Store, q_ids, q_w, depth: int) -> list[tuple[str, float]]:
    q = dict(zip(q_ids.tolist(), np.asarray(q_w, dtype=np.float64).tolist()))
    scored = []
    for r in _all_rows(store):
        s = sum(q.get(t, 0.0) * float(np.float32(w)) for t, w in zip(r["sparse_ids"], r["sparse_w"]))
        if s > 0:
            scored.append((r["passage_id"], s))
    scored.sort(key=lambda x: -x[1])
    return scored[:depth]


def _assert_same_top(got, want):
    assert [p for p, _ in got] == [p for p, _ in want] or (
        # equal scores may come in either order: compare as (score, set of ids at that score)
        sorted(round(s, 9) for _, s in got) == sorted(round(s, 9) for _, s in want)
    )
    assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-9, atol=1e-9)


def _index_uuid(store: Store, kind: str) -> str | None:
    for ix in store.passages.list_indices():
        if kind in str(ix.index_type).upper():
            return ix.index_uuid
    return None


def test_lifecycle_create_grow_update_reopen(store, monkeypatch):
    rng = np.random.default_rng(7)
    q_ids, q_w = np.array([1001, 1050, 1100, 1222, 1399], dtype=np.int32), np.array([0.5, 1.0, 0.25, 2.0, 0.75])

    # Passages without vectors yet (the words pass) do not count towards the threshold.
    rows = _passages("w0", 400, rng)
    for r in rows:
        r["vec_text"] = None
    store.write_batch([_doc("w0", 400)], rows)
    finish(store)
    assert store.indexed_columns("vector") == set()
    store.delete_documents(["w0"])

    # Create: below the threshold, no vector index (exact search); FTS and postings exist.
    _add(store, rng, 0, 20)
    finish(store)
    assert store.indexed_columns("vector") == set()
    assert [p.action for p in vector_index.plan(store)] == ["none"]
    assert store.indexed_columns("text") == {"text"}
    assert store.indexed_columns("id") == {"passage_id", "doc_id"} and store.indexed_columns("id", "documents") == {"doc_id"}
    saved = postings_store.load(store)
    assert saved is not None and saved.table_version == store.passages.version and saved.n_alive == 200
    _assert_same_top(saved.top(q_ids, q_w, 100), _exact_sparse(store, q_ids, q_w, 100))

    # Grow past the threshold: the IVF index is trained once, on every row.
    _add(store, rng, 20, 20)
    finish(store)
    assert store.indexed_columns("vector") == {"vec_text"}
    assert vector_index.load_state(store)["vec_text"]["trained_rows"] == 400
    vec_uuid = _index_uuid(store, "IVF")

    # A small change: one document re-indexed with new text, one removed, one added.
    store.write_batch([_doc("d3", 4)], _passages("d3", 4, rng, extra="zeppelin"))
    store.delete_documents(["d5"])
    _add(store, rng, 40, 1)
    created = []
    monkeypatch.setattr(store.passages, "create_index", lambda *a, **k: created.append(a))
    times = finish(store)
    monkeypatch.undo()
    assert set(times) >= {"fts_create", "vectors", "optimize", "postings", "reprints"}
    # Nothing was rebuilt (no index created) and, for 14 new rows, nothing compacted: they are searched
    # by LanceDB's flat scan beside the indexes until enough accumulate.
    assert created == []
    assert {store.passages.index_stats(ix.name).num_unindexed_rows for ix in store.passages.list_indices()} == {14}
    assert sorted(r["passage_id"] for r, _ in bm25(store, "zeppelin", None, 50)) == [f"d3:{i}" for i in range(4)]
    # Past the threshold, optimize() folds them into the existing indexes (still no index created).
    store.optimize_min_rows = 10
    monkeypatch.setattr(store.passages, "create_index", lambda *a, **k: created.append(a))
    finish(store)
    monkeypatch.undo()
    assert created == []
    for ix in store.passages.list_indices():
        assert store.passages.index_stats(ix.name).num_unindexed_rows == 0
    assert sorted(r["passage_id"] for r, _ in bm25(store, "zeppelin", None, 50)) == [f"d3:{i}" for i in range(4)]
    p = postings_store.load(store)
    assert len(p.segments) == 2 and p.n_alive == store.passages.count_rows() == 404 - 10 + 0
    _assert_same_top(p.top(q_ids, q_w, 100), _exact_sparse(store, q_ids, q_w, 100))

    # The dense search with the index gives the exact top-10 (every partition probed at this size).
    from app.search.retrievers import ModelRetriever

    rows = _all_rows(store)
    mat = np.array([r["vec_text"] for r in rows], dtype=np.float32)
    for seed in range(5):
        q = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        q /= np.linalg.norm(q)
        hits = ModelRetriever._vector_search(store, q, "vec_text", None, 10, {"vec_text"})
        exact = [rows[i]["passage_id"] for i in np.argsort(-(mat @ q))[:10]]
        assert [h["passage_id"] for h, _ in hits] == exact

    # Reopen (a new process): the saved postings are used as they are, nothing is rebuilt.
    def no_build(_store):
        raise AssertionError("postings rebuilt on reopen")

    monkeypatch.setattr(postings_store, "build", no_build)
    reopened = Store(store.root)
    got = postings_store.Cache().get(reopened)
    assert got.table_version == reopened.passages.version and got.n_alive == 394
    monkeypatch.undo()

    # Doubling the collection retrains the vector index.
    _add(store, rng, 41, 41)  # 394 + 410 >= 2 x 400
    finish(store)
    assert _index_uuid(store, "IVF") != vec_uuid
    assert vector_index.load_state(store)["vec_text"]["trained_rows"] == store.passages.count_rows()


def test_reader_applies_a_delta_without_the_writer_refresh(store):
    rng = np.random.default_rng(3)
    _add(store, rng, 0, 5)
    finish(store)
    cache = postings_store.Cache()
    cache.get(store)
    store.write_batch([_doc("d1", 3)], _passages("d1", 3, rng))  # an index run in progress: no finish yet
    p = cache.get(store)
    assert p.table_version == store.passages.version and len(p.segments) == 2 and p.n_alive == 43
    q_ids = np.arange(1000, 1400, 7, dtype=np.int32)
    q_w = np.ones(len(q_ids))
    _assert_same_top(p.top(q_ids, q_w, 100), _exact_sparse(store, q_ids, q_w, 100))


def test_many_small_runs_keep_few_postings_segments(store):
    """Each run that changes something appends a postings segment; past postings_store.MAX_SEGMENTS the appended ones
    are merged into one, long before the changed rows reach the share that rebuilds everything, and the
    sparse search stays the exact one."""
    rng = np.random.default_rng(11)
    _add(store, rng, 0, 30)  # 300 passages: the 12 changed below stay under COMPACT_FRACTION
    finish(store)
    counts = []
    for run in range(postings_store.MAX_SEGMENTS + 4):
        # One file changed (d0, a new passage each time: a watched note saved again) and one file added.
        store.write_batch([_doc("d0", 1)], _passages("d0", 1, rng, extra=f"edit{run}"))
        _add(store, rng, 100 + run, 1, per_doc=1)
        finish(store)
        counts.append(len(postings_store.load(store).segments))
    assert max(counts) == postings_store.MAX_SEGMENTS and counts[-1] < postings_store.MAX_SEGMENTS  # grew, then merged
    p = postings_store.load(store)
    assert p.segments[0].n_rows == 300  # the first segment kept, not rebuilt
    assert p.n_alive == store.passages.count_rows() == 290 + 1 + postings_store.MAX_SEGMENTS + 4
    q_ids = np.arange(1000, 1400, 3, dtype=np.int32)
    q_w = np.random.default_rng(2).random(len(q_ids))
    _assert_same_top(p.top(q_ids, q_w, 100), _exact_sparse(store, q_ids, q_w, 100))
    # A reader during an index run applies each write as a delta and merges nothing (the run's rows can be
    # many; the writer's postings replace these when it ends).
    while len(postings_store.load(store).segments) < postings_store.MAX_SEGMENTS:
        _add(store, rng, 200 + len(postings_store.load(store).segments), 1, per_doc=1)
        finish(store)
    _add(store, rng, 300, 1, per_doc=1)  # written, not finished
    during = postings_store.Cache().get(store)
    assert len(during.segments) == postings_store.MAX_SEGMENTS + 1
    _assert_same_top(during.top(q_ids, q_w, 100), _exact_sparse(store, q_ids, q_w, 100))


def test_a_run_that_rebuilds_the_postings_does_not_merge_them_first(store, monkeypatch):
    """Past MAX_SEGMENTS and past the changed-row share at once, the writer rebuilds everything: merging the
    appended segments before that (up to a fifth of the index) would be work thrown away."""
    rng = np.random.default_rng(12)
    _add(store, rng, 0, 30)
    finish(store)
    for run in range(postings_store.MAX_SEGMENTS - 1):
        _add(store, rng, 100 + run, 1, per_doc=1)
        finish(store)
    assert len(postings_store.load(store).segments) == postings_store.MAX_SEGMENTS

    def no_merge(_segments):
        raise AssertionError("merged before a rebuild")

    monkeypatch.setattr(postings_store, "merge_segments", no_merge)
    _add(store, rng, 200, 10)  # 100 passages more: past the changed-row share
    finish(store)
    p = postings_store.load(store)
    assert len(p.segments) == 1 and p.n_alive == store.passages.count_rows() == 300 + postings_store.MAX_SEGMENTS - 1 + 100


STORY = ("The steamer Ancona was sunk by a submarine in the Mediterranean with many passengers aboard, "
         "and the government at Washington has asked Vienna for a full account of the attack, "
         "while survivors landed at Malta described the shelling of lifeboats and the panic aboard.")
OTHER = ("The county fair opened yesterday with record crowds, prize cattle from every township, "
         "a balloon ascension in the afternoon, and a band concert that lasted until midnight, "
         "while the ladies auxiliary sold pies to benefit the new hospital building fund.")


def _news(doc_id: str, text: str) -> dict:
    import json

    sig = signature(text)
    assert sig
    return _doc(doc_id, 0, kind="news", meta=json.dumps({"newspaper": doc_id, "articles": [[0, len(text), "t", sig]]}))


def test_reprint_index_is_persisted_and_updated_by_changed_documents(store):
    store.write_batch([_news("a", STORY), _news("b", STORY.replace("Malta", "Malt")), _news("c", OTHER)], [])
    finish(store)
    saved = reprint_index.load(store)
    assert saved is not None and saved.version == store.documents.version
    sig_a = saved.info["a|0"]["_sig"]
    assert set(saved.query(sig_a)) >= {"a|0", "b|0"} and "c|0" not in saved.query(sig_a)

    store.write_batch([_news("d", STORY.replace("Vienna", "Vienn"))], [])
    store.delete_documents(["b"])
    finish(store)
    idx = reprint_index.load(store)
    assert sorted(idx.keys) == ["a|0", "c|0", "d|0"]
    assert "d|0" in idx.query(sig_a) and "b|0" not in idx.query(sig_a)


def test_reprint_banding_matches_datasketch():
    from datasketch import LeanMinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.3, num_perm=64, weights=(0.1, 0.9))
    assert (lsh.b, lsh.r) == (reprint_index.BANDS, reprint_index.ROWS)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, size=(20, 64), dtype=np.uint64)
    sigs = base[rng.integers(0, 20, 200)].copy()
    noise = rng.random(sigs.shape) < 0.7
    sigs[noise] = rng.integers(0, 2**32, size=int(noise.sum()), dtype=np.uint64)
    keys = [f"k{i}" for i in range(len(sigs))]
    for k, s in zip(keys, sigs):
        lsh.insert(k, LeanMinHash(seed=1, hashvalues=s, scheme="affine32"))
    ours = reprint_index.ReprintIndex(keys, sigs.astype(np.uint32), [{"doc_id": k} for k in keys], 1, 0.0)
    for s in sigs[:30]:
        assert sorted(ours.query(s.astype(np.uint32))) == sorted(lsh.query(LeanMinHash(seed=1, hashvalues=s, scheme="affine32")))
