"""The documents' fields a result shows (path, title, thumbnail, metadata…), kept in memory between searches.

A result is a passage row plus its document's row. Reading the ten documents of a search from LanceDB cost
~8-11 ms at 1M passages (100,000 documents), and reading the document-level fields a second time from the
passage rows (path, folder, kind, title, date: copied there when the passages are written, see
app.stages) made the passage read itself a third slower (ten rows: 9.8 ms with all eleven columns, 6.5 ms
with the passage's own; bench/README.md, "sixth session").

So a searcher that searches more than once loads the documents table (the columns a result shows) in a
background thread after its second search, once per version of the table, and answers from it; its passage
reads then ask only for the passage's own columns. Until the load is done, above :data:`FULL_MAX_DOCUMENTS`,
and for a one-shot search (the command line), documents are read by id as before.
"""

from __future__ import annotations

import json
import threading
from typing import Any

# The whole table is held only up to this many documents: at 100,000 the cache added 29 MB to the process
# (an id -> row dict and the Arrow columns) and loaded in 0.14 s; a collection of millions of records reads
# its ten documents by id instead.
FULL_MAX_DOCUMENTS = 250_000
# The columns a result takes from its document (app.search.engine); "meta" is JSON text, parsed per result.
DOC_FIELDS = ["doc_id", "path", "folder", "kind", "title", "date", "thumb", "meta"]
# Ids put into the lookup dict per step: each step holds the GIL briefly, so a window's thread is never
# stalled by the load (20,000 ids: at most 8.6 ms at 1M passages).
_CHUNK = 20_000


class DocumentCache:
    """Documents by id for one store: the whole table once loaded (per table version), else by id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None  # the documents table version the cache describes
        self._full: tuple[Any, dict[str, int]] | None = None  # (Arrow table of DOC_FIELDS, doc_id -> row)
        self._by_id: dict[str, dict] = {}  # documents read by id at this version
        self._loading: int | None = None  # the version a background load was started for
        self._searches = 0  # searches done: the first (a one-shot command-line search) starts no load

    def search_done(self, store) -> None:
        """Count a finished search; from the second on, start loading the table at its current version if it
        is not in memory (after the search, not during it: the load then takes no time from one)."""
        self._searches += 1
        if self._searches < 2:
            return
        version = store.documents_version()
        with self._lock:
            start = (self._full is None or version != self._version) and self._loading != version
            if start:
                self._loading = version
        if start:
            threading.Thread(target=self._load, args=(store, version), name="lexiscope-documents",
                             daemon=True).start()

    def in_memory(self, store, doc_ids: list[str]) -> dict[str, dict] | None:
        """``{doc_id: document}`` (every field of :data:`DOC_FIELDS`, ``meta`` parsed) for the ids that have a
        document row, when the whole table is in memory at its current version; else None (nothing read)."""
        full = self._current(store)[0]
        if full is None:
            return None
        table, row_of = full
        return {d: _row(table, row_of[d]) for d in doc_ids if d in row_of}

    def read(self, store, doc_ids: list[str]) -> dict[str, dict]:
        """``{doc_id: {"doc_id", "thumb", "meta"}}`` for the ids that have a document row, read by id (one
        query for those not read before at this version)."""
        by_id = self._current(store)[1]
        missing = [d for d in dict.fromkeys(doc_ids) if d not in by_id]
        if missing:
            for doc in store.documents_with_ids(missing, ["doc_id", "thumb", "meta"]):
                doc["meta"] = json.loads(doc.get("meta") or "{}")
                by_id[doc["doc_id"]] = doc
        return {d: by_id[d] for d in doc_ids if d in by_id}

    def _current(self, store) -> tuple[tuple[Any, dict[str, int]] | None, dict[str, dict]]:
        """The whole table (or None) and the by-id reads, for the table's current version."""
        version = store.documents_version()
        with self._lock:
            if version != self._version:
                self._version, self._full, self._by_id = version, None, {}
            return self._full, self._by_id

    def _load(self, store, version: int) -> None:
        """Read the documents table (at ``version``) into memory; dropped if the table changed meanwhile."""
        table = None
        try:
            if store.document_count() <= FULL_MAX_DOCUMENTS:
                read = store.document_table(DOC_FIELDS).combine_chunks()
                # The table object moves to a new version only when told to (see_latest): the version is
                # compared with the one the load was started for, so the rows read are those of ``version``.
                if store.documents_version() == version:
                    table = read
            if table is not None:
                ids = table.column("doc_id")
                row_of: dict[str, int] = {}
                for i in range(0, len(ids), _CHUNK):
                    row_of.update(zip(ids.slice(i, _CHUNK).to_pylist(), range(i, i + _CHUNK)))
        except Exception:  # noqa: BLE001 - a cache: searches go on reading documents by id
            table = None
        with self._lock:  # ``_loading`` stays: a version whose load failed or was declined is not tried again
            if table is not None:
                # Labelled with its version: a search at another version (_current) drops it.
                if self._version != version:
                    self._version, self._by_id = version, {}
                self._full = (table, row_of)


def _row(table, i: int) -> dict:
    doc = {name: table.column(name)[i].as_py() for name in DOC_FIELDS}
    doc["meta"] = json.loads(doc.get("meta") or "{}")
    return doc

