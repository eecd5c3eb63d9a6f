"""The index on disk: LanceDB tables for documents and passages, embedded, under the data root.

Two tables:
- ``documents``: one row per file ever seen under an indexed folder, in exactly one state
  (indexed / skipped / failed) with the reason, plus what incremental runs compare (mtime, size, hash).
- ``passages``: the searchable units (text passages; one row per image), with BM25 text, filter
  columns copied from the document, and the vectors the configured models produce.

``schema_version`` and the model ids live in the table schema metadata. An index written by a newer
app is refused with a clear message; an older one is migrated when first opened; a model change is
detected so the caller can re-embed.

Two passes fill a passage (see app.pipeline and app.enrich): pass 1 writes its words, dates and facets
with ``enriched`` empty; pass 2 adds what needs models and sets ``enriched`` to the key of the models
(:func:`enrich_key`). A passages table is replaced (model change, migration) by building the new one
beside it and swapping the folders, so a crash leaves either the old or the new table, never none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from app.errors import IndexDamaged, IndexTooNew
from app.faults import fault

if TYPE_CHECKING:
    from app.location import IndexLocation

# v1: first layout (documents + passages, sparse ids/weights as list columns, optional dense columns).
# v2: passages.enriched, the key of the models pass 2 filled the passage with ("" = words only so far).
SCHEMA_VERSION = 2

DOC_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string()),
        # Records inside a multi-record file are documents of their own whose parent is the file's row.
        pa.field("parent", pa.string()),
        pa.field("path", pa.string()),
        pa.field("root", pa.string()),
        pa.field("folder", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("title", pa.string()),
        pa.field("date", pa.string()),
        pa.field("mtime", pa.float64()),
        pa.field("size", pa.int64()),
        pa.field("content_hash", pa.string()),
        pa.field("state", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("meta", pa.string()),
        pa.field("thumb", pa.string()),
        pa.field("n_passages", pa.int32()),
        pa.field("indexed_at", pa.float64()),
    ]
)

PASSAGE_BASE = [
    pa.field("passage_id", pa.string()),
    pa.field("doc_id", pa.string()),
    pa.field("path", pa.string()),
    pa.field("folder", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("title", pa.string()),
    pa.field("date", pa.string()),
    pa.field("ordinal", pa.int32()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("text", pa.string()),
    # News facets, copied from the document so filters run inside the vector/FTS search.
    pa.field("source", pa.string()),
    pa.field("place", pa.string()),
    pa.field("entities", pa.list_(pa.string())),  # "PER:Woodrow Wilson", "LOC:Mexico", ...
    # LanceDB has no sparse vector type (lancedb #1032/#1930): top-k (token id, weight) pairs.
    pa.field("sparse_ids", pa.list_(pa.int32())),
    pa.field("sparse_w", pa.list_(pa.float32())),
    pa.field("enriched", pa.string()),
]
# Passage columns that pass 1 writes; a model change keeps these and drops the rest.
WORDS_COLUMNS = [f.name for f in PASSAGE_BASE if f.name not in ("sparse_ids", "sparse_w", "enriched")]




@dataclass(frozen=True)
class VectorColumn:
    """A dense vector column of the passages table, tied to the model that fills it."""

    name: str
    dim: int
    model_id: str


def passage_schema(vectors: tuple[VectorColumn, ...], vocab_model: str = "") -> pa.Schema:
    """The passages schema for a set of dense vector columns, with versions in the metadata."""
    fields = list(PASSAGE_BASE)
    for col in vectors:
        fields.append(pa.field(col.name, pa.list_(pa.float32(), col.dim), nullable=True))
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "vectors": json.dumps([[c.name, c.dim, c.model_id] for c in vectors]),
        "vocab_model": vocab_model,
    }
    return pa.schema(fields, metadata=meta)


def enrich_key(vectors: tuple[VectorColumn, ...], vocab_model: str) -> str:
    """A short key for a set of models: a passage whose ``enriched`` equals it is done by pass 2."""
    blob = json.dumps([[c.name, c.dim, c.model_id] for c in vectors] + [vocab_model])
    return hashlib.blake2b(blob.encode(), digest_size=6).hexdigest()


def _sql_str(value: str) -> str:
    """Quote a string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


def in_list(column: str, values) -> str:
    """A SQL ``column IN (...)`` filter for string values."""
    return f"{column} IN ({', '.join(_sql_str(v) for v in values)})"


class Store:
    """Open (or create) the index under ``root``; the single writer holds ``lock``."""

    def __init__(self, root: Path | str | IndexLocation, vectors: tuple[VectorColumn, ...] = (), vocab_model: str = "", *,
                 read_only: bool = False):
        """``root`` is a data folder or an index location URI (``s3://…``, see app.location).

        ``read_only`` opens an existing index without creating anything (a shared index on a server or an
        object store): no folders, no tables, and every write is refused by LanceDB's permissions or ours.
        """
        from app.lazy_import import import_lancedb

        lancedb = import_lancedb()

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
        self.db = lancedb.connect(self.location.db_uri)
        self._index_dir = self.root / "index"
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
            else self.db.create_table("documents", schema=DOC_SCHEMA.with_metadata({"schema_version": str(SCHEMA_VERSION)}),
                                      exist_ok=True)
        )
        self._check_version(self.documents.schema)
        if "passages" in existing:
            self.passages = self.db.open_table("passages")
            self._check_version(self.passages.schema)
            if _version(self.passages.schema) < SCHEMA_VERSION:
                if read_only:
                    raise ReadOnlyIndex(f"the index at {self.location} has an older layout; open it once with write "
                                        "access (lexiscope status, without --index) to upgrade it")
                with self.lock():
                    self._migrate()
        else:
            self.passages = self.db.create_table("passages", schema=passage_schema(vectors, vocab_model), exist_ok=True)

    @staticmethod
    def _check_version(schema: pa.Schema) -> None:
        raw = (schema.metadata or {}).get(b"schema_version", b"0")
        try:
            found = int(raw)
        except ValueError:
            raise IndexDamaged(f"the index records schema_version {raw.decode(errors='replace')!r}, which is not "
                               "a whole number (its metadata was damaged). Run `lexiscope check --repair` to go "
                               "back to the last good version.") from None
        if found > SCHEMA_VERSION:
            raise IndexTooNew(
                f"this index was written by a newer Lexiscope (index schema v{found}, this app reads up to "
                f"v{SCHEMA_VERSION}). Update Lexiscope, or point LEXISCOPE_HOME at another folder."
            )

    # --- what the passages table was built with -------------------------------------------------
    def vector_columns(self) -> tuple[VectorColumn, ...]:
        """The dense vector columns recorded in the passages table metadata."""
        raw = (self.passages.schema.metadata or {}).get(b"vectors", b"[]")
        return tuple(VectorColumn(n, d, m) for n, d, m in json.loads(raw))

    def vocab_model(self) -> str:
        """The vocabulary (sparse) model id the passages were encoded with ("" for none)."""
        return (self.passages.schema.metadata or {}).get(b"vocab_model", b"").decode()

    def needs_rebuild(self, vectors: tuple[VectorColumn, ...], vocab_model: str) -> bool:
        """True when the configured models differ from those the index was built with."""
        return self.vector_columns() != tuple(vectors) or self.vocab_model() != vocab_model

    def enrich_key(self) -> str:
        """The key pass 2 marks passages with, for the models this table was built for."""
        return enrich_key(self.vector_columns(), self.vocab_model())

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
            nxt.add(_conform(cols, schema, batch.num_rows))
        fault("swap-written")
        (self._index_dir / _SWAP_MARKER).write_text("passages_next.lance is complete\n")
        self._recover_swap()
        self.passages = self.db.open_table("passages")

    def _recover_swap(self) -> None:
        """Finish (or undo) a passages table swap that a crash interrupted; a no-op when none is pending."""
        d = self._index_dir
        marker, cur, nxt, old = d / _SWAP_MARKER, d / "passages.lance", d / "passages_next.lance", d / "passages_old.lance"
        if marker.exists() and nxt.exists():
            from app.search import postings, vector_index

            vector_index.forget(self)  # sidecars of the old table's indexes: rebuilt for the new one
            postings.forget(self)
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
        if _version(self.passages.schema) >= SCHEMA_VERSION:
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

    # --- reads -----------------------------------------------------------------------------------
    def document_rows(self, columns: list[str] | None = None, where: str | None = None) -> list[dict]:
        """Documents as dicts (all, or those matching ``where``)."""
        q = self.documents.search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow().to_pylist()

    def document_table(self, columns: list[str] | None = None, where: str | None = None):
        """Documents as an arrow table (for counting in native code: a list of dicts of 100,000 documents
        is built in one call that holds the GIL for ~0.5 s, freezing the window's thread)."""
        q = self.documents.search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow()

    def passage_rows(self, where: str, columns: list[str] | None = None) -> list[dict]:
        """Passages matching a filter, as dicts."""
        q = self.passages.search().where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow().to_pylist()

    def passages_of(self, doc_ids: list[str], columns: list[str] | None = None) -> list[dict]:
        """The passages of these documents, as dicts."""
        return self.passage_rows(in_list("doc_id", doc_ids), columns)

    def problem_documents(self) -> list[dict]:
        """Every file not indexed (skipped or failed), with its reason, by state then path."""
        rows = self.document_rows(["path", "state", "reason"], where="state != 'indexed'")
        return sorted(rows, key=lambda r: (r["state"], r["path"]))

    def pass_counts(self) -> dict:
        """Passages with words (all of them) and with meaning (pass 2 done for the current models)."""
        total = self.passages.count_rows()
        done = self.passages.count_rows(f"enriched = {_sql_str(self.enrich_key())}") if total else 0
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
        return {"documents": len(rows), "by_state": by_state, "by_kind": by_kind, "passages": self.passages.count_rows()}

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
        self._upsert_documents(docs)
        fault("batch-documents")

    def _upsert_documents(self, docs: list[dict]) -> None:
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
            self._upsert_documents(docs)
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
        have = set(self.passages.search().select(["doc_id"]).limit(None).to_arrow().column("doc_id").to_pylist())
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
        self.passages.update(where=f"doc_id = {_sql_str(doc_id)}", values=values)
        self.documents.update(where=f"doc_id = {_sql_str(doc_id)}", values={**values, **{k: new[k] for k in ("root", "mtime", "size")}})

    def finish(self) -> dict[str, float]:
        """After a run: extend the indexes by what changed and compact (app.search.indexes); seconds per step."""
        from app.search.indexes import refresh_all

        fault("finish")
        times = refresh_all(self)
        (self._index_dir / _UNFINISHED).unlink(missing_ok=True)
        return times

    def mark_unfinished(self) -> None:
        """Note that tables are being written and the indexes not yet refreshed (cleared by finish)."""
        (self._index_dir / _UNFINISHED).touch()

    def unfinished(self) -> bool:
        """True when a writer wrote without reaching finish() (killed): the next run refreshes the indexes."""
        return (self._index_dir / _UNFINISHED).exists()

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


def _version(schema: pa.Schema) -> int:
    """The schema_version recorded in a table's metadata (0 when absent or not a number)."""
    raw = (schema.metadata or {}).get(b"schema_version", b"0")
    try:
        return int(raw)
    except ValueError:
        return 0


def _conform(cols: dict, schema: pa.Schema, n: int) -> pa.Table:
    """A table in ``schema`` from the columns at hand; columns not given are empty (null, "" or [])."""
    arrays = []
    for f in schema:
        if f.name in cols:
            col = cols[f.name]
            arrays.append(col.cast(f.type) if col.type != f.type else col)
        elif pa.types.is_string(f.type):
            arrays.append(pa.array([""] * n, f.type))
        elif pa.types.is_list(f.type) and not pa.types.is_fixed_size_list(f.type):
            arrays.append(pa.array([[]] * n, f.type))
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
