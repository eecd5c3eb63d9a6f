"""The sources panel's summary (counted by arrow's group-by off the GUI thread) on a real store."""

from __future__ import annotations

import time

from app.ingest.readers.news.records import TITLE_RECORD_REASON
from app.session import open_store
from app.sources import source_summary


def _doc(i: int, root: str, state: str, reason: str | None, kind: str = "text") -> dict:
    return {"doc_id": f"d{i}", "parent": "", "path": f"{root}/f{i}", "root": root, "folder": root, "kind": kind,
            "title": "", "date": "", "mtime": 1.0, "size": 1, "content_hash": f"h{i}", "state": state,
            "reason": reason, "meta": "{}", "thumb": "", "n_passages": 0, "indexed_at": time.time()}


def test_counts_by_folder_kind_and_state(home):
    store = open_store()
    docs = [_doc(0, "/a", "indexed", "", "news"), _doc(1, "/a", "indexed", ""), _doc(2, "/a", "indexed", "", "news"),
            _doc(3, "/a", "skipped", TITLE_RECORD_REASON), _doc(4, "/a", "skipped", "empty file"),
            _doc(5, "/b", "failed", "unreadable"), _doc(6, "/b", "skipped", None)]
    store.write_batch(docs, [])
    got = source_summary(open_store(), ["/a", "/c"])  # what the search process answers the window
    assert got["documents"] == 7
    assert got["by_kind"] == {"news": 2, "text": 1}
    assert got["roots"] == {"/a": {"indexed": 3, "skipped": 1, "failed": 0, "metadata": 1},
                            "/b": {"indexed": 0, "skipped": 1, "failed": 1},
                            "/c": {"indexed": 0, "skipped": 0, "failed": 0}}
    # Title records did their job (metadata); everything else not indexed is listed, by state then path.
    assert got["problems"] == [{"path": "/b/f5", "state": "failed", "reason": "unreadable"},
                               {"path": "/a/f4", "state": "skipped", "reason": "empty file"},
                               {"path": "/b/f6", "state": "skipped", "reason": None}]
