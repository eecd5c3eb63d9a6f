"""The documents a searcher keeps in memory (app.search.doc_cache) give the results the same fields as reading
them by id, follow every change of the documents table, and still hide orphan passages, on a real index."""

from __future__ import annotations

import json
import time

from app.search.engine import Searcher
from app.search.indexes import finish
from app.store import Store

WORDS = ["strike", "docks", "harbour", "wheat", "market", "river", "steamer", "cargo"]
QUERIES = ["strike docks", "wheat market", "river steamer cargo", "harbour"]


def _doc(d: int) -> dict:
    return {"doc_id": f"d{d}", "parent": "", "path": f"/c/d{d}.txt", "root": "/c", "folder": "/c", "kind": "text",
            "title": f"doc {d}", "date": f"1916-{1 + d % 12:02d}-05", "mtime": 1.0, "size": 1,
            "content_hash": f"h{d}", "state": "indexed", "reason": "", "meta": json.dumps({"pages": d}),
            "thumb": f"t{d}.png", "n_passages": 2, "indexed_at": time.time()}


def _passages(d: int) -> list[dict]:
    doc = _doc(d)
    return [{**{k: doc[k] for k in ("doc_id", "path", "folder", "kind", "title", "date")},
             "passage_id": f"d{d}:{n}", "ordinal": n, "start": 40 * n, "end": 40 * n + 40,
             "text": " ".join(WORDS[(d + n + i) % len(WORDS)] for i in range(6)), "source": "", "place": "",
             "entities": [], "sparse_ids": [], "sparse_w": [], "enriched": ""} for n in range(2)]


def _write(store: Store, docs: range) -> None:
    with store.lock():
        for d in docs:
            store.write_batch([_doc(d)], _passages(d))
        finish(store)


def _shown(searcher: Searcher) -> list[tuple]:
    return [(r.doc_id, r.path, r.folder, r.kind, r.title, r.date, r.thumb, r.meta, r.passage_id, r.passage_start,
             r.passage_end, r.passage_text) for q in QUERIES for r in searcher.search(q, k=20).results]


def _in_memory(searcher: Searcher) -> bool:
    """Wait (up to 20 s) for the searcher's background load of the documents at their current version."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if searcher._documents.in_memory(searcher.store, []) is not None:
            return True
        time.sleep(0.02)
    return False


def test_documents_in_memory_give_the_fields_read_by_id_and_follow_every_change(home):
    writer = Store(home)
    _write(writer, range(12))
    reader = Store(home)

    one_shot = Searcher(reader)
    by_id = _shown(one_shot)  # four searches: read by id at first, then loading
    assert by_id and len({row[0] for row in by_id}) >= 6
    first = Searcher(reader)
    first.search(QUERIES[0])
    assert first._documents._loading is None, "a one-shot search loads no table"
    assert first._documents.in_memory(reader, ["d1"]) is None

    assert _in_memory(one_shot)
    assert one_shot._documents.in_memory(reader, ["d3", "nope"]) == {"d3": {**{k: _doc(3)[k] for k in (
        "doc_id", "path", "folder", "kind", "title", "date", "thumb")}, "meta": {"pages": 3}}}
    assert _shown(one_shot) == by_id

    # A renamed document: its new path and title show at once (the table in memory is of the old version).
    writer.move_document("d3", {"path": "/c/renamed.txt", "folder": "/c", "title": "renamed", "date": "1916-04-05",
                                "root": "/c", "mtime": 2.0, "size": 1})
    reader.see_latest()
    assert one_shot._documents.in_memory(reader, ["d3"]) is None
    moved = [row for row in _shown(one_shot) if row[0] == "d3"]
    assert moved and all(row[1:3] == ("/c/renamed.txt", "/c") and row[4] == "renamed" for row in moved)
    assert _in_memory(one_shot)
    assert [row for row in _shown(one_shot) if row[0] == "d3"] == moved

    # A document row gone with its passages left (a killed run's orphans): never shown, from memory or not.
    with writer.lock():
        writer.documents.delete("doc_id = 'd5'")
    reader.see_latest()
    assert "d5" in {row[0] for row in by_id}
    assert "d5" not in {row[0] for row in _shown(one_shot)}
    assert _in_memory(one_shot)
    shown = _shown(one_shot)
    assert "d5" not in {row[0] for row in shown}
    assert shown == _shown(Searcher(reader))
