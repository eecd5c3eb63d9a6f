"""Opening the index (creating, migrating, recovering a table swap), writing it, and the writer's lock."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pyarrow as pa

from app.errors import IndexDamaged, IndexTooNew
from app.faults import fault
from app.store import schema as layout  # by module: tests patch layout.SCHEMA_VERSION
from app.store.lance_view import LanceViews
from app.store.reads import Reads
from app.store.schema import (
    DOC_SCHEMA,
    PASSAGE_SIDECARS,
    WORDS_COLUMNS,
    VectorColumn,
    conform,
    enrich_key,
    passage_schema,
    schema_version_of,
)
from app.store.sql import in_list, sql_str
from app.store.upkeep import Upkeep

if TYPE_CHECKING:
    from lancedb.table import LanceTable

    from app.location import IndexLocation


T = TypeVar("T")


class _OpenedOnUse(Generic[T]):
    """A LanceDB handle of the store: opened (``Store._connect``) when first read, replaced by assignment."""

    def __init__(self, attr: str, doc: str):
        self.attr, self.__doc__ = attr, doc

    def __get__(self, store, owner=None) -> T:
        if store is None:
            return self  # type: ignore[return-value]  # the class attribute itself
        if getattr(store, self.attr) is None:
            store._connect()
        value = getattr(store, self.attr)
        assert value is not None  # _connect opened it (or raised)
        return value

    def __set__(self, store, value: T) -> None:
        setattr(store, self.attr, value)


class Store(Reads, LanceViews, Upkeep):
    """Open (or create) the index under ``root``; the single writer holds ``lock``."""

    def __init__(self, root: Path | str | IndexLocation, vectors: tuple[VectorColumn, ...] = (), vocab_model: str = "", *,
                 read_only: bool = False, lazy: bool = False, lazy_vectors: bool = True):
        """``root`` is a data folder or an index location URI (``s3://…``, see app.location).

        ``read_only`` opens an existing index without creating anything (a shared index on a server or an
        object store): no folders, no tables, and every write is refused by LanceDB's permissions or ours.

        ``lazy`` (a short-lived reader: the words-only CLI search) opens LanceDB only when ``db``,
        ``documents`` or ``passages`` is first used; until then the reads (app.store.reads) go to the same
        tables through pylance, whose import costs a fraction of lancedb's. It applies when pylance is
        installed and the index is a local folder that needs nothing created, migrated or recovered;
        otherwise the store opens as usual. The pylance datasets stay at the version they opened.
        ``lazy_vectors``: the reader will search vectors, so an index with an ANN index opens LanceDB at once
        (the ANN search is LanceDB's, and importing pylance as well would be wasted); False for words only.
        """
        from app.location import IndexLocation, ReadOnlyIndex

        os.environ.setdefault("LANCEDB_LOG", "error")
        self.location = IndexLocation.parse(root)
        self.read_only = read_only
        # A URI index keeps no lock file or thumbnails of its own: those need a folder (root is then a
        # private scratch folder, never written through).
        self.root = self.location.folder or self.location.scratch()
        self.thumbs = self.root / "thumbs"
        if not read_only:
            self.root.mkdir(parents=True, exist_ok=True)
            self.thumbs.mkdir(exist_ok=True)
        if read_only and self.location.folder and not (self.location.folder / "index").is_dir():
            # Checked before connecting: lancedb.connect would create the folder.
            raise ReadOnlyIndex(f"no Lexiscope index at {self.location} (opened read-only: nothing was created)")
        self._index_dir = self.root / "index"
        self._create = (vectors, vocab_model)
        self._opening = threading.RLock()  # a lazy store's search threads may all reach for LanceDB at once
        self._row_map_lock = threading.Lock()  # search threads share the row id -> passage id map (app.store.reads)
        self._pin_lock, self._pins, self._pinned_values = threading.Lock(), 0, {}  # Reads.pinned
        self._lance = _open_datasets(self._index_dir, lazy_vectors) if lazy and self.location.folder else None
        if self._lance is None:
            self._connect()

    def _connect(self) -> None:
        """Open LanceDB, once (a lazy store's threads may ask together)."""
        with self._opening:
            if self._passages is None:
                self._open_lancedb()

    def _open_lancedb(self) -> None:
        """Finish an interrupted swap, create missing tables, check versions, migrate."""
        from app.lazy_import import import_lancedb
        from app.location import ReadOnlyIndex

        lancedb = import_lancedb()
        read_only = self.read_only
        vectors, vocab_model = self._create
        self._lance = None  # from now on every read goes through LanceDB (the latest version)
        self.db = lancedb.connect(self.location.db_uri)
        # An interrupted table swap (a folder rename) is finished by the next writer; a reader leaves it.
        if not read_only and self.location.folder and (
                (self._index_dir / _SWAP_MARKER).exists() or (self._index_dir / "passages_next.lance").exists()):
            with self.lock():
                self._recover_swap()
        existing = set(self.db.list_tables().tables)
        if read_only and not {"documents", "passages"} <= existing:
            raise ReadOnlyIndex(f"no Lexiscope index at {self.location} (opened read-only: nothing was created)")
        self.documents = (
            self.db.open_table("documents")
            if "documents" in existing
            # exist_ok: two processes opening a fresh data folder at once (the window and its indexer)
            # must not race on creating the tables.
            else self.db.create_table("documents", schema=DOC_SCHEMA.with_metadata({"schema_version": str(layout.SCHEMA_VERSION)}),
                                      exist_ok=True)
        )
        self._check_version(self.documents.schema)
        if "passages" in existing:
            self.passages = self.db.open_table("passages")
            self._check_version(self.passages.schema)
            if schema_version_of(self.passages.schema) < layout.SCHEMA_VERSION:
                if read_only:
                    raise ReadOnlyIndex(f"the index at {self.location} has an older layout; open it once with write "
                                        "access (lexiscope status, without --index) to upgrade it")
                with self.lock():
                    self._migrate()
        else:
            self.passages = self.db.create_table("passages", schema=passage_schema(vectors, vocab_model), exist_ok=True)

    # The LanceDB handles. A lazy store opens LanceDB on the first use of any of them (_connect sets all three).
    _db = None
    _documents: LanceTable | None = None
    _passages: LanceTable | None = None
    db = _OpenedOnUse[Any]("_db", "The LanceDB connection.")
    documents = _OpenedOnUse["LanceTable"]("_documents", "The documents table.")
    passages = _OpenedOnUse["LanceTable"]("_passages", "The passages table.")

    @staticmethod
    def _check_version(schema: pa.Schema) -> None:
        raw = (schema.metadata or {}).get(b"schema_version", b"0")
        try:
            found = int(raw)
        except ValueError:
            raise IndexDamaged(f"the index records schema_version {raw.decode(errors='replace')!r}, which is not "
                               "a whole number (its metadata was damaged). Run `lexiscope check --repair` to go "
                               "back to the last good version.") from None
        if found > layout.SCHEMA_VERSION:
            raise IndexTooNew(
                f"this index was written by a newer Lexiscope (index schema v{found}, this app reads up to "
                f"v{layout.SCHEMA_VERSION}). Update Lexiscope, or point LEXISCOPE_HOME at another folder."
            )

    def rebuild_passages(self, vectors: tuple[VectorColumn, ...], vocab_model: str) -> None:
        """New models: a passages table for them holding every passage's words (pass 2 then fills it).

        The files are not read again; words search keeps working throughout (see :meth:`recreate_passages`).
        """
        self.recreate_passages(passage_schema(vectors, vocab_model), WORDS_COLUMNS)

    def recreate_passages(self, schema: pa.Schema, columns: list[str], computed: dict | None = None) -> None:
        """Replace the passages table by one with ``schema``, copying ``columns`` of every row.

        ``computed`` maps a new column to a function of an Arrow batch giving its values. The new table is
        written beside the old one and the folders are swapped (two renames), so readers see the old
        table until the new one is complete, and a crash at any point leaves one of them (``_recover_swap``).
        """
        computed = computed or {}
        for name in [n for n in self.db.list_tables().tables if n == "passages_next"]:
            self.db.drop_table(name)
        nxt = self.db.create_table("passages_next", schema=schema)
        total = self.passages.count_rows()
        for offset in range(0, total, _COPY_ROWS):
            batch = self.passages.search().select(columns).offset(offset).limit(_COPY_ROWS).to_arrow()
            cols = {name: batch.column(name) for name in columns}
            for name, fn in computed.items():
                cols[name] = fn(batch)
            nxt.add(conform(cols, schema, batch.num_rows))
        fault("swap-written")
        (self._index_dir / _SWAP_MARKER).write_text("passages_next.lance is complete\n")
        self._recover_swap()
        self.passages = self.db.open_table("passages")

    def _recover_swap(self) -> None:
        """Finish (or undo) a passages table swap that a crash interrupted; a no-op when none is pending."""
        d = self._index_dir
        marker, cur, nxt, old = d / _SWAP_MARKER, d / "passages.lance", d / "passages_next.lance", d / "passages_old.lance"
        if marker.exists() and nxt.exists():
            self.forget_passage_sidecars()  # they describe the old table: rebuilt for the new one
            if cur.exists():
                if old.exists():
                    shutil.rmtree(old)
                os.rename(cur, old)
            fault("swap-moved")
            os.rename(nxt, cur)
        elif nxt.exists():
            shutil.rmtree(nxt)  # an unfinished new table: the old one is still in place
        marker.unlink(missing_ok=True)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)

    def _migrate(self) -> None:
        """Bring an older passages table to this schema version (called once, holding the lock)."""
        self.passages = self.db.open_table("passages")
        if schema_version_of(self.passages.schema) >= layout.SCHEMA_VERSION:
            return  # another process migrated it while this one waited for the lock
        # v1 -> v2: a v1 index was built in one pass, so a passage is enriched unless it lacks the vectors
        # its table has (a --lexical-only run into a models index wrote such rows).
        vectors, vocab = self.vector_columns(), self.vocab_model()
        key = enrich_key(vectors, vocab)
        check = "vec_text" if any(c.name == "vec_text" for c in vectors) else None
        names = [f.name for f in self.passages.schema]

        def enriched(batch: pa.Table):
            if check is None:
                return pa.array([key] * batch.num_rows, pa.string())
            return pa.array(["" if v is None else key for v in batch.column(check).to_pylist()], pa.string())

        self.recreate_passages(passage_schema(vectors, vocab), names, {"enriched": enriched})

    # --- writes (one writer: callers hold the lock) --------------------------------------------------
    def write_batch(self, docs: list[dict], passages: list[dict]) -> None:
        """Replace the passages of ``docs`` and upsert their rows.

        Passages go first and documents last: a run killed in between leaves documents that still look
        new or changed, so the next run redoes them, deleting the half-written passages first.
        """
        if not docs:
            return
        # A multi-record file's row ("collection") comes after its records, which the pipeline wrote
        # (having deleted the old ones itself): only other file rows drop their former records here.
        ids = [d["doc_id"] for d in docs if not d.get("parent") and d.get("kind") != "collection"]
        self.delete_children(ids)
        self.passages.delete(in_list("doc_id", [d["doc_id"] for d in docs]))
        fault("batch-deleted")
        if passages:
            self.passages.add(pa.Table.from_pylist(passages, schema=self.passages.schema))
        fault("batch-passages")
        self.upsert_documents(docs)
        fault("batch-documents")

    def upsert_documents(self, docs: list[dict]) -> None:
        """Insert or replace document rows by ``doc_id``."""
        table = pa.Table.from_pylist(docs, schema=DOC_SCHEMA)
        (
            self.documents.merge_insert("doc_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(table)
        )

    def write_enriched(self, docs: list[dict], passages: list[dict]) -> None:
        """Pass 2's write: updated document metadata, then the passages with their model columns.

        The passages' ``enriched`` key is the commit mark: a crash before it leaves them to be redone
        (rewriting the same metadata); after it they are never embedded again.
        """
        if docs:
            self.upsert_documents(docs)
        fault("enrich-documents")
        if passages:
            table = pa.Table.from_pylist(passages, schema=self.passages.schema)
            # Rows without a vector (an image under the text model, text under CLIP) stay null.
            self.passages.merge_insert("passage_id").when_matched_update_all().execute(table, on_bad_vectors="null")
        fault("enrich-passages")

    def sweep_orphans(self) -> int:
        """Delete passages whose document is gone and records whose file row is gone; returns how many.

        A run killed between writing a batch's passages and its documents leaves such rows (a new file gets
        a new id next time); search never shows them, and the next writer removes them here.
        """
        docs = self.document_rows(["doc_id", "parent"])
        ids = {r["doc_id"] for r in docs}
        lost_children = [r["doc_id"] for r in docs if r["parent"] and r["parent"] not in ids]
        ids.difference_update(lost_children)
        have = self.documents_with_passages()
        orphans = sorted(have - ids)
        for chunk in (lost_children, orphans):
            for i in range(0, len(chunk), 500):
                self.passages.delete(in_list("doc_id", chunk[i : i + 500]))
        for i in range(0, len(lost_children), 500):
            self.documents.delete(in_list("doc_id", lost_children[i : i + 500]))
        fault("sweep")
        return len(orphans) + len(lost_children)

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their passages from the index (files that vanished)."""
        for i in range(0, len(doc_ids), 500):
            chunk = doc_ids[i : i + 500]
            self.delete_children(chunk)
            self.passages.delete(in_list("doc_id", chunk))
            fault("vanished-passages")
            self.documents.delete(in_list("doc_id", chunk))

    def delete_passages_of(self, doc_ids: list[str]) -> None:
        """Remove the passages of these documents (their rows stay), 500 documents per delete."""
        for i in range(0, len(doc_ids), 500):
            self.passages.delete(in_list("doc_id", doc_ids[i : i + 500]))

    def mark_for_reading(self, doc_ids: list[str]) -> None:
        """Make the next run read these documents' files again (mtime -1 never matches a file on disk)."""
        for i in range(0, len(doc_ids), 500):
            self.documents.update(where=in_list("doc_id", doc_ids[i : i + 500]), values={"mtime": -1.0})

    def passage_fragment_target(self) -> dict:
        """Where app.cluster's writers put passage fragments of their own: ``table_uri``, ``schema`` and
        ``storage_version`` (the arguments of app.cluster.operators.write_op)."""
        from lance import dataset as lance_dataset

        uri = self.location.table_uri("passages")
        return {"table_uri": uri, "schema": self.passages.schema,
                "storage_version": lance_dataset(uri).data_storage_version}

    def append_passage_fragments(self, fragments: list[dict]) -> None:
        """Make passage fragments written by app.cluster's writers (their JSON metadata) part of the table,
        in one commit."""
        import lance
        from lance.fragment import FragmentMetadata

        uri = self.location.table_uri("passages")
        ds = lance.dataset(uri)
        frags = [FragmentMetadata.from_json(json.dumps(f)) for f in fragments]
        lance.LanceDataset.commit(uri, lance.LanceOperation.Append(frags), read_version=ds.version)

    def delete_children(self, parent_ids: list[str]) -> None:
        """Remove the records of multi-record files (documents whose parent is one of these)."""
        if not parent_ids:
            return
        children = [r["doc_id"] for r in self.document_rows(["doc_id"], where=in_list("parent", parent_ids))]
        for i in range(0, len(children), 500):
            chunk = children[i : i + 500]
            self.passages.delete(in_list("doc_id", chunk))
            self.documents.delete(in_list("doc_id", chunk))

    def move_document(self, doc_id: str, new: dict) -> None:
        """Point an indexed document at its new path (a rename: same content, no re-embedding)."""
        values = {k: new[k] for k in ("path", "folder", "title", "date") if k in new}
        self.passages.update(where=f"doc_id = {sql_str(doc_id)}", values=values)
        self.documents.update(where=f"doc_id = {sql_str(doc_id)}", values={**values, **{k: new[k] for k in ("root", "mtime", "size")}})

    def mark_unfinished(self) -> None:
        """Note that tables are being written and the indexes not yet refreshed (cleared by mark_finished)."""
        (self._index_dir / _UNFINISHED).touch()

    def mark_finished(self) -> None:
        """Note that the indexes are up to date with the tables (app.search.indexes.finish calls it last)."""
        (self._index_dir / _UNFINISHED).unlink(missing_ok=True)

    def unfinished(self) -> bool:
        """True when a writer wrote without reaching finish (killed): the next run refreshes the indexes."""
        return (self._index_dir / _UNFINISHED).exists()

    def forget_passage_sidecars(self) -> None:
        """Delete what app.search derived from the passages table and keeps beside it (PASSAGE_SIDECARS).

        The store only knows their names: a swapped or restored table makes them describe rows that are gone,
        and the next finish rebuilds them.
        """
        for name in PASSAGE_SIDECARS:
            path = self._index_dir / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    @contextmanager
    def lock(self):
        """An exclusive inter-process lock: LanceDB wants one writer at a time.

        Taking it forgets the file-state catalog (app.catalog): whoever writes makes it stale.
        """
        from filelock import FileLock, Timeout

        from app import catalog

        lock = FileLock(str(self.root / "index.lock"))
        holder = self.root / "index.lock.pid"
        try:
            lock.acquire(timeout=0)
        except Timeout:
            # A second writer must not wait in silence (the audit's "hangs"): say who holds it and how to stop.
            try:
                pid = holder.read_text(encoding="utf-8").strip() or "?"
            except OSError:
                pid = "?"
            print(f"lexiscope: another Lexiscope run (process {pid}) is writing this index; waiting for it to "
                  f"finish. To stop it instead, press Ctrl-C where it runs (or `kill {pid}`).", file=sys.stderr,
                  flush=True)
            lock.acquire()
        try:
            holder.write_text(str(os.getpid()), encoding="utf-8")
            catalog.invalidate(self.root)
            yield
        finally:
            lock.release()


_SWAP_MARKER = "passages_next.ready"
_UNFINISHED = "unfinished"
# Rows per chunk when copying a passages table (bounded memory on a big index).
_COPY_ROWS = 20_000


def _open_datasets(index_dir: Path, vectors: bool) -> dict | None:
    """The two tables as pylance datasets, for a lazy store; None when pylance is not installed or the index
    needs the LanceDB open (a table to create, a swap to finish, an older layout to migrate, or, for a reader
    that searches ``vectors``, an ANN index that LanceDB searches)."""
    if (index_dir / _SWAP_MARKER).exists() or (index_dir / "passages_next.lance").exists():
        return None
    paths = {name: index_dir / f"{name}.lance" for name in ("documents", "passages")}
    if not all(path.is_dir() for path in paths.values()):
        return None
    if vectors and _has_vector_index(paths["passages"]):
        return None
    from app.lazy_import import import_lance

    try:
        lance = import_lance()
    except ImportError:  # pylance left out (the packaged app): LanceDB reads everything
        return None
    datasets = {name: lance.dataset(str(path)) for name, path in paths.items()}
    for ds in datasets.values():
        Store._check_version(ds.schema)  # newer than this app: refused, as the LanceDB open does
    if schema_version_of(datasets["passages"].schema) < layout.SCHEMA_VERSION:
        return None
    return datasets


def _has_vector_index(table: Path) -> bool:
    """Whether the newest version of a table has an ANN index, read from its manifest (app.lance_files: no
    lancedb, no pylance). An unreadable manifest says no: the datasets then open, or fail, as they would."""
    from app.lance_files import ManifestError, manifest_files, read_manifest

    versions = manifest_files(table)
    try:
        return bool(versions) and any("VectorIndex" in ix.type_url for ix in read_manifest(versions[max(versions)]).indices)
    except (ManifestError, OSError):
        return False
