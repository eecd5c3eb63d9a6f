"""The indexed folders, as the window's Sources list and the command line see them: per-folder counts with
every skipped or failed file, and forgetting a folder. Qt-free, so the window (on a worker) and
``lexiscope forget`` / ``lexiscope status`` share one implementation.
"""

from __future__ import annotations

from pathlib import Path

from app.ingest.readers.news.records import METADATA_REASONS
from app.pipeline import forget_root
from app.store import Store


def source_summary(store: Store, sources: list[str]) -> dict:
    """Per-folder counts, totals by kind, and every skipped or failed file.

    Files read as metadata of other files (newspaper title records, column mappings) did their job: they
    are counted as ``metadata``, never listed as skipped.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    # Counted by arrow's native group-by, not row by row in Python: at 100,000 documents the list of dicts
    # alone held the GIL for 0.5-0.8 s and froze the window (bench/gui_responsiveness.py --home).
    t = store.document_table(["path", "root", "state", "reason", "kind"])
    skipped = pc.equal(t["state"], "skipped")
    metadata = pc.fill_null(pc.and_(skipped, pc.is_in(t["reason"], pa.array(sorted(METADATA_REASONS)))), False)
    t = t.append_column("metadata", metadata)
    per_root = {s: {"indexed": 0, "skipped": 0, "failed": 0} for s in sources}
    for g in t.group_by(["root", "state", "metadata"]).aggregate([("path", "count")]).to_pylist():
        counts = per_root.setdefault(g["root"], {"indexed": 0, "skipped": 0, "failed": 0})
        key = "metadata" if g["metadata"] else g["state"]
        counts[key] = counts.get(key, 0) + g["path_count"]
    indexed = t.filter(pc.equal(t["state"], "indexed"))
    by_kind = {g["kind"]: g["path_count"] for g in indexed.group_by("kind").aggregate([("path", "count")]).to_pylist()}
    problems = t.filter(pc.and_(pc.not_equal(t["state"], "indexed"), pc.invert(metadata)))
    problems = problems.select(["path", "state", "reason"]).to_pylist()
    problems.sort(key=lambda p: (p["state"], p["path"]))
    return {"roots": per_root, "by_kind": by_kind, "problems": problems, "documents": t.num_rows}


def forget_folder(store: Store, folder: str | Path) -> int:
    """Remove every document under ``folder`` from the index, holding the writer lock; returns how many."""
    with store.lock():
        return forget_root(store, folder)


__all__ = ["forget_folder", "source_summary"]
