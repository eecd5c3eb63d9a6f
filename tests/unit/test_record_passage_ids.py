"""Passages of the records of one article file get ids of their own (pass 2 merges on passage_id: shared
ids made every models run on a CSV/JSONL of articles fail with 'Ambiguous merge inserts')."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.ingest.readers.news.records import read_records
from app.stages import Item, passage_rows


def test_each_record_has_distinct_passage_ids(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": f"Record {i} about the harbour and the ferry."})
                              for i in range(5)) + "\n", encoding="utf-8")
    ex = read_records(path, max_bytes=10**6)
    item = Item(Path(path), str(tmp_path), os.stat(path), "file0")
    ids = []
    for i, rec in enumerate(ex.records):
        doc = {"doc_id": f"file0/{i}", "path": f"{path}#{i}", "folder": str(tmp_path), "kind": rec.kind,
               "title": rec.title, "date": rec.date or ""}
        ids += [p["passage_id"] for p in passage_rows(item, doc, 1000, ex=rec)]
    assert len(ids) == 5 and len(set(ids)) == 5
