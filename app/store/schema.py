"""What the tables hold: their schemas, the schema version, the model columns, and the names of the files
beside them. Pure data (pyarrow only): readers of an index's layout need no LanceDB."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pyarrow as pa

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


# Files and folders under index/ that app.search derives from the passages table (the vector-index record
# and the sparse postings); named here so that the store can drop them when it replaces the table, without
# importing the search layer.
VECTOR_INDEX_FILE = "vector_index.json"
POSTINGS_DIR = "postings"
PASSAGE_SIDECARS = (VECTOR_INDEX_FILE, POSTINGS_DIR)


def schema_version_of(schema: pa.Schema) -> int:
    """The schema_version recorded in a table's metadata (0 when absent or not a number)."""
    raw = (schema.metadata or {}).get(b"schema_version", b"0")
    try:
        return int(raw)
    except ValueError:
        return 0


def conform(cols: dict, schema: pa.Schema, n: int) -> pa.Table:
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
