"""What the store reads: rows by intent, search (full text and vectors), and what the tables were built with.

A mixin of :class:`app.store.Store`, which opens ``documents`` and ``passages``; every query on them is here
or in :mod:`app.store.upkeep`, named for what it returns. A lazy store (``Store(lazy=True)``, the words-only
CLI search) has not opened LanceDB: the reads that a words search needs go to the same tables through
pylance (:meth:`Reads._dataset`), with the same filters and the same full-text index.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from app.store.schema import VectorColumn, enrich_key
from app.store.sql import in_list, sql_str

if TYPE_CHECKING:
    from pathlib import Path

    from lancedb.table import LanceTable

    from app.location import IndexLocation


class Reads:
    """Reads of the two tables (mixed into Store)."""

    documents: LanceTable
    passages: LanceTable
    # A lazy store's pylance datasets of the two tables (app.store.tables._open_datasets), until LanceDB opens.
    _lance: dict | None = None
    _schema_cache: tuple | None = None  # (passages table handle, version, schema)
    # Row id -> passage id of the LanceDB passages table (see _passage_ids_of_rows), built per table version.
    _row_map: tuple | None = None  # ((table handle, version, folder inode), sorted row ids, passage ids)
    _row_map_lock: threading.Lock  # set by Store.__init__
    # While a search runs (pinned()): versions and the passage count it has read. Set by Store.__init__.
    _pin_lock: threading.Lock
    _pins: int
    _pinned_values: dict[str, int]

    if TYPE_CHECKING:
        # What Store's other parts supply (app.store.tables, app.store.lance_view), declared so that mypy checks
        # the calls; where both declare a method, mypy also checks that the two signatures agree in Store.
        location: IndexLocation
        _index_dir: Path

        def _passages_at_version(self) -> Any: ...

        def _forget_view(self) -> None: ...

        def _view_vector_search(self, vector: np.ndarray, column: str, *, where: str | None, limit: int,
                                nprobes: int | None, refine_factor: int | None,
                                rerank: int | None) -> list[tuple[dict, float]] | None: ...

    def _dataset(self, name: str):
        """Table ``name`` as a pylance dataset while a lazy store has not opened LanceDB; else None."""
        lance = self._lance  # one read: another thread may open LanceDB (and drop the datasets) meanwhile
        return None if lance is None else lance[name]

    def _rows(self, name: str, columns: list[str] | None, where: str | None) -> pa.Table:
        """Rows of table ``name`` (``columns``, or all) matching ``where`` (or all), as an Arrow table."""
        ds = self._dataset(name)
        if ds is not None:
            return ds.to_table(columns=columns, filter=where)
        q = (self.documents if name == "documents" else self.passages).search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow()

    def _count(self, where: str | None = None) -> int:
        """Passages matching ``where`` (all: from the table's metadata)."""
        ds = self._dataset("passages")
        if ds is not None:
            return ds.count_rows(where)
        if where is None:
            return self._pinned("count", lambda: self.passages.count_rows())
        return self.passages.count_rows(where)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within: the tables' versions and the passage count are read from LanceDB once, then remembered.

        One search asks for them ~8 times (its components, the postings and row-id maps, the document
        cache), and each is a round trip through LanceDB's single event-loop thread, which also streams the
        components' results: at 1M passages a version read waited ~14 ms behind them. Reads made while
        pinned see one version, as a search should. Nested and concurrent uses share one snapshot.
        """
        with self._pin_lock:
            self._pins += 1
        try:
            yield
        finally:
            with self._pin_lock:
                self._pins -= 1
                if not self._pins:
                    self._pinned_values.clear()

    def _pinned(self, key: str, read: Callable[[], int]) -> int:
        """``read()``, remembered under ``key`` while :meth:`pinned`."""
        if not self._pins:
            return read()
        value = self._pinned_values.get(key)
        if value is None:
            value = self._pinned_values.setdefault(key, read())
        return value

    def _passages_schema(self) -> pa.Schema:
        ds = self._dataset("passages")
        if ds is not None:
            return ds.schema
        # Read once per table version: a search asks for it several times (vector columns, vocabulary
        # model), and each LanceDB schema read is a round trip into the native runtime.
        table = self.passages
        version = self.passages_version()
        cached = self._schema_cache
        if cached is None or cached[0] is not table or cached[1] != version:
            cached = self._schema_cache = (table, version, table.schema)
        return cached[2]

    # --- what the passages table was built with -------------------------------------------------
    def vector_columns(self) -> tuple[VectorColumn, ...]:
        """The dense vector columns recorded in the passages table metadata."""
        raw = (self._passages_schema().metadata or {}).get(b"vectors", b"[]")
        return tuple(VectorColumn(n, d, m) for n, d, m in json.loads(raw))

    def vocab_model(self) -> str:
        """The vocabulary (sparse) model id the passages were encoded with ("" for none)."""
        return (self._passages_schema().metadata or {}).get(b"vocab_model", b"").decode()

    def needs_rebuild(self, vectors: tuple[VectorColumn, ...], vocab_model: str) -> bool:
        """True when the configured models differ from those the index was built with."""
        return self.vector_columns() != tuple(vectors) or self.vocab_model() != vocab_model

    def enrich_key(self) -> str:
        """The key pass 2 marks passages with, for the models this table was built for."""
        return enrich_key(self.vector_columns(), self.vocab_model())

    # --- reads -----------------------------------------------------------------------------------
    def document_rows(self, columns: list[str] | None = None, where: str | None = None) -> list[dict]:
        """Documents as dicts (all, or those matching ``where``)."""
        return self._rows("documents", columns, where).to_pylist()

    def document_table(self, columns: list[str] | None = None, where: str | None = None):
        """Documents as an arrow table (for counting in native code: a list of dicts of 100,000 documents
        is built in one call that holds the GIL for ~0.5 s, freezing the window's thread)."""
        return self._rows("documents", columns, where)

    def passage_rows(self, where: str, columns: list[str] | None = None) -> list[dict]:
        """Passages matching a filter, as dicts."""
        return self._rows("passages", columns, where).to_pylist()

    def passages_of(self, doc_ids: list[str], columns: list[str] | None = None) -> list[dict]:
        """The passages of these documents, as dicts."""
        return self.passage_rows(in_list("doc_id", doc_ids), columns)

    def problem_documents(self) -> list[dict]:
        """Every file not indexed (skipped or failed), with its reason, by state then path."""
        rows = self.document_rows(["path", "state", "reason"], where="state != 'indexed'")
        return sorted(rows, key=lambda r: (r["state"], r["path"]))

    def pass_counts(self) -> dict:
        """Passages with words (all of them) and with meaning (pass 2 done for the current models)."""
        total = self._count()
        done = self._count(f"enriched = {sql_str(self.enrich_key())}") if total else 0
        return {"words": total, "meaning": done}

    def counts(self) -> dict:
        """Counts of documents by state and of indexed documents by kind, and of passages."""
        rows = self.document_rows(["state", "kind"])
        by_state: dict[str, int] = {}
        by_kind: dict[str, int] = {}
        for r in rows:
            by_state[r["state"]] = by_state.get(r["state"], 0) + 1
            if r["state"] == "indexed":
                by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
        return {"documents": len(rows), "by_state": by_state, "by_kind": by_kind, "passages": self._count()}

    def passage_count(self) -> int:
        """Passages in the index (from the table's metadata: free)."""
        return self._count()

    def passages_version(self) -> int:
        """The passages table's version: what is derived from the table (postings, caches) compares it."""
        ds = self._dataset("passages")
        return ds.version if ds is not None else self._pinned("passages", lambda: self.passages.version)

    def document_count(self) -> int:
        """Rows of the documents table (from its metadata: no scan)."""
        ds = self._dataset("documents")
        return ds.count_rows() if ds is not None else self.documents.count_rows()

    def documents_version(self) -> int:
        """The documents table's version: what is derived from it (reprint LSH, caches) compares it."""
        ds = self._dataset("documents")
        return ds.version if ds is not None else self._pinned("documents", lambda: self.documents.version)

    def see_latest(self) -> None:
        """Make this open store see writes made since it was opened (another run, or the indexer)."""
        for table in (self.documents, self.passages):
            try:
                table.checkout_latest()
            except Exception:  # noqa: BLE001 - an older LanceDB without it: the next reopen catches up
                pass

    def file_documents(self, columns: list[str]) -> list[dict]:
        """The rows of files (not of the records inside multi-record files), as dicts."""
        return self.document_rows(columns, where="parent = ''")

    def documents_with_ids(self, doc_ids: list[str], columns: list[str] | None = None) -> list[dict]:
        """Documents by id, one query per 500 ids, as dicts."""
        out: list[dict] = []
        for i in range(0, len(doc_ids), 500):
            out += self.document_rows(columns, where=in_list("doc_id", doc_ids[i : i + 500]))
        return out

    def indexed_news_documents(self, columns: list[str], doc_ids: list[str] | None = None) -> list[dict]:
        """Indexed newspaper documents (all, or these ids, one query per 500), as dicts."""
        where = "kind = 'news' AND state = 'indexed'"
        if doc_ids is None:
            return self.document_rows(columns, where=where)
        out: list[dict] = []
        for i in range(0, len(doc_ids), 500):
            out += self.document_rows(columns, where=f"{where} AND {in_list('doc_id', doc_ids[i : i + 500])}")
        return out

    def passages_with_ids(self, passage_ids: list[str], columns: list[str] | None = None) -> list[dict]:
        """Passages by id, one query per 500 ids, as dicts."""
        out: list[dict] = []
        for i in range(0, len(passage_ids), 500):
            out += self.passage_rows(in_list("passage_id", passage_ids[i : i + 500]), columns)
        return out

    def passages_of_hits(self, hits: list[dict], columns: list[str]) -> list[dict]:
        """The rows (``columns``, which include ``passage_id``) of search hits, as dicts: by the row id a hit
        carries where it has one (see :meth:`_with_passage_ids`), else by passage id.

        At 1M passages ten rows by row id cost ~12 ms, by passage id through the id index ~24 ms (timed alone,
        bench/README.md "fifth session"). A row id from an older table version may name a row deleted since (it is
        then not returned) but never another passage; a row read is kept only if its id is the hit's.
        """
        want = {h["passage_id"]: h.get("_rowid") for h in hits}
        out: list[dict] = []
        by_row = [r for r in want.values() if r is not None]
        if by_row and self._by_row_id():
            for row in self._take_row_ids(by_row, columns).to_pylist():
                if row["passage_id"] in want and want[row["passage_id"]] is not None:
                    del want[row["passage_id"]]
                    out.append(row)
        rest = list(want)
        return out + (self.passages_with_ids(rest, columns) if rest else [])

    def _take_row_ids(self, row_ids: list[int], columns: list[str]) -> pa.Table:
        """The passages at these LanceDB row ids (those still in the table), read through pylance where it is
        installed: ten rows at 1M passages in ~3 ms, where LanceDB's ``take_row_ids`` took ~6 (timed alone, the
        same rows; bench/README "seventh session"); a search waits for them after fusion."""
        ds = self._passages_at_version()
        if ds is not None:
            try:
                return ds._take_rows(sorted(row_ids), columns=columns)  # noqa: SLF001 - pylance's take by row id
            except Exception:  # noqa: BLE001 - that version's files gone (compacted since): LanceDB reads the rows
                self._forget_view()
        return self.passages.take_row_ids(row_ids).select(columns).to_arrow()

    def passage_ids_matching(self, where: str) -> list[str]:
        """The ids of the passages a filter (from :func:`passage_filter`) lets through."""
        return [r["passage_id"] for r in self.passage_rows(where, ["passage_id"])]

    def news_passages(self, columns: list[str], where: str | None = None) -> list[dict]:
        """Newspaper passages (restricted by a filter from :func:`passage_filter`), as dicts."""
        return self.passage_rows("kind = 'news'" + (f" AND ({where})" if where else ""), columns)

    def documents_with_passages(self) -> set[str]:
        """The ids of the documents that have passages in the index."""
        return set(self._rows("passages", ["doc_id"], None).column("doc_id").to_pylist())

    def documents_lacking_meaning(self) -> Counter[str]:
        """Passages pass 2 has not done for the current models, counted per document, in table order."""
        table = self._rows("passages", ["doc_id"], f"enriched != {sql_str(self.enrich_key())}")
        return Counter(table.column("doc_id").to_pylist())

    def passages_lacking_meaning(self, doc_ids: list[str]) -> list[dict]:
        """The passages of these documents that pass 2 has not done for the current models, as dicts."""
        return self.passage_rows(f"{in_list('doc_id', doc_ids)} AND enriched != {sql_str(self.enrich_key())}")

    def sparse_vectors(self, doc_ids: list[str] | None = None) -> pa.Table:
        """Every passage's (or these documents' passages') stored sparse vector: passage_id, doc_id, sparse_ids,
        sparse_w, as an Arrow table in table order (one query per 500 documents)."""
        def read(where: str | None) -> pa.Table:
            return self._rows("passages", ["passage_id", "doc_id", "sparse_ids", "sparse_w"], where)

        if doc_ids is None:
            return read(None)
        parts = [read(in_list("doc_id", doc_ids[i : i + 500])) for i in range(0, len(doc_ids), 500)]
        parts = [t for t in parts if t.num_rows]
        if parts:
            return pa.concat_tables(parts)
        return pa.Table.from_pylist([], schema=pa.schema([self._passages_schema().field(n) for n in
                                                          ("passage_id", "doc_id", "sparse_ids", "sparse_w")]))

    # --- row ids ---------------------------------------------------------------------------------------
    def _by_row_id(self) -> bool:
        """Whether searches for passage ids return LanceDB row ids, mapped to ids here (a local LanceDB table).

        A search that selects ``passage_id`` makes LanceDB fetch that column for each hit, row by row: at 1M
        passages that random access was half of a full-text or an ANN query (28 -> 14 ms, 37 -> 23 ms for
        100 hits). The whole column, read in one scan, costs ~0.1 s and 30 MB at 1M passages, once per table
        version. Not for an index on a server or object store (the scan would move the column over the
        network), nor for a lazy store's one query.
        """
        return self._dataset("passages") is None and self.location.folder is not None

    def _passage_ids_of_rows(self, row_ids) -> list[str | None]:
        """The passage ids of LanceDB row ids, in order (None for a row not in the table at its current version:
        a search that raced a write; its hit is dropped, as the rows of results are read by id afterwards)."""
        table = self.passages
        with self._row_map_lock:
            # Rebuilt at every new version, and when the table's folder is another one: a rebuild (by this
            # process or another) swaps in a new table, whose row ids start again at 0 and whose version
            # numbers may repeat the old table's.
            key = (table, self.passages_version(), self._passages_folder_id())
            m = self._row_map
            if m is None or m[0] != key:
                # From the version the search reads (the pylance view that answers its queries), where there is one.
                view = self._passages_at_version()
                m = self._row_map = (key, *self._build_row_map(table, view))
        rows, ids = m[1], m[2]
        if not len(rows):
            return [None] * len(row_ids)
        want = np.asarray(row_ids, dtype=np.uint64)
        at = np.minimum(np.searchsorted(rows, want), len(rows) - 1)
        found = ids.take(pa.array(at)).to_pylist()
        return [pid if ok else None for pid, ok in zip(found, (rows[at] == want).tolist())]

    def _passages_folder_id(self) -> int:
        """The inode of the passages table's folder (a swapped-in table has a new one); 0 if unreadable."""
        try:
            return os.stat(self._index_dir / "passages.lance").st_ino
        except OSError:
            return 0

    @staticmethod
    def _build_row_map(table, view=None) -> tuple[np.ndarray, pa.Array]:
        if view is not None:
            scan = view.to_table(columns=["passage_id"], with_row_id=True, batch_size=65536)
        else:
            # Large batches: LanceDB's default batch size makes this scan 5x slower (0.5 s vs 0.1 s at 1M rows).
            batches = table.search().select(["passage_id"]).with_row_id(True).limit(None).to_batches(65536)
            scan = pa.Table.from_batches(list(batches))
        rows = scan.column("_rowid").to_numpy()
        ids = scan.column("passage_id").combine_chunks()
        if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):  # scans come in row-id order; make sure
            order = np.argsort(rows, kind="stable")
            rows, ids = rows[order], ids.take(pa.array(order))
        return rows.astype(np.uint64), ids

    def _with_passage_ids(self, row_ids: np.ndarray, scores) -> list[tuple[dict, float]]:
        """(``{"passage_id": …, "_rowid": …}``, score) per hit of a row-id search. The row id travels with the
        hit: the rows of the results shown are then read by row id (:meth:`passages_of_hits`)."""
        ids = self._passage_ids_of_rows(row_ids)
        return [({"passage_id": pid, "_rowid": int(r)}, float(x))
                for pid, r, x in zip(ids, np.asarray(row_ids).tolist(), np.asarray(scores).tolist()) if pid is not None]

    # --- search ------------------------------------------------------------------------------------
    def full_text_search(self, text: str, *, phrase: bool = False, where: str | None = None,
                         passage_ids: list[str] | None = None, limit: int,
                         columns: list[str]) -> list[tuple[dict, float]]:
        """Passages by LanceDB's native BM25 full-text search on ``text``: (row of ``columns``, score), best first.

        ``phrase``: the words in this order; ``where``: a filter from :func:`passage_filter`; ``passage_ids``:
        only these passages.
        """
        if self._count() == 0:
            return []
        if passage_ids is not None:
            only = in_list("passage_id", passage_ids)
            where = f"({where}) AND {only}" if where else only
        ds = self._dataset("passages")
        if ds is not None:
            # The same query on the same full-text (INVERTED) index as LanceDB's below: the same hits and
            # scores (tests/integration/test_lazy_store.py).
            rows = ds.to_table(columns=[*columns, "_score"], full_text_query=_lance_text_query(text, phrase),
                               filter=where, prefilter=bool(where), limit=limit).to_pylist()
            return [(r, float(r.pop("_score"))) for r in rows]
        ids_only = columns == ["passage_id"] and self._by_row_id()
        view = self._passages_at_version() if ids_only else None
        if view is not None:
            # Through pylance at the searched version, as the lazy store above: the same index, hits and
            # scores, without LanceDB's Python event loop (11.2 vs 14.6 ms per query alone at 1M passages,
            # and the loop's thread is shared with the dense query; bench/README "eighth session").
            try:
                found = view.to_table(columns=["_score"], with_row_id=True, filter=where, prefilter=bool(where),
                                      full_text_query=_lance_text_query(text, phrase), limit=limit)
            except Exception:  # noqa: BLE001 - that version's files gone (compacted since): LanceDB searches
                self._forget_view()
            else:
                return self._with_passage_ids(found.column("_rowid").to_numpy(),
                                              found.column("_score").to_numpy().astype(np.float64))
        from lancedb.query import FullTextQuery, MatchQuery, PhraseQuery

        # lancedb's query classes are pydantic dataclasses whose keyword fields default through
        # pydantic.Field, which mypy reads as required: hence the ignores.
        q: FullTextQuery
        if phrase:
            q = PhraseQuery(text, "text")  # type: ignore[call-arg]
        else:
            q = MatchQuery(text, "text")  # type: ignore[call-arg]
        search = self.passages.search(q, query_type="fts")
        search = search.select(["_score"]).with_row_id(True) if ids_only else search.select(columns)
        if where:
            search = search.where(where, prefilter=True)
        if ids_only:
            found = search.limit(limit).to_arrow()
            return self._with_passage_ids(found.column("_rowid").to_numpy(),
                                          found.column("_score").to_numpy().astype(np.float64))
        return [(r, float(r.pop("_score"))) for r in search.limit(limit).to_list()]

    def vector_search(self, vector, column: str, *, where: str | None = None, limit: int, columns: list[str],
                      nprobes: int | None = None, refine_factor: int | None = None,
                      rerank: int | None = None) -> list[tuple[dict, float]]:
        """Passages nearest ``vector`` (float32) in ``column`` by cosine: (row of ``columns``, 1 - distance), best first.

        ``nprobes``, ``refine_factor`` and ``rerank`` tune the ANN index where the column has one
        (app.search.vector_index): an unfiltered search for passage ids re-ranks exactly only the ``rerank``
        best rows of the index's order where it can (:mod:`app.store.lance_view`), others re-rank
        ``refine_factor`` times ``limit`` rows. ``where``: a filter from :func:`passage_filter`, applied before
        the search.
        """
        ds = self._dataset("passages")
        if ds is not None and not any(column in d.field_names for d in ds.describe_indices()):
            # No ANN index: an exact scan, the same in pylance as in LanceDB (tests/integration/test_lazy_store.py).
            # A column with one is searched by LanceDB (opened here), whose ANN settings are the measured ones.
            nearest = {"column": column, "q": vector, "k": limit, "metric": "cosine"}
            rows = ds.to_table(columns=[*columns, "_distance"], nearest=nearest, filter=where,
                               prefilter=bool(where)).to_pylist()
            return [(r, 1.0 - float(r.pop("_distance"))) for r in rows]
        ids_only = columns == ["passage_id"] and self._by_row_id()
        if ids_only:
            # Through pylance at the searched version where it can (app.store.lance_view).
            hits = self._view_vector_search(vector, column, where=where, limit=limit, nprobes=nprobes,
                                            refine_factor=refine_factor, rerank=rerank)
            if hits is not None:
                return hits
        search = self.passages.search(vector, vector_column_name=column).distance_type("cosine")
        if nprobes:
            # Always re-ranked exactly (a refine factor of at least 1): a cosine IVF index compares quantised,
            # normalised vectors by squared L2, 2 (1 - cos), and LanceDB returns that distance and that order
            # unless it re-ranks, which it otherwise does only while some rows are outside the index. Without
            # it a fully indexed table's scores were 2 cos - 1 and its dense recall@10 0.955 at 1M passages.
            search = search.nprobes(nprobes).refine_factor(max(1, refine_factor or 1))
        search = search.select(["_distance"]).with_row_id(True) if ids_only else search.select(columns)
        if where:
            search = search.where(where, prefilter=True)
        if ids_only:
            found = search.limit(limit).to_arrow()
            return self._with_passage_ids(found.column("_rowid").to_numpy(),
                                          1.0 - found.column("_distance").to_numpy().astype(np.float64))
        return [(r, 1.0 - float(r.pop("_distance"))) for r in search.limit(limit).to_list()]


def _lance_text_query(text: str, phrase: bool):
    """The pylance full-text query for ``text`` on the ``text`` column: the words in this order (``phrase``) or any."""
    from lance.query import MatchQuery, PhraseQuery

    return PhraseQuery(text, "text") if phrase else MatchQuery(text, "text")
