"""The index on disk: LanceDB tables for documents and passages, embedded, under the data root.

Two tables:
- ``documents``: one row per file ever seen under an indexed folder, in exactly one state
  (indexed / skipped / failed) with the reason, plus what incremental runs compare (mtime, size, hash).
- ``passages``: the searchable units (text passages; one row per image), with BM25 text, filter
  columns copied from the document, and the vectors the configured models produce.

``schema_version`` and the model ids live in the table schema metadata. An index written by a newer
app is refused with a clear message; a model change is detected so the caller can re-embed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

# v1: first layout (documents + passages, sparse ids/weights as list columns, optional dense columns).
SCHEMA_VERSION = 1

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
]


class IndexTooNew(Exception):
    """The index on disk was written by a newer Lexiscope."""


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


def _sql_str(value: str) -> str:
    """Quote a string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


def in_list(column: str, values) -> str:
    """A SQL ``column IN (...)`` filter for string values."""
    return f"{column} IN ({', '.join(_sql_str(v) for v in values)})"


class Store:
    """Open (or create) the index under ``root``; the single writer holds ``lock``."""

    def __init__(self, root: Path, vectors: tuple[VectorColumn, ...] = (), vocab_model: str = ""):
        import lancedb

        os.environ.setdefault("LANCEDB_LOG", "error")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.thumbs = self.root / "thumbs"
        self.thumbs.mkdir(exist_ok=True)
        self.db = lancedb.connect(self.root / "index")
        existing = set(self.db.list_tables().tables)
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
        else:
            self.passages = self.db.create_table("passages", schema=passage_schema(vectors, vocab_model), exist_ok=True)

    @staticmethod
    def _check_version(schema: pa.Schema) -> None:
        meta = schema.metadata or {}
        found = int(meta.get(b"schema_version", b"0"))
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

    def rebuild_passages(self, vectors: tuple[VectorColumn, ...], vocab_model: str) -> None:
        """Drop all passages and mark every document for re-reading (a documented re-embed)."""
        from app.search import postings, vector_index

        self.db.drop_table("passages")
        vector_index.forget(self)  # the dropped table took its indexes along
        postings.forget(self)
        self.passages = self.db.create_table("passages", schema=passage_schema(vectors, vocab_model))
        if self.documents.count_rows():
            # mtime -1 never matches a file on disk, so the next run re-reads and re-embeds everything.
            self.documents.update(where="state = 'indexed'", values={"mtime": -1.0})

    # --- reads -----------------------------------------------------------------------------------
    def document_rows(self, columns: list[str] | None = None, where: str | None = None) -> list[dict]:
        """Documents as dicts (all, or those matching ``where``)."""
        q = self.documents.search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow().to_pylist()

    def passage_rows(self, where: str, columns: list[str] | None = None) -> list[dict]:
        """Passages matching a filter, as dicts."""
        q = self.passages.search().where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow().to_pylist()

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
        ids = [d["doc_id"] for d in docs if not d.get("parent")]
        self._delete_children(ids)
        self.passages.delete(in_list("doc_id", [d["doc_id"] for d in docs]))
        if passages:
            self.passages.add(pa.Table.from_pylist(passages, schema=self.passages.schema))
        table = pa.Table.from_pylist(docs, schema=DOC_SCHEMA)
        (
            self.documents.merge_insert("doc_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(table)
        )

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their passages from the index (files that vanished)."""
        for i in range(0, len(doc_ids), 500):
            chunk = doc_ids[i : i + 500]
            self._delete_children(chunk)
            self.passages.delete(in_list("doc_id", chunk))
            self.documents.delete(in_list("doc_id", chunk))

    def _delete_children(self, parent_ids: list[str]) -> None:
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

        return refresh_all(self)

    def lock(self):
        """An exclusive inter-process lock: LanceDB wants one writer at a time."""
        from filelock import FileLock

        return FileLock(str(self.root / "index.lock"))
