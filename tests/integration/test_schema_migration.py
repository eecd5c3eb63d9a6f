"""An index written by the previous schema (v1, before two passes) opens, migrated, with nothing lost."""

from __future__ import annotations

import json

import pyarrow as pa

from app.config import Settings
from app.index_run import index_paths
from app.search.engine import Searcher
from app.store import DOC_SCHEMA, PASSAGE_BASE, SCHEMA_VERSION, Store, VectorColumn, enrich_key


def _v1_index(home, folder) -> None:
    """Index with this app, then rewrite the passages table as v1 wrote it (no ``enriched``, version 1)."""
    index_paths([folder], Settings(), use_models=False)
    store = Store(home)
    rows = store.passage_rows("true")
    col = VectorColumn("vec_text", 4, "old-model")
    fields = [f for f in PASSAGE_BASE if f.name != "enriched"] + [pa.field("vec_text", pa.list_(pa.float32(), 4))]
    meta = {"schema_version": "1", "vectors": json.dumps([[col.name, col.dim, col.model_id]]), "vocab_model": ""}
    for i, r in enumerate(rows):
        del r["enriched"]
        # One row as a --lexical-only run into a models index left it: no vector.
        r["vec_text"] = None if i == 0 else [1.0, 0.0, 0.0, 0.0]
    store.db.drop_table("passages")
    store.db.create_table("passages", data=pa.Table.from_pylist(rows, schema=pa.schema(fields, metadata=meta)))
    assert DOC_SCHEMA.field("doc_id")  # the documents table did not change in v2


def test_a_v1_index_is_migrated_when_opened(home, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(3):
        (folder / f"n{i}.txt").write_text(f"Minutes of meeting {i} about the lighthouse keepers.", encoding="utf-8")
    _v1_index(home, folder)
    store = Store(home)  # migrates
    assert store.passages.schema.metadata[b"schema_version"] == str(SCHEMA_VERSION).encode()
    rows = store.passage_rows("true", ["passage_id", "vec_text", "enriched"])
    key = enrich_key((VectorColumn("vec_text", 4, "old-model"),), "")
    assert len(rows) == 3
    assert sorted(r["enriched"] for r in rows) == ["", key, key]  # the row without a vector still needs pass 2
    assert all((r["vec_text"] is None) == (r["enriched"] == "") for r in rows)
    assert len(Searcher(store).search("lighthouse", k=5).results) == 3
    assert not (home / "index" / "passages_next.lance").exists() and not (home / "index" / "passages_old.lance").exists()
