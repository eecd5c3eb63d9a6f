"""A lazy store (the words-only CLI search) reads the index through pylance: the same rows, BM25 hits and
scores as LanceDB's own reads, on a real index with FTS-indexed and not-yet-indexed rows."""

from __future__ import annotations

import time

import pytest

from app.search.engine import PASSAGE_COLUMNS, Searcher
from app.search.indexes import finish
from app.search.retriever import HIT_COLUMNS
from app.search.types import Filters
from app.store import Store
from tests.fixtures.no_pylance import block_pylance

TEXTS = [
    "The strike at the docks closed the harbour for a week; the union met the mayor at the docks.",
    "Dock workers strike again: cargo rots on the wharf while the steamer waits at the harbour.",
    "A quiet village fair with prize cattle and a brass band concert on the green.",
    "The council debated the bridge over the river and the price of wheat at the market.",
    "Strike, strike, strike: the railroad men walked out and the docks fell silent.",
    "Cotton and wheat prices rose at the market after the flood reached the river towns.",
    "The mayor spoke at the church about the school, the fire and the storm of last winter.",
    "At the docks a steamer unloaded cargo for the army and the navy before the election.",
]
QUERIES = ["strike at the docks", "docks", "wheat market river", '"at the docks"', "cargo steamer harbour",
           "nothing matches this zzz"]
FILTERS = [None, "kind = 'news'", "date >= '1916-03-01'", "source = 'The Sun' AND date <= '1916-06-30'"]


def _doc(i: int) -> dict:
    kind = "news" if i % 2 else "text"
    return {"doc_id": f"d{i}", "parent": "", "path": f"/c/d{i}.txt", "root": "/c", "folder": "/c", "kind": kind,
            "title": f"doc {i}", "date": f"1916-{1 + i % 12:02d}-05", "mtime": 1.0, "size": 1,
            "content_hash": f"h{i}", "state": "indexed", "reason": "", "meta": '{"newspaper": "x"}', "thumb": "",
            "n_passages": 2, "indexed_at": time.time()}


def _passages(i: int, text: str) -> list[dict]:
    doc = _doc(i)
    return [{"passage_id": f"d{i}:{n}", "doc_id": doc["doc_id"], "path": doc["path"], "folder": "/c", "kind": doc["kind"],
             "title": doc["title"], "date": doc["date"], "ordinal": n, "start": 0, "end": len(text), "text": part,
             "source": "The Sun" if i % 3 else "The Star", "place": "New York", "entities": ["LOC:New York"],
             "sparse_ids": [], "sparse_w": [], "enriched": ""}
            for n, part in enumerate([text, f"{text} Page {i} continues with the harbour news."])]


def _write(store: Store, first: int, texts: list[str]) -> None:
    with store.lock():
        for i, text in enumerate(texts, start=first):
            store.write_batch([_doc(i)], _passages(i, text))
        finish(store)  # the FTS index over what is there now (later rows stay outside it until optimize)


def _same_hits(got: list[tuple[dict, float]], want: list[tuple[dict, float]]) -> None:
    """The same scores in the same order, and the same rows at each score: passages with equal scores come
    in no defined order (either engine may swap them, and a tie at the cut may keep either)."""
    assert [score for _, score in got] == [score for _, score in want]
    cut = want[-1][1] if want else None

    def by_score(hits):
        out: dict[float, set] = {}
        for row, score in hits:
            if score != cut:  # a LanceDB hit also carries its row id, for reading its row later: not compared
                out.setdefault(score, set()).add(tuple(sorted((k, v) for k, v in row.items() if k != "_rowid")))
        return out

    assert by_score(got) == by_score(want)


def _results(response) -> list[dict]:
    """A response's results, equal scores in a fixed order (see _same_hits), without the rank that follows it."""
    rows = [{k: v for k, v in r.items() if k != "rank"} for r in response.to_json()["results"]]
    return sorted(rows, key=lambda r: (-r["score"], r["path"]))


def _same_reads(home) -> None:
    eager, lazy = Store(home), Store(home, lazy=True)
    for where in FILTERS:
        for query in QUERIES:
            phrase = query.startswith('"')
            text = query.strip('"')
            for depth in (3, 100):
                want = eager.full_text_search(text, phrase=phrase, where=where, limit=depth, columns=HIT_COLUMNS)
                got = lazy.full_text_search(text, phrase=phrase, where=where, limit=depth, columns=HIT_COLUMNS)
                _same_hits(got, want)
        only = ["d0:0", "d1:1", "d7:0", "d4:0"]
        _same_hits(lazy.full_text_search("docks harbour", where=where, passage_ids=only, limit=10, columns=HIT_COLUMNS),
                   eager.full_text_search("docks harbour", where=where, passage_ids=only, limit=10, columns=HIT_COLUMNS))
        key = lambda r: r["passage_id"]  # noqa: E731
        assert (sorted(lazy.passage_rows(where or "true", PASSAGE_COLUMNS), key=key)
                == sorted(eager.passage_rows(where or "true", PASSAGE_COLUMNS), key=key))
        assert sorted(lazy.passage_ids_matching(where or "true")) == sorted(eager.passage_ids_matching(where or "true"))
    assert sorted(lazy.document_rows(), key=lambda r: r["doc_id"]) == sorted(eager.document_rows(), key=lambda r: r["doc_id"])
    assert lazy.documents_version() == eager.documents_version()
    assert lazy.passages_version() == eager.passages_version()
    assert lazy.documents_with_passages() == eager.documents_with_passages()
    assert lazy.sparse_vectors().to_pylist() == eager.sparse_vectors().to_pylist()
    assert lazy.vector_columns() == eager.vector_columns() and lazy.vocab_model() == eager.vocab_model()
    assert lazy.counts() == eager.counts() and lazy.pass_counts() == eager.pass_counts()
    for query in QUERIES[:4]:
        for filters in (Filters(), Filters(kinds=("news",)), Filters(after="1916-04")):
            # k above the number of documents: every document is in, whichever way a tie went.
            want = _results(Searcher(eager).search(query, k=20, filters=filters, mode="lexical"))
            assert _results(Searcher(lazy).search(query, k=20, filters=filters, mode="lexical")) == want
    # Everything above was read through pylance: the lazy store never opened LanceDB.
    assert lazy._lance is not None and lazy._db is None


def test_lazy_reads_equal_lancedb_reads(home):
    _write(Store(home), 0, TEXTS[:6])
    assert Store(home).full_text_search("docks", limit=10, columns=HIT_COLUMNS)  # the index finds something to compare
    _same_reads(home)
    # A later run's rows sit outside the FTS index (searched by a flat scan beside it): still the same.
    _write(Store(home), 6, TEXTS[6:])
    hits = Store(home, lazy=True).full_text_search("docks", limit=100, columns=HIT_COLUMNS)
    assert {"d7:0", "d0:0"} <= {r["passage_id"] for r, _ in hits}
    _same_reads(home)


def test_lazy_store_opens_lancedb_on_first_use(home):
    _write(Store(home), 0, TEXTS[:3])
    lazy = Store(home, lazy=True)
    before = lazy.full_text_search("strike", limit=10, columns=HIT_COLUMNS)
    assert lazy.passages.count_rows() == 6  # the LanceDB table, opened here
    assert lazy._lance is None and lazy._db is not None
    _same_hits(lazy.full_text_search("strike", limit=10, columns=HIT_COLUMNS), before)  # now through LanceDB


def test_lazy_store_without_pylance_reads_through_lancedb(home, monkeypatch):
    _write(Store(home), 0, TEXTS[:3])
    block_pylance(monkeypatch)
    lazy = Store(home, lazy=True)
    assert lazy._lance is None and lazy._db is not None
    hits = lazy.full_text_search("strike", limit=10, columns=HIT_COLUMNS)
    assert hits
    _same_hits(hits, Store(home).full_text_search("strike", limit=10, columns=HIT_COLUMNS))


def test_lazy_store_on_a_fresh_folder_creates_the_tables(tmp_path):
    store = Store(tmp_path / "new", lazy=True)  # nothing to read through pylance: LanceDB creates the tables
    assert store._lance is None and store._db is not None and store.passage_count() == 0


def test_lazy_store_refuses_a_newer_index(home, monkeypatch):
    import app.store.schema as store_module
    from app.errors import IndexTooNew

    version = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", version + 1)
    Store(home)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", version)
    with pytest.raises(IndexTooNew, match="newer Lexiscope"):
        Store(home, lazy=True)


def _vector_rows(rng, n: int) -> tuple[list[dict], list[dict]]:
    """``n`` passages over 10 documents with 16-d unit vectors; every seventh has none (as an image under the
    text model)."""
    import numpy as np

    docs, rows = [], []
    for d in range(10):
        doc = _doc(d)
        doc["n_passages"] = n // 10
        docs.append(doc)
        for i in range(n // 10):
            vec = rng.standard_normal(16).astype(np.float32)
            k = d * (n // 10) + i
            rows.append({**_passages(d, TEXTS[d % len(TEXTS)])[0], "passage_id": f"d{d}:{i}", "ordinal": i,
                         "vec_text": None if k % 7 == 0 else (vec / np.linalg.norm(vec)).tolist()})
    return docs, rows


def test_lazy_vector_search_equals_lancedb(home):
    import numpy as np

    from app.store import VectorColumn

    rng = np.random.default_rng(3)
    store = Store(home, vectors=(VectorColumn("vec_text", 16, "test-vectors"),), vocab_model="")
    docs, rows = _vector_rows(rng, 300)
    with store.lock():
        store.write_batch(docs, rows)
        finish(store)
    queries = [rng.standard_normal(16).astype(np.float32) for _ in range(4)]

    def same_vector_reads():
        eager, lazy = Store(home), Store(home, lazy=True, lazy_vectors=False)
        for kind in ("text", "id", "vector"):
            assert lazy.indexed_columns(kind) == eager.indexed_columns(kind)
        assert lazy.indexed_columns("id", "documents") == eager.indexed_columns("id", "documents")
        for q in queries:
            for where in (None, "kind = 'news'", "date >= '1916-06-01'"):
                _same_hits(lazy.vector_search(q, "vec_text", where=where, limit=20, columns=HIT_COLUMNS),
                           eager.vector_search(q, "vec_text", where=where, limit=20, columns=HIT_COLUMNS))
        return lazy

    # No ANN index: the exact scan, through pylance.
    assert same_vector_reads()._lance is not None
    # An ANN index on the column: the lazy store opens LanceDB and searches the index with it.
    with store.lock():
        store.create_vector_index("vec_text", 258)
    assert Store(home).indexed_columns("vector") == {"vec_text"}
    assert same_vector_reads()._lance is None
    # Told so when opened (from the manifest), a vector reader opens LanceDB at once; a words reader need not.
    assert Store(home, lazy=True)._lance is None
    words = Store(home, lazy=True, lazy_vectors=False)
    assert words._lance is not None and words.full_text_search("docks", limit=5, columns=HIT_COLUMNS)


def test_lazy_store_opens_lancedb_once_for_many_threads(home, monkeypatch):
    import threading

    _write(Store(home), 0, TEXTS[:3])
    lazy = Store(home, lazy=True)
    opened = []
    real_open = Store._open_lancedb

    def counting_open(self):
        opened.append(threading.get_ident())
        real_open(self)

    monkeypatch.setattr(Store, "_open_lancedb", counting_open)
    start = threading.Barrier(6)
    tables = []

    def reach():
        start.wait()
        tables.append(lazy.passages)

    threads = [threading.Thread(target=reach) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 1 and len({id(t) for t in tables}) == 1
